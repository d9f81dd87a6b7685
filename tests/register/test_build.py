import csv
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text

from sijill.db.engine import session_scope
from sijill.errors import BadExtract
from sijill.history import HistoryEvent
from sijill.linkage.deterministic import DeterministicLinker
from sijill.register.flows import BuildProgress, run_build
from sijill.register.models import Build, Person
from sijill.register.service import export_crosswalk, get_person_by_uin, resolve_source_id
from sijill.uin import is_valid_uin

TODAY = date(2026, 1, 1)


def _build(engine: Engine, sources: Path, **kwargs: object) -> object:
    return run_build(
        engine=engine,
        sources_dir=sources,
        linker=DeterministicLinker(),
        chunk_size=500,
        today=TODAY,
        **kwargs,
    )  # type: ignore[arg-type]


def _crosswalk(engine: Engine, out: Path) -> list[dict[str, str]]:
    with session_scope(engine) as session:
        export_crosswalk(session=session, out=out)
    with out.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _data_rows(sources: Path) -> int:
    total = 0
    for name in ("civil", "cnie", "massar", "cnss", "ramed"):
        with (sources / f"{name}.csv").open(encoding="utf-8") as f:
            total += sum(1 for _ in csv.reader(f)) - 1
    return total


def test_crosswalk_has_one_row_per_data_row_and_valid_uins(
    engine: Engine, small_sources: Path, tmp_path: Path
) -> None:
    _build(engine, small_sources)
    rows = _crosswalk(engine, tmp_path / "crosswalk.csv")
    assert len(rows) == _data_rows(small_sources)
    assert list(rows[0]) == ["source", "source_id", "uin"]
    uins = [r["uin"] for r in rows if r["uin"]]
    assert uins and all(is_valid_uin(u) for u in uins)
    assert len(uins) < len(rows)  # the unreadable rows have no UIN
    assert len(set(uins)) < len(uins)  # records were linked


def test_rebuilding_the_same_directory_keeps_every_uin(
    engine: Engine, small_sources: Path, tmp_path: Path
) -> None:
    _build(engine, small_sources)
    first = _crosswalk(engine, tmp_path / "a.csv")
    _build(engine, small_sources)
    assert _crosswalk(engine, tmp_path / "b.csv") == first
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(Build)) == 2


def test_a_build_interrupted_midway_leaves_the_register_as_it_was(
    engine: Engine, small_sources: Path
) -> None:
    _build(engine, small_sources)
    with session_scope(engine) as session:
        persons = session.scalar(select(func.count()).select_from(Person))

    def stop(stage: str) -> None:
        if stage == "assigning UINs":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _build(engine, small_sources, progress=BuildProgress(on_stage=stop))
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(Person)) == persons
        assert session.scalar(select(func.count()).select_from(Build)) == 1


def test_a_bad_file_refuses_the_build_before_anything_is_written(engine: Engine, tmp_path: Path) -> None:
    (tmp_path / "massar.csv").write_text("nom\nX\n", encoding="utf-8")
    with pytest.raises(BadExtract, match="no column code_massar"):
        _build(engine, tmp_path)
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(Build)) == 0


def test_history_is_append_only(engine: Engine, small_sources: Path) -> None:
    _build(engine, small_sources)
    with session_scope(engine) as session:
        assert (session.scalar(select(func.count()).select_from(HistoryEvent)) or 0) > 0
    for statement in ("UPDATE history SET action = 'x'", "DELETE FROM history"):
        with pytest.raises(Exception, match="append-only"), session_scope(engine) as session:
            session.execute(text(statement))


def test_persons_are_found_by_uin_and_by_source_id(
    engine: Engine, small_sources: Path, tmp_path: Path
) -> None:
    _build(engine, small_sources)
    row = next(r for r in _crosswalk(engine, tmp_path / "c.csv") if r["uin"])
    with session_scope(engine) as session:
        assert (
            resolve_source_id(session=session, source=row["source"], source_id=row["source_id"]) == row["uin"]
        )
        person = get_person_by_uin(session=session, uin=row["uin"])
        assert person is not None and person.birth_date and person.provenance


def test_only_rows_made_unreadable_on_purpose_are_quarantined(engine: Engine, small_sources: Path) -> None:
    summary = _build(engine, small_sources)
    unreadable = 0
    for name in ("civil", "cnie", "massar", "cnss", "ramed"):
        with (small_sources / f"{name}.csv").open(encoding="utf-8") as f:
            for row in csv.DictReader(f):
                names = [
                    v for k, v in row.items() if k.startswith(("nom", "prenom")) and k != "prenom_pere_ar"
                ]
                if not any(names) and not row["date_naissance"]:
                    unreadable += 1
    reasons: dict[str, int] = {}
    for outcome in summary.files:  # type: ignore[attr-defined]
        for reason, n in outcome.quarantined.items():
            reasons[reason] = reasons.get(reason, 0) + n
    assert set(reasons) <= {"no usable name and no usable date of birth"}
    assert sum(reasons.values()) == unreadable
