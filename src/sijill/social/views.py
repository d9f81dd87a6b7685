"""HTTP endpoints of the social register: a thin FastAPI router over the facade.

The application that includes this router provides two things: a session per request
(`app.state.session_factory`, a callable returning a context manager that commits whole or
rolls back) and the authenticated agency (`request.state.actor`, set by its authentication).
Without them the endpoints answer 503 and 401: nothing here decides who may call them, the
application's policies do. Errors of the social register are mapped to HTTP statuses by
`STATUS_OF_ERROR`, which the application applies in its one error handler.
"""

from collections.abc import Iterator
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from sijill.errors import SijillError
from sijill.social.errors import HouseholdNotFound, InvalidConfiguration, InvalidHousehold, RuleRefused

STATUS_OF_ERROR: dict[type[SijillError], int] = {
    HouseholdNotFound: status.HTTP_404_NOT_FOUND,
    InvalidHousehold: status.HTTP_422_UNPROCESSABLE_CONTENT,
    InvalidConfiguration: status.HTTP_422_UNPROCESSABLE_CONTENT,
    RuleRefused: status.HTTP_409_CONFLICT,
}


def status_of(exc: SijillError) -> int:
    """Return the HTTP status of a social-register error (400 for any other)."""
    for kind, code in STATUS_OF_ERROR.items():
        if isinstance(exc, kind):
            return code
    return status.HTTP_400_BAD_REQUEST


def social_session(request: Request) -> Iterator[Session]:
    """Yield the request's session from the application's session factory."""
    factory = getattr(request.app.state, "session_factory", None)
    if factory is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "no register database is configured")
    with factory() as session:
        yield session


def current_actor(request: Request) -> str:
    """Return the authenticated agency or person calling, set by the application's authentication."""
    actor = getattr(request.state, "actor", None)
    if not actor:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "authentication required")
    return str(actor)


SessionDep = Annotated[Session, Depends(social_session)]
ActorDep = Annotated[str, Depends(current_actor)]


class MemberCreate(BaseModel):
    """A member declared by UIN."""

    model_config = ConfigDict(extra="forbid")
    uin: Annotated[str, Field(pattern=r"^\d{10}$")]
    relationship: str


class HouseholdCreate(BaseModel):
    """A household declared by an agency, its members named by UIN."""

    model_config = ConfigDict(extra="forbid")
    commune: str
    members: Annotated[list[MemberCreate], Field(min_length=1)]
    variables: dict[str, str] = {}
    declared_on: date | None = None
    ref: str | None = None


class HouseholdCreated(BaseModel):
    """The id of a registered household."""

    household_id: int


class ChangeCreate(BaseModel):
    """A change request on a household."""

    model_config = ConfigDict(extra="forbid")
    kind: str
    payload: dict[str, Any]


class ChangeRead(BaseModel):
    """A change request and its state."""

    id: int
    household_id: int
    kind: str
    status: str
    requested_by: str
    decided_by: str | None


class Decision(BaseModel):
    """A decision on a change request."""

    model_config = ConfigDict(extra="forbid")
    approve: bool
    note: str | None = None


router = APIRouter(prefix="/social", tags=["social register"])


@router.get("/households/{household_id}")
def read_household(household_id: int, session: SessionDep, _actor: ActorDep) -> dict[str, Any]:
    """Return a household: members, score explained, flags, entitlements, history."""
    from sijill.social.queries import household_view

    return household_view(session=session, household_id=household_id)


@router.get("/households/{household_id}/score")
def read_score(household_id: int, session: SessionDep, _actor: ActorDep) -> dict[str, Any]:
    """Return a household's score explained term by term."""
    from sijill.social.scoring import explain_household

    return explain_household(session=session, household_id=household_id)


@router.get("/households/{household_id}/flags")
def read_flags(household_id: int, session: SessionDep, _actor: ActorDep) -> list[dict[str, Any]]:
    """Return the cross-check flags of a household."""
    from sijill.social.queries import get_household, household_flags

    get_household(session=session, household_id=household_id)
    return household_flags(session=session, household_id=household_id)


@router.get("/households/{household_id}/entitlements")
def read_entitlements(household_id: int, session: SessionDep, _actor: ActorDep) -> list[dict[str, Any]]:
    """Return a household's entitlements with their lines and payment status."""
    from sijill.social.queries import get_household, household_entitlements

    get_household(session=session, household_id=household_id)
    return household_entitlements(session=session, household_id=household_id)


@router.post("/households", status_code=status.HTTP_201_CREATED)
def create_household(body: HouseholdCreate, session: SessionDep, actor: ActorDep) -> HouseholdCreated:
    """Register a household whose members are named by UIN (each must exist and be alive)."""
    from sijill.social.households import MemberDeclaration, register_household

    household = register_household(
        session=session,
        commune=body.commune,
        members=[MemberDeclaration(m.uin, m.relationship) for m in body.members],
        variables=body.variables,
        declared_on=body.declared_on or date.today(),
        by=actor,
        ref=body.ref,
    )
    return HouseholdCreated(household_id=household.id)


def _change_read(request: Any) -> ChangeRead:
    return ChangeRead(
        id=request.id,
        household_id=request.household_id,
        kind=request.kind,
        status=request.status,
        requested_by=request.requested_by,
        decided_by=request.decided_by,
    )


@router.post("/households/{household_id}/changes", status_code=status.HTTP_201_CREATED)
def create_change(household_id: int, body: ChangeCreate, session: SessionDep, actor: ActorDep) -> ChangeRead:
    """Request a change to a household; another must approve it."""
    from sijill.social.changes import request_change

    request = request_change(
        session=session, household_id=household_id, kind=body.kind, payload=body.payload, by=actor
    )
    return _change_read(request)


@router.post("/changes/{request_id}/decision")
def decide(request_id: int, body: Decision, session: SessionDep, actor: ActorDep) -> ChangeRead:
    """Approve or reject a change request; its requester cannot decide it."""
    from sijill.social.changes import decide_change

    request = decide_change(
        session=session, request_id=request_id, by=actor, approve=body.approve, note=body.note
    )
    return _change_read(request)


@router.get("/programs")
def read_programs(_actor: ActorDep) -> list[dict[str, Any]]:
    """Return the programs with their version, status and thresholds."""
    from sijill.social.config import load_programs

    return [
        {
            "id": p.program.id,
            "name": p.program.name,
            "version": p.program.version,
            "status": p.program.status,
            "index_max": None
            if p.program.eligibility.index_max is None
            else p.program.eligibility.index_max.value,
            "source": p.program.source,
        }
        for p in load_programs().values()
    ]


@router.get("/cycles/{period}")
def read_cycles(period: str, session: SessionDep, _actor: ActorDep) -> list[dict[str, Any]]:
    """Return the cycles of a period: state, totals, payments."""
    from sijill.social.cycles import cycles_of_period

    return cycles_of_period(session=session, period=period)


@router.get("/programs/{program}/cycles/{period}/reach")
def read_reach(program: str, period: str, session: SessionDep, _actor: ActorDep) -> list[dict[str, Any]]:
    """Return a cycle's reach by region, area and recipient's sex."""
    from sijill.social.reports import program_reach

    return program_reach(session=session, program=program, period=period)
