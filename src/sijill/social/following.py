"""Keep households in line with the population register: births, deaths and merges follow.

When the register records a birth whose mother (else father) is an active member of a
household and the child was born since the household was declared, the child joins that
household from the day of birth, as the parent's son or daughter (the head's grandchild when
the parent is a son or daughter of the head), so the
birth grant and the child allowances reach it without a change request. A child who has
ever been a member of a household is never added again: a removal by a change request
stands. When the register records a death, the person's membership ends on the date of death, a
head who died is succeeded (the spouse, else the oldest adult), and every entitlement not
yet paid to that person as recipient is held. When two persons merge, memberships move to
the surviving person (or end, if the survivor is already a member elsewhere). Each change is
an event of the household's history. The live register calls `follow_register` after life
events; cycles and cross-checks call it before they read households.
"""

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session, aliased

from sijill.db.base import utcnow
from sijill.db.bulk import in_chunks
from sijill.history import record_events
from sijill.register import PERSON_ACTIVE, PERSON_DECEASED, Person, PersonRelation
from sijill.social.households import HOUSEHOLD_ENTITY
from sijill.social.models import (
    END_DEATH,
    ENTITLEMENT_DUE,
    ENTITLEMENT_HELD,
    HOUSEHOLD_ACTIVE,
    HOUSEHOLD_DISSOLVED,
    MEMBER_ACTIVE,
    MEMBER_ENDED,
    REJECT_DUPLICATE,
    Entitlement,
    Household,
    HouseholdMember,
    Payment,
)
from sijill.social.people import age_on, fetch_frame, is_deceased, persons_frame

logger = logging.getLogger(__name__)
RECIPIENT_DECEASED = "recipient deceased"
ADULT_AGE = 18


@dataclass
class FollowOutcome:
    """What following the register changed."""

    births: int = 0
    deaths: int = 0
    merges: int = 0
    heads_changed: int = 0
    dissolved: int = 0
    entitlements_held: int = 0


_MEMBER_COLUMNS = [
    "member_id",
    "household_id",
    "person_id",
    "relationship",
    "uin",
    "person_status",
    "merged_into",
    "sex",
    "birth_date",
    "death_date",
]


def _active_members(session: Session, *, affected_only: bool) -> pd.DataFrame:
    """Return active memberships with the person; only of deceased or merged persons if asked.

    Why the filter: deaths and merges touch few households a day, and the register reads
    them in SQL instead of carrying every member into Python.
    """
    stmt = (
        select(
            HouseholdMember.id,
            HouseholdMember.household_id,
            HouseholdMember.person_id,
            HouseholdMember.relationship,
            Person.uin,
            Person.status,
            Person.merged_into,
            Person.sex,
            Person.birth_date,
            Person.death_date,
        )
        .join(Person, Person.id == HouseholdMember.person_id)
        .where(HouseholdMember.status == MEMBER_ACTIVE)
    )
    if affected_only:
        stmt = stmt.where(
            (Person.status != PERSON_ACTIVE) | (Person.death_date.is_not(None) & (Person.death_date != ""))
        )
    return fetch_frame(session, stmt, _MEMBER_COLUMNS)


def _of_households(session: Session, household_ids: list[int]) -> pd.DataFrame:
    stmt = (
        select(
            HouseholdMember.id,
            HouseholdMember.household_id,
            HouseholdMember.person_id,
            HouseholdMember.relationship,
            Person.uin,
            Person.status,
            Person.merged_into,
            Person.sex,
            Person.birth_date,
            Person.death_date,
        )
        .join(Person, Person.id == HouseholdMember.person_id)
        .where(HouseholdMember.status == MEMBER_ACTIVE, HouseholdMember.household_id.in_(household_ids))
    )
    return fetch_frame(session, stmt, _MEMBER_COLUMNS)


def _event(household_id: int, action: str, detail: dict[str, Any]) -> dict[str, Any]:
    return {"entity": HOUSEHOLD_ENTITY, "entity_id": household_id, "action": action, "detail": detail}


