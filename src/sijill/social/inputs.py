"""Load what a cycle reads, for every household at once: a handful of bulk queries."""

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Integer, case, cast, func, select
from sqlalchemy.orm import Session

from sijill.db.bulk import in_chunks
from sijill.db.types import json_text
from sijill.register import PERSON_ACTIVE, PERSON_DECEASED, PERSON_MERGED, PERSON_RETIRED, Person
from sijill.social.households import RELATIONSHIPS
from sijill.social.models import (
    END_DEATH,
    END_MOVED,
    END_REMOVED,
    END_SPLIT,
    HOUSEHOLD_ACTIVE,
    MEMBER_ACTIVE,
    MEMBER_ENDED,
    MEMBER_REJECTED,
    REJECT_DECEASED,
    REJECT_DUPLICATE,
    REJECT_NOT_IN_REGISTER,
    EmergencyActivation,
    Household,
    HouseholdFlag,
    HouseholdMember,
    HouseholdResidence,
    HouseholdScore,
)
from sijill.social.people import fetch_frame, schooling_frame
from sijill.social.rules import OPEN_DAY, CycleInputs, period_bounds

MEMBER_COLUMNS = [
    "member_id",
    "household_id",
    "person_id",
    "relationship",
    "status",
    "reason",
    "start_day",
    "end_day",
    "declared_day",
    "uin",
    "person_status",
    "sex",
    "birth_day",
    "death_day",
]
# The codes of each coded column, read as small numbers: a number costs the driver nothing
# to hand over, a text is a new object per row.
CODES: dict[str, tuple[str, ...]] = {
    "relationship": RELATIONSHIPS,
    "status": (MEMBER_ACTIVE, MEMBER_ENDED, MEMBER_REJECTED),
    "reason": (
        END_MOVED,
        END_DEATH,
        END_REMOVED,
        END_SPLIT,
        REJECT_DUPLICATE,
        REJECT_NOT_IN_REGISTER,
        REJECT_DECEASED,
    ),
    "person_status": (PERSON_ACTIVE, PERSON_DECEASED, PERSON_MERGED, PERSON_RETIRED),
    "sex": ("F", "M"),
}


def _coded(column: Any, name: str) -> Any:
    """Return a coded column as the position of its value among the codes (-1 when none)."""
    return case({value: i for i, value in enumerate(CODES[name])}, value=column, else_=-1)


def _decoded(codes: pd.Series, name: str) -> pd.Categorical:
    return pd.Categorical.from_codes(codes.fillna(-1).to_numpy(dtype="int64"), categories=list(CODES[name]))


def _day(column: Any) -> Any:
    """Return an ISO date column as the number YYYYMMDD (or YYYY for a year alone) in SQL.

    Why in SQL: a national cycle compares millions of dates; numbers compare in numpy at
    once, text does not. `days` then fills the missing ones and places a year on 1 July.
    """
    return cast(func.nullif(func.replace(column, "-", ""), ""), Integer)


def days(values: pd.Series, missing: int) -> pd.Series:
    """Return day numbers with the missing ones set, a year alone as its 1 July."""
    number = pd.to_numeric(values, errors="coerce").fillna(missing).to_numpy(dtype="int64")
    year_only = (number > 0) & (number < 10_000)
    number[year_only] = number[year_only] * 10_000 + 701
    return pd.Series(number, index=values.index)


def _households(session: Session) -> pd.DataFrame:
    stmt = (
        select(
            Household.id,
            Household.commune,
            Household.urban,
            Household.region_code,
            json_text(session, Household.variables, "head_marital_status"),
            HouseholdScore.score,
            HouseholdScore.model_version,
        )
        .outerjoin(HouseholdScore, HouseholdScore.household_id == Household.id)
        .where(Household.status == HOUSEHOLD_ACTIVE)
        .order_by(Household.id)
    )
    columns = [
        "household_id",
        "commune",
        "urban",
        "region_code",
        "head_marital_status",
        "score",
        "model_version",
    ]
    frame = fetch_frame(session, stmt, columns)
    frame["urban"] = frame["urban"].astype(bool)
    frame["score"] = frame["score"].astype("float64")
    return frame


_MEMBERSHIP_COLUMNS = MEMBER_COLUMNS[:9]
_PERSON_COLUMNS = ["person_id", *MEMBER_COLUMNS[9:]]


def _persons_of(session: Session, person_ids: Sequence[int] | None) -> pd.DataFrame:
    """Return the persons' UIN, coded status and sex, and day numbers (all persons, or these)."""
    stmt = select(
        Person.id,
        Person.uin,
        _coded(Person.status, "person_status"),
        _coded(Person.sex, "sex"),
        _day(Person.birth_date),
        _day(Person.death_date),
    )
    if person_ids is None:
        return fetch_frame(session, stmt, _PERSON_COLUMNS)
    parts = [
        fetch_frame(session, stmt.where(Person.id.in_(part)), _PERSON_COLUMNS)
        for part in in_chunks(sorted(set(person_ids)))
    ]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=_PERSON_COLUMNS)


