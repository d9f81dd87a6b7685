"""Change requests on households, made by one person and decided by another (four eyes).

A request adds or removes a member, changes the head, splits the household, moves it to
another commune or updates its declared variables. Nothing changes until a second person
approves; the requester can never decide their own request (checked here and by a CHECK
constraint). Each request, decision and effect is an event of the household's history.
"""

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from sijill.db.base import utcnow
from sijill.geo import communes
from sijill.history import record_events
from sijill.register import PERSON_ACTIVE, get_person_by_uin
from sijill.social.config import Relationship
from sijill.social.errors import HouseholdNotFound, InvalidHousehold, RuleRefused
from sijill.social.households import HOUSEHOLD_ENTITY, TRUTH_COLUMNS
from sijill.social.models import (
    END_MOVED,
    END_REMOVED,
    END_SPLIT,
    HOUSEHOLD_ACTIVE,
    MEMBER_ACTIVE,
    MEMBER_ENDED,
    REQUEST_APPROVED,
    REQUEST_PENDING,
    REQUEST_REJECTED,
    ChangeRequest,
    Household,
    HouseholdMember,
    HouseholdResidence,
)

Uin = Annotated[str, Field(pattern=r"^\d{10}$")]


class _Payload(BaseModel):
    model_config = ConfigDict(extra="forbid")
    since: date | None = None


class AddMember(_Payload):
    """Add a person (a newborn, a person joining) to the household."""

    uin: Uin
    relationship: Relationship


class RemoveMember(_Payload):
    """End a member's membership (they moved out, or were declared by mistake)."""

    uin: Uin
    reason: Literal["moved", "removed"] = "moved"


class ChangeHead(_Payload):
    """Make another member the head; the former head takes the given relationship."""

    uin: Uin
    former_head_as: Relationship = "spouse"


class SplitMember(BaseModel):
    """A member who leaves for the new household, with their relationship there."""

    model_config = ConfigDict(extra="forbid")
    uin: Uin
    relationship: Relationship


class Split(_Payload):
    """Move some members into a new household (with its own head), here or in another commune."""

    members: Annotated[list[SplitMember], Field(min_length=1)]
    commune: str | None = None


class Move(_Payload):
    """Move the whole household to another commune."""

    commune: str


class UpdateVariables(_Payload):
    """Replace declared socio-economic variables (a recertification)."""

    variables: dict[str, str]


PAYLOADS: dict[str, type[_Payload]] = {
    "add_member": AddMember,
    "remove_member": RemoveMember,
    "change_head": ChangeHead,
    "split": Split,
    "move": Move,
    "update_variables": UpdateVariables,
}


def _household(session: Session, household_id: int) -> Household:
    household = session.get(Household, household_id)
    if household is None or household.status != HOUSEHOLD_ACTIVE:
        raise HouseholdNotFound(f"no active household {household_id}")
    return household


def _parse(kind: str, payload: dict[str, Any]) -> _Payload:
    model = PAYLOADS.get(kind)
    if model is None:
        raise InvalidHousehold(f"kind: unknown change {kind!r}; use one of {', '.join(PAYLOADS)}")
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "payload"
        raise InvalidHousehold(f"{kind}: {where}: {first['msg']}") from None


def _event(household_id: int, action: str, detail: dict[str, Any]) -> dict[str, Any]:
    return {"entity": HOUSEHOLD_ENTITY, "entity_id": household_id, "action": action, "detail": detail}


def request_change(
    *, session: Session, household_id: int, kind: str, payload: dict[str, Any], by: str
) -> ChangeRequest:
    """File a change request on a household; nothing changes until another person approves."""
    _household(session, household_id)
    parsed = _parse(kind, payload)
    request = ChangeRequest(
        household_id=household_id,
        kind=kind,
        payload=parsed.model_dump(mode="json", exclude_none=True),
        status=REQUEST_PENDING,
        requested_by=by,
    )
    session.add(request)
    session.flush()
    record_events(
        session=session,
        build_id=None,
        events=[_event(household_id, "change_requested", {"request": request.id, "kind": kind, "by": by})],
    )
    return request


