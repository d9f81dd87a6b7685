"""What the social register reads from the population register and the source records, in bulk.

The one module that reads other domains' tables, through their facades (`sijill.register`,
`sijill.sources`) and never writes them: persons (UIN, status, sex, dates), the crosswalk
from a declared document to a UIN, MASSAR enrolment and attendance, CNSS wages.
"""

from collections.abc import Iterable
from datetime import date

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ClauseElement

from sijill.db.types import json_text
from sijill.register import PERSON_ACTIVE, PERSON_DECEASED, PERSON_MERGED, Link, Person
from sijill.sources import SUPERSEDED, SourceRecord

DOCUMENT_SOURCES = ("cnie", "civil", "massar", "cnss", "ramed")
_CHUNK = 5000


def fetch_frame(session: Session, stmt: ClauseElement, columns: list[str]) -> pd.DataFrame:
    """Run a select on the driver's own cursor and return its rows as a frame.

    Why: a national cycle reads millions of rows, and SQLAlchemy's result rows cost five to
    ten times the driver's own tuples. The statement is compiled with its values inline
    (only numbers and short codes are ever bound here), after the session's pending changes
    are flushed so that the cursor sees them.
    """
    session.flush()
    connection = session.connection()
    sql = str(stmt.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql)
        rows = cursor.fetchall()
    finally:
        cursor.close()
    return pd.DataFrame.from_records(rows, columns=columns)


def _frame(session: Session, stmt: ClauseElement, columns: list[str]) -> pd.DataFrame:
    return fetch_frame(session, stmt, columns)


def crosswalk_of(*, session: Session, documents: Iterable[str]) -> pd.DataFrame:
    """Return `document, person_id` for declared documents (`source:source_id`) the register links.

    Documents of one source are looked up together; a document the register does not hold,
    or holds only as a quarantined record, is absent from the result.
    """
    by_source: dict[str, set[str]] = {}
    for doc in documents:
        source, _, source_id = doc.partition(":")
        if source in DOCUMENT_SOURCES and source_id:
            by_source.setdefault(source, set()).add(source_id)
    frames = [_source_crosswalk(session, source, ids) for source, ids in sorted(by_source.items())]
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame({"document": pd.Series(dtype="object"), "person_id": pd.Series(dtype="int64")})
    return pd.concat(frames, ignore_index=True).drop_duplicates("document")


def _source_crosswalk(session: Session, source: str, ids: set[str]) -> pd.DataFrame:
    base = (
        select(SourceRecord.source_id, Link.person_id)
        .join(Link, Link.source_record_id == SourceRecord.id)
        .where(SourceRecord.source == source, SourceRecord.status != SUPERSEDED)
    )
    if len(ids) > 20 * _CHUNK:
        # Most of a registry: one scan of the source is faster than many IN lists.
        frame = _frame(session, base, ["source_id", "person_id"])
        frame = frame[frame["source_id"].isin(ids)]
    else:
        ordered = sorted(ids)
        parts = [
            _frame(
                session,
                base.where(SourceRecord.source_id.in_(ordered[i : i + _CHUNK])),
                ["source_id", "person_id"],
            )
            for i in range(0, len(ordered), _CHUNK)
        ]
        frame = (
            pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["source_id", "person_id"])
        )
    return pd.DataFrame(
        {"document": source + ":" + frame["source_id"].astype(str), "person_id": frame["person_id"]}
    )


PERSON_COLUMNS = ["person_id", "uin", "person_status", "merged_into", "sex", "birth_date", "death_date"]


def persons_frame(*, session: Session, person_ids: Iterable[int] | None = None) -> pd.DataFrame:
    """Return the persons (all, or these ids) with UIN, status, sex and dates."""
    stmt = select(
        Person.id,
        Person.uin,
        Person.status,
        Person.merged_into,
        Person.sex,
        Person.birth_date,
        Person.death_date,
    )
    if person_ids is None:
        return _frame(session, stmt, PERSON_COLUMNS)
    wanted = sorted({int(p) for p in person_ids})
    if len(wanted) > 20 * _CHUNK:
        frame = _frame(session, stmt, PERSON_COLUMNS)
        return frame[frame["person_id"].isin(wanted)].reset_index(drop=True)
    parts = [
        _frame(session, stmt.where(Person.id.in_(wanted[i : i + _CHUNK])), PERSON_COLUMNS)
        for i in range(0, len(wanted), _CHUNK)
    ]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=PERSON_COLUMNS)


def survivors(persons: pd.DataFrame) -> pd.Series:
    """Return, for each person id of the frame, the person it is now (following merges)."""
    merged = persons[persons["merged_into"].notna()]
    step = {int(p): int(m) for p, m in zip(merged["person_id"], merged["merged_into"], strict=True)}
    ids = persons["person_id"].astype("int64")
    out = pd.Series(ids.to_numpy(), index=ids.to_numpy(), name="survivor")
    for pid in step:
        current, hops = pid, 0
        while current in step and hops < 64:
            current, hops = step[current], hops + 1
        out[pid] = current
    return out


def is_alive(persons: pd.DataFrame, on: date | None = None) -> pd.Series:
    """Return whether each person is alive: not deceased nor merged, and not dead before `on`."""
    dead_on = persons["death_date"].fillna("")
    if on is None:
        return (persons["person_status"] == PERSON_ACTIVE) & (dead_on == "")
    return (persons["person_status"] != PERSON_MERGED) & ((dead_on == "") | (dead_on >= on.isoformat()))


def is_deceased(persons: pd.DataFrame) -> pd.Series:
    """Return whether the register holds each person as deceased."""
    return (persons["person_status"] == PERSON_DECEASED) | persons["death_date"].fillna("").ne("")


def _attribute_frame(session: Session, source: str, field: str) -> pd.DataFrame:
    stmt = (
        select(Link.person_id, json_text(session, SourceRecord.raw, field))
        .join(Link, Link.source_record_id == SourceRecord.id)
        .where(SourceRecord.source == source, SourceRecord.status != SUPERSEDED)
    )
    frame = fetch_frame(session, stmt, ["person_id", "value"])
    frame["value"] = pd.to_numeric(frame["value"], errors="coerce")
    return frame


def schooling_frame(*, session: Session) -> pd.DataFrame:
    """Return `person_id, attendance` for every person enrolled in MASSAR (best attendance)."""
    frame = _attribute_frame(session, "massar", "assiduite")
    grouped = frame.groupby("person_id", as_index=False)["value"].max()
    return grouped.rename(columns={"value": "attendance"})


def wages_frame(*, session: Session) -> pd.DataFrame:
    """Return `person_id, wage` for every person declared to the CNSS (highest monthly wage)."""
    frame = _attribute_frame(session, "cnss", "salaire_mensuel")
    grouped = frame.groupby("person_id", as_index=False)["value"].max()
    return grouped.rename(columns={"value": "wage"})


def age_on(birth_dates: pd.Series, on: date) -> pd.Series:
    """Return completed years on a date from ISO birth dates (a year alone counts as 1 July)."""
    text = birth_dates.astype("string")
    full = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    year_only = pd.to_numeric(text.where(full.isna() & (text.str.len() == 4)), errors="coerce")
    year = full.dt.year.astype("float64").fillna(year_only)
    month = full.dt.month.astype("float64").fillna(7.0)
    day = full.dt.day.astype("float64").fillna(1.0)
    before = ((month > on.month) | ((month == on.month) & (day > on.day))).to_numpy()
    return pd.Series(on.year - year.to_numpy() - before.astype("float64"), index=birth_dates.index)
