"""Load what a cycle reads, for every household at once: a handful of bulk queries."""

from collections.abc import Iterable

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from sijill.social.models import (
    HOUSEHOLD_ACTIVE,
    EmergencyActivation,
    Household,
    HouseholdFlag,
    HouseholdMember,
    HouseholdResidence,
    HouseholdScore,
)
from sijill.social.people import is_alive, persons_frame, schooling_frame
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
    frame = pd.DataFrame.from_records(session.execute(stmt).all(), columns=columns)
    frame["urban"] = frame["urban"].astype(bool)
    frame["score"] = frame["score"].astype("float64")
    return frame


def _members(session: Session) -> pd.DataFrame:
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
        )
        .join(Household, Household.id == HouseholdMember.household_id)
        .where(Household.status == HOUSEHOLD_ACTIVE)
    )
    return pd.DataFrame.from_records(session.execute(stmt).all(), columns=MEMBER_COLUMNS)


def _with_persons(session: Session, members: pd.DataFrame) -> tuple[pd.DataFrame, set[int]]:
    persons = persons_frame(session=session, person_ids=members["person_id"].dropna().astype("int64"))
    alive_now = set(persons.loc[is_alive(persons), "person_id"].astype("int64"))
    schooling = schooling_frame(session=session)
    persons = persons.merge(schooling, on="person_id", how="left")
    persons["enrolled"] = persons["attendance"].notna() | persons["person_id"].isin(schooling["person_id"])
    members = members.astype({"person_id": "Int64"}).merge(
        persons.astype({"person_id": "Int64"}).drop(columns=["merged_into"]), on="person_id", how="left"
    )
    members["enrolled"] = members["enrolled"].eq(True)
    return members, alive_now


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


def load_inputs(*, session: Session, period: str, programs: Iterable[str]) -> CycleInputs:
    """Read households, memberships, persons, schooling, flags and emergency areas for a period."""
    start, end = period_bounds(period)
    members, alive_now = _with_persons(session, _members(session))
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
