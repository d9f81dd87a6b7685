"""New versions of records: a correction keeps the person and its UIN; another person splits."""

import csv
import shutil
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from sijill.db.engine import session_scope
from sijill.linkage.splink_linker import SplinkLinker
from sijill.register.flows import BuildSummary, run_build
from sijill.register.models import PERSON_ACTIVE, PERSON_DECEASED, PERSON_RETIRED, Link, Person
from sijill.register.service import crosswalk_rows
from sijill.register.versions import is_another_person
from sijill.sources.models import ACCEPTED, SourceRecord
from sijill.uin.models import UIN_RETIRED, Uin

TODAY = date(2026, 1, 1)


def _build(engine: Engine, sources: Path) -> BuildSummary:
    return run_build(engine=engine, sources_dir=sources, linker=SplinkLinker(), chunk_size=500, today=TODAY)


def _uins(engine: Engine) -> dict[tuple[str, str], str]:
    with session_scope(engine) as session:
        return {(r[0], r[1]): r[2] for r in crosswalk_rows(session=session) if r[2]}


def _rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames or []), list(reader)


def _write(path: Path, header: list[str], rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)


def _singletons(engine: Engine, source: str) -> list[str]:
    """Return source ids of this source whose person holds no other record."""
    with session_scope(engine) as session:
        rows = session.execute(
            select(SourceRecord.source, SourceRecord.source_id, Link.person_id)
            .join(Link, Link.source_record_id == SourceRecord.id)
            .where(SourceRecord.status == ACCEPTED)
        ).all()
    count: dict[int, int] = {}
    for _, _, person in rows:
        count[person] = count.get(person, 0) + 1
    return sorted(sid for src, sid, person in rows if src == source and count[person] == 1)


def _no_person_without_record(engine: Engine) -> None:
    with session_scope(engine) as session:
        living = set(
            session.scalars(select(Person.id).where(Person.status.in_((PERSON_ACTIVE, PERSON_DECEASED))))
        )
        held = set(
            session.scalars(
                select(Link.person_id)
                .join(SourceRecord, SourceRecord.id == Link.source_record_id)
                .where(SourceRecord.status == ACCEPTED)
            )
        )
    assert living <= held


@pytest.fixture
def sources(small_sources: Path, tmp_path: Path) -> Path:
    out = tmp_path / "sources"
    shutil.copytree(small_sources, out)
    return out


# A column of each registry that says nothing of who the person is.
_EDITS = {
    "cnss": ("num_immatriculation", "salaire_mensuel"),
    "cnie": ("cnie", "adresse"),
    "massar": ("code_massar", "assiduite"),
}


def test_editing_a_one_record_person_keeps_their_uin(engine: Engine, sources: Path) -> None:
    _build(engine, sources)
    before = _uins(engine)
    chosen: list[tuple[str, str]] = []
    for source, (id_column, column) in _EDITS.items():
        picked = set(_singletons(engine, source)[:3])
        header, rows = _rows(sources / f"{source}.csv")
        for row in rows:
            if row[id_column] in picked:
                row[column] = (row[column] or "") + "1"
                chosen.append((source, row[id_column]))
        _write(sources / f"{source}.csv", header, rows)
    assert len(chosen) >= 3
    summary = _build(engine, sources)
    after = _uins(engine)
    assert all(after[key] == before[key] for key in chosen)
    assert sum(f.superseded for f in summary.files) == len(chosen)
    assert summary.assignment.persons_created == summary.assignment.persons_split == 0
    _no_person_without_record(engine)


def test_a_death_added_to_a_civil_act_marks_the_same_person_deceased(engine: Engine, sources: Path) -> None:
    _build(engine, sources)
    header, rows = _rows(sources / "civil.csv")
    alive = [r for r in rows if not r["date_deces"] and r["acte_id"] in set(_singletons(engine, "civil"))]
    target = alive[0]
    target["date_deces"] = "2025-06-01"
    _write(sources / "civil.csv", header, rows)
    uin = _uins(engine)[("civil", target["acte_id"])]
    _build(engine, sources)
    assert _uins(engine)[("civil", target["acte_id"])] == uin
    with session_scope(engine) as session:
        person = session.scalars(select(Person).where(Person.uin == uin)).one()
        assert person.status == PERSON_DECEASED and person.death_date == "2025-06-01"
    _no_person_without_record(engine)


