"""Agencies, their policies and credentials: add, list, revoke, rotate, authenticate."""

from dataclasses import dataclass, field

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from sijill.db.base import utcnow
from sijill.identity.credentials import CREDENTIAL_PREFIX, new_credential, secret_matches, split_credential
from sijill.identity.errors import Conflict, InvalidRequest, UnknownSubject
from sijill.identity.models import ACTIVE, REVOKED, Agency, AgencyCredential, AgencyPolicy
from sijill.identity.policies import AgencyGrant, Policy

MAX_RATE = 100_000


@dataclass(frozen=True)
class IssuedCredential:
    """A credential just issued: shown once, never stored in clear."""

    agency: str
    purpose: str
    key_id: str
    credential: str


@dataclass
class AgencyView:
    """An agency as listed: status, rate and each policy with its active credentials."""

    name: str
    status: str
    rate_per_second: int
    policies: list[dict[str, object]] = field(default_factory=list)


def add_agency(
    *, session: Session, name: str, policy: Policy, rate_per_second: int = 100
) -> IssuedCredential:
    """Create an agency (or add a purpose to one) and issue the credential of that policy."""
    if not 1 <= rate_per_second <= MAX_RATE:
        raise InvalidRequest(f"--rate must be between 1 and {MAX_RATE} requests per second")
    agency = session.scalar(select(Agency).where(Agency.name == name))
    if agency is None:
        agency = Agency(name=name, rate_per_second=rate_per_second)
        session.add(agency)
        session.flush()
    elif agency.status != ACTIVE:
        raise Conflict(f"agency {name} is revoked: add it under a new name")
    elif _policy_of(session=session, agency_id=agency.id, purpose=policy.purpose) is not None:
        raise Conflict(
            f"agency {name} already has a policy for purpose {policy.purpose}: rotate its credential"
        )
    row = AgencyPolicy(
        agency_id=agency.id,
        purpose=policy.purpose,
        operations=list(policy.operations),
        fields=list(policy.fields),
        sources=list(policy.sources),
        sector=policy.sector,
    )
    session.add(row)
    session.flush()
    return _issue(session=session, agency=agency, policy=row)


def _policy_of(*, session: Session, agency_id: int, purpose: str) -> AgencyPolicy | None:
    stmt = select(AgencyPolicy).where(AgencyPolicy.agency_id == agency_id, AgencyPolicy.purpose == purpose)
    return session.scalar(stmt)


def _issue(*, session: Session, agency: Agency, policy: AgencyPolicy) -> IssuedCredential:
    drawn = new_credential()
    session.add(
        AgencyCredential(
            key_id=drawn.key_id, secret_hash=drawn.secret_hash, agency_id=agency.id, policy_id=policy.id
        )
    )
    session.flush()
    return IssuedCredential(agency.name, policy.purpose, drawn.key_id, drawn.credential)


def _agency(*, session: Session, name: str) -> Agency:
    agency = session.scalar(select(Agency).where(Agency.name == name))
    if agency is None:
        raise UnknownSubject(f"no agency named {name}: see `sijill agencies list`")
    return agency


def list_agencies(*, session: Session) -> list[AgencyView]:
    """Return every agency with its policies and the number of active credentials of each."""
    views: dict[int, AgencyView] = {}
    for agency in session.scalars(select(Agency).order_by(Agency.name)):
        views[agency.id] = AgencyView(agency.name, agency.status, agency.rate_per_second)
    active: dict[int, int] = {}
    for policy_id in session.scalars(
        select(AgencyCredential.policy_id).where(AgencyCredential.status == ACTIVE)
    ):
        active[policy_id] = active.get(policy_id, 0) + 1
    for p in session.scalars(select(AgencyPolicy).order_by(AgencyPolicy.purpose)):
        views[p.agency_id].policies.append(
            {
                "purpose": p.purpose,
                "operations": p.operations,
                "fields": p.fields,
                "sources": p.sources,
                "sector": p.sector,
                "active_credentials": active.get(p.id, 0),
            }
        )
    return list(views.values())


