"""Find persons by UIN, source id, or name in either script, with the linker's tolerance.

Names are found through their loose phonetic keys (`sijill.names.loose_key`, shared by both
scripts: "El Alaoui" and "العلوي" have one key), as blocking finds candidate pairs; a key
one edit away is tolerated on one of the two names, as the linker's "one edit" level does.
Candidates are then ranked by `sijill.names.similarity`, with the spellings the register
has learnt. The keys of every record are kept in the `name_key` table, indexed as records
arrive (`refresh_name_index`: only records not indexed yet, so it is cheap after a build).
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import product

from rapidfuzz.distance import Levenshtein
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from sijill.db.bulk import bulk_insert
from sijill.names import loose_key, similarity
from sijill.register.models import Link, Person
from sijill.sources.models import ACCEPTED, SUPERSEDED, SourceRecord
from sijill.web.models import NameKey

_UIN = re.compile(r"^\d{10}$")
_SOURCE_REF = re.compile(r"^(civil|cnie|massar|cnss|ramed):(.+)$", re.IGNORECASE)
KEY_EDITS = 1
MIN_SIMILARITY = 0.7
MAX_CANDIDATES = 5000
_CHUNK = 20_000


@dataclass(frozen=True)
class Hit:
    """A person found, how, and how closely the name matches (1 for an identifier)."""

    person: Person
    matched_by: str
    score: float


def _keys_of(record: tuple[int, str | None, str | None, str | None, str | None]) -> set[tuple[str, str]]:
    _, family_ar, given_ar, family_lat, given_lat = record
    families = {loose_key(n) for n in (family_ar, family_lat) if n}
    givens = {loose_key(n) for n in (given_ar, given_lat) if n}
    return {(f[:64], g[:64]) for f, g in product(families, givens) if f and g}


def refresh_name_index(*, session: Session) -> int:
    """Index the name keys of every accepted record not indexed yet; return how many records."""
    done = session.scalar(select(func.coalesce(func.max(NameKey.record_id), 0))) or 0
    stmt = (
        select(
            SourceRecord.id,
            SourceRecord.family_ar,
            SourceRecord.given_ar,
            SourceRecord.family_lat,
            SourceRecord.given_lat,
        )
        .where(SourceRecord.id > done, SourceRecord.status == ACCEPTED)
        .order_by(SourceRecord.id)
    )
    indexed, rows = 0, list[dict[str, object]]()
    for record in session.execute(stmt).yield_per(_CHUNK):
        keys = _keys_of(tuple(record))  # type: ignore[arg-type]
        rows.extend({"record_id": record[0], "family_key": f, "given_key": g} for f, g in keys)
        indexed += 1
        if len(rows) >= _CHUNK:
            bulk_insert(session, NameKey.__table__, rows)
            rows = []
    bulk_insert(session, NameKey.__table__, rows)
    return indexed


def unindexed_records(*, session: Session) -> int:
    """Return how many accepted records the name index does not hold yet."""
    done = session.scalar(select(func.coalesce(func.max(NameKey.record_id), 0))) or 0
    stmt = select(func.count()).where(SourceRecord.id > done, SourceRecord.status == ACCEPTED)
    return int(session.scalar(stmt) or 0)


def _persons_of_records(session: Session, record_ids: Iterable[int]) -> dict[int, Person]:
    ids = list(record_ids)
    found: dict[int, Person] = {}
    for i in range(0, len(ids), 5000):
        stmt = (
            select(Link.source_record_id, Person)
            .join(Person, Person.id == Link.person_id)
            .join(SourceRecord, SourceRecord.id == Link.source_record_id)
            .where(Link.source_record_id.in_(ids[i : i + 5000]), SourceRecord.status != SUPERSEDED)
        )
        found.update({rid: person for rid, person in session.execute(stmt)})
    return found


def _by_uin(session: Session, uin: str) -> list[Hit]:
    from sijill.register.service import get_person_by_uin

    person = get_person_by_uin(session=session, uin=uin)
    return [Hit(person, "uin", 1.0)] if person is not None else []


def _by_source_id(session: Session, query: str) -> list[Hit]:
    ref = _SOURCE_REF.match(query)
    stmt = select(SourceRecord.id, SourceRecord.source).where(SourceRecord.status != SUPERSEDED)
    if ref:
        stmt = stmt.where(SourceRecord.source == ref.group(1).lower(), SourceRecord.source_id == ref.group(2))
    else:
        stmt = stmt.where(SourceRecord.source_id.in_({query, query.upper()}))
    found = {rid: source for rid, source in session.execute(stmt.limit(50))}
    persons = _persons_of_records(session, found)
    hits: dict[int, Hit] = {}
    for rid, person in persons.items():
        hits.setdefault(person.id, Hit(person, f"source:{found[rid]}", 1.0))
    return list(hits.values())


def _splits(words: list[str]) -> list[tuple[str, str]]:
    """Return the (family, given) readings of a name: each cut of the words, either way round."""
    cuts = [(" ".join(words[:k]), " ".join(words[k:])) for k in range(1, len(words))]
    return [*cuts, *((g, f) for f, g in cuts)]


def _candidates(session: Session, words: list[str]) -> set[int]:
    """Return ids of records whose name keys match the query, one edit tolerated on one name."""
    found: set[int] = set()
    if len(words) == 1:
        key = loose_key(words[0])
        if key:
            stmt = select(NameKey.record_id).where(or_(NameKey.family_key == key, NameKey.given_key == key))
            found.update(session.scalars(stmt.limit(MAX_CANDIDATES)))
        return found
    for family, given in _splits(words):
        fk, gk = loose_key(family), loose_key(given)
        if not fk or not gk:
            continue
        for column, fixed, other, other_key in (
            (NameKey.family_key, fk, NameKey.given_key, gk),
            (NameKey.given_key, gk, NameKey.family_key, fk),
        ):
            near = select(NameKey.record_id, other).where(column == fixed).limit(MAX_CANDIDATES)
            found.update(
                rid for rid, key in session.execute(near) if Levenshtein.distance(key, other_key) <= KEY_EDITS
            )
    return found


def _full_names(person: Person, words: int) -> list[str]:
    """Return the forms of a person's name to compare with a query of this many words."""
    if words == 1:
        parts = (person.family_ar, person.given_ar, person.family_lat, person.given_lat)
        return [p for p in parts if p]
    names = [
        f"{person.given_ar or ''} {person.family_ar or ''}",
        f"{person.given_lat or ''} {person.family_lat or ''}",
    ]
    return [n.strip() for n in names if n.strip()]


def _by_name(session: Session, query: str, limit: int) -> list[Hit]:
    from sijill.linkage import load_spellings

    words = query.split()
    persons = _persons_of_records(session, _candidates(session, words))
    spellings = load_spellings(session=session)
    best: dict[int, Hit] = {}
    for person in persons.values():
        score = max(
            (similarity(query, n, spellings=spellings) for n in _full_names(person, len(words))), default=0.0
        )
        if score >= MIN_SIMILARITY and (person.id not in best or score > best[person.id].score):
            best[person.id] = Hit(person, "name", score)
    return sorted(best.values(), key=lambda h: (-h.score, h.person.id))[:limit]


def search_persons(*, session: Session, query: str, limit: int = 25) -> list[Hit]:
    """Return the persons a query names: a UIN, `source:id` or a bare source id, or a name."""
    query = " ".join(query.split())
    if not query:
        return []
    if _UIN.match(query):
        return _by_uin(session, query)
    if _SOURCE_REF.match(query) or (any(c.isdigit() for c in query) and " " not in query):
        return _by_source_id(session, query)
    return _by_name(session, query, limit)