def load_members(*, session: Session, household_ids: Sequence[int] | None = None) -> pd.DataFrame:
    """Return every declared membership of active households with the person's attributes.

    Why two reads joined here rather than one join in SQL: a national cycle reads a million
    memberships, and looking each person up by id costs SQLite more than one scan of the
    persons in their own order, joined back by position (a quarter less time at 1M).
    """
    stmt = (
        select(
            HouseholdMember.id,
            HouseholdMember.household_id,
            HouseholdMember.person_id,
            _coded(HouseholdMember.relationship, "relationship"),
            _coded(HouseholdMember.status, "status"),
            _coded(HouseholdMember.reason, "reason"),
            _day(HouseholdMember.start_date),
            _day(HouseholdMember.end_date),
            _day(Household.declared_on),
        )
        .join(Household, Household.id == HouseholdMember.household_id)
        .where(Household.status == HOUSEHOLD_ACTIVE)
        .order_by(HouseholdMember.id)
    )
    if household_ids is not None:
        stmt = stmt.where(HouseholdMember.household_id.in_([int(h) for h in household_ids]))
    frame = fetch_frame(session, stmt, _MEMBERSHIP_COLUMNS)
    frame["person_id"] = frame["person_id"].astype("Int64")
    known = frame["person_id"].dropna().astype("int64")
    # One scan of the persons when the members are most of them (ids estimate the count); by
    # id when they are a small part (one household, or a country's social register beside
    # its whole population register).
    whole = household_ids is None and 2 * len(known) >= int(session.scalar(select(func.max(Person.id))) or 0)
    persons = _persons_of(session, None if whole else known.tolist())
    at = pd.Index(persons["person_id"].astype("int64")).get_indexer(
        frame["person_id"].fillna(-1).astype("int64")
    )
    found = at >= 0
    for column in MEMBER_COLUMNS[9:]:
        text = column == "uin"
        values = (
            persons[column].to_numpy(dtype=object)
            if text
            else pd.to_numeric(persons[column], errors="coerce").to_numpy(dtype="float64")
        )
        picked = np.full(len(frame), None if text else np.nan, dtype=object if text else "float64")
        picked[found] = values[at[found]]
        frame[column] = picked
    for column, missing in (("start_day", 0), ("end_day", OPEN_DAY), ("declared_day", 0), ("birth_day", 0)):
        frame[column] = days(frame[column], missing)
    frame["death_day"] = days(frame["death_day"], OPEN_DAY)
    for name in CODES:
        frame[name] = _decoded(frame[name], name)
    return frame


def _with_schooling(members: pd.DataFrame, schooling: pd.DataFrame) -> pd.DataFrame:
    attendance = schooling.set_index("person_id")["attendance"]
    known = members["person_id"].notna()
    ids = members["person_id"].fillna(-1).astype("int64")
    members["enrolled"] = (known & ids.isin(attendance.index)).to_numpy()
    members["attendance"] = ids.map(attendance).astype("float64")
    return members


def _flags(session: Session) -> pd.DataFrame:
    stmt = select(HouseholdFlag.household_id, HouseholdFlag.kind).distinct()
    return fetch_frame(session, stmt, ["household_id", "kind"])


def emergency_households(*, session: Session, period: str, programs: Iterable[str]) -> dict[str, set[int]]:
    """Return, per program, the households that lived in a listed commune on an event date."""
    stmt = select(EmergencyActivation).where(
        EmergencyActivation.program.in_(list(programs)),
        EmergencyActivation.first_period <= period,
        EmergencyActivation.last_period >= period,
    )
    out: dict[str, set[int]] = {}
    for activation in session.scalars(stmt):
        day = activation.event_date
        lived = select(HouseholdResidence.household_id).where(
            HouseholdResidence.commune.in_(list(activation.communes)),
            HouseholdResidence.start_date <= day,
            (HouseholdResidence.end_date.is_(None)) | (HouseholdResidence.end_date > day),
        )
        out.setdefault(activation.program, set()).update(int(h) for h in session.scalars(lived))
    return out


def load_inputs(
    *,
    session: Session,
    period: str,
    programs: Iterable[str],
    members: pd.DataFrame | None = None,
    schooling: pd.DataFrame | None = None,
) -> CycleInputs:
    """Read households, memberships, persons, schooling, flags and emergency areas for a period.

    `members` and `schooling` may be handed over when the caller read them already (a cycle
    reads them once for the cross-checks and the programs).
    """
    start, end = period_bounds(period)
    members = load_members(session=session) if members is None else members
    schooling = schooling_frame(session=session) if schooling is None else schooling
    members = _with_schooling(members.copy(), schooling)
    members["alive_now"] = (
        (members["person_status"] == PERSON_ACTIVE)
        & (members["death_day"] == OPEN_DAY)
        & members["person_id"].notna()
    ).to_numpy(dtype=bool)
    return CycleInputs(
        period=period,
        start=start,
        end=end,
        households=_households(session),
        members=members,
        flags=_flags(session),
        emergency=emergency_households(session=session, period=period, programs=programs),
    )
