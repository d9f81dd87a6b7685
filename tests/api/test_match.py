"""`POST /v1/match`: one record of an agency's registry matched as a rebuild would, changing nothing."""

import csv
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from sijill.db.engine import session_scope
from sijill.identity import accesses_of
from sijill.linkage.splink_linker import SplinkLinker
from sijill.register import resolve_source_id
from sijill.register.flows import run_build
from sijill.sources import SourceRecord
from tests.api.conftest import Server, add_agencies, serve


@pytest.fixture
def splink_server(engine: Engine, small_sources: Path) -> Iterator[Server]:
    """A server on a register built by Splink (online matching needs its trained model)."""
    run_build(engine=engine, sources_dir=small_sources, linker=SplinkLinker(), today=date(2026, 1, 1))
    credentials = add_agencies(engine)
    for running in serve(engine):
        running.agencies = credentials
        yield running


def _civil_rows(sources: Path, count: int) -> list[dict[str, str]]:
    with (sources / "civil.csv").open(encoding="utf-8", newline="") as f:
        return [row for _, row in zip(range(count), csv.DictReader(f), strict=False)]


def _records(engine: Engine) -> int:
    with session_scope(engine) as session:
        return int(session.scalar(select(func.count()).select_from(SourceRecord)) or 0)


def test_a_held_record_links_to_its_person_and_nothing_changes(
    splink_server: Server, small_sources: Path
) -> None:
    server = splink_server
    row = _civil_rows(small_sources, 1)[0]
    with session_scope(server.engine) as session:
        uin = resolve_source_id(session=session, source="civil", source_id=row["acte_id"])
    before = _records(server.engine)
    with server.client(server.agencies["spp"]) as spp:
        answer = spp.post("/v1/match", json={"source": "civil", "record": row})
    assert answer.status_code == 200, answer.text
    found = answer.json()
    assert found["decision"] == "link" and found["uin"] == uin and found["source_id"] == row["acte_id"]
    assert found["candidates"][0]["uin"] == uin and 0 < found["candidates"][0]["probability"] <= 1
    assert _records(server.engine) == before
    with session_scope(server.engine) as session:
        [entry] = [e for e in accesses_of(session=session, uin=uin) if e.operation == "match"]
    assert entry.agency == "spp" and entry.fields == ["uin"] and entry.outcome == "link"


def test_an_unreadable_record_gets_422_and_another_source_403(
    splink_server: Server, small_sources: Path
) -> None:
    row = _civil_rows(small_sources, 1)[0]
    nameless = {k: ("" if k.startswith(("nom", "prenom")) else v) for k, v in row.items()}
    with splink_server.client(splink_server.agencies["spp"]) as spp:
        unreadable = spp.post("/v1/match", json={"source": "civil", "record": nameless})
        other_source = spp.post("/v1/match", json={"source": "cnss", "record": row})
        too_long = spp.post("/v1/match", json={"source": "civil", "record": {"acte_id": "1" * 300}})
    assert unreadable.status_code == 422 and "record: no usable name" in unreadable.text
    assert other_source.status_code == 403
    assert too_long.status_code == 422 and "1" * 300 not in too_long.text
