"""Virtual IDs: 16 digits with a Verhoeff check digit, standing for a UIN in verify and eKYC.

As MOSIP's VID policy: a perpetual VID lasts until revoked, and a resident holds at most one
active (a partial unique index enforces it); a temporary VID expires after a while and a
number of uses. A VID is never accepted for de-duplication, resolution or sector tokens, so
that it cannot become another permanent identifier.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sijill.db.base import utcnow
from sijill.identity.errors import Conflict, InvalidRequest, UnknownSubject
from sijill.identity.models import ACTIVE, PERPETUAL, REVOKED, TEMPORARY, Vid
from sijill.identity.persons import VID_DIGITS, vid_usable
from sijill.uin import verhoeff_digit, verhoeff_valid


@dataclass(frozen=True)
class VidPolicy:
    """Bounds of temporary VIDs: default and longest lifetime, default and largest number of uses."""

    temporary_minutes: int = 30
    max_temporary_minutes: int = 24 * 60
    temporary_uses: int = 1
    max_temporary_uses: int = 10


VID_POLICY = VidPolicy()


def new_vid() -> str:
    """Draw a VID: 15 digits from the OS's CSPRNG (the first never 0), then the Verhoeff digit."""
    body = str(secrets.randbelow(9 * 10**14) + 10**14)
    return body + verhoeff_digit(body)


def vid_problem(number: str) -> str | None:
    """Return why a number is not a well-formed VID, or None."""
    if len(number) != VID_DIGITS or not number.isdigit():
        return f"a VID has {VID_DIGITS} digits"
    if not verhoeff_valid(number):
        return "the check digit of the VID does not match (a digit is wrong or two are swapped)"
    return None


def issue_vid(
    *,
    session: Session,
    uin: str,
    kind: str,
    issued_by: str,
    minutes: int | None = None,
    uses: int | None = None,
    policy: VidPolicy = VID_POLICY,
) -> Vid:
    """Issue a VID for a person's UIN; refuse a second active perpetual VID."""
    expires_at, uses_left = _bounds(kind, minutes, uses, policy)
    if kind == PERPETUAL and _active_perpetual(session=session, uin=uin) is not None:
        raise Conflict("this resident already holds an active perpetual VID: revoke it first")
    for _ in range(5):
        vid = Vid(
            vid=new_vid(), uin=uin, kind=kind, issued_by=issued_by, expires_at=expires_at, uses_left=uses_left
        )
        try:
            with session.begin_nested():
                session.add(vid)
            return vid
        except IntegrityError:
            if kind == PERPETUAL and _active_perpetual(session=session, uin=uin) is not None:
                raise Conflict(
                    "this resident already holds an active perpetual VID: revoke it first"
                ) from None
    raise Conflict("could not draw an unused VID; try again")  # 5 collisions in 9 * 10^14: never


def _bounds(
    kind: str, minutes: int | None, uses: int | None, policy: VidPolicy
) -> tuple[datetime | None, int | None]:
    if kind == PERPETUAL:
        if minutes is not None or uses is not None:
            raise InvalidRequest("a perpetual VID has no expiry and no limit of uses")
        return None, None
    if kind != TEMPORARY:
        raise InvalidRequest(f"kind must be {PERPETUAL} or {TEMPORARY}")
    minutes = policy.temporary_minutes if minutes is None else minutes
    uses = policy.temporary_uses if uses is None else uses
    if not 1 <= minutes <= policy.max_temporary_minutes:
        raise InvalidRequest(f"a temporary VID lives 1 to {policy.max_temporary_minutes} minutes")
    if not 1 <= uses <= policy.max_temporary_uses:
        raise InvalidRequest(f"a temporary VID allows 1 to {policy.max_temporary_uses} uses")
    return utcnow() + timedelta(minutes=minutes), uses


def _active_perpetual(*, session: Session, uin: str) -> Vid | None:
    stmt = select(Vid).where(Vid.uin == uin, Vid.kind == PERPETUAL, Vid.status == ACTIVE)
    return session.scalar(stmt)


def revoke_vid(*, session: Session, vid: str, uin: str | None = None) -> None:
    """Revoke a VID (only one of this UIN's, when a UIN is given)."""
    stmt = update(Vid).where(Vid.vid == vid, Vid.status == ACTIVE)
    if uin is not None:
        stmt = stmt.where(Vid.uin == uin)
    result = session.execute(stmt.values(status=REVOKED, revoked_at=utcnow()))
    if not result.rowcount:  # type: ignore[attr-defined]
        raise UnknownSubject("no active VID with this number")


def vids_of(*, session: Session, uin: str) -> list[Vid]:
    """Return the VIDs of a UIN, newest first, with their state as of now."""
    stmt = select(Vid).where(Vid.uin == uin).order_by(Vid.issued_at.desc(), Vid.vid)
    return list(session.scalars(stmt))


def vid_state(vid: Vid, *, now: datetime | None = None) -> str:
    """Return active, revoked, used or expired."""
    if vid.status != ACTIVE or vid_usable(vid, now=now or utcnow()):
        return vid.status
    return "expired"
