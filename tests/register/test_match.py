"""Online matching: read-only `sijill match`, and ingests that give the persons of a rebuild."""

import csv
import hashlib
import json
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, inspect, select, text
from typer.testing import CliRunner

from sijill.cli.main import app
from sijill.db.engine import create_engine_for, session_scope
from sijill.db.locks import writer_session
from sijill.linkage.service import latest_model
from sijill.linkage.splink_linker import SplinkLinker
from sijill.outbox import OutboxEvent
from sijill.register import Matcher, MatchResult, ingest_record, resolve_source_id
from sijill.register.flows import run_build
from sijill.register.models import Link
from sijill.sources import ACCEPTED, IngestBatch, SourceRecord

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


def _rebuilt_partition(engine: Engine, sources: Path, tmp_path: Path) -> set[frozenset[tuple[str, str]]]:
    """Return the partition of a full rebuild of the sources with the register's own model."""
    with session_scope(engine) as session:
        model = latest_model(session=session)
        assert model is not None
        settings = model.settings
    rebuilt = create_engine_for(f"sqlite:///{tmp_path / 'rebuilt.db'}")
    _build(rebuilt, sources, model=settings)
    full = _partition(rebuilt)
    rebuilt.dispose()
    return full


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
    table = CliRunner().invoke(app, ["match", "--source", "civil", str(path), "--db", db_url])
    assert table.exit_code == 0, table.output
    assert f"{len(rows)} rows:" in table.output
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
    online, full = _partition(engine), _rebuilt_partition(engine, small_sources, tmp_path)
    differ = online ^ full
    assert not differ, f"{len(differ)} groups differ: {sorted(map(sorted, differ))[:6]}"


def _state(m: Matcher) -> dict[int, tuple[int, str]]:
    index = m.index
    return {
        rid: (int(index.persons[slot]), str(index.features["family_key"][0][slot]))
        for rid, slot in index.slot_of.items()
    }


def test_the_index_follows_every_ingest(engine: Engine, split_build: dict[str, list[dict[str, str]]]) -> None:
    with session_scope(engine) as session:
        stale = Matcher.load(session, today=TODAY)
    kept, _results = _ingest_all(engine, split_build)
    with session_scope(engine) as session:
        fresh = Matcher.load(session, today=TODAY)
        ids = list(session.scalars(select(SourceRecord.id).where(SourceRecord.status == ACCEPTED)))
        stale.refresh(session, ids)
    assert _state(kept) == _state(fresh)
    assert _state(stale) == _state(fresh)
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


def test_a_new_version_of_a_held_record_keeps_its_person(
    engine: Engine, split_build: dict[str, list[dict[str, str]]], tmp_path: Path
) -> None:
    with (tmp_path / "part" / "civil.csv").open(encoding="utf-8", newline="") as f:
        held = next(csv.DictReader(f))
    with session_scope(engine) as session:
        matcher = Matcher.load(session, today=TODAY)
        before = resolve_source_id(session=session, source="civil", source_id=held["acte_id"])
    with writer_session(engine) as session:
        same = ingest_record(session, matcher, "civil", held, by="test")
    assert (same.decision, same.uin, same.reason) == ("link", before, "unchanged")
    corrected = {**held, "commune_naissance": ""}
    with writer_session(engine) as session:
        result = ingest_record(session, matcher, "civil", corrected, by="test")
    assert result.uin == before
    with session_scope(engine) as session:
        statuses = session.scalars(
            select(SourceRecord.status).where(
                SourceRecord.source == "civil", SourceRecord.source_id == held["acte_id"]
            )
        ).all()
        assert sorted(statuses) == ["accepted", "superseded"]
        assert resolve_source_id(session=session, source="civil", source_id=held["acte_id"]) == before


