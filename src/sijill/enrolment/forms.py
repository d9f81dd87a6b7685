"""The enrolment form: the person's particulars as the operator wrote them, and the evidence.

The form becomes a row of the `enrol` source (`sources.ENROLMENT_FORMAT`), read by the same
parser as the registries' extracts, so that an enrolment's record is normalised, checked and
compared exactly like any other source record.
"""

import base64
import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import orjson

from sijill.enrolment.errors import EnrolmentRefused
from sijill.enrolment.evidence import Evidence, evidence_from_json
from sijill.sources import ENROLMENT_FORMAT, ParsedRow, parse_row

# The particulars of a form, and the column of the `enrol` source each one is written to.
RAW_COLUMNS = {
    "family_ar": "nom_ar",
    "given_ar": "prenom_ar",
    "family_lat": "nom_fr",
    "given_lat": "prenom_fr",
    "sex": "sexe",
    "birth_date": "date_naissance",
    "birth_place": "lieu_naissance",
    "commune": "commune",
    "father_given_ar": "prenom_pere_ar",
}
PERSON_FIELDS = tuple(RAW_COLUMNS)
NUMBER_PREFIX = "ENR"


@dataclass(frozen=True)
class EnrolmentForm:
    """One person to enrol: particulars (`PERSON_FIELDS`), evidence, who enrolled and when.

    Example:
        >>> form = EnrolmentForm({"family_lat": "alaoui", "given_lat": "amina",
        ...     "sex": "F", "birth_date": "2001-04-09"}, operator="agent-12")
        >>> raw_row(form, "ENR0123456789ABCDEF")["prenom_fr"]
        'amina'
    """

    person: dict[str, str]
    operator: str
    evidence: Evidence = field(default_factory=Evidence)
    enrolled_at: datetime | None = None
    client_id: str | None = None


def raw_row(form: EnrolmentForm, number: str) -> dict[str, str]:
    """Return the form as a row of the `enrol` source, its CNIE (if shown) as the card."""
    row = {ENROLMENT_FORMAT.id_column: number}
    row.update({column: (form.person.get(name) or "").strip() for name, column in RAW_COLUMNS.items()})
    row["cnie"] = form.evidence.card or ""
    return row


def parsed_record(form: EnrolmentForm, number: str, *, today: date) -> ParsedRow:
    """Parse the form as a source record; EnrolmentRefused says why it cannot be used."""
    parsed = parse_row(raw_row(form, number), ENROLMENT_FORMAT, today=today)
    if parsed.reason:
        raise EnrolmentRefused(f"the form cannot be used: {parsed.reason}")
    return parsed


def desk_number() -> str:
    """Draw the number of an enrolment made at a desk (random)."""
    return NUMBER_PREFIX + secrets.token_hex(8).upper()


def entry_number(device: str, client_id: str) -> str:
    """Return the number of a device's entry: the same for every sync of it, on every server."""
    digest = hashlib.sha256(f"{device}\x1f{client_id}".encode()).hexdigest()
    return NUMBER_PREFIX + digest[:16].upper()


def form_as_json(form: EnrolmentForm) -> dict[str, Any]:
    """Return a form as an entry of a JSON bundle."""
    entry: dict[str, Any] = {
        "client_id": form.client_id,
        "operator": form.operator,
        "person": {k: v for k, v in form.person.items() if v},
        "evidence": form.evidence.as_json(),
    }
    if form.enrolled_at is not None:
        entry["enrolled_at"] = form.enrolled_at.isoformat()
    return entry


def form_from_json(entry: Any) -> EnrolmentForm:
    """Read a form from a bundle's entry; EnrolmentRefused names what is malformed."""
    if not isinstance(entry, dict):
        raise EnrolmentRefused("the entry is not an object")
    person = entry.get("person") or {}
    if not isinstance(person, dict) or not all(isinstance(v, str) for v in person.values()):
        raise EnrolmentRefused("person: expected an object of text fields")
    unknown = sorted(set(person) - set(PERSON_FIELDS))
    if unknown:
        raise EnrolmentRefused(f"person: unknown fields {', '.join(unknown)}")
    operator, client_id = entry.get("operator"), entry.get("client_id")
    if not isinstance(operator, str) or not operator.strip():
        raise EnrolmentRefused("no operator")
    if client_id is not None and not isinstance(client_id, str):
        raise EnrolmentRefused("client_id: expected text")
    return EnrolmentForm(
        person={k: str(v) for k, v in person.items()},
        operator=operator.strip(),
        evidence=evidence_from_json(entry.get("evidence")),
        enrolled_at=_moment(entry.get("enrolled_at")),
        client_id=client_id,
    )


def _moment(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        raise EnrolmentRefused("enrolled_at: not an ISO 8601 date and time") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def entry_digest(entry: Any) -> str:
    """Return the base64 SHA-256 of an entry's canonical JSON: what the ledger compares."""
    canonical = orjson.dumps(entry, option=orjson.OPT_SORT_KEYS)
    return base64.b64encode(hashlib.sha256(canonical).digest()).decode()
