"""`/v1/me`: a resident signs in with a one-time code, reads who accessed their record, locks
and unlocks authentication, and issues or revokes virtual IDs."""

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field, field_validator
from sqlalchemy.orm import Session

from sijill.api.deps import AuditDep, ServicesDep, SessionDep, resident
from sijill.api.schemas import ErrorRead, Strict, check_number
from sijill.db.base import utcnow
from sijill.identity import (
    ALL_OPERATIONS,
    LOCKABLE,
    PERPETUAL,
    RESIDENT_TOKEN,
    UIN_DIGITS,
    InvalidRequest,
    Unauthenticated,
    Vid,
    accesses_of,
    issue_vid,
    lock,
    locks_of,
    redeem_code,
    request_code,
    revoke_vid,
    sign_token,
    subject_by_uin,
    unlock,
    vid_problem,
    vid_state,
    vid_usable,
    vids_of,
)

router = APIRouter(
    prefix="/v1/me",
    tags=["residents"],
    responses={401: {"model": ErrorRead, "description": "No valid resident session"}},
)
Lockable = Literal["verify", "persons", "tokens", "registry.search", "*"]
assert set(Lockable.__args__) == {*LOCKABLE, ALL_OPERATIONS}  # type: ignore[attr-defined]


class CodeCreate(Strict):
    """The UIN or VID of the resident asking for a code."""

    id: str = Field(min_length=10, max_length=16, description="A UIN (10 digits) or a VID (16 digits)")

    @field_validator("id")
    @classmethod
    def _number(cls, value: str) -> str:
        return check_number(value, vid_allowed=True)


class SessionCreate(CodeCreate):
    """The code received, to open a session."""

    code: str = Field(pattern=r"^[0-9]{6}$", description="The 6 digits received")


class CodeSent(BaseModel):
    """The same answer whether or not the number is a resident's."""

    detail: str


class SessionRead(BaseModel):
    """A resident session (Bearer token for the other `/v1/me` calls)."""

    access_token: str
    token_type: str
    expires_in: int


class AccessRead(BaseModel):
    """One call touching the resident's record."""

    seq: int
    at: datetime
    actor: str
    agency: str | None
    purpose: str | None
    operation: str
    fields: list[str]
    outcome: str


class LockRead(BaseModel):
    """An operation the resident locked ('*': all of them)."""

    operation: str
    locked_at: datetime


class VidCreate(Strict):
    """The kind of VID wanted; a temporary one may name its life and number of uses."""

    kind: Literal["perpetual", "temporary"]
    minutes: int | None = Field(default=None, ge=1, le=24 * 60)
    uses: int | None = Field(default=None, ge=1, le=10)


class VidRead(BaseModel):
    """A VID of the resident and its state."""

    vid: str
    kind: str
    state: str
    issued_at: datetime
    expires_at: datetime | None
    uses_left: int | None


def _vid_read(vid: Vid) -> VidRead:
    return VidRead(
        vid=vid.vid,
        kind=vid.kind,
        state=vid_state(vid),
        issued_at=vid.issued_at,
        expires_at=vid.expires_at,
        uses_left=vid.uses_left,
    )


def _resident_uin(session: Session, number: str) -> str | None:
    """Return the current UIN behind a resident's UIN or VID (no use of a VID is spent)."""
    if len(number) != UIN_DIGITS:
        vid = session.get(Vid, number)
        if vid is None or not vid_usable(vid, now=utcnow()):
            return None
        number = vid.uin
    subject = subject_by_uin(session=session, uin=number, operation="me")
    return None if subject is None else subject.uin


@router.post("/codes", status_code=202, summary="Ask for a one-time code")
def ask_code(body: CodeCreate, session: SessionDep, services: ServicesDep, audit: AuditDep) -> CodeSent:
    """Send a code to the resident holding this UIN or VID through the notifier."""
    audit.operation, audit.actor = "me.codes", "resident"
    uin = _resident_uin(session, body.id)
    if uin is not None:
        audit.uin = uin
        request_code(session=session, uin=uin, notifier=services.notifier)
    return CodeSent(detail="if this number is a resident's, a code was sent to them")


