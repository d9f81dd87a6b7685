"""`sijill event ...` and `sijill person ...` as an operator uses them: outputs and exit codes."""

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from sijill.db.engine import create_engine_for, session_scope
from sijill.register.models import Person
from tests.cli.test_cli import sijill


@pytest.fixture
def built(db_url: str, small_sources: Path) -> str:
    done = sijill("build", str(small_sources), "--db", db_url, "--engine", "deterministic")
    assert done.returncode == 0, done.stderr
    return db_url


def _uins(url: str, count: int, sex: str | None = None) -> list[str]:
    engine = create_engine_for(url)
    with session_scope(engine) as session:
        stmt = select(Person.uin).where(Person.status == "active", Person.birth_date < "2000")
        if sex:
            stmt = stmt.where(Person.sex == sex)
        found = list(session.scalars(stmt.order_by(Person.id).limit(count)))
    engine.dispose()
    return found


def test_a_death_shows_in_person_show_and_history_and_a_second_is_refused(built: str) -> None:
    [uin] = _uins(built, 1)
    done = sijill("event", "death", uin, "--date", "2026-11-29", "--by", "clerk7", "--db", built, "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["version"] == 2
    again = sijill("event", "death", uin, "--date", "2026-11-30", "--by", "clerk7", "--db", built)
    assert again.returncode == 9 and "already recorded deceased" in again.stderr
    shown = json.loads(sijill("person", "show", uin, "--json", "--db", built).stdout)
    assert shown["attributes"]["status"] == "deceased" and shown["records"]
    before = json.loads(
        sijill("person", "show", uin, "--at", "2000-01-01", "--json", "--db", built).stdout or "{}"
    )
    assert before == {}
    history = json.loads(sijill("person", "history", uin, "--json", "--db", built).stdout)
    assert [(v["version"], v["reason"]) for v in history] == [(1, "created"), (2, "death")]


def test_an_agency_consumes_and_acknowledges_the_outbox(built: str) -> None:
    [uin] = _uins(built, 1)
    assert sijill("outbox", "subscribe", "cnss", "--db", built).returncode == 0
    sijill("event", "death", uin, "--date", "2026-11-29", "--by", "clerk7", "--db", built)
    consumed = sijill("outbox", "consume", "cnss", "--json", "--db", built)
    [event] = [json.loads(line) for line in consumed.stdout.splitlines()]
    assert (event["kind"], event["uin"], event["payload"]["date"]) == ("death", uin, "2026-11-29")
    assert sijill("outbox", "ack", "cnss", str(event["id"]), "--db", built).returncode == 0
    assert sijill("outbox", "consume", "cnss", "--json", "--db", built).stdout.strip() == ""
    past = sijill("outbox", "ack", "cnss", str(event["id"] + 5), "--db", built)
    assert past.returncode == 9 and "latest event" in past.stderr


def test_a_birth_prints_the_new_uin(built: str) -> None:
    [mother] = _uins(built, 1, sex="F")
    done = sijill(
        "event", "birth", "--mother", mother, "--sex", "F", "--date", "2026-11-30",
        "--commune", "01.511.01.01", "--family-lat", "alaoui", "--given-lat", "amina",
        "--by", "clerk7", "--db", built, "--json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    child = json.loads(done.stdout)["uin"]
    shown = json.loads(sijill("person", "show", child, "--json", "--db", built).stdout)
    assert shown["attributes"]["given_lat"] == "amina"


def test_merge_and_undo_from_the_command_line(built: str) -> None:
    survivor, absorbed = _uins(built, 2)
    merged = sijill(
        "person", "merge", survivor, absorbed, "--reason", "dup", "--by", "op1", "--db", built, "--json"
    )
    assert merged.returncode == 0, merged.stderr
    action = json.loads(merged.stdout)["action_id"]
    shown = json.loads(sijill("person", "show", absorbed, "--json", "--db", built).stdout)
    assert (shown["uin"], shown["resolved_from"]) == (survivor, absorbed)
    undone = sijill("person", "undo", str(action), "--reason", "wrong", "--by", "op2", "--db", built)
    assert undone.returncode == 0, undone.stderr
    twice = sijill("person", "undo", str(action), "--reason", "wrong", "--by", "op2", "--db", built)
    assert twice.returncode == 9 and "already undone" in twice.stderr
    bad = sijill("person", "split", survivor, "--records", "x", "--reason", "r", "--by", "op", "--db", built)
    assert bad.returncode == 2 and "--records" in bad.stderr
