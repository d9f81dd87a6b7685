"""The evidence an operator saw: documents (type and number), witnesses and parents by UIN.

Evidence is kept with the enrolment as seen; a CNIE among the documents is also the card
number of the enrolment's record, so that linkage compares it. A witness or a parent must be
a person the register holds and who is alive: an operator can act on "witness 2: no person
holds this UIN", not on an enrolment quietly resting on nobody.
"""

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from sijill.enrolment.errors import EnrolmentRefused
from sijill.register.models import PERSON_ACTIVE, RELATION_FATHER, RELATION_MOTHER, Person, PersonRelation
from sijill.uin import uin_problem
from sijill.uin.service import holder_of

DOCUMENT_TYPES = ("cnie", "birth_certificate", "passport", "residence_card", "family_book", "other")
CARD_DOCUMENT = "cnie"
PARENT_ROLES = ("mother", "father", "guardian")
DOCUMENT_NUMBER_LIMIT = 32


@dataclass(frozen=True)
class Document:
    """A document shown: its type (`DOCUMENT_TYPES`) and number."""

    type: str
    number: str


@dataclass(frozen=True)
class Parent:
    """A parent (or guardian) of the person enrolled, by UIN."""

    uin: str
    role: str


@dataclass(frozen=True)
class Evidence:
    """Everything the operator saw to enrol a person."""

    documents: tuple[Document, ...] = ()
    witnesses: tuple[str, ...] = ()
    parents: tuple[Parent, ...] = ()

    def as_json(self) -> dict[str, Any]:
        """Return the evidence as the JSON kept with the enrolment and carried by bundles."""
        return {
            "documents": [{"type": d.type, "number": d.number} for d in self.documents],
            "witnesses": list(self.witnesses),
            "parents": [{"uin": p.uin, "role": p.role} for p in self.parents],
        }

    @property
    def card(self) -> str | None:
        """The number of the first CNIE shown, or None."""
        return next((d.number for d in self.documents if d.type == CARD_DOCUMENT), None)


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise EnrolmentRefused(f"{what}: expected text")
    return value.strip()


def _items(data: dict[str, Any], key: str) -> list[Any]:
    value = data.get(key) or []
    if not isinstance(value, list):
        raise EnrolmentRefused(f"evidence: {key} must be a list")
    return value


def _mapping(item: Any, what: str) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise EnrolmentRefused(f"{what}: expected an object")
    return item


def evidence_from_json(data: Any) -> Evidence:
    """Read evidence from its JSON form; EnrolmentRefused names what is malformed."""
    data = _mapping(data if data is not None else {}, "evidence")
    documents = tuple(
        Document(_text(d.get("type"), f"document {i}: type"), _text(d.get("number"), f"document {i}: number"))
        for i, d in enumerate((_mapping(x, "document") for x in _items(data, "documents")), 1)
    )
    witnesses = tuple(_text(w, f"witness {i}") for i, w in enumerate(_items(data, "witnesses"), 1))
    parents = tuple(
        Parent(_text(p.get("uin"), f"parent {i}: uin"), _text(p.get("role"), f"parent {i}: role"))
        for i, p in enumerate((_mapping(x, "parent") for x in _items(data, "parents")), 1)
    )
    return Evidence(documents, witnesses, parents)


def _document_problems(evidence: Evidence) -> list[str]:
    problems = []
    for i, doc in enumerate(evidence.documents, 1):
        if doc.type not in DOCUMENT_TYPES:
            problems.append(f"document {i}: unknown type {doc.type!r} (one of {', '.join(DOCUMENT_TYPES)})")
        if not doc.number:
            problems.append(f"document {i}: no number")
        elif len(doc.number) > DOCUMENT_NUMBER_LIMIT:
            problems.append(f"document {i}: number longer than {DOCUMENT_NUMBER_LIMIT} characters")
    return problems


def _person_problem(session: Session, uin: str) -> str | None:
    """Return why a UIN cannot vouch for an enrolment, or None when it can."""
    problem = uin_problem(uin)
    if problem:
        return problem
    person_id = holder_of(session=session, uin=uin)
    person = session.get(Person, person_id) if person_id is not None else None
    if person is None:
        return "no person holds this UIN"
    if person.status != PERSON_ACTIVE:
        return f"the person holding this UIN is {person.status}"
    return None


def _people_problems(session: Session, evidence: Evidence) -> list[str]:
    problems = []
    if len(set(evidence.witnesses)) < len(evidence.witnesses):
        problems.append("the same witness is named twice")
    for i, uin in enumerate(evidence.witnesses, 1):
        if problem := _person_problem(session, uin):
            problems.append(f"witness {i}: {problem}")
    roles = [p.role for p in evidence.parents if p.role != "guardian"]
    if len(set(roles)) < len(roles):
        problems.append("a mother or father is named twice")
    for i, parent in enumerate(evidence.parents, 1):
        if parent.role not in PARENT_ROLES:
            problems.append(f"parent {i}: unknown role {parent.role!r} (one of {', '.join(PARENT_ROLES)})")
        if problem := _person_problem(session, parent.uin):
            problems.append(f"parent {i}: {problem}")
    return problems


def record_parents(*, session: Session, person_id: int, evidence: Evidence) -> int:
    """Record the mother and father named by the evidence as the new person's parents."""
    written = 0
    for parent in evidence.parents:
        relative = holder_of(session=session, uin=parent.uin)
        if parent.role in (RELATION_MOTHER, RELATION_FATHER) and relative is not None:
            session.add(PersonRelation(person_id=person_id, relation=parent.role, relative_id=relative))
            written += 1
    session.flush()
    return written


def evidence_problems(*, session: Session, evidence: Evidence) -> list[str]:
    """Return what makes this evidence unusable (document types, witnesses, parents); [] when none."""
    return _document_problems(evidence) + _people_problems(session, evidence)