def _follow_merges(session: Session, affected: pd.DataFrame, out: FollowOutcome) -> None:
    moved = affected[affected["merged_into"].notna()]
    if not len(moved):
        return
    events = []
    for member_id, household_id, person_id in moved[["member_id", "household_id", "person_id"]].itertuples(
        index=False
    ):
        survivor = _survivor(session, int(person_id))
        taken = session.scalars(
            select(HouseholdMember.id).where(
                HouseholdMember.person_id == survivor, HouseholdMember.status == MEMBER_ACTIVE
            )
        ).first()
        values: dict[str, Any]
        if taken is not None:
            values = {
                "status": MEMBER_ENDED,
                "reason": REJECT_DUPLICATE,
                "end_date": date.today().isoformat(),
            }
        else:
            values = {"person_id": survivor, "uin": _uin(session, survivor, {})}
        session.execute(update(HouseholdMember).where(HouseholdMember.id == int(member_id)).values(**values))
        events.append(_event(int(household_id), "member_merged", {"member_id": int(member_id)}))
        out.merges += 1
    record_events(session=session, build_id=None, events=events)


def _survivor(session: Session, person_id: int) -> int:
    """Return the person a merged person now is (following a chain of merges)."""
    current = person_id
    for _ in range(64):
        persons = persons_frame(session=session, person_ids=[current])
        nxt = persons["merged_into"].iloc[0] if len(persons) else None
        if nxt is None or pd.isna(nxt):
            return current
        current = int(nxt)
    return current


def _uin(session: Session, person_id: int, known: dict[int, str]) -> str | None:
    if person_id in known:
        return known[person_id]
    found = persons_frame(session=session, person_ids=[person_id])
    return str(found["uin"].iloc[0]) if len(found) else None


def _successor(rest: pd.DataFrame, today: date) -> pd.Series | None:
    """Return the member who succeeds a head: the spouse, else the oldest adult, else none."""
    if not len(rest):
        return None
    rest = rest.assign(age=age_on(rest["birth_date"], today))
    spouses = rest[rest["relationship"] == "spouse"]
    if len(spouses):
        return spouses.sort_values("member_id").iloc[0]
    adults = rest[rest["age"] >= ADULT_AGE].sort_values(["birth_date", "member_id"])
    return adults.iloc[0] if len(adults) else None


def _follow_household(
    session: Session, household: Household, dead: pd.DataFrame, rest: pd.DataFrame, out: FollowOutcome
) -> list[dict[str, Any]]:
    """End the dead members' memberships; pass headship on; dissolve an empty household."""
    today = date.today()
    events = []
    for member_id, relationship, death_date in dead[["member_id", "relationship", "death_date"]].itertuples(
        index=False
    ):
        end = death_date if isinstance(death_date, str) and len(death_date) == 10 else today.isoformat()
        session.execute(
            update(HouseholdMember)
            .where(HouseholdMember.id == int(member_id))
            .values(status=MEMBER_ENDED, reason=END_DEATH, end_date=end)
        )
        events.append(
            _event(household.id, "member_died", {"member_id": int(member_id), "relationship": relationship})
        )
        out.deaths += 1
    head_died = household.head_person_id in set(dead["person_id"])
    if head_died:
        events += _succeed(session, household, dead, rest, today, out)
    household.version += 1
    household.updated_at = utcnow()
    if not len(rest):
        household.status = HOUSEHOLD_DISSOLVED
        events.append(_event(household.id, "dissolved", {"reason": "no living member"}))
        out.dissolved += 1
    return events


