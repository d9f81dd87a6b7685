"""Online matching: read-only `sijill match`, and ingests that give the persons of a rebuild."""

import csv
import hashlib
import json
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, inspect, select, text
from typer.testing import CliRunner

from sijill.cli.main import app
from sijill.db.engine import create_engine_for, session_scope
from sijill.db.locks import writer_session
from sijill.linkage.service import latest_model
from sijill.linkage.splink_linker import SplinkLinker
from sijill.outbox import OutboxEvent
from sijill.register import Matcher, MatchResult, ingest_record
from sijill.register.flows import run_build
from sijill.register.models import Link
from sijill.sources import ACCEPTED, SourceRecord

TODAY = date(2026, 1, 1)
SOURCES = ("civil", "cnie", "massar", "cnss", "ramed")
HELD_OUT = 25  # rows of each extract kept back and ingested one by one


def _split(sources: Path, out: Path) -> dict[str, list[dict[str, str]]]:
    """Write the extracts without their last rows; return those rows by source."""
    out.mkdir()
    held: dict[str, list[dict[str, str]]] = {}
    for name in SOURCES:
        with (sources / f"{name}.csv").open(encoding="utf-8", newline="") as f:
            reader = csv.DictReader(f)
            rows = list(reader)
            header = list(reader.fieldnames or [])
        with (out / f"{name}.csv").open("w", encoding="utf-8", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=header)
            writer.writeheader()
            writer.writerows(rows[:-HELD_OUT])
        held[name] = rows[-HELD_OUT:]
    return held


def _build(engine: Engine, sources: Path, model: dict[str, Any] | None = None) -> None:
    run_build(engine=engine, sources_dir=sources, linker=SplinkLinker(model=model), today=TODAY)


def _partition(engine: Engine) -> set[frozenset[tuple[str, str]]]:
    """Return the accepted records grouped by person, an unlinked record alone."""
    with session_scope(engine) as session:
        rows = session.execute(
            select(SourceRecord.id, SourceRecord.source, SourceRecord.source_id, Link.person_id)
            .outerjoin(Link, Link.source_record_id == SourceRecord.id)
            .where(SourceRecord.status == ACCEPTED)
        ).all()
    groups: dict[object, set[tuple[str, str]]] = defaultdict(set)
    for rid, source, source_id, person in rows:
        groups[person if person is not None else f"r{rid}"].add((source, str(source_id)))
    return {frozenset(g) for g in groups.values()}


def _fingerprint(engine: Engine) -> dict[str, str]:
    out = {}
    with engine.connect() as con:
        for table in inspect(con).get_table_names():
            rows = con.execute(text(f"SELECT * FROM {table}")).all()
            out[table] = hashlib.sha256(repr(sorted(map(repr, rows))).encode()).hexdigest()
    return out


@pytest.fixture
def split_build(engine: Engine, small_sources: Path, tmp_path: Path) -> dict[str, list[dict[str, str]]]:
    """A register built by Splink from the small population without its held-out rows."""
    held = _split(small_sources, tmp_path / "part")
    _build(engine, tmp_path / "part")
    return held


def test_sijill_match_never_changes_the_register(
    engine: Engine, db_url: str, split_build: dict[str, list[dict[str, str]]], tmp_path: Path
) -> None:
    before = _fingerprint(engine)
    rows = split_build["civil"] + [{"acte_id": "", "nom_ar": "x"}]
    path = tmp_path / "incoming.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(split_build["civil"][0]))
        writer.writeheader()
        writer.writerows(rows)
    result = CliRunner().invoke(app, ["match", "--source", "civil", str(path), "--json", "--db", db_url])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    assert len(lines) == len(rows)
    assert {"source_id", "decision", "uin", "candidates", "ms"} <= set(lines[0])
    assert {r["decision"] for r in lines} <= {"link", "review", "new", "invalid"}
    assert lines[-1]["decision"] == "invalid"
    assert _fingerprint(engine) == before


def _ingest_all(engine: Engine, held: dict[str, list[dict[str, str]]]) -> tuple[Matcher, list[MatchResult]]:
    with session_scope(engine) as session:
        matcher = Matcher.load(session, today=TODAY)
    results = []
    for i in range(HELD_OUT):  # interleaved, as records arrive
        for source in SOURCES:
            with writer_session(engine) as session:
                results.append(ingest_record(session, matcher, source, held[source][i], by="test"))
    return matcher, results


def test_online_ingests_give_the_persons_of_a_full_rebuild(
    engine: Engine, split_build: dict[str, list[dict[str, str]]], small_sources: Path, tmp_path: Path
) -> None:
    _ingest_all(engine, split_build)
    with session_scope(engine) as session:
        model = latest_model(session=session)
        assert model is not None
        settings = model.settings
    rebuilt = create_engine_for(f"sqlite:///{tmp_path / 'rebuilt.db'}")
    _build(rebuilt, small_sources, model=settings)
    online, full = _partition(engine), _partition(rebuilt)
    rebuilt.dispose()
    differ = online ^ full
    assert not differ, f"{len(differ)} groups differ: {sorted(map(sorted, differ))[:6]}"


def test_the_index_follows_every_ingest(engine: Engine, split_build: dict[str, list[dict[str, str]]]) -> None:
    kept, _results = _ingest_all(engine, split_build)
    with session_scope(engine) as session:
        fresh = Matcher.load(session, today=TODAY)

    def state(m: Matcher) -> dict[int, tuple[int, str]]:
        index = m.index
        return {
            rid: (int(index.persons[slot]), str(index.features["family_key"][0][slot]))
            for rid, slot in index.slot_of.items()
        }

    assert state(kept) == state(fresh)
    assert kept.index.tf.counts == fresh.index.tf.counts
    assert kept.held == fresh.held
    assert kept.uin_of == fresh.uin_of


def test_each_ingest_with_a_uin_is_announced_once_in_the_outbox(
    engine: Engine, split_build: dict[str, list[dict[str, str]]]
) -> None:
    _matcher, results = _ingest_all(engine, split_build)
    with session_scope(engine) as session:
        events = session.execute(select(OutboxEvent.kind, OutboxEvent.uin).order_by(OutboxEvent.id)).all()
    announced = [(kind, uin) for kind, uin in events if kind in ("new_person", "link")]
    expected = [(r.decision.replace("new", "new_person"), r.uin) for r in results if r.uin]
    assert announced == expected
    assert {r.decision for r in results} >= {"link", "new"}
