"""Merges, splits and stable UINs, on hand-made clusters of real stored records."""

from datetime import date
from pathlib import Path

from sqlalchemy import Engine, select

from sijill.db.engine import session_scope
from sijill.history import HistoryEvent
from sijill.linkage.features import load_records
from sijill.linkage.linker import LinkResult
from sijill.register.assign import assign_persons
from sijill.register.models import PERSON_MERGED, Link, Person
from sijill.sources.models import SourceRecord
from sijill.sources.reader import open_extract
from sijill.sources.service import ingest_extract
from sijill.uin.models import UIN_ALIAS, Uin

HEADER = "num_immatriculation,cnie,nom,prenom,date_naissance,sexe,salaire_mensuel\n"
ROWS = [f"10000000{i},,ALAOUI,MOHAMED,0{i}/01/1980,M,4000\n" for i in range(1, 5)]


def _records(engine: Engine, tmp_path: Path) -> list[int]:
    path = tmp_path / "cnss.csv"
    path.write_text(HEADER + "".join(ROWS), encoding="utf-8")
    with session_scope(engine) as session:
        ingest_extract(session=session, extract=open_extract(path), build_id=None, today=date(2026, 1, 1))
        return sorted(session.scalars(select(SourceRecord.id)))


def _assign(engine: Engine, clusters: dict[int, int]) -> dict[int, str]:
    result = LinkResult(clusters, dict.fromkeys(clusters, "test"), dict.fromkeys(clusters))
    with session_scope(engine) as session:
        records = load_records(session=session)
        assign_persons(session=session, result=result, build_id=None, records=records)
        rows = session.execute(
            select(Link.source_record_id, Person.uin).join(Person, Person.id == Link.person_id)
        )
        return {int(r): str(u) for r, u in rows}


def test_merge_keeps_the_older_uin_and_aliases_the_other(engine: Engine, tmp_path: Path) -> None:
    a, b, c, d = _records(engine, tmp_path)
    before = _assign(engine, {a: a, b: b, c: c, d: d})
    after = _assign(engine, {a: a, b: a, c: c, d: d})
    assert after[a] == after[b] == before[a]
    assert after[c] == before[c] and after[d] == before[d]
    with session_scope(engine) as session:
        alias = session.get(Uin, before[b])
        assert alias is not None and alias.status == UIN_ALIAS and alias.alias_of == before[a]
        merged = session.scalars(select(Person).where(Person.uin == before[b])).one()
        assert merged.status == PERSON_MERGED
        actions = set(session.scalars(select(HistoryEvent.action)))
        assert {"created", "merged"} <= actions


def test_split_issues_a_new_uin_to_the_part_that_leaves(engine: Engine, tmp_path: Path) -> None:
    a, b, c, d = _records(engine, tmp_path)
    before = _assign(engine, {a: a, b: a, c: a, d: d})
    after = _assign(engine, {a: a, b: a, c: c, d: d})
    assert after[a] == after[b] == before[a]
    assert after[c] not in {before[a], before[d]}
    assert after[d] == before[d]
    with session_scope(engine) as session:
        assert "split" in set(session.scalars(select(HistoryEvent.action)))


def test_reassigning_the_same_clusters_changes_nothing(engine: Engine, tmp_path: Path) -> None:
    a, b, c, d = _records(engine, tmp_path)
    clusters = {a: a, b: a, c: c, d: c}
    assert _assign(engine, clusters) == _assign(engine, clusters)
