"""Give each cluster of records a person and a UIN, keeping every existing UIN stable.

A cluster whose records already belong to one person keeps that person. A record that is a
new version of a held one claims the person of the version it replaces, unless its content
is evidence of another person (`versions.is_another_person`). A cluster that joins
records of several persons merges them: the oldest person survives, the others' UINs become
its aliases. A person whose records fall into several clusters is split: the cluster holding
most of its records keeps it, the others get new persons and new UINs. A person left with no
accepted record is retired, its UIN with it (never reissued). All of it is written to the
history. Ties are broken on the records' order (source, source id), never on database ids.
"""

import logging
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, cast

import pandas as pd
from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from sijill.db.base import utcnow
from sijill.db.bulk import bulk_insert_tuples, db_timestamp, foreign_keys_checked_at_end, next_ids
from sijill.history import record_events
from sijill.linkage import LinkResult
from sijill.outbox import EVENT_MERGE, publish_many
from sijill.register.golden import GOLDEN_FIELDS, golden_rows, goldens_of, in_content_order
from sijill.register.models import PERSON_ACTIVE, PERSON_DECEASED, PERSON_MERGED, PERSON_RETIRED, Link, Person
from sijill.register.person_versions import BY_BUILD, record_current_versions, record_versions
from sijill.register.versions import is_another_person
from sijill.sources import ACCEPTED, NAME_FIELDS, SourceRecord
from sijill.uin.service import alias_uins, issue_uins, retire_uins, store_uins

logger = logging.getLogger(__name__)
_CHUNK = 5000


@dataclass
class AssignOutcome:
    """Counts of what the assignment did."""

    persons_created: int = 0
    persons_merged: int = 0
    persons_split: int = 0
    persons_retired: int = 0
    persons_touched: int = 0
    links_written: int = 0
    links_by_method: dict[str, int] = field(default_factory=dict)


def current_links(*, session: Session) -> dict[int, int]:
    """Return record id -> person id for the links of accepted records."""
    stmt = (
        select(Link.source_record_id, Link.person_id)
        .join(SourceRecord, SourceRecord.id == Link.source_record_id)
        .where(SourceRecord.status == ACCEPTED)
    )
    return {r: p for r, p in session.execute(stmt)}


@dataclass
class _Carried:
    """New versions of held records: the person each claims, or the person it leaves."""

    claims: dict[int, int] = field(default_factory=dict)
    replaced: dict[int, int] = field(default_factory=dict)


_VERSION_FIELDS = ("sex", "birth_year", "birth_month", "birth_day", *NAME_FIELDS)


_CARRIED_SCAN = 50_000  # records: above, the versions are read in one scan rather than by id


def _carried_links(session: Session, records: pd.DataFrame, links: dict[int, int]) -> _Carried:
    """Return the persons that new versions of held records carry over (or leave)."""
    stmt = (
        select(SourceRecord.id, SourceRecord.previous_id, Link.person_id)
        .join(Link, Link.source_record_id == SourceRecord.previous_id)
        .where(SourceRecord.status == ACCEPTED, SourceRecord.previous_id.is_not(None))
    )
    if len(records) > _CARRIED_SCAN:  # a build: one scan of every version
        previous = list(session.execute(stmt))
    else:  # a few records (one online): each looked up by its id, not a scan of the register
        ids = [int(r) for r in records["record_id"].tolist()]
        previous = [
            row
            for i in range(0, len(ids), _CHUNK)
            for row in session.execute(stmt.where(SourceRecord.id.in_(ids[i : i + _CHUNK])))
        ]
    pending = [
        (rid, int(old), person) for rid, old, person in previous if rid not in links and old is not None
    ]
    carried = _Carried()
    if not pending:
        return carried
    old_ids = [old for _, old, _ in pending]
    old_rows: dict[int, dict[str, Any]] = {}
    for i in range(0, len(old_ids), _CHUNK):
        stmt = select(SourceRecord.id, *(getattr(SourceRecord, c) for c in _VERSION_FIELDS)).where(
            SourceRecord.id.in_(old_ids[i : i + _CHUNK])
        )
        old_rows.update({r[0]: dict(zip(_VERSION_FIELDS, r[1:], strict=True)) for r in session.execute(stmt)})
    new_rows = records.set_index("record_id")
    for rid, old, person in pending:
        if rid not in new_rows.index:
            continue
        new = new_rows.loc[rid, list(_VERSION_FIELDS)].to_dict()
        if is_another_person(old_rows[old], new):
            carried.replaced[rid] = person
        else:
            carried.claims[rid] = person
    return carried