def _succeed(
    session: Session,
    household: Household,
    dead: pd.DataFrame,
    rest: pd.DataFrame,
    today: date,
    out: FollowOutcome,
) -> list[dict[str, Any]]:
    heir = _successor(rest, today)
    old_head = dead[dead["person_id"] == household.head_person_id].iloc[0]
    household.head_person_id = None if heir is None else int(heir["person_id"])
    if heir is None:
        return [_event(household.id, "head_changed", {"member_id": None})]
    session.execute(
        update(HouseholdMember)
        .where(HouseholdMember.id == int(heir["member_id"]))
        .values(relationship="head")
    )
    if old_head["sex"] == "M" and heir["relationship"] == "spouse" and heir["sex"] == "F":
        household.variables = {**household.variables, "head_marital_status": "widowed"}
    out.heads_changed += 1
    return [_event(household.id, "head_changed", {"member_id": int(heir["member_id"]), "after": "death"})]


def hold_unpaid_for_deceased(*, session: Session, person_ids: list[int]) -> int:
    """Hold every due, unpaid entitlement whose recipient is one of these (deceased) persons."""
    if not person_ids:
        return 0
    paid = exists().where(Payment.entitlement_id == Entitlement.id)
    stmt = (
        update(Entitlement)
        .where(
            Entitlement.recipient_person_id.in_(person_ids),
            Entitlement.status == ENTITLEMENT_DUE,
            ~paid,
        )
        .values(status=ENTITLEMENT_HELD, hold_reason=RECIPIENT_DECEASED)
    )
    return int(session.execute(stmt).rowcount)  # type: ignore[attr-defined]


def _deceased_recipients(session: Session) -> list[int]:
    stmt = (
        select(Entitlement.recipient_person_id)
        .join(Person, Person.id == Entitlement.recipient_person_id)
        .where(
            Entitlement.status == ENTITLEMENT_DUE,
            (Person.status == PERSON_DECEASED) | (Person.death_date.is_not(None) & (Person.death_date != "")),
        )
        .distinct()
    )
    return [int(p) for p in session.scalars(stmt)]


_PARENT_PREFERENCE = {"mother": 0, "father": 1}
_CHILD_OF = {"head": "child", "spouse": "child", "son": "grandchild", "daughter": "grandchild"}


def _newborns(session: Session) -> list[tuple[int, str | None, str, str, int, str, str]]:
    """Return (child, UIN, sex, birth date, household, parent's relationship, relation) rows.

    Why never-a-member only: a child the register knows but whom a household removed (or who
    left) must not come back by itself; the follower only places those no household holds.
    Why born since the declaration: a parent is also recorded for persons enrolled at any age
    (`sijill.enrolment`); a person born before the household was declared and not declared in
    it is not a newborn of it, and joins only by a change request.
    Why two reads: the parent relations are few (births declared to the live register), so
    they are read first and the memberships of those parents only; one join led by the
    memberships would walk a million of them on every cycle.
    """
    held = aliased(HouseholdMember)
    relations = session.execute(  # led by the relations: the only table of the FROM
        select(PersonRelation.person_id, PersonRelation.relation, PersonRelation.relative_id).where(
            ~exists().where(held.person_id == PersonRelation.person_id)
        )
    ).all()
    alive: dict[int, tuple[str | None, str, str]] = {}
    for part in in_chunks(sorted({int(r[0]) for r in relations})):
        stmt = select(Person.id, Person.uin, Person.sex, Person.birth_date).where(
            Person.id.in_(part),
            Person.status == PERSON_ACTIVE,
            (Person.death_date.is_(None)) | (Person.death_date == ""),
        )
        alive.update({int(p): (u, str(x), str(b)) for p, u, x, b in session.execute(stmt)})
    children = [(c, *alive[c], str(rel), int(parent)) for c, rel, parent in relations if c in alive]
    if not children:
        return []
    survivor = _parents_now(session, sorted({c[5] for c in children}))
    children = [(*c[:5], survivor.get(c[5], c[5])) for c in children]
    membership: dict[int, tuple[int, str, str]] = {}
    for part in in_chunks(sorted({c[5] for c in children})):
        members = (
            select(
                HouseholdMember.person_id,
                HouseholdMember.household_id,
                HouseholdMember.relationship,
                Household.declared_on,
            )
            .join(Household, Household.id == HouseholdMember.household_id)
            .where(
                HouseholdMember.person_id.in_(part),
                HouseholdMember.status == MEMBER_ACTIVE,
                Household.status == HOUSEHOLD_ACTIVE,
            )
        )
        membership.update({int(p or 0): (int(h), str(r), str(d)) for p, h, r, d in session.execute(members)})
    return [
        (c, u, x, b, *membership[parent][:2], relation)
        for c, u, x, b, relation, parent in children
        if parent in membership and b >= membership[parent][2]  # born since the household was declared
    ]


