"""Load what a cycle reads, for every household at once: a handful of bulk queries."""

from collections.abc import Iterable, Sequence

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from sijill.register import PERSON_ACTIVE, Person
from sijill.social.models import (
    HOUSEHOLD_ACTIVE,
    EmergencyActivation,
    Household,
    HouseholdFlag,
    HouseholdMember,
    HouseholdResidence,
    HouseholdScore,
)
from sijill.social.people import fetch_frame, schooling_frame
from sijill.social.rules import CycleInputs, period_bounds

MEMBER_COLUMNS = [
    "member_id",
    "household_id",
    "person_id",
    "relationship",
    "status",
    "reason",
    "start_date",
    "end_date",
    "declared_ref",
    "declared_on",
    "uin",
    "person_status",
    "sex",
    "birth_date",
    "death_date",
]


def _households(session: Session) -> pd.DataFrame:
    stmt = (
        select(
            Household.id,
            Household.commune,
            Household.urban,
            Household.region_code,
            Household.variables["head_marital_status"].as_string(),
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
    # A JSON path is bound with the dialect's own processing: Core execution, not the raw cursor.
    frame = pd.DataFrame.from_records(session.connection().execute(stmt).fetchall(), columns=columns)
    frame["urban"] = frame["urban"].astype(bool)
    frame["score"] = frame["score"].astype("float64")
    return frame


def load_members(*, session: Session, household_ids: Sequence[int] | None = None) -> pd.DataFrame:
    """Return every declared membership of active households with the person's attributes, in one read."""
    stmt = (
        select(
            HouseholdMember.id,
            HouseholdMember.household_id,
            HouseholdMember.person_id,
            HouseholdMember.relationship,
            HouseholdMember.status,
            HouseholdMember.reason,
            HouseholdMember.start_date,
            HouseholdMember.end_date,
            HouseholdMember.declared_ref,
            Household.declared_on,
            Person.uin,
            Person.status,
            Person.sex,
            Person.birth_date,
            Person.death_date,
        )
        .join(Household, Household.id == HouseholdMember.household_id)
        .outerjoin(Person, Person.id == HouseholdMember.person_id)
        .where(Household.status == HOUSEHOLD_ACTIVE)
        .order_by(HouseholdMember.id)
    )
    if household_ids is not None:
        stmt = stmt.where(HouseholdMember.household_id.in_([int(h) for h in household_ids]))
    frame = fetch_frame(session, stmt, MEMBER_COLUMNS)
    frame["person_id"] = frame["person_id"].astype("Int64")
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
    return pd.DataFrame.from_records(session.execute(stmt).all(), columns=["household_id", "kind"])


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
    alive = (members["person_status"] == PERSON_ACTIVE) & members["death_date"].isna()
    alive_now = set(members.loc[alive & members["person_id"].notna(), "person_id"].astype("int64"))
    return CycleInputs(
        period=period,
        start=start,
        end=end,
        households=_households(session),
        members=members,
        flags=_flags(session),
        emergency=emergency_households(session=session, period=period, programs=programs),
        alive_now=alive_now,
    )