def _history(session: Session, build_id: int | None, events: list[dict[str, Any]]) -> None:
    record_events(session=session, build_id=build_id, events=events)


def _keepers(members: dict[int, list[int]], links: dict[int, int], order: dict[int, int]) -> dict[int, int]:
    """Return person id -> the cluster that keeps it (the one holding most of its records).

    A tie goes to the cluster holding the person's first record in (source, source id) order.
    """
    held: dict[int, Counter[int]] = defaultdict(Counter)
    first: dict[tuple[int, int], int] = {}
    for cluster, records in members.items():
        for rid in records:
            person = links.get(rid)
            if person is not None:
                held[person][cluster] += 1
                rank = order.get(rid, rid)
                first[(person, cluster)] = min(first.get((person, cluster), rank), rank)
    return {
        person: min(counts, key=lambda c: (-counts[c], first[(person, c)])) for person, counts in held.items()
    }


@dataclass
class _Plan:
    """Persons each cluster ends up with, before anything is written."""

    cluster_person: dict[int, int] = field(default_factory=dict)
    new_clusters: list[int] = field(default_factory=list)
    merges: list[tuple[int, list[int]]] = field(default_factory=list)
    split_persons: set[int] = field(default_factory=set)


def _carried_person(records: list[int], links: dict[int, int], carried: dict[int, int]) -> int | None:
    """Return the one person that new versions in this cluster carry, when nothing else is held.

    A new version keeps its person even when its new content no longer links it to that
    person's other records (a corrected name scoring lower): only evidence of another person
    (`is_another_person`, or records of another person in its cluster) moves it.
    """
    if any(r in links for r in records):
        return None
    persons = {carried[r] for r in records if r in carried}
    return persons.pop() if len(persons) == 1 else None


def _plan(
    members: dict[int, list[int]], links: dict[int, int], carried: dict[int, int], order: dict[int, int]
) -> _Plan:
    claims = {**links, **carried} if carried else links
    keepers = _keepers(members, claims, order)
    plan = _Plan()
    claimed: dict[int, list[int]] = defaultdict(list)
    for person, cluster in keepers.items():
        claimed[cluster].append(person)
    for cluster, records in members.items():
        persons = sorted(claimed.get(cluster, []))
        if not persons and (kept := _carried_person(records, links, carried)) is not None:
            plan.cluster_person[cluster] = kept
            continue
        if not persons:
            plan.new_clusters.append(cluster)
            if any(claims.get(r) is not None for r in records):
                plan.split_persons.update(claims[r] for r in records if r in claims)
            continue
        plan.cluster_person[cluster] = persons[0]
        if len(persons) > 1:
            plan.merges.append((persons[0], persons[1:]))
    return plan


_PERSON_COLUMNS = ["id", "uin", *GOLDEN_FIELDS, "provenance", "status", "created_at", "updated_at"]


def _create_persons(session: Session, goldens: list[tuple[Any, ...]], build_id: int | None) -> list[int]:
    """Insert new persons from `golden_rows` (cluster, *goldens, provenance, status), with
    fresh UINs, in bulk; return their ids, in the order of the rows."""
    if not goldens:
        return []
    uins = issue_uins(session=session, count=len(goldens))
    ids = next_ids(session, Person.__table__, len(goldens))
    now = db_timestamp(session, utcnow())
    rows = [(i, u, *g[1:], now, now) for g, i, u in zip(goldens, ids, uins, strict=True)]
    bulk_insert_tuples(session, Person.__table__, _PERSON_COLUMNS, rows)
    store_uins(session=session, holders=zip(ids, uins, strict=True))
    _history(
        session,
        build_id,
        [
            {"entity": "person", "entity_id": str(i), "action": "created", "detail": {"uin": u}}
            for i, u in zip(ids, uins, strict=True)
        ],
    )
    return ids


def _update_goldens(session: Session, goldens: dict[int, dict[str, Any]]) -> None:
    """Write the recomputed golden attributes of existing persons."""
    table = cast(Table, Person.__table__)
    stmt = (
        update(table)
        .where(table.c.id == bindparam("pid"))
        .values({c: bindparam(c) for c in (*GOLDEN_FIELDS, "provenance", "status", "updated_at")})
    )
    now = utcnow()
    rows = [{"pid": pid, **g, "updated_at": now} for pid, g in goldens.items()]
    for i in range(0, len(rows), _CHUNK):
        session.execute(stmt, rows[i : i + _CHUNK])


