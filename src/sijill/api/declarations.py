"""`POST /v1/events/births`, `POST /v1/events/deaths`: the civil registry's declarations.

Each declaration is a life event of the register (`sijill.register.events`): one transaction
under the writer lock that writes the civil act, the person's version, the history and the
outbox event read on `GET /v1/events` and sent to SPDCI subscribers. Only an agency whose
policy names the operation and the civil source declares (the policies say so).
"""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field, field_validator

from sijill.api.deps import AgencyCall, require
from sijill.api.schemas import ERRORS, NOT_FOUND, Sex, Strict, Text, check_number
from sijill.db.locks import writer_session
from sijill.errors import EventRefused, SijillError
from sijill.register.events import BirthDeclaration, EventOutcome, declare_birth, record_death

router = APIRouter(prefix="/v1/events", tags=["events"], responses=ERRORS | NOT_FOUND)
ERROR_STATUSES: dict[type[SijillError], int] = {EventRefused: 409}

_NAME = Field(default=None, min_length=1, max_length=128, description="As the civil act writes it")
_ACT = Field(default=None, min_length=1, max_length=32, description="The civil act's id (default: a new one)")


def _day(value: str) -> str:
    """Return a date written YYYY-MM-DD that exists and is not in the future."""
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise ValueError("write the date as YYYY-MM-DD (a real date)") from None
    if len(value) != 10 or day > date.today():
        raise ValueError("write the date as YYYY-MM-DD, not in the future")
    return value


class BirthCreate(Strict):
    """A birth declared by the civil registry: the child, where and when, the parents' UINs."""

    sex: Sex
    birth_date: str = Field(max_length=10, description="YYYY-MM-DD")
    commune: str = Field(min_length=1, max_length=16, description="The commune code of the birth")
    family_name_ar: Text | None = _NAME
    given_name_ar: Text | None = _NAME
    family_name_lat: Text | None = _NAME
    given_name_lat: Text | None = _NAME
    mother_uin: str = Field(min_length=10, max_length=10)
    father_uin: str | None = Field(default=None, min_length=10, max_length=10)
    act_id: Text | None = _ACT

    @field_validator("birth_date")
    @classmethod
    def _date(cls, value: str) -> str:
        return _day(value)

    @field_validator("mother_uin", "father_uin")
    @classmethod
    def _uin(cls, value: str | None) -> str | None:
        return None if value is None else check_number(value, vid_allowed=False)


class DeathCreate(Strict):
    """A death declared by the civil registry."""

    uin: str = Field(min_length=10, max_length=16, description="The UIN (a VID is refused)")
    death_date: str = Field(max_length=10, description="YYYY-MM-DD")
    act_id: Text | None = _ACT

    @field_validator("uin")
    @classmethod
    def _uin(cls, value: str) -> str:
        return check_number(value, vid_allowed=False)

    @field_validator("death_date")
    @classmethod
    def _date(cls, value: str) -> str:
        return _day(value)


class DeclarationRead(BaseModel):
    """What the register did: the person's UIN (a birth's new one) and the event in the feed."""

    uin: str
    event_id: int
    act_id: str | None = None


def _declared(call: AgencyCall, outcome: EventOutcome, kind: str) -> DeclarationRead:
    call.audit.uin, call.audit.via, call.audit.fields, call.audit.outcome = outcome.uin, "uin", ("uin",), kind
    return DeclarationRead(uin=outcome.uin, event_id=outcome.event_id)


@router.post("/births", status_code=201, summary="Declare a birth (the civil registry)")
def birth(
    body: BirthCreate, call: Annotated[AgencyCall, Depends(require("events.births"))]
) -> DeclarationRead:
    """Create the child's person with a new UIN, linked to its parents; announce it in the feed."""
    child = BirthDeclaration(
        sex=body.sex,
        birth_date=body.birth_date,
        commune=body.commune,
        family_ar=body.family_name_ar,
        given_ar=body.given_name_ar,
        family_lat=body.family_name_lat,
        given_lat=body.given_name_lat,
    )
    with writer_session(call.services.engine) as session:
        outcome = declare_birth(
            session,
            child=child,
            mother_uin=body.mother_uin,
            father_uin=body.father_uin,
            by=f"agency:{call.grant.agency}",
            act_id=body.act_id,
        )
    return _declared(call, outcome, "declared")


@router.post("/deaths", status_code=201, summary="Declare a death (the civil registry)")
def death(
    body: DeathCreate, call: Annotated[AgencyCall, Depends(require("events.deaths"))]
) -> DeclarationRead:
    """Mark the person deceased (a merged UIN leads to its survivor); announce it in the feed."""
    with writer_session(call.services.engine) as session:
        outcome = record_death(
            session,
            uin=body.uin,
            death_date=body.death_date,
            by=f"agency:{call.grant.agency}",
            act_id=body.act_id,
        )
    return _declared(call, outcome, "recorded")