def _parents_now(session: Session, parents: list[int]) -> dict[int, int]:
    """Return the surviving person of each parent merged since the birth (the few that were)."""
    merged: list[int] = []
    for part in in_chunks(parents):
        stmt = select(Person.id).where(Person.id.in_(part), Person.merged_into.is_not(None))
        merged += [int(p) for p in session.scalars(stmt)]
    return {p: _survivor(session, p) for p in merged}


def _follow_births(session: Session, out: FollowOutcome) -> None:
    """Add each newborn of a household member to that household, from the day of birth."""
    chosen: dict[int, tuple[int, str | None, str, str, int, str, str]] = {}
    for row in _newborns(session):
        kept = chosen.get(row[0])
        if kept is None or _PARENT_PREFERENCE.get(row[6], 9) < _PARENT_PREFERENCE.get(kept[6], 9):
            chosen[row[0]] = row
    placed: list[HouseholdMember] = []
    for person_id, uin, sex, born, household_id, parent_is, _relation in sorted(chosen.values()):
        kinship = _CHILD_OF.get(parent_is, "other")
        relationship = ("son" if sex == "M" else "daughter") if kinship == "child" else kinship
        day = born if isinstance(born, str) and len(born) == 10 else date.today().isoformat()
        placed.append(
            HouseholdMember(
                household_id=household_id,
                person_id=person_id,
                uin=uin,
                relationship=relationship,
                status=MEMBER_ACTIVE,
                start_date=day,
            )
        )
    if not placed:
        return
    session.add_all(placed)
    session.flush()
    now = utcnow()
    for household_id, count in Counter(m.household_id for m in placed).items():
        household = session.get(Household, household_id)
        if household is not None:
            household.version += count
            household.updated_at = now
    events = [
        _event(m.household_id, "member_born", {"member_id": m.id, "relationship": m.relationship})
        for m in placed
    ]
    out.births += len(placed)
    record_events(session=session, build_id=None, events=events)


def follow_register(*, session: Session) -> FollowOutcome:
    """Apply the register's births, deaths and merges to households and unpaid entitlements."""
    out = FollowOutcome()
    _follow_births(session, out)
    affected = _active_members(session, affected_only=True)
    if affected["merged_into"].notna().any():  # memberships moved: read them again
        _follow_merges(session, affected, out)
        affected = _active_members(session, affected_only=True)
    dead = affected[is_deceased(affected.fillna({"person_status": "", "death_date": ""}))]
    if len(dead):
        households = sorted(int(h) for h in dead["household_id"].unique())
        members = _of_households(session, households)
        dead_mask = members["member_id"].isin(dead["member_id"])
        events: list[dict[str, Any]] = []
        for household_id in households:
            household = session.get(Household, household_id)
            if household is None or household.status != HOUSEHOLD_ACTIVE:
                continue
            of_household = members["household_id"] == household_id
            events += _follow_household(
                session, household, members[of_household & dead_mask], members[of_household & ~dead_mask], out
            )
        record_events(session=session, build_id=None, events=events)
    out.entitlements_held = hold_unpaid_for_deceased(
        session=session, person_ids=_deceased_recipients(session)
    )
    if out.births or out.deaths or out.merges or out.entitlements_held:
        logger.info(
            "followed the register: %d births, %d deaths, %d merges, %d entitlements held",
            out.births,
            out.deaths,
            out.merges,
            out.entitlements_held,
        )
    return out
