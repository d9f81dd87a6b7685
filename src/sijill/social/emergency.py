"""Switch an emergency top-up on for listed communes, and off again: the adaptive register.

An operator names the program (one whose file has an `[emergency]` section), the communes,
the date of the event and the first period to pay; the top-up runs for the program's number
of months unless another is given. Households that lived in a listed commune on the event
date receive it, wherever they move afterwards.
"""

from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from sijill.db.base import utcnow
from sijill.geo import communes
from sijill.history import record_events
from sijill.social.config import LoadedProgram
from sijill.social.cycles import check_period
from sijill.social.errors import HouseholdNotFound, InvalidHousehold, RuleRefused
from sijill.social.models import EmergencyActivation
from sijill.social.rules import period_bounds, previous_period

EMERGENCY_ENTITY = "emergency"


def _add_months(period: str, months: int) -> str:
    year, month = (int(x) for x in period.split("-"))
    index = year * 12 + month - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def switch_on(
    *,
    session: Session,
    program: LoadedProgram,
    name: str,
    communes_listed: Sequence[str],
    event_date: date,
    first_period: str,
    by: str,
    months: int | None = None,
) -> EmergencyActivation:
    """Switch a program's emergency top-up on for these communes, from a period."""
    spec = program.program.emergency
    if spec is None:
        raise InvalidHousehold(
            f"program {program.program.id} is not an emergency top-up (no [emergency] section)"
        )
    check_period(first_period)
    known = communes()
    unknown = [c for c in communes_listed if c not in known]
    if unknown or not communes_listed:
        raise InvalidHousehold(
            f"communes: {len(unknown)} code(s) not in the HCP list" if unknown else "communes: none listed"
        )
    if event_date > period_bounds(first_period)[1]:
        raise InvalidHousehold("the event date falls after the first period paid")
    count = spec.months.value if months is None else months
    if count < 1:
        raise InvalidHousehold("months: at least one")
    activation = EmergencyActivation(
        program=program.program.id,
        name=name,
        communes=sorted(set(communes_listed)),
        event_date=event_date.isoformat(),
        first_period=first_period,
        last_period=_add_months(first_period, count - 1),
        switched_on_by=by,
    )
    session.add(activation)
    session.flush()
    record_events(
        session=session,
        build_id=None,
        events=[
            {
                "entity": EMERGENCY_ENTITY,
                "entity_id": activation.id,
                "action": "switched_on",
                "detail": {"by": by, "communes": len(activation.communes), "months": count},
            }
        ],
    )
    return activation


def switch_off(*, session: Session, activation_id: int, from_period: str, by: str) -> EmergencyActivation:
    """Stop an emergency top-up from a period on (that period is no longer paid)."""
    activation = session.get(EmergencyActivation, activation_id)
    if activation is None:
        raise HouseholdNotFound(f"no emergency activation {activation_id}")
    if activation.switched_off_at is not None:
        raise RuleRefused(f"emergency activation {activation_id} is already switched off")
    check_period(from_period)
    last = previous_period(from_period)
    activation.last_period = max(min(activation.last_period, last), previous_period(activation.first_period))
    activation.switched_off_by, activation.switched_off_at = by, utcnow()
    record_events(
        session=session,
        build_id=None,
        events=[
            {
                "entity": EMERGENCY_ENTITY,
                "entity_id": activation.id,
                "action": "switched_off",
                "detail": {"by": by, "last_period": activation.last_period},
            }
        ],
    )
    return activation


def activations(*, session: Session) -> list[EmergencyActivation]:
    """Return every emergency activation, newest first."""
    return list(session.scalars(select(EmergencyActivation).order_by(EmergencyActivation.id.desc())))