def test_a_matcher_catches_up_with_ingests_and_merges_made_through_another(
    engine: Engine, split_build: dict[str, list[dict[str, str]]]
) -> None:
    """Two matchers on one register: what one writes (ingests, an operator's merge), the other
    reads at its next catch-up, and ends as a matcher loaded afresh would be."""
    from sijill.register.models import PERSON_ACTIVE, Person
    from sijill.register.operators import merge_persons

    with session_scope(engine) as session:
        watcher = Matcher.load(session, today=TODAY)
        writer = Matcher.load(session, today=TODAY)
    for i in range(5):
        for source in SOURCES:
            with writer_session(engine) as session:
                ingest_record(session, writer, source, split_build[source][i], by="test")
    with session_scope(engine) as session:
        survivor, absorbed = session.scalars(
            select(Person.uin).where(Person.status == PERSON_ACTIVE).order_by(Person.id).limit(2)
        ).all()
    with writer_session(engine) as session:
        merge_persons(session, survivor_uin=survivor, absorbed_uin=absorbed, reason="test", by="op")
    assert _state(watcher) != _state(writer) or absorbed in watcher.uin_of.values()
    with session_scope(engine) as session:
        assert watcher.catch_up(session) > 0
        fresh = Matcher.load(session, today=TODAY)
        assert watcher.catch_up(session) == 0  # nothing new since
    assert _state(watcher) == _state(fresh)
    assert watcher.index.tf.counts == fresh.index.tf.counts
    assert watcher.held == fresh.held
    assert watcher.uin_of == fresh.uin_of and absorbed not in watcher.uin_of.values()


def _ingest_share(url: str, rows: list[tuple[int, str, dict[str, str]]]) -> None:
    """Ingest rows one transaction each with this process's own matcher, as an API worker does.

    Row k is ingested once the k rows before it are (by whichever process): the persons are
    compared with a rebuild, and online decisions depend on the order records arrive in
    (term frequencies at the time, the one-registry threshold fixed at load), so the order is
    the rows' own while the processes, and the clerk beside them, run apart.
    """
    import time

    engine = create_engine_for(url)
    with session_scope(engine) as session:
        matcher = Matcher.load(session, today=TODAY)
    done = select(func.count()).select_from(IngestBatch).where(IngestBatch.file_name == "online:worker")
    for k, source, row in rows:
        while True:
            with session_scope(engine) as session:
                if int(session.scalar(done) or 0) >= k:
                    break
            time.sleep(0.01)
        with writer_session(engine) as session:
            ingest_record(session, matcher, source, row, by="worker")
    engine.dispose()


def _declare_deaths_and_births(url: str, dying: list[str], mother: str) -> None:
    from sijill.register.events import BirthDeclaration, declare_birth, record_death

    engine = create_engine_for(url)
    # Names no record carries, nor any name's key: a birth declared at its own pace must not
    # move the term frequencies the ingesting matchers weigh the held-out rows with. With an
    # Alaoui Amina declared between rows, a clean-clone CI run once found one person of three
    # records online (a civil act and two RAMED records) where the rebuild had two.
    child = BirthDeclaration(
        sex="F", birth_date="2025-12-30", commune="01.511.01.01", family_lat="kvist", given_lat="ulrike"
    )
    for uin in dying:
        with writer_session(engine) as session:
            record_death(session, uin=uin, death_date="2025-12-29", by="clerk")
        with writer_session(engine) as session:
            declare_birth(session, child=child, mother_uin=mother, by="clerk")
    engine.dispose()


