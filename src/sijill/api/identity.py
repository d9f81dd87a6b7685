"""`/v1/verify`, `/v1/resolve`, `/v1/persons/{uin}`, `/v1/tokens`: the agencies' operations."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from sqlalchemy.orm import Session

from sijill.api.audit import AuditDraft
from sijill.api.deps import AgencyCall, SessionDep, require
from sijill.api.runtime import Services
from sijill.api.schemas import (
    ERRORS,
    NOT_FOUND,
    PersonRead,
    ResolveCreate,
    ResolveRead,
    TokenCreate,
    TokenRead,
    VerifyCreate,
    VerifyRead,
    check_number,
)
from sijill.identity import (
    Claims,
    InvalidRequest,
    OutsidePolicy,
    UnknownSubject,
    claims_match,
    ekyc_view,
    identify,
    record_names,
    sector_secret,
    sector_token_with,
    subject_by_uin,
)
from sijill.register import resolve_source_id

router = APIRouter(prefix="/v1", tags=["identity"], responses=ERRORS)


def sector_key(services: Services, session: Session, sector: str) -> bytes:
    """Return a sector's key, read once per process."""
    key = services.sector_keys.get(sector)
    if key is None:
        key = services.sector_keys[sector] = sector_secret(session=session, sector=sector)
    return key


@router.post("/verify", summary="Check claims about a person: yes or no")
async def verify(body: VerifyCreate, call: Annotated[AgencyCall, Depends(require("verify"))]) -> VerifyRead:
    """Answer whether every claim made is true of the person holding this UIN or VID.

    Names are compared across scripts and the spellings of the person's registries; dates
    and sex strictly. An unknown, locked or deceased person, or a spent VID, is a mismatch.
    """
    return await call.services.run(lambda: _verify(call.services, body, call.audit))


def _verify(services: Services, body: VerifyCreate, audit: AuditDraft) -> VerifyRead:
    with services.connection() as connection:
        subject = identify(session=connection, number=body.uin, operation="verify")
        if subject is None:
            audit.outcome = "no_match"
            return VerifyRead(match=False)
        audit.uin, audit.via = subject.uin, subject.via
        if subject.locked or subject.deceased:
            audit.outcome = "locked" if subject.locked else "deceased"
            return VerifyRead(match=False)
        claims = Claims(body.family_name, body.given_name, body.date_of_birth, body.sex)
        match = claims_match(
            claims,
            family=[n for n in (subject.family_ar, subject.family_lat) if n],
            given=[n for n in (subject.given_ar, subject.given_lat) if n],
            birth_date=subject.birth_date,
            sex=subject.sex,
            more_names=lambda: record_names(session=connection, person_id=subject.person_id),
            spellings=services.spellings,
        )
    audit.outcome = "match" if match else "no_match"
    return VerifyRead(match=match)


@router.post(
    "/resolve",
    summary="The UIN or sector token behind the agency's own source id",
    response_model_exclude_none=True,
)
def resolve(
    body: ResolveCreate, call: Annotated[AgencyCall, Depends(require("resolve"))], session: SessionDep
) -> ResolveRead:
    """Return the UIN (when the policy allows the field) or the sector token of a source id."""
    grant, services, audit = call.grant, call.services, call.audit
    if body.source not in grant.sources:
        raise OutsidePolicy(body.source)
    uin = resolve_source_id(session=session, source=body.source, source_id=body.source_id)
    if uin is None:
        raise UnknownSubject("source id")
    audit.uin, audit.via = uin, "source"
    if "uin" in grant.fields:
        audit.fields = ("uin",)
        return ResolveRead(uin=uin)
    assert grant.sector is not None  # a policy allowing resolve names the uin field or a sector
    audit.fields = ("token",)
    return ResolveRead(token=sector_token_with(sector_key(services, session, grant.sector), uin))


@router.get(
    "/persons/{uin}",
    summary="eKYC: the fields the policy allows",
    response_model_exclude_unset=True,
    responses=NOT_FOUND,
)
async def person(
    uin: Annotated[str, Path(description="A UIN (10 digits) or a VID (16 digits)", max_length=16)],
    call: Annotated[AgencyCall, Depends(require("persons"))],
    fields: Annotated[
        list[str] | None, Query(description="Only these fields (each must be in the policy)", max_length=16)
    ] = None,
) -> PersonRead:
    """Return the person's allowed eKYC fields; a merged UIN resolves; deceased persons say so."""
    wanted = frozenset(fields) if fields else call.grant.fields
    if not wanted <= call.grant.fields:
        raise OutsidePolicy("fields")
    number = _number(uin, vid_allowed=True)
    return await call.services.run(lambda: _person(call.services, number, wanted, call.audit))


def _person(services: Services, number: str, wanted: frozenset[str], audit: AuditDraft) -> PersonRead:
    with services.connection() as connection:
        subject = identify(session=connection, number=number, operation="persons")
    if subject is None or subject.locked:
        if subject is not None:
            audit.uin, audit.via, audit.outcome = subject.uin, subject.via, "locked"
        raise UnknownSubject("person")
    audit.uin, audit.via = subject.uin, subject.via
    view = ekyc_view(subject, wanted)
    audit.fields = tuple(sorted(k for k in view if k != "deceased"))
    return PersonRead(**view)


@router.post("/tokens", summary="A sector token for a UIN", responses=NOT_FOUND)
def token(
    body: TokenCreate, call: Annotated[AgencyCall, Depends(require("tokens"))], session: SessionDep
) -> TokenRead:
    """Return the agency's sector token of a person (the same for an alias after a merge)."""
    grant, services, audit = call.grant, call.services, call.audit
    subject = subject_by_uin(session=session, uin=body.uin, operation="tokens")
    if subject is None or subject.locked:
        raise UnknownSubject("person")
    assert grant.sector is not None  # a policy allowing tokens names a sector
    audit.uin, audit.via, audit.fields = subject.uin, "uin", ("token",)
    return TokenRead(
        sector=grant.sector,
        token=sector_token_with(sector_key(services, session, grant.sector), subject.uin),
    )


def _number(value: str, *, vid_allowed: bool) -> str:
    try:
        return check_number(value, vid_allowed=vid_allowed)
    except ValueError as exc:
        raise InvalidRequest(f"uin: {exc}") from None