def decide_change(
    *, session: Session, request_id: int, by: str, approve: bool, note: str | None = None
) -> ChangeRequest:
    """Approve (and apply) or reject a pending change request; never by its requester."""
    request = session.get(ChangeRequest, request_id)
    if request is None:
        raise HouseholdNotFound(f"no change request {request_id}")
    if request.status != REQUEST_PENDING:
        raise RuleRefused(f"change request {request_id} is already {request.status}")
    if request.requested_by == by:
        raise RuleRefused(
            f"change request {request_id} was made by the same person: four eyes, another must decide"
        )
    household = _household(session, request.household_id)
    on = date.today()
    if approve:
        _apply(session, household, request.kind, _parse(request.kind, request.payload), on, by)
    request.status = REQUEST_APPROVED if approve else REQUEST_REJECTED
    request.decided_by, request.decided_at, request.note = by, utcnow(), note
    household.version += 1
    household.updated_at = utcnow()
    session.flush()
    action = "change_approved" if approve else "change_rejected"
    record_events(
        session=session,
        build_id=None,
        events=[_event(household.id, action, {"request": request.id, "by": by})],
    )
    return request


def pending_changes(*, session: Session, household_id: int | None = None) -> list[ChangeRequest]:
    """Return the pending change requests (of one household, or all), oldest first."""
    stmt = select(ChangeRequest).where(ChangeRequest.status == REQUEST_PENDING).order_by(ChangeRequest.id)
    if household_id is not None:
        stmt = stmt.where(ChangeRequest.household_id == household_id)
    return list(session.scalars(stmt))


# ---------------------------------------------------------------- applying an approved change


def _membership(session: Session, household_id: int, uin: str) -> HouseholdMember:
    person = get_person_by_uin(session=session, uin=uin)
    stmt = select(HouseholdMember).where(
        HouseholdMember.household_id == household_id,
        HouseholdMember.person_id == (person.id if person is not None else -1),
        HouseholdMember.status == MEMBER_ACTIVE,
    )
    member = session.scalars(stmt).first()
    if member is None:
        raise RuleRefused("the person named is not an active member of this household")
    return member


def _living_person_id(session: Session, uin: str) -> tuple[int, str]:
    person = get_person_by_uin(session=session, uin=uin)
    if person is None:
        raise RuleRefused("no person of the register holds this UIN")
    if person.status != PERSON_ACTIVE or person.death_date:
        raise RuleRefused("the register holds this person as deceased")
    taken = session.scalars(
        select(HouseholdMember.household_id).where(
            HouseholdMember.person_id == person.id, HouseholdMember.status == MEMBER_ACTIVE
        )
    ).first()
    if taken is not None:
        raise RuleRefused(f"this person is an active member of household {taken}: remove them there first")
    return person.id, person.uin


def _end(member: HouseholdMember, reason: str, day: str) -> None:
    member.status, member.reason, member.end_date = MEMBER_ENDED, reason, day


def _apply(session: Session, household: Household, kind: str, change: _Payload, on: date, by: str) -> None:
    day = (change.since or on).isoformat()
    events: list[dict[str, Any]]
    if isinstance(change, AddMember):
        events = _add(session, household, change, day)
    elif isinstance(change, RemoveMember):
        events = _remove(session, household, change, day)
    elif isinstance(change, ChangeHead):
        events = _change_head(session, household, change)
    elif isinstance(change, Split):
        events = _split(session, household, change, day, by)
    elif isinstance(change, Move):
        events = _move(session, household, change.commune, day)
    else:
        assert isinstance(change, UpdateVariables)
        household.variables = {k: v for k, v in change.variables.items() if k not in TRUTH_COLUMNS}
        household.declared_on = day
        events = [_event(household.id, "variables_updated", {"by": by})]
    session.flush()
    record_events(session=session, build_id=None, events=events)