def test_a_corrected_given_name_typo_splits_no_one(engine: Engine, sources: Path) -> None:
    summary = _build(engine, sources)
    before = _uins(engine)
    header, rows = _rows(sources / "cnss.csv")
    edited = 0
    for row in rows:
        if edited < 20 and len(row["prenom"]) > 4 and ("cnss", row["num_immatriculation"]) in before:
            row["prenom"] = row["prenom"][:-1] + ("A" if row["prenom"][-1] != "A" else "E")
            edited += 1
    _write(sources / "cnss.csv", header, rows)
    summary = _build(engine, sources)
    after = _uins(engine)
    changed = [k for k in before if k in after and after[k] != before[k]]
    assert summary.assignment.persons_split == 0 and changed == []
    _no_person_without_record(engine)


# Another person written over a record: names and date of birth in each registry's columns.
_ANOTHER = {
    "cnss": ("num_immatriculation", {"nom": "ZZYZX", "prenom": "QWERTY", "date_naissance": "01/01/1931"}),
    "cnie": (
        "cnie",
        {
            "nom_fr": "ZZYZX",
            "prenom_fr": "QWERTY",
            "nom_ar": "",
            "prenom_ar": "",
            "date_naissance": "01/01/1931",
        },
    ),
    "massar": (
        "code_massar",
        {
            "nom_fr": "ZZYZX",
            "prenom_fr": "QWERTY",
            "nom_ar": "",
            "prenom_ar": "",
            "date_naissance": "2014-01-01",
        },
    ),
}


def test_a_record_replaced_by_another_person_splits_and_retires_the_old_one(
    engine: Engine, sources: Path
) -> None:
    _build(engine, sources)
    source, sid = next((s, ids[0]) for s in _ANOTHER if (ids := _singletons(engine, s)))
    id_column, content = _ANOTHER[source]
    old_uin = _uins(engine)[(source, sid)]
    header, rows = _rows(sources / f"{source}.csv")
    for row in rows:
        if row[id_column] == sid:
            row.update(content)
    _write(sources / f"{source}.csv", header, rows)
    summary = _build(engine, sources)
    assert _uins(engine)[(source, sid)] != old_uin
    assert summary.assignment.persons_split == 1 and summary.assignment.persons_retired == 1
    with session_scope(engine) as session:
        assert session.scalars(select(Person.status).where(Person.uin == old_uin)).one() == PERSON_RETIRED
        assert session.get(Uin, old_uin).status == UIN_RETIRED  # type: ignore[union-attr]
    _no_person_without_record(engine)


@pytest.mark.parametrize(
    ("old", "new", "another"),
    [
        ({"sex": "M"}, {"sex": "F"}, True),
        (
            {
                "birth_year": 1980,
                "birth_month": 5,
                "birth_day": 3,
                "family_lat": "alaoui",
                "given_lat": "said",
            },
            {
                "birth_year": 1980,
                "birth_month": 3,
                "birth_day": 5,
                "family_lat": "alaoui",
                "given_lat": "saad",
            },
            False,
        ),
        (
            {
                "birth_year": 1980,
                "birth_month": 5,
                "birth_day": 3,
                "family_lat": "alaoui",
                "given_lat": "said",
            },
            {
                "birth_year": 1950,
                "birth_month": 1,
                "birth_day": 9,
                "family_lat": "bennani",
                "given_lat": "karima",
            },
            True,
        ),
        ({"birth_year": 1980, "family_lat": "alaoui"}, {"birth_year": 1950, "family_lat": "alaoui"}, False),
    ],
)
def test_another_person_is_told_by_sex_or_by_both_date_and_names(
    old: dict[str, object], new: dict[str, object], another: bool
) -> None:
    assert is_another_person(old, new) is another
