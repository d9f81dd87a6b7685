"""The candidate index finds exactly the pairs Splink's blocking finds, and follows changes."""

import logging
from typing import Any

import numpy as np
import pandas as pd
from splink import Linker

from sijill.linkage.index import CandidateIndex, block_keys, model_rules
from sijill.linkage.splink_linker import duckdb_api, typed_input


def _index(frame: pd.DataFrame, settings: dict[str, Any]) -> CandidateIndex:
    return CandidateIndex.build(frame, rules=model_rules(settings), tf_columns=(), person_of={})


def _blocked_pairs(frame: pd.DataFrame, settings: dict[str, Any]) -> set[tuple[int, int]]:
    api = duckdb_api()
    linker = Linker(api.register(typed_input(frame, api)), settings, log_level=logging.ERROR)
    pairs = linker.inference.predict().as_pandas_dataframe()
    return {(min(a, b), max(a, b)) for a, b in zip(pairs["record_id_l"], pairs["record_id_r"], strict=True)}


def _index_pairs(index: CandidateIndex, frame: pd.DataFrame) -> set[tuple[int, int]]:
    found = set()
    for row in frame.astype(object).where(frame.notna(), None).to_dict("records"):
        rid = int(row["record_id"])
        for other in index.record_ids[index.candidates(row)].tolist():
            found.add((min(rid, other), max(rid, other)))
    return found


def test_candidates_are_the_pairs_splink_blocks(
    built: tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]],
) -> None:
    _records, frame, settings = built
    index = _index(frame, settings)
    assert _index_pairs(index, frame) == _blocked_pairs(frame, settings)


def test_added_removed_and_moved_records_are_found_as_built_ones(
    built: tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]],
) -> None:
    _records, frame, settings = built
    half = len(frame) // 2
    index = _index(frame.iloc[:half], settings)
    rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
    for row in rows[half:]:
        index.add(row, person=7)
    assert _index_pairs(index, frame) == _index_pairs(_index(frame, settings), frame)
    gone = int(rows[0]["record_id"])
    index.remove(gone)
    assert all(gone not in index.record_ids[index.candidates(r)].tolist() for r in rows[1:])
    moved = int(rows[-1]["record_id"])
    index.move(moved, 9)
    assert index.slot_of[moved] in index.members[9] and int(index.persons[index.slot_of[moved]]) == 9
    assert index.memory_bytes() > 0


def test_a_rule_on_other_columns_is_read_in_both_orientations() -> None:
    left, right = block_keys(
        "l.birth_place = r.home_commune AND l.birth_year = r.birth_year AND l.sex IS NULL"
    )
    assert left.query == ("birth_place", "birth_year") and left.stored == ("home_commune", "birth_year")
    assert right.query == ("home_commune", "birth_year") and right.stored == ("birth_place", "birth_year")
    assert left.query_null == ("sex",) and right.stored_null == ("sex",)
    assert np.array_equal(np.array(left.query), np.array(right.stored))


def test_every_blocking_rule_of_the_spec_is_read_by_the_index() -> None:
    """A new blocking rule the index cannot read fails here, not in `sijill match`."""
    from sijill.linkage.spec import LinkageSpec

    settings = LinkageSpec().settings().get_settings("duckdb").as_dict()
    for rule in model_rules(settings):
        block_keys(rule)


def test_substring_parts_cut_as_duckdb_does() -> None:
    import duckdb

    from sijill.linkage.index import part_value

    head, _ = block_keys("substr(l.cnie, 1, 4) = substr(r.cnie, 1, 4)")
    tail, _ = block_keys("substr(l.cnie, length(l.cnie) - 3) = substr(r.cnie, length(r.cnie) - 3)")
    for card in ("BK123456", "A12345", "J9"):
        first, last = duckdb.sql(
            f"SELECT substr('{card}', 1, 4), substr('{card}', length('{card}') - 3)"
        ).fetchall()[0]
        assert part_value({"cnie": card}, head.query[0]) == first
        if len(card) >= 4:
            assert part_value({"cnie": card}, tail.query[0]) == last
    assert part_value({"cnie": None}, head.query[0]) is None


def test_a_record_read_again_keeps_its_slot_and_its_new_keys_are_found(
    built: tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]],
) -> None:
    """A matcher re-reads records after every change made elsewhere: the index must not grow
    with each re-read, and a record whose keys changed is found by its new keys only."""
    _records, frame, settings = built
    index = _index(frame, settings)
    rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
    size = index.size
    for row in rows[:50]:
        index.add(row, person=3)
        index.add(row, person=3)
    assert index.size == size
    assert _index_pairs(index, frame) == _blocked_pairs(frame, settings)
    # One record's names change (a correction): its pairs are those of a frame so corrected.
    corrected = {**rows[0], "family_key": "ZZQX", "given_key": "QQZX"}
    index.add(corrected, person=3)
    assert index.size == size
    fixed = frame.copy()
    fixed.loc[fixed["record_id"] == corrected["record_id"], ["family_key", "given_key"]] = ["ZZQX", "QQZX"]
    assert _index_pairs(index, fixed) == _index_pairs(_index(fixed, settings), fixed)