def _add(session: Session, household: Household, change: AddMember, day: str) -> list[dict[str, Any]]:
    if change.relationship == "head":
        raise RuleRefused("a household has one head: add the member, then change the head")
    person_id, uin = _living_person_id(session, change.uin)
    member = HouseholdMember(
        household_id=household.id,
        person_id=person_id,
        uin=uin,
        relationship=change.relationship,
        status=MEMBER_ACTIVE,
        start_date=day,
    )
    session.add(member)
    session.flush()
    return [
        _event(household.id, "member_added", {"member_id": member.id, "relationship": change.relationship})
    ]


def _remove(session: Session, household: Household, change: RemoveMember, day: str) -> list[dict[str, Any]]:
    member = _membership(session, household.id, change.uin)
    if member.person_id == household.head_person_id:
        raise RuleRefused("the head cannot be removed: change the head first")
    _end(member, END_MOVED if change.reason == "moved" else END_REMOVED, day)
    return [_event(household.id, "member_removed", {"member_id": member.id, "reason": change.reason})]


def _change_head(session: Session, household: Household, change: ChangeHead) -> list[dict[str, Any]]:
    member = _membership(session, household.id, change.uin)
    session.execute(
        update(HouseholdMember)
        .where(
            HouseholdMember.household_id == household.id,
            HouseholdMember.status == MEMBER_ACTIVE,
            HouseholdMember.relationship == "head",
        )
        .values(relationship=change.former_head_as)
    )
    member.relationship = "head"
    household.head_person_id = member.person_id
    return [_event(household.id, "head_changed", {"member_id": member.id, "after": "change request"})]


def _place(code: str) -> tuple[bool, str, str]:
    commune = communes().get(code)
    if commune is None:
        raise InvalidHousehold("commune: not in the HCP list of communes")
    return commune.urban, commune.region_code, commune.province_code


def _move(session: Session, household: Household, commune: str, day: str) -> list[dict[str, Any]]:
    urban, region, province = _place(commune)
    session.execute(
        update(HouseholdResidence)
        .where(HouseholdResidence.household_id == household.id, HouseholdResidence.end_date.is_(None))
        .values(end_date=day)
    )
    session.add(HouseholdResidence(household_id=household.id, commune=commune, start_date=day))
    before = household.commune
    household.commune, household.urban, household.region_code, household.province_code = (
        commune,
        urban,
        region,
        province,
    )
    return [_event(household.id, "moved", {"from": before, "to": commune})]


def _split(session: Session, household: Household, change: Split, day: str, by: str) -> list[dict[str, Any]]:
    if sum(m.relationship == "head" for m in change.members) != 1:
        raise InvalidHousehold("split: members: exactly one must be the head of the new household")
    leaving = [(_membership(session, household.id, m.uin), m.relationship) for m in change.members]
    if any(member.person_id == household.head_person_id for member, _ in leaving):
        raise RuleRefused("the head cannot leave in a split: change the head first")
    commune = change.commune or household.commune
    urban, region, province = _place(commune)
    new = Household(
        commune=commune,
        urban=urban,
        region_code=region,
        province_code=province,
        variables=dict(household.variables),
        declared_on=day,
        status=HOUSEHOLD_ACTIVE,
    )
    session.add(new)
    session.flush()
    for member, relationship in leaving:
        _end(member, END_SPLIT, day)
        session.flush()
        session.add(
            HouseholdMember(
                household_id=new.id,
                person_id=member.person_id,
                uin=member.uin,
                relationship=relationship,
                status=MEMBER_ACTIVE,
                start_date=day,
            )
        )
        if relationship == "head":
            new.head_person_id = member.person_id
    session.add(HouseholdResidence(household_id=new.id, commune=commune, start_date=day))
    return [
        _event(household.id, "split", {"new_household": new.id, "members": len(leaving)}),
        _event(
            new.id,
            "registered",
            {"by": by, "split_from": household.id, "members": len(leaving), "rejected": 0},
        ),
    ]