@router.post("/sessions", summary="Open a resident session with the code received")
def open_session(
    body: SessionCreate, session: SessionDep, services: ServicesDep, audit: AuditDep
) -> SessionRead:
    """Exchange a one-time code for a short-lived resident session."""
    audit.operation, audit.actor = "me.sessions", "resident"
    uin = _resident_uin(session, body.id)
    if uin is None or not redeem_code(session=session, uin=uin, code=body.code):
        session.commit()  # the failed try counts even though the call fails
        raise Unauthenticated("wrong or expired code")
    audit.uin = uin
    ttl = services.settings.resident_session_seconds
    token = sign_token(key=services.resident_key, kind=RESIDENT_TOKEN, claims={"u": uin}, ttl_seconds=ttl)
    return SessionRead(access_token=token, token_type="bearer", expires_in=ttl)


@router.get("/accesses", summary="Every call that touched my record, newest first")
def my_accesses(
    uin: Annotated[str, Depends(resident("me.accesses"))],
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    before: Annotated[int | None, Query(ge=1, description="Entries older than this seq")] = None,
) -> list[AccessRead]:
    """Return who accessed the record: agency, purpose, operation, fields returned, time."""
    return [
        AccessRead(
            seq=e.seq,
            at=e.at,
            actor=e.actor,
            agency=e.agency,
            purpose=e.purpose,
            operation=e.operation,
            fields=list(e.fields),
            outcome=e.outcome,
        )
        for e in accesses_of(session=session, uin=uin, limit=limit, before=before)
    ]


@router.get("/locks", summary="My locks")
def my_locks(uin: Annotated[str, Depends(resident("me.locks"))], session: SessionDep) -> list[LockRead]:
    """Return the operations locked on my record."""
    return [
        LockRead(operation=x.operation, locked_at=x.locked_at) for x in locks_of(session=session, uin=uin)
    ]


@router.put("/locks/{operation}", summary="Lock an operation ('*': all)")
def lock_operation(
    operation: Annotated[Lockable, Path()],
    uin: Annotated[str, Depends(resident("me.lock"))],
    session: SessionDep,
) -> list[LockRead]:
    """Refuse this operation on my record until I unlock it."""
    lock(session=session, uin=uin, operation=operation, by="resident")
    return my_locks(uin, session)


@router.delete("/locks/{operation}", summary="Unlock an operation")
def unlock_operation(
    operation: Annotated[Lockable, Path()],
    uin: Annotated[str, Depends(resident("me.unlock"))],
    session: SessionDep,
) -> list[LockRead]:
    """Allow this operation on my record again."""
    unlock(session=session, uin=uin, operation=operation)
    return my_locks(uin, session)


@router.get("/vids", summary="My VIDs")
def my_vids(uin: Annotated[str, Depends(resident("me.vids"))], session: SessionDep) -> list[VidRead]:
    """Return my VIDs and their state."""
    return [_vid_read(v) for v in vids_of(session=session, uin=uin)]


@router.post(
    "/vids",
    status_code=201,
    summary="Issue a VID",
    responses={409: {"model": ErrorRead, "description": "An active perpetual VID exists"}},
)
def new_vid(
    body: VidCreate, uin: Annotated[str, Depends(resident("me.vid_issue"))], session: SessionDep
) -> VidRead:
    """Issue a perpetual VID (one at a time) or a temporary one."""
    minutes, uses = (None, None) if body.kind == PERPETUAL else (body.minutes, body.uses)
    if body.kind == PERPETUAL and (body.minutes is not None or body.uses is not None):
        raise InvalidRequest("a perpetual VID has no minutes and no uses")
    vid = issue_vid(
        session=session, uin=uin, kind=body.kind, issued_by="resident", minutes=minutes, uses=uses
    )
    session.flush()
    return _vid_read(vid)


@router.delete("/vids/{vid}", status_code=204, summary="Revoke a VID")
def drop_vid(
    vid: Annotated[str, Path(min_length=16, max_length=16, pattern=r"^[0-9]{16}$")],
    uin: Annotated[str, Depends(resident("me.vid_revoke"))],
    session: SessionDep,
) -> None:
    """Revoke one of my VIDs; it stops working at once."""
    problem = vid_problem(vid)
    if problem:
        raise InvalidRequest(f"vid: {problem}")
    revoke_vid(session=session, vid=vid, uin=uin)