def _merge(session: Session, survivor: int, absorbed: list[int], build_id: int | None) -> None:
    """Fold persons into the oldest: their UINs become aliases of the survivor's (announced)."""
    survivor_uin = session.scalar(select(Person.uin).where(Person.id == survivor))
    absorbed_uins = session.scalars(select(Person.uin).where(Person.id.in_(absorbed))).all()
    publish_many(
        session,
        events=[
            (EVENT_MERGE, survivor_uin, {"absorbed_uin": u, "reason": "build"}) for u in sorted(absorbed_uins)
        ],
        build_id=build_id,
    )
    session.execute(
        update(Person)
        .where(Person.id.in_(absorbed))
        .values(status=PERSON_MERGED, merged_into=survivor, updated_at=utcnow())
    )
    alias_uins(session=session, absorbed=absorbed, survivor=survivor, survivor_uin=str(survivor_uin))
    session.execute(update(Link).where(Link.person_id.in_(absorbed)).values(person_id=survivor))
    _history(
        session,
        build_id,
        [
            {
                "entity": "person",
                "entity_id": str(p),
                "action": "merged",
                "detail": {"into": survivor, "alias_of": survivor_uin},
            }
            for p in absorbed
        ],
    )


_LINK_COLUMNS = ["source_record_id", "person_id", "method", "score", "build_id", "linked_at"]


def _write_links(
    session: Session,
    result: LinkResult,
    wanted: dict[int, int],
    links: dict[int, int],
    build_id: int | None,
    outcome: AssignOutcome,
) -> None:
    """Insert links of new records and repoint the records whose person changed."""
    new_rows: list[tuple[Any, ...]] = []
    moved = []
    now = db_timestamp(session, utcnow())
    method_of, score_of = result.method_of, result.score_of
    outcome.links_by_method = dict(Counter(method_of.get(rid, "singleton") for rid in wanted))
    for rid, person in wanted.items():
        if rid not in links:
            new_rows.append((rid, person, method_of.get(rid, "singleton"), score_of.get(rid), build_id, now))
        elif links[rid] != person:
            moved.append((rid, links[rid], person, method_of.get(rid, "singleton")))
    with foreign_keys_checked_at_end(session, Link.__table__, rows=len(new_rows)):
        bulk_insert_tuples(session, Link.__table__, _LINK_COLUMNS, new_rows)
    if moved:
        table = cast(Table, Link.__table__)
        stmt = (
            update(table)
            .where(table.c.source_record_id == bindparam("rid"))
            .values(
                person_id=bindparam("person"),
                method=bindparam("how"),
                score=bindparam("weight"),
                build_id=build_id,
            )
        )
        session.execute(
            stmt,
            [
                {"rid": rid, "person": person, "how": method, "weight": result.score_of.get(rid)}
                for rid, _old, person, method in moved
            ],
        )
    _history(
        session,
        build_id,
        [
            {
                "entity": "link",
                "entity_id": str(rid),
                "action": "moved",
                "detail": {"from": old, "to": new, "method": m},
            }
            for rid, old, new, m in moved
        ],
    )
    outcome.links_written = len(new_rows) + len(moved)


def _members(cluster_of: dict[int, int]) -> dict[int, list[int]]:
    members: dict[int, list[int]] = defaultdict(list)
    for rid, cluster in cluster_of.items():
        members[cluster].append(rid)
    return members


def assign_persons(
    *,
    session: Session,
    result: LinkResult,
    build_id: int | None,
    records: pd.DataFrame,
    links: dict[int, int] | None = None,
    region: set[int] | None = None,
) -> AssignOutcome:
    """Turn clusters into persons with stable UINs; write links, merges, splits, history.

    A delta build gives the clusters of its region only, with `records` the region's records,
    `links` the register's current links (as `current_links`) and `region` the persons it
    clustered again: only those can be retired.
    """
    outcome = AssignOutcome()
    links = current_links(session=session) if links is None else links
    carried = _carried_links(session, records, links) if links else _Carried()
    order = _content_order(records)
    members = _members(result.cluster_of)
    plan = _plan(members, links, carried.claims, order)
    merged: set[int] = set()
    for survivor, absorbed in plan.merges:
        _merge(session, survivor, absorbed, build_id)
        outcome.persons_merged += len(absorbed)
        merged.update(absorbed)
    goldens = golden_rows(records, {r: c for c in plan.new_clusters for r in members[c]})
    created = _create_persons(session, goldens, build_id)
    outcome.persons_created = len(created)
    cluster_person = dict(plan.cluster_person)
    cluster_person.update({int(g[0]): p for g, p in zip(goldens, created, strict=True)})
    wanted = {rid: cluster_person[c] for c, rids in members.items() for rid in rids}
    split = set(plan.split_persons) | {old for rid, old in carried.replaced.items() if wanted.get(rid) != old}
    if split:
        outcome.persons_split = len(split)
        _history(
            session,
            build_id,
            [
                {"entity": "person", "entity_id": str(p), "action": "split", "detail": {}}
                for p in sorted(split)
            ],
        )
    _write_links(session, result, wanted, links, build_id, outcome)
    new_persons = set(created)
    touched = set(_touched_persons(wanted, links)) | set(carried.claims.values()) | split
    refreshed = {r: p for c, p in cluster_person.items() if p in touched - new_persons for r in members[c]}
    if refreshed:
        _update_goldens(session, goldens_of(records, refreshed))
    retired = _retire_persons_without_records(session, build_id, region) if links else []
    outcome.persons_retired = len(retired)
    outcome.persons_touched = len(touched | new_persons | merged | set(retired))
    changed = touched | split | set(retired) | {p for s, a in plan.merges for p in (s, *a)}
    _record_build_versions(session, build_id, goldens, created, changed - new_persons)
    logger.info(
        "assignment: %d persons touched, %d created, %d merged, %d split, %d retired",
        outcome.persons_touched,
        outcome.persons_created,
        outcome.persons_merged,
        outcome.persons_split,
        outcome.persons_retired,
    )
    return outcome


