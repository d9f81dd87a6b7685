"""`sijill demo` and `sijill users`, as a newcomer and an administrator run them."""

import re
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from sijill.db.engine import create_engine_for, session_scope
from sijill.web import DeskUser, get_census_share
from sijill.web.users import authenticate

# What the demo says of each of its steps once done (its progress bars' last words).
DEMO_STEPS = (
    "population generated",
    "extracts ingested",
    "register built",
    "households imported",
    "released",
    "desk ready",
    "report written",
)
REPORT_SECTIONS = (
    "What the register holds",
    "Linkage quality against the synthetic truth",
    "Coverage against the 2024 census",
    "Programs: reach and amounts per cycle",
    "Review backlog",
)


def sijill(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sijill", *args],
        capture_output=True,
        text=True,
        input=stdin,
        timeout=900,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
    )


def test_the_demo_builds_everything_and_ends_with_the_report_and_a_login(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    result = sijill("demo", "--persons", "400", "--seed", "2", "--out", str(out))
    assert result.returncode == 0, result.stderr
    report = out / "report.html"
    assert result.stdout.strip().splitlines()[-1] == f"report: {report.resolve()}"
    for step in DEMO_STEPS:
        assert step in result.stdout, step
    page = report.read_text(encoding="utf-8")
    assert page.count("<svg") >= 12 and not re.search(r"(src|href)\s*=|https?://", page)
    for section in REPORT_SECTIONS:
        assert f"<h2>{section}</h2>" in page, section
    assert "to women" in page
    assert re.search(
        r"social register: [\d,]+ households, [\d,]+ members; cycle \d{4}-\d{2}: ", result.stdout
    )
    assert any((out / "cycle").glob("*.release.csv"))
    assert (out / "crosswalk.csv").exists() and (out / "sources" / "truth.csv").exists()
    password = re.search(r"password for all: (\S+)", result.stdout)
    assert password is not None and "sijill serve --db sqlite:///" in result.stdout
    engine = create_engine_for(f"sqlite:///{out / 'sijill.db'}")
    with session_scope(engine) as session:
        roles = {u.name: u.role for u in session.scalars(select(DeskUser))}
        assert set(roles.values()) == {"reviewer", "operator", "program_manager", "auditor"}
        assert authenticate(session=session, name="reviewer", password=password.group(1)) is not None
        assert 0 < get_census_share(session=session) < 0.001
        from sijill.social import cycle_amounts

        cycles = cycle_amounts(session=session)
        assert cycles and {c["status"] for c in cycles} == {"released"}
        assert sum(c["amount_mad"] for c in cycles) > 0
    engine.dispose()


def test_the_demo_refuses_a_directory_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "something").write_text("x", encoding="utf-8")
    result = sijill("demo", "--persons", "400", "--out", str(tmp_path))
    assert result.returncode == 2 and "not empty" in result.stderr


def test_users_are_added_listed_and_given_a_new_password_from_the_command_line(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'register.db'}"
    assert sijill("db", "upgrade", "--db", db).returncode == 0
    added = sijill(
        "users",
        "add",
        "amina",
        "--role",
        "reviewer",
        "--language",
        "ar",
        "--password-stdin",
        "--db",
        db,
        stdin="long-enough-1\n",
    )
    assert added.returncode == 0, added.stderr
    refused = sijill(
        "users", "add", "karim", "--role", "boss", "--password-stdin", "--db", db, stdin="long-enough-1\n"
    )
    assert refused.returncode == 2 and "unknown role" in refused.stderr
    listed = sijill("users", "list", "--db", db)
    assert "amina" in listed.stdout and "reviewer" in listed.stdout and "karim" not in listed.stdout
    assert (
        sijill("users", "passwd", "amina", "--password-stdin", "--db", db, stdin="long-enough-2\n").returncode
        == 0
    )
    assert sijill("users", "disable", "amina", "--db", db).returncode == 0
    engine = create_engine_for(db)
    with session_scope(engine) as session:
        assert authenticate(session=session, name="amina", password="long-enough-2") is None  # disabled
    engine.dispose()
    assert sijill("users", "enable", "amina", "--db", db).returncode == 0
    assert sijill("desk", "census-share", "0.5", "--db", db).returncode == 0
    assert sijill("desk", "census-share", "2", "--db", db).returncode == 2
