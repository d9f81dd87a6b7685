import shutil
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError

from sijill.db.engine import session_scope
from sijill.sources.models import ACCEPTED, QUARANTINED, SUPERSEDED, IngestBatch, SourceRecord
from sijill.sources.reader import open_extract
from sijill.sources.service import DUPLICATE_IN_EXTRACT, EXACT_DUPLICATE, IngestOutcome, ingest_extract

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

    def interrupt(_: int) -> None:  # the file is read in bulk (no quote): one call, all rows
        nonlocal calls
        calls += 1
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
    assert calls == 1
    assert _count(engine) == 0
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(IngestBatch)) == 0


def _outcome(engine: Engine, path: Path) -> IngestOutcome:
    outcome = _ingest(engine, path)
    assert isinstance(outcome, IngestOutcome)
    return outcome


def test_a_stray_quote_quarantines_one_line_and_every_line_is_accounted_for(
    engine: Engine, tmp_path: Path
) -> None:
    rows = [f"{100000000 + i},BK{i},ALAOUI,SAID{i % 7},05/11/1980,M,4000\n" for i in range(1, 2819)]
    rows[1399] = rows[1399].replace(",ALAOUI,", ',"ALAOUI,')
    path = tmp_path / "cnss.csv"
    path.write_text(CNSS_HEADER + "".join(rows) + "\n", encoding="utf-8")
    outcome = _outcome(engine, path)
    assert outcome.lines == 2819 and outcome.blank_lines == 1
    assert outcome.read == outcome.accepted + outcome.unchanged + outcome.quarantined_total == 2818
    assert outcome.accepted == 2817
    ((reason, n),) = outcome.quarantined.items()
    assert n == 1 and "unbalanced quote" in reason
    with session_scope(engine) as session:
        bad = session.scalars(select(SourceRecord).where(SourceRecord.status == QUARANTINED)).one()
    assert bad.row_number == 1401 and bad.raw["_line"] == rows[1399].rstrip("\n")


def test_an_exact_duplicate_row_is_quarantined_as_a_duplicate_of_its_line(
    engine: Engine, tmp_path: Path
) -> None:
    row = "123456789,BK12345,ALAOUI,MOHAMED,05/11/1980,M,4000\n"
    path = tmp_path / "cnss.csv"
    path.write_text(CNSS_HEADER + row + "222222222,,ALAOUI,SAID,01/01/1990,M,1\n" + row, encoding="utf-8")
    outcome = _outcome(engine, path)
    assert outcome.read == 3 and outcome.accepted == 2
    assert outcome.quarantined == {EXACT_DUPLICATE: 1}
    with session_scope(engine) as session:
        dup = session.scalars(select(SourceRecord).where(SourceRecord.status == QUARANTINED)).one()
    assert dup.reason == "exact duplicate of line 2" and dup.row_number == 4
    assert _count(engine) == 3  # one record a data row: the crosswalk has a row for each


@pytest.mark.parametrize(
    ("row", "reason_or_flag"),
    [
        ("123456789,BK1," + "A" * 200 + ",SAID,05/11/1980,M,1\n", "a name longer than 128 characters"),
        ("9" * 70 + ",BK1,ALAOUI,SAID,05/11/1980,M,1\n", "source id longer than 64 characters"),
        ("123456789,BK" + "1" * 30 + ",ALAOUI,SAID,05/11/1980,M,1\n", "cnie_too_long"),
    ],
)
def test_an_over_long_value_is_quarantined_or_flagged_alike_on_both_backends(
    engine: Engine, tmp_path: Path, row: str, reason_or_flag: str
) -> None:
    path = tmp_path / "cnss.csv"
    path.write_text(CNSS_HEADER + row, encoding="utf-8")
    outcome = _outcome(engine, path)
    with session_scope(engine) as session:
        record = session.scalars(select(SourceRecord)).one()
    if reason_or_flag.endswith("_too_long"):
        assert record.status == ACCEPTED and reason_or_flag in record.flags and record.cnie is None
        assert len(record.raw["cnie"]) == 32  # the raw row keeps the value as written
    else:
        assert outcome.quarantined == {reason_or_flag: 1} and record.reason == reason_or_flag


