"""Cross-checks of households with the other registries, through the UIN, in bulk.

Each finding is a flag on the household with its reason: a member with CNSS wages above a
threshold, a member who died, a person declared in two households, a declared member absent
from the population register, a child of school age not in MASSAR, a declaration due for
recertification. Flags are recomputed whole at each run; programs name the flags that
exclude a household.
"""

import logging
from collections.abc import Sequence
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from sijill.db.base import utcnow
from sijill.db.bulk import bulk_insert
from sijill.social.config import Checks, load_checks
from sijill.social.inputs import load_members
from sijill.social.models import (
    END_DEATH,
    HOUSEHOLD_ACTIVE,
    MEMBER_ACTIVE,
    MEMBER_REJECTED,
    REJECT_DECEASED,
    REJECT_DUPLICATE,
    REJECT_NOT_IN_REGISTER,
    Household,
    HouseholdFlag,
    HouseholdMember,
)
from sijill.social.people import age_on, is_deceased, schooling_frame, wages_frame

logger = logging.getLogger(__name__)

CNSS_WAGE_ABOVE = "cnss_wage_above"
MEMBER_DECEASED = "member_deceased"
TWO_HOUSEHOLDS = "declared_in_two_households"
NOT_IN_REGISTER = "member_not_in_register"
SCHOOL_AGE_NOT_IN_MASSAR = "school_age_not_in_massar"
RECERTIFICATION_DUE = "recertification_due"
FLAG_KINDS = (
    CNSS_WAGE_ABOVE,
    MEMBER_DECEASED,
    TWO_HOUSEHOLDS,
    NOT_IN_REGISTER,
    SCHOOL_AGE_NOT_IN_MASSAR,
    RECERTIFICATION_DUE,
)
_CHUNK = 5000


FLAG_COLUMNS = ["household_id", "member_id", "kind", "reason"]


def _flag(frame: pd.DataFrame, kind: str, reasons: pd.Series) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "household_id": frame["household_id"],
            "member_id": frame["member_id"],
            "kind": kind,
            "reason": reasons.reindex(frame.index),
        },
        columns=FLAG_COLUMNS,
    )


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    kept = [f for f in frames if len(f)]
    return pd.concat(kept, ignore_index=True) if kept else pd.DataFrame(columns=FLAG_COLUMNS)


def _cnss(members: pd.DataFrame, wages: pd.DataFrame, checks: Checks) -> pd.DataFrame:
    line = checks.cnss_wage_above.value
    active = members[members["status"] == MEMBER_ACTIVE].merge(wages, on="person_id")
    above = active[active["wage"] > line]
    return _flag(
        above,
        CNSS_WAGE_ABOVE,
        "a member (" + above["relationship"] + f") is declared to the CNSS above {line:,.0f} MAD a month",
    )


def _deaths(members: pd.DataFrame) -> pd.DataFrame:
    filled = members.fillna({"person_status": "", "death_date": "", "end_date": ""})
    active_dead = (members["status"] == MEMBER_ACTIVE) & is_deceased(filled)
    declared_dead = members["reason"] == REJECT_DECEASED
    died_since = (members["reason"] == END_DEATH) & (filled["end_date"] >= members["declared_on"])
    frames = [
        _flag(
            members[active_dead],
            MEMBER_DECEASED,
            "a member (" + members["relationship"] + ") is deceased in the population register",
        ),
        _flag(
            members[declared_dead],
            MEMBER_DECEASED,
            "a declared member ("
            + members["relationship"]
            + ") was already deceased in the population register",
        ),
        _flag(
            members[died_since],
            MEMBER_DECEASED,
            "a member (" + members["relationship"] + ") died after the declaration: recertify the household",
        ),
    ]
    return _concat(frames)


def _duplicates(session: Session, members: pd.DataFrame) -> pd.DataFrame:
    twice = members[(members["reason"] == REJECT_DUPLICATE) & members["person_id"].notna()]
    if not len(twice):
        return _flag(twice, TWO_HOUSEHOLDS, pd.Series(dtype="object"))
    ids = twice["person_id"].astype("int64").unique().tolist()
    holders: list[Any] = []
    for i in range(0, len(ids), _CHUNK):
        stmt = select(HouseholdMember.person_id, HouseholdMember.household_id, HouseholdMember.id).where(
            HouseholdMember.person_id.in_(ids[i : i + _CHUNK]), HouseholdMember.status == MEMBER_ACTIVE
        )
        holders += session.execute(stmt).all()
    held = pd.DataFrame.from_records(holders, columns=["person_id", "other_household", "other_member"])
    pairs = twice.merge(held, on="person_id")
    here = _flag(
        pairs,
        TWO_HOUSEHOLDS,
        "a declared member ("
        + pairs["relationship"]
        + ") is an active member of household "
        + pairs["other_household"].astype(str),
    )
    there = pd.DataFrame(
        {
            "household_id": pairs["other_household"],
            "member_id": pairs["other_member"],
            "kind": TWO_HOUSEHOLDS,
            "reason": "a member is also declared by household " + pairs["household_id"].astype(str),
        }
    )
    return _concat([here, there])