def _record_build_versions(
    session: Session,
    build_id: int | None,
    goldens: list[tuple[Any, ...]],
    created: list[int],
    changed: set[int],
) -> None:
    """Write a version of every person the build created (from its golden tuples) or changed."""
    width = len(GOLDEN_FIELDS)
    fresh = [
        (pid, {**dict(zip(GOLDEN_FIELDS, g[1 : 1 + width], strict=True)), "status": g[2 + width]})
        for g, pid in zip(goldens, created, strict=True)
    ]
    for _, attributes in fresh:
        attributes.update(commune=None, merged_into=None)
    record_versions(
        session,
        states=fresh,
        changed_by=BY_BUILD,
        reason="created",
        source=BY_BUILD,
        build_id=build_id,
        new_persons=True,
    )
    record_current_versions(
        session, person_ids=changed, changed_by=BY_BUILD, reason="rebuilt", source=BY_BUILD, build_id=build_id
    )


def _content_order(records: pd.DataFrame) -> dict[int, int]:
    """Return record id -> its rank in (source, source id) order: ties never hang on ids."""
    if in_content_order(records):  # as `load_records` reads them: no sort of millions
        ranked = records["record_id"].tolist()
    else:
        ranked = records.sort_values(["source", "source_id"], kind="stable")["record_id"].tolist()
    return {int(rid): i for i, rid in enumerate(ranked)}


def _orphans(session: Session, among: set[int] | None) -> list[int]:
    """Return the live persons (of `among`, else all) left without an accepted record."""
    held = (
        select(Link.person_id)
        .join(SourceRecord, SourceRecord.id == Link.source_record_id)
        .where(SourceRecord.status == ACCEPTED)
    )
    alive = Person.status.in_((PERSON_ACTIVE, PERSON_DECEASED))
    if among is None:  # one pass over all links
        return list(session.scalars(select(Person.id).where(alive, Person.id.not_in(held))))
    # A few persons: each looked up by the index on link.person_id.
    live = select(Person.id).where(alive, ~held.where(Link.person_id == Person.id).exists())
    wanted = sorted(among)
    return [
        pid
        for i in range(0, len(wanted), _CHUNK)
        for pid in session.scalars(live.where(Person.id.in_(wanted[i : i + _CHUNK])))
    ]


def _retire_persons_without_records(
    session: Session, build_id: int | None, among: set[int] | None = None
) -> list[int]:
    """Retire every person (and UIN) left without an accepted record; return them."""
    orphans = _orphans(session, among)
    if not orphans:
        return []
    session.execute(
        update(Person).where(Person.id.in_(orphans)).values(status=PERSON_RETIRED, updated_at=utcnow())
    )
    retire_uins(session=session, person_ids=orphans)
    _history(
        session,
        build_id,
        [
            {
                "entity": "person",
                "entity_id": str(p),
                "action": "retired",
                "detail": {"why": "no record left"},
            }
            for p in orphans
        ],
    )
    return orphans


def _touched_persons(wanted: dict[int, int], links: dict[int, int]) -> Iterable[int]:
    if not links:
        return []  # a first build: every person is new
    touched = {p for rid, p in wanted.items() if links.get(rid) != p}
    touched |= {links[rid] for rid, p in wanted.items() if rid in links and links[rid] != p}
    return sorted(touched)