def revoke_agency(*, session: Session, name: str) -> int:
    """Revoke an agency and every credential of it; return how many credentials were active."""
    agency = _agency(session=session, name=name)
    now = utcnow()
    agency.status, agency.revoked_at = REVOKED, now
    result = session.execute(
        update(AgencyCredential)
        .where(AgencyCredential.agency_id == agency.id, AgencyCredential.status == ACTIVE)
        .values(status=REVOKED, revoked_at=now)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def rotate_credential(*, session: Session, name: str, purpose: str | None = None) -> IssuedCredential:
    """Revoke the active credentials of one policy of an agency and issue a new one."""
    agency = _agency(session=session, name=name)
    if agency.status != ACTIVE:
        raise Conflict(f"agency {name} is revoked")
    policies = list(session.scalars(select(AgencyPolicy).where(AgencyPolicy.agency_id == agency.id)))
    chosen = [p for p in policies if purpose is None or p.purpose == purpose]
    if len(chosen) != 1:
        purposes = ", ".join(sorted(p.purpose for p in policies))
        raise InvalidRequest(f"agency {name} has purposes {purposes}: name one with --purpose")
    session.execute(
        update(AgencyCredential)
        .where(AgencyCredential.policy_id == chosen[0].id, AgencyCredential.status == ACTIVE)
        .values(status=REVOKED, revoked_at=utcnow())
    )
    return _issue(session=session, agency=agency, policy=chosen[0])


def _grant_statement() -> Select[int, str, Agency, AgencyPolicy]:
    return (
        select(AgencyCredential.id, AgencyCredential.secret_hash, Agency, AgencyPolicy)
        .join(Agency, Agency.id == AgencyCredential.agency_id)
        .join(AgencyPolicy, AgencyPolicy.id == AgencyCredential.policy_id)
        .where(AgencyCredential.status == ACTIVE, Agency.status == ACTIVE)
    )


def _grant(credential_id: int, agency: Agency, policy: AgencyPolicy) -> AgencyGrant:
    return AgencyGrant(
        agency_id=agency.id,
        agency=agency.name,
        credential_id=credential_id,
        purpose=policy.purpose,
        operations=frozenset(policy.operations),
        fields=frozenset(policy.fields),
        sources=frozenset(policy.sources),
        sector=policy.sector,
        rate_per_second=agency.rate_per_second,
        sender_id=agency.sender_id,
        public_key=agency.public_key,
    )


def authenticate_credential(*, session: Session, credential: str) -> AgencyGrant | None:
    """Return the grant of an active credential of an active agency, None for anything else."""
    parts = split_credential(credential)
    if parts is None:
        return None
    key_id, secret = parts
    row = session.execute(_grant_statement().where(AgencyCredential.key_id == key_id)).first()
    if row is None or not secret_matches(secret, row.secret_hash):
        return None
    return _grant(row.id, row.Agency, row.AgencyPolicy)


def grant_of_credential(*, session: Session, credential_id: int) -> AgencyGrant | None:
    """Return the grant of a credential by its id while it and its agency are active."""
    row = session.execute(_grant_statement().where(AgencyCredential.id == credential_id)).first()
    return None if row is None else _grant(row.id, row.Agency, row.AgencyPolicy)


def set_agency_key(*, session: Session, name: str, sender_id: str, public_key: str) -> None:
    """Register the SPDCI sender id of an agency and the ed25519 public key of its messages."""
    from sijill.identity.envelope import public_key_of, raw_public_key

    agency = _agency(session=session, name=name)
    try:
        key = public_key_of(public_key)
    except ValueError as exc:
        raise InvalidRequest(f"--public-key: {exc} (give a PEM file or 32 bytes in base64)") from None
    if not 1 <= len(sender_id) <= 99:
        raise InvalidRequest("--sender-id has 1 to 99 characters")
    other = session.scalar(select(Agency.name).where(Agency.sender_id == sender_id, Agency.id != agency.id))
    if other is not None:
        raise Conflict(f"sender id {sender_id} is already agency {other}'s")
    agency.sender_id, agency.public_key = sender_id, raw_public_key(key)


def client_credential(*, client_id: str, client_secret: str) -> str:
    """Return the credential an OAuth2 client (key id and secret) stands for."""
    return f"{CREDENTIAL_PREFIX}{client_id}_{client_secret}"
