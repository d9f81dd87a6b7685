"""The same input gives the same persons, whatever the database ids, the backend or a kill."""

import shutil
from datetime import date
from pathlib import Path

from sqlalchemy import Engine, text

from sijill.db.engine import create_engine_for, migrate, session_scope
from sijill.linkage.splink_linker import SplinkLinker
from sijill.register.flows import run_build
from sijill.register.service import crosswalk_rows

TODAY = date(2026, 1, 1)
Partition = frozenset[frozenset[tuple[str, str]]]


def partition(engine: Engine) -> Partition:
    """Return the persons as sets of (source, source_id): what a rebuild must reproduce."""
    groups: dict[str, set[tuple[str, str]]] = {}
    with session_scope(engine) as session:
        for source, source_id, uin, *_ in crosswalk_rows(session=session):
            if uin:
                groups.setdefault(uin, set()).add((source, source_id))
    return frozenset(frozenset(g) for g in groups.values())


def _build(engine: Engine, sources: Path) -> None:
    run_build(engine=engine, sources_dir=sources, linker=SplinkLinker(), chunk_size=500, today=TODAY)


def test_shifted_record_ids_give_the_same_persons(
    engine: Engine, small_sources: Path, tmp_path: Path
) -> None:
    reference = create_engine_for(f"sqlite:///{tmp_path / 'reference.db'}")
    migrate(reference)
    _build(reference, small_sources)
    expected = partition(reference)
    reference.dispose()
    shifted = tmp_path / "shifted"
    shutil.copytree(small_sources, shifted)
    # An unreadable row at the top takes an id: every record after it is numbered otherwise.
    lines = (shifted / "civil.csv").read_text(encoding="utf-8").split("\n", 1)
    (shifted / "civil.csv").write_text(lines[0] + "\n,,,,,,,,,\n" + lines[1], encoding="utf-8")
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT setval(pg_get_serial_sequence('source_record', 'id'), 7919)"))
    _build(engine, shifted)
    assert partition(engine) == expected


def test_records_already_in_content_order_are_numbered_as_a_sort_numbers_them() -> None:
    import pandas as pd

    from sijill.register.assign import in_content_order as _in_content_order
    from sijill.register.flows import _ContentIds

    ordered = pd.DataFrame(
        {
            "record_id": [7, 3, 9, 4],
            "source": ["civil", "civil", "cnie", "cnie"],
            "source_id": ["A", "B", "A", "C"],
        }
    )
    shuffled = ordered.iloc[[2, 0, 3, 1]]
    assert _in_content_order(ordered) and not _in_content_order(shuffled)
    assert not _in_content_order(ordered.assign(source_id=["A", None, "A", "C"]))
    for frame in (ordered, shuffled):
        ids = _ContentIds.of(frame)
        assert ids.real == [7, 3, 9, 4] and ids.keyed["record_id"].tolist() == [1, 2, 3, 4]
        assert ids.keyed["source_id"].tolist() == ["A", "B", "A", "C"]
