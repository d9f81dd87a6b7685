"""HTTP endpoints of the social register: a thin FastAPI router over the facade.

Mounted by `sijill serve` (`sijill.api.app.ROUTERS`) under `/v1/social`, behind the API's
agency authentication: each endpoint names the operation an agency's policy must allow
(`households.read`, `households.write`, `programs.read`), and the API's one error handler
maps the social register's errors (404, 409 for a rule refused, 422 for invalid data). The
calling credential is the person of the four-eyes rules: the credential that requested a
change can never approve it.
"""

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, status
from pydantic import BaseModel, ConfigDict, Field

from sijill.api.deps import AgencyCall, SessionDep, require

ReadCall = Annotated[AgencyCall, Depends(require("households.read"))]
WriteCall = Annotated[AgencyCall, Depends(require("households.write"))]
ProgramsCall = Annotated[AgencyCall, Depends(require("programs.read"))]


def actor_of(call: AgencyCall) -> str:
    """Return who is acting: the agency and its credential (four eyes compare them)."""
    return f"{call.grant.agency}#{call.grant.credential_id}"


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


router = APIRouter(prefix="/v1/social", tags=["social register"])


@router.get("/households/{household_id}")
def read_household(household_id: int, session: SessionDep, _call: ReadCall) -> dict[str, Any]:
    """Return a household: members, score explained, flags, entitlements, history."""
    from sijill.social.queries import household_view

    return household_view(session=session, household_id=household_id)


@router.get("/households/{household_id}/score")
def read_score(household_id: int, session: SessionDep, _call: ReadCall) -> dict[str, Any]:
    """Return a household's score explained term by term."""
    from sijill.social.scoring import explain_household

    return explain_household(session=session, household_id=household_id)


@router.get("/households/{household_id}/flags")
def read_flags(household_id: int, session: SessionDep, _call: ReadCall) -> list[dict[str, Any]]:
    """Return the cross-check flags of a household."""
    from sijill.social.queries import get_household, household_flags

    get_household(session=session, household_id=household_id)
    return household_flags(session=session, household_id=household_id)


@router.get("/households/{household_id}/entitlements")
def read_entitlements(household_id: int, session: SessionDep, _call: ReadCall) -> list[dict[str, Any]]:
    """Return a household's entitlements with their lines and payment status."""
    from sijill.social.queries import get_household, household_entitlements

    get_household(session=session, household_id=household_id)
    return household_entitlements(session=session, household_id=household_id)


@router.post("/households", status_code=status.HTTP_201_CREATED)
def create_household(body: HouseholdCreate, session: SessionDep, call: WriteCall) -> HouseholdCreated:
    """Register a household whose members are named by UIN (each must exist and be alive)."""
    from sijill.social.households import MemberDeclaration, register_household

    household = register_household(
        session=session,
        commune=body.commune,
        members=[MemberDeclaration(m.uin, m.relationship) for m in body.members],
        variables=body.variables,
        declared_on=body.declared_on or date.today(),
        by=actor_of(call),
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
def create_change(household_id: int, body: ChangeCreate, session: SessionDep, call: WriteCall) -> ChangeRead:
    """Request a change to a household; another must approve it."""
    from sijill.social.changes import request_change

    request = request_change(
        session=session, household_id=household_id, kind=body.kind, payload=body.payload, by=actor_of(call)
    )
    return _change_read(request)


@router.post("/changes/{request_id}/decision")
def decide(request_id: int, body: Decision, session: SessionDep, call: WriteCall) -> ChangeRead:
    """Approve or reject a change request; its requester cannot decide it."""
    from sijill.social.changes import decide_change

    request = decide_change(
        session=session, request_id=request_id, by=actor_of(call), approve=body.approve, note=body.note
    )
    return _change_read(request)


@router.get("/programs")
def read_programs(_call: ProgramsCall) -> list[dict[str, Any]]:
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
def read_cycles(period: str, session: SessionDep, _call: ProgramsCall) -> list[dict[str, Any]]:
    """Return the cycles of a period: state, totals, payments."""
    from sijill.social.cycles import cycles_of_period

    return cycles_of_period(session=session, period=period)


@router.get("/programs/{program}/cycles/{period}/reach")
def read_reach(program: str, period: str, session: SessionDep, _call: ProgramsCall) -> list[dict[str, Any]]:
    """Return a cycle's reach by region, area and recipient's sex."""
    from sijill.social.reports import program_reach

    return program_reach(session=session, program=program, period=period)
