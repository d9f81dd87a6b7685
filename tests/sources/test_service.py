import shutil
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from sijill.db.engine import session_scope
from sijill.sources.models import ACCEPTED, QUARANTINED, SUPERSEDED, IngestBatch, SourceRecord
from sijill.sources.reader import open_extract
from sijill.sources.service import DUPLICATE_IN_EXTRACT, ingest_extract

TODAY = date(2026, 1, 1)
CNSS_HEADER = "num_immatriculation,cnie,nom,prenom,date_naissance,sexe,salaire_mensuel\n"


def _ingest(engine: Engine, path: Path) -> object:
    with session_scope(engine) as session:
        return ingest_extract(
            session=session, extract=open_extract(path), build_id=None, chunk_size=100, today=TODAY
        )


def _count(engine: Engine, status: str | None = None) -> int:
    with session_scope(engine) as session:
        stmt = select(func.count()).select_from(SourceRecord)
        if status:
            stmt = stmt.where(SourceRecord.status == status)
        return int(session.scalar(stmt) or 0)


def test_reingesting_the_same_file_changes_nothing(engine: Engine, small_sources: Path) -> None:
    first = _ingest(engine, small_sources / "civil.csv")
    before = _count(engine)
    second = _ingest(engine, small_sources / "civil.csv")
    assert second.skipped_same_file  # type: ignore[attr-defined]
    assert _count(engine) == before == first.read  # type: ignore[attr-defined]


def test_reingesting_the_same_rows_in_another_file_changes_nothing(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "cnss.csv"
    path.write_text(CNSS_HEADER + "123456789,BK12345,ALAOUI,MOHAMED,05/11/1980,M,4000\n", encoding="utf-8")
    _ingest(engine, path)
    path.write_text(CNSS_HEADER + "123456789,BK12345,ALAOUI,MOHAMED,05/11/1980,M,4000\n\n", encoding="utf-8")
    outcome = _ingest(engine, path)
    assert outcome.unchanged == 1  # type: ignore[attr-defined]
    assert _count(engine) == 1


def test_bad_rows_are_quarantined_with_their_reason(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "cnss.csv"
    path.write_text(
        CNSS_HEADER
        + ",BK1,ALAOUI,MOHAMED,05/11/1980,M,4000\n"
        + "111111111,,,,,M,4000\n"
        + "222222222,,ALAOUI,,05/11/1980,M,4000\n"
        + "333333333,,ALAOUI,SAID,31/02/1980,M,4000\n"
        + "444444444,,ALAOUI,SAID\n"
        + "555555555,,ALAOUI,SAID,01/01/1990,M,1\n"
        + "555555555,,ALAOUI,SAID,01/01/1991,M,1\n",
        encoding="utf-8",
    )
    outcome = _ingest(engine, path)
    assert outcome.quarantined == {  # type: ignore[attr-defined]
        "missing source id (num_immatriculation)": 1,
        "no usable name and no usable date of birth": 1,
        "no usable name (family and given name needed)": 1,
        "unreadable date of birth": 1,
        "malformed row: 4 fields where the header has 7": 1,
        DUPLICATE_IN_EXTRACT: 1,
    }
    assert _count(engine, QUARANTINED) == 6
    assert _count(engine, ACCEPTED) == 1


def test_a_malformed_secondary_value_is_flagged_and_kept(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "cnss.csv"
    path.write_text(CNSS_HEADER + "123456789,12X45,ALAOUI,MOHAMED,05/11/1980,M,4000\n", encoding="utf-8")
    _ingest(engine, path)
    with session_scope(engine) as session:
        record = session.scalars(select(SourceRecord)).one()
    assert record.status == ACCEPTED
    assert record.cnie == "12X45"
    assert "cnie_shape" in record.flags


def test_an_impossible_death_date_is_flagged_not_fatal(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "civil.csv"
    path.write_text(
        "acte_id,nom_ar,prenom_ar,sexe,date_naissance,date_deces\n"
        "04.441.01.01/1998/00412,العلوي,محمد,M,1998-02-03,1990-01-01\n",
        encoding="utf-8",
    )
    _ingest(engine, path)
    with session_scope(engine) as session:
        record = session.scalars(select(SourceRecord)).one()
    assert record.status == ACCEPTED and record.death_date is None
    assert "death_date_invalid" in record.flags


def test_a_changed_row_supersedes_its_previous_version(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "cnss.csv"
    path.write_text(CNSS_HEADER + "123456789,BK12345,ALAOUI,MOHAMED,05/11/1980,M,4000\n", encoding="utf-8")
    _ingest(engine, path)
    path.write_text(CNSS_HEADER + "123456789,BK12345,ALAOUI,MOHAMED,05/11/1980,M,5200\n", encoding="utf-8")
    _ingest(engine, path)
    assert _count(engine, SUPERSEDED) == 1
    assert _count(engine, ACCEPTED) == 1


def test_an_interrupted_ingest_leaves_the_register_as_it_was(
    engine: Engine, small_sources: Path, tmp_path: Path
) -> None:
    shutil.copy(small_sources / "cnie.csv", tmp_path / "cnie.csv")
    calls = 0

    def interrupt(_: int) -> None:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt), session_scope(engine) as session:
        ingest_extract(
            session=session,
            extract=open_extract(tmp_path / "cnie.csv"),
            build_id=None,
            chunk_size=100,
            today=TODAY,
            on_rows=interrupt,
        )
    assert calls == 2
    assert _count(engine) == 0
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(IngestBatch)) == 0
