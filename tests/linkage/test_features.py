"""Comparisons see one form on both sides, or null: codes resolved, unresolvable values void."""

import csv
import logging
from datetime import date
from pathlib import Path

import pandas as pd
from splink import DuckDBAPI, Linker
from sqlalchemy import Engine, Text, cast, select

from sijill.db.bulk import fetch_tuples
from sijill.db.engine import migrate, session_scope
from sijill.linkage.deterministic import DeterministicLinker
from sijill.linkage.features import (
    RECORD_COLUMNS,
    comparable_place,
    linkage_frame,
    load_records,
    void_flagged,
)
from sijill.linkage.spec import LinkageSpec
from sijill.names import SpellingDictionary
from sijill.register.flows import run_build
from sijill.sources.models import ACCEPTED, SourceRecord
from sijill.synth.registries import SOURCE_COLUMNS

KNOWN = "01.511.01.01"  # Assilah
UNKNOWN = "16.511.01.01"  # a code of an older nomenclature


def test_a_commune_code_and_a_place_name_meet_in_one_form() -> None:
    assert comparable_place(KNOWN) == comparable_place("ASSILAH") == comparable_place("أصيلة") == "assilah"
    assert comparable_place("  Casa  Blanca ") == "casa blanca"


def test_a_place_that_cannot_be_put_in_that_form_is_null() -> None:
    assert comparable_place(UNKNOWN) is None
    assert comparable_place("مدينة لا توجد") is None


def test_a_value_flagged_malformed_is_null_for_linkage() -> None:
    records = pd.DataFrame(
        {"cnie": ["12AB", "BK1"], "guardian_cnie": ["X", "Y"], "flags": ['["cnie_shape"]', []]}
    )
    voided = void_flagged(records)
    assert voided["cnie"].tolist() == [None, "BK1"]
    assert voided["guardian_cnie"].tolist() == ["X", "Y"]


def _write(path: Path, source: str, rows: list[dict[str, str]]) -> None:
    columns = SOURCE_COLUMNS[source]
    with (path / f"{source}.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([row.get(c, "") for c in columns])


def _sources(tmp_path: Path) -> Path:
    person = {"nom_ar": "العلوي", "prenom_ar": "يوسف", "sexe": "M"}
    _write(
        tmp_path,
        "civil",
        [
            {
                **person,
                "acte_id": f"{KNOWN}/1990/00001",
                "date_naissance": "1990-03-04",
                "commune_naissance": KNOWN,
            },
            {
                **person,
                "acte_id": f"{UNKNOWN}/1991/00001",
                "date_naissance": "1991-05-06",
                "commune_naissance": UNKNOWN,
            },
        ],
    )
    _write(
        tmp_path,
        "cnie",
        [
            {**person, "cnie": "BK100001", "date_naissance": "04/03/1990", "lieu_naissance": "ASSILAH"},
            {**person, "cnie": "BK100002", "date_naissance": "06/05/1991", "lieu_naissance": "ASSILAH"},
        ],
    )
    _write(
        tmp_path,
        "cnss",
        [
            {
                "num_immatriculation": "123456789",
                "cnie": "12-AB",
                "nom": "ALAOUI",
                "prenom": "YOUSSEF",
                "date_naissance": "04/03/1990",
                "sexe": "M",
            }
        ],
    )
    return tmp_path


def _levels(frame: pd.DataFrame, left: int, right: int) -> dict[str, int]:
    """Score one pair with the untrained spec; return the level of each comparison."""
    settings = LinkageSpec().settings()
    linker = Linker(DuckDBAPI().register(frame), settings, log_level=logging.ERROR)
    rows = {int(r["record_id"]): r for r in frame.to_dict("records")}
    plain = {k: {c: (None if v is pd.NA else v) for c, v in rows[k].items()} for k in (left, right)}
    scored = linker.inference.score_pair(plain[left], plain[right]).as_pandas_dataframe().iloc[0]
    return {c.name: int(scored[f"gamma_{c.name}"]) for c in LinkageSpec().comparisons}


def test_an_unknown_commune_code_gives_the_null_level_on_the_register(engine: Engine, tmp_path: Path) -> None:
    run_build(
        engine=engine, sources_dir=_sources(tmp_path), linker=DeterministicLinker(), today=date(2026, 1, 1)
    )
    with session_scope(engine) as session:
        records = load_records(session=session)
    frame = linkage_frame(records, SpellingDictionary())
    by = {(s, b): r for s, b, r in zip(frame["source"], frame["birth_year"], frame["record_id"], strict=True)}
    assert frame.loc[frame["record_id"] == by[("civil", 1991)], "birth_place"].isna().all()
    known = _levels(frame, by[("civil", 1990)], by[("cnie", 1990)])
    unknown = _levels(frame, by[("civil", 1991)], by[("cnie", 1991)])
    assert known["birth_place"] > 0  # the commune against its name: equal
    assert unknown["birth_place"] == -1  # the null level: missing evidence, not a disagreement


def test_a_card_flagged_malformed_gives_the_null_level_on_the_register(
    engine: Engine, tmp_path: Path
) -> None:
    run_build(
        engine=engine, sources_dir=_sources(tmp_path), linker=DeterministicLinker(), today=date(2026, 1, 1)
    )
    with session_scope(engine) as session:
        records = load_records(session=session)
    frame = linkage_frame(records, SpellingDictionary())
    cnss = int(frame.loc[frame["source"] == "cnss", "record_id"].iloc[0])
    cnie = int(frame.loc[(frame["source"] == "cnie") & (frame["birth_year"] == 1990), "record_id"].iloc[0])
    assert frame.loc[frame["record_id"] == cnss, "cnie"].isna().all()
    assert _levels(frame, cnss, cnie)["cnie"] == -1


def test_records_read_a_chunk_at_a_time_are_the_records_read_at_once(
    engine: Engine, small_sources: Path
) -> None:
    """Chunks of 7 rows (boundaries everywhere) give the frame of one plain read: the same
    values, nulls, dtypes and order; equal values of a shared column are one object."""
    run_build(engine=engine, sources_dir=small_sources, linker=DeterministicLinker(), today=date(2026, 1, 1))
    with session_scope(engine) as session:
        chunked = load_records(session=session, chunk_rows=7)
        whole = load_records(session=session, chunk_rows=10**9)
        stmt = (
            select(
                *[
                    cast(SourceRecord.flags, Text) if c == "flags" else getattr(SourceRecord, c)
                    for c in RECORD_COLUMNS
                ]
            )
            .where(SourceRecord.status == ACCEPTED)
            .order_by(SourceRecord.source, SourceRecord.source_id)
        )
        plain = pd.DataFrame.from_records(fetch_tuples(session, stmt), columns=RECORD_COLUMNS)
    plain = plain.rename(columns={"id": "record_id"})
    assert len(plain) > 1000
    for frame in (chunked, whole):
        pd.testing.assert_frame_equal(frame, plain, check_exact=True)
        assert frame.dtypes.to_dict() == plain.dtypes.to_dict()
    given = chunked["given_ar"].dropna()
    first: dict[str, str] = {}
    for value in given:
        assert first.setdefault(value, value) is value  # one object a distinct value


def test_no_records_read_is_an_empty_frame_of_the_record_columns(engine: Engine) -> None:
    migrate(engine)
    with session_scope(engine) as session:
        frame = load_records(session=session, chunk_rows=7)
    assert frame.empty and "record_id" in frame.columns and len(frame.columns) == len(RECORD_COLUMNS)