@pytest.mark.xfail(
    strict=False,
    reason="known drift (issue 10): online decisions depend on when the clerk's events land between "
    "ingested rows; two clean-clone CI runs of three on 2026-12-04 found one person online where the "
    "rebuild had two. Not fixed in the matcher yet.",
)
def test_concurrent_ingests_and_events_in_several_processes_give_the_persons_of_a_rebuild(
    engine: Engine,
    db_url: str,
    split_build: dict[str, list[dict[str, str]]],
    small_sources: Path,
    tmp_path: Path,
) -> None:
    """Three matchers in three processes take the held-out rows round robin, in the rows'
    order (so one person's records reach different processes; see `_ingest_share` for why
    the order is fixed) while a clerk's process records deaths and births at its own pace:
    each matcher catches up with the others under the writer lock, so no UIN is issued twice,
    no outbox event is lost or repeated, and the persons are a rebuild's."""
    import multiprocessing

    from sijill.outbox import consume, subscribe
    from sijill.register.models import PERSON_ACTIVE, Person
    from sijill.uin.models import Uin

    if not db_url.startswith("postgresql"):
        pytest.skip("several writer processes at once: PostgreSQL")
    ordered = [(source, split_build[source][i]) for i in range(HELD_OUT) for source in SOURCES]
    rows = [(k, source, row) for k, (source, row) in enumerate(ordered)]
    with session_scope(engine) as session:
        subscribe(session, name="agency")
        adults = session.scalars(
            select(Person.uin)
            .where(Person.status == PERSON_ACTIVE, Person.birth_date < "1990", Person.sex == "F")
            .order_by(Person.id)
            .limit(6)
        ).all()
        first_event = session.scalar(select(func.max(OutboxEvent.id))) or 0
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_ingest_share, args=(db_url, rows[w::3])) for w in range(3)]
    workers.append(
        context.Process(target=_declare_deaths_and_births, args=(db_url, list(adults[1:]), adults[0]))
    )
    for p in workers:
        p.start()
    for p in workers:
        p.join(timeout=600)
        assert p.exitcode == 0
    with session_scope(engine) as session:
        events = consume(session, subscriber="agency", limit=10_000)
        uins = session.scalars(select(Uin.uin)).all()
        people = dict(session.execute(select(Person.uin, Person.status)).all())
    ids = [e.id for e in events if e.id > first_event]
    assert ids == sorted(set(ids))
    kinds = [e.kind for e in events if e.id > first_event]
    assert kinds.count("death") == 5 and kinds.count("birth") == 5
    assert len(uins) == len(set(uins)) == len(people)
    assert all(people[u] == "deceased" for u in adults[1:])
    full = _rebuilt_partition(engine, small_sources, tmp_path)
    known = set().union(*full)
    online = {g & known for g in _partition(engine)} - {frozenset()}
    only_online, only_rebuilt = sorted(map(sorted, online - full)), sorted(map(sorted, full - online))
    assert not (only_online or only_rebuilt), (
        f"online only: {only_online[:6]}; rebuild only: {only_rebuilt[:6]}"
    )


def test_a_matcher_follows_a_reviewers_decision_made_elsewhere(
    engine: Engine, split_build: dict[str, list[dict[str, str]]]
) -> None:
    """A reviewer keeps two persons apart at the desk (another process): a matcher held by an
    API worker reads the cannot-link at its next catch-up, as a matcher loaded afresh has it."""
    from sijill.linkage import queue_for_review
    from sijill.linkage.models import ReviewItem
    from sijill.register import settle_review

    with session_scope(engine) as session:
        watcher = Matcher.load(session, today=TODAY)
        links = session.execute(
            select(Link.source_record_id, Link.person_id).order_by(Link.source_record_id)
        ).all()
    a, person_a = links[0]
    b = next(r for r, p in links if p != person_a)
    pair = (min(a, b), max(a, b))
    assert pair not in watcher.cannot_link
    with writer_session(engine) as session:
        queue_for_review(session=session, pairs=[{"record_id_l": a, "record_id_r": b, "match_weight": 1.0}])
        session.flush()
        item = session.scalars(
            select(ReviewItem).where(ReviewItem.record_id_l == pair[0], ReviewItem.record_id_r == pair[1])
        ).one()
        settle_review(session=session, item_id=item.id, decision="non_match", reviewer="amina")
    with session_scope(engine) as session:
        watcher.catch_up(session)
        fresh = Matcher.load(session, today=TODAY)
        assert watcher.catch_up(session) == 0  # nothing new since
    assert pair in watcher.cannot_link
    assert sorted(watcher.cannot_link) == sorted(fresh.cannot_link)
    assert sorted(watcher.must_link) == sorted(fresh.must_link)