def _absent(members: pd.DataFrame) -> pd.DataFrame:
    absent = members[(members["status"] == MEMBER_REJECTED) & (members["reason"] == REJECT_NOT_IN_REGISTER)]
    if not len(absent):
        return pd.DataFrame(columns=FLAG_COLUMNS)
    document = absent["declared_ref"].fillna("").str.partition(":")[0]
    reason = (
        "a declared member ("
        + absent["relationship"]
        + ") "
        + document.map(
            lambda s: (
                f"whose {s} document is linked to no person of the register"
                if s
                else "declared without any document"
            )
        )
    )
    return _flag(absent, NOT_IN_REGISTER, reason)


def _school(members: pd.DataFrame, schooling: pd.DataFrame, checks: Checks, on: date) -> pd.DataFrame:
    low, high = checks.school_ages[0].value, checks.school_ages[1].value
    active = members[
        (members["status"] == MEMBER_ACTIVE)
        & ~is_deceased(members.fillna({"person_status": "", "death_date": ""}))
    ]
    ages = age_on(active["birth_date"], on)
    of_age = active[(ages >= low) & (ages <= high)]
    missing = of_age[~of_age["person_id"].isin(schooling["person_id"])]
    ages = age_on(missing["birth_date"], on).astype("int64").astype(str)
    return _flag(
        missing,
        SCHOOL_AGE_NOT_IN_MASSAR,
        "a member ("
        + missing["relationship"]
        + ") aged "
        + ages
        + " is of school age and not enrolled in MASSAR",
    )


def _recertification(
    session: Session, checks: Checks, on: date, household_ids: Sequence[int] | None
) -> pd.DataFrame:
    months = checks.recertify_after_months.value
    year, month = divmod(on.year * 12 + on.month - 1 - months, 12)
    line = date(year, month + 1, min(on.day, 28)).isoformat()
    stmt = select(Household.id, Household.declared_on).where(
        Household.status == HOUSEHOLD_ACTIVE, Household.declared_on < line
    )
    if household_ids is not None:
        stmt = stmt.where(Household.id.in_(list(household_ids)))
    old = pd.DataFrame.from_records(session.execute(stmt).all(), columns=["household_id", "declared_on"])
    return pd.DataFrame(
        {
            "household_id": old["household_id"],
            "member_id": None,
            "kind": RECERTIFICATION_DUE,
            "reason": "the declaration of " + old["declared_on"] + f" is older than {months} months",
        }
    )


def run_cross_checks(
    *,
    session: Session,
    on: date,
    household_ids: Sequence[int] | None = None,
    checks: Checks | None = None,
    members: pd.DataFrame | None = None,
    schooling: pd.DataFrame | None = None,
) -> dict[str, int]:
    """Recompute the flags of every household (or of these), as of a date; return counts by kind.

    `members` (see `inputs.load_members`) and `schooling` may be handed over when read already.
    """
    checks = checks or load_checks()
    if members is None:
        members = load_members(session=session, household_ids=household_ids)
    if schooling is None:
        schooling = schooling_frame(session=session)
    flags = _concat(
        [
            _cnss(members, wages_frame(session=session), checks),
            _deaths(members),
            _duplicates(session, members),
            _absent(members),
            _school(members, schooling, checks, on),
            _recertification(session, checks, on, household_ids),
        ]
    )
    if household_ids is not None:
        flags = flags[flags["household_id"].isin(list(household_ids))]
    _replace_flags(session, flags, household_ids)
    counts = flags["kind"].value_counts()
    logger.info("cross-checks: %d flags", len(flags))
    return {kind: int(counts.get(kind, 0)) for kind in FLAG_KINDS}


def _replace_flags(session: Session, flags: pd.DataFrame, household_ids: Sequence[int] | None) -> None:
    if household_ids is None:
        session.execute(delete(HouseholdFlag))
    else:
        ids = list(household_ids)
        for i in range(0, len(ids), _CHUNK):
            session.execute(delete(HouseholdFlag).where(HouseholdFlag.household_id.in_(ids[i : i + _CHUNK])))
    now = utcnow()
    flags = flags.drop_duplicates().sort_values(["household_id", "kind", "member_id"], na_position="first")
    rows: list[dict[str, Any]] = [
        {
            "household_id": int(h),
            "member_id": None if pd.isna(m) else int(m),
            "kind": k,
            "reason": r,
            "raised_at": now,
        }
        for h, m, k, r in flags[["household_id", "member_id", "kind", "reason"]].itertuples(index=False)
    ]
    bulk_insert(session, HouseholdFlag.__table__, rows)