@pytest.mark.parametrize(
    ("code", "sex", "flagged"), [("Mme", None, True), ("FM", None, True), ("F", "F", False)]
)
def test_only_documented_sex_codes_are_read(
    engine: Engine, tmp_path: Path, code: str, sex: str | None, flagged: bool
) -> None:
    path = tmp_path / "cnss.csv"
    path.write_text(CNSS_HEADER + f"123456789,BK1,ALAOUI,SAID,05/11/1980,{code},1\n", encoding="utf-8")
    _ingest(engine, path)
    with session_scope(engine) as session:
        record = session.scalars(select(SourceRecord)).one()
    assert record.sex == sex and ("sex_invalid" in record.flags) == flagged


def test_a_fixed_row_replaces_its_quarantined_version(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "cnss.csv"
    path.write_text(CNSS_HEADER + "123456789,BK1,ALAOUI,SAID,31/02/1980,M,1\n", encoding="utf-8")
    _ingest(engine, path)
    path.write_text(CNSS_HEADER + "123456789,BK1,ALAOUI,SAID,28/02/1980,M,1\n", encoding="utf-8")
    _ingest(engine, path)
    assert (_count(engine, ACCEPTED), _count(engine, QUARANTINED), _count(engine, SUPERSEDED)) == (1, 0, 1)


def test_two_accepted_versions_of_one_source_id_are_impossible(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "cnss.csv"
    path.write_text(CNSS_HEADER + "123456789,BK1,ALAOUI,SAID,05/11/1980,M,1\n", encoding="utf-8")
    _ingest(engine, path)
    with pytest.raises(IntegrityError), session_scope(engine) as session:
        record = session.scalars(select(SourceRecord)).one()
        copy = {c.name: getattr(record, c.name) for c in SourceRecord.__table__.columns if c.name != "id"}
        session.add(SourceRecord(**copy))


def test_rows_held_unchanged_are_settled_unparsed_and_the_rest_classified_as_ever(
    engine: Engine, tmp_path: Path
) -> None:
    """A delta extract re-sends what the register holds: those rows are settled before the
    parse, and the rows after them (duplicates, a change, another content for a held id)
    keep their verdicts."""
    a = "123456789,BK1,ALAOUI,SAID,05/11/1980,M,1\n"
    b = "222222222,BK2,BENNANI,AMINA,01/01/1990,F,1\n"
    bad = "333333333,BK3,IDRISSI,OMAR,31/02/1980,M,1\n"
    first = tmp_path / "first" / "cnss.csv"
    first.parent.mkdir()
    first.write_text(CNSS_HEADER + a + b + bad, encoding="utf-8")
    _ingest(engine, first)
    changed_b = b.replace("AMINA", "AMINE")
    other_a = a.replace(",1\n", ",2\n")
    second = tmp_path / "second" / "cnss.csv"
    second.parent.mkdir()
    second.write_text(CNSS_HEADER + a + changed_b + bad + a + other_a + "\n", encoding="utf-8")
    outcome = _outcome(engine, second)
    assert (outcome.read, outcome.unchanged, outcome.accepted, outcome.superseded) == (5, 2, 1, 1)
    assert outcome.quarantined == {EXACT_DUPLICATE: 1, DUPLICATE_IN_EXTRACT: 1}
    with session_scope(engine) as session:
        batch = session.scalars(select(IngestBatch).order_by(IngestBatch.id.desc())).first()
        assert batch is not None
        new = session.scalars(select(SourceRecord).where(SourceRecord.batch_id == batch.id)).all()
        by_line = {r.row_number: r for r in new}
        assert sorted(by_line) == [3, 5, 6]  # the settled lines 2 and 4 wrote nothing
        assert by_line[3].status == ACCEPTED and by_line[3].given_lat == "amine"
        assert by_line[3].previous_id is not None
        assert by_line[5].reason == "exact duplicate of line 2"
        assert by_line[6].reason == DUPLICATE_IN_EXTRACT
    assert (_count(engine, ACCEPTED), _count(engine, SUPERSEDED)) == (2, 1)
