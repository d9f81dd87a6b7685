"""Read a household as the desk shows it: members, score explained, flags, entitlements, history."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sijill.history import events_of
from sijill.social.changes import pending_changes
from sijill.social.errors import HouseholdNotFound
from sijill.social.households import HOUSEHOLD_ENTITY
from sijill.social.models import (
    Entitlement,
    EntitlementLine,
    Household,
    HouseholdFlag,
    HouseholdMember,
    Payment,
)
from sijill.social.people import persons_frame
from sijill.social.scoring import explain_household


def get_household(*, session: Session, household_id: int) -> Household:
    """Return a household by id, or raise HouseholdNotFound."""
    household = session.get(Household, household_id)
    if household is None:
        raise HouseholdNotFound(f"no household {household_id}")
    return household


def household_members(*, session: Session, household_id: int) -> list[dict[str, Any]]:
    """Return every declared membership of a household (past and rejected too), with the person."""
    stmt = (
        select(HouseholdMember)
        .where(HouseholdMember.household_id == household_id)
        .order_by(HouseholdMember.id)
    )
    members = list(session.scalars(stmt))
    persons = persons_frame(
        session=session, person_ids=[m.person_id for m in members if m.person_id is not None]
    )
    by_id = {int(r["person_id"]): r for r in persons.to_dict(orient="records")}
    out = []
    for m in members:
        person = by_id.get(m.person_id or -1, {})
        out.append(
            {
                "member_id": m.id,
                "uin": person.get("uin") or m.uin,
                "relationship": m.relationship,
                "status": m.status,
                "reason": m.reason,
                "start_date": m.start_date,
                "end_date": m.end_date,
                "sex": person.get("sex"),
                "birth_date": person.get("birth_date"),
                "person_status": person.get("person_status"),
                "declared_document": m.declared_ref.partition(":")[0] if m.declared_ref else None,
            }
        )
    return out


def household_flags(*, session: Session, household_id: int) -> list[dict[str, Any]]:
    """Return the cross-check flags of a household with their reasons."""
    stmt = select(HouseholdFlag).where(HouseholdFlag.household_id == household_id).order_by(HouseholdFlag.id)
    return [
        {"kind": f.kind, "reason": f.reason, "member_id": f.member_id, "raised_at": f.raised_at.isoformat()}
        for f in session.scalars(stmt)
    ]


def household_entitlements(*, session: Session, household_id: int, limit: int = 60) -> list[dict[str, Any]]:
    """Return a household's entitlements, newest period first, with lines and payment status."""
    stmt = (
        select(Entitlement, Payment.status)
        .outerjoin(Payment, Payment.entitlement_id == Entitlement.id)
        .where(Entitlement.household_id == household_id)
        .order_by(Entitlement.period.desc(), Entitlement.program)
        .limit(limit)
    )
    out = []
    for e, paid in session.execute(stmt):
        lines = session.scalars(
            select(EntitlementLine).where(EntitlementLine.entitlement_id == e.id).order_by(EntitlementLine.id)
        )
        out.append(
            {
                "program": e.program,
                "period": e.period,
                "amount_mad": e.amount_mad,
                "recipient_uin": e.recipient_uin,
                "recipient_sex": e.recipient_sex,
                "status": e.status,
                "hold_reason": e.hold_reason,
                "payment": paid,
                "lines": [
                    {"component": line.component, "rule": line.rule, "amount_mad": line.amount_mad}
                    for line in lines
                ],
            }
        )
    return out


def household_view(*, session: Session, household_id: int) -> dict[str, Any]:
    """Return everything the desk shows of one household."""
    h = get_household(session=session, household_id=household_id)
    return {
        "household_id": h.id,
        "ref": h.ref,
        "commune": h.commune,
        "area": "urban" if h.urban else "rural",
        "region_code": h.region_code,
        "status": h.status,
        "declared_on": h.declared_on,
        "version": h.version,
        "variables": h.variables,
        "members": household_members(session=session, household_id=h.id),
        "score": explain_household(session=session, household_id=h.id) if h.status == "active" else None,
        "flags": household_flags(session=session, household_id=h.id),
        "entitlements": household_entitlements(session=session, household_id=h.id),
        "pending_changes": [
            {"id": c.id, "kind": c.kind, "payload": c.payload, "requested_by": c.requested_by}
            for c in pending_changes(session=session, household_id=h.id)
        ],
        "history": [
            {"at": e.at.isoformat(), "action": e.action, "detail": e.detail}
            for e in events_of(session=session, entity=HOUSEHOLD_ENTITY, entity_id=h.id)
        ],
    }


def household_of(*, session: Session, uin: str) -> int | None:
    """Return the household a UIN is an active member of, or None."""
    from sijill.register import get_person_by_uin

    person = get_person_by_uin(session=session, uin=uin)
    if person is None:
        return None
    stmt = select(HouseholdMember.household_id).where(
        HouseholdMember.person_id == person.id, HouseholdMember.status == "active"
    )
    found = session.scalars(stmt).first()
    return int(found) if found is not None else None
