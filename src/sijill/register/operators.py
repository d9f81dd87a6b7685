"""Merges and splits by an operator, with their reason, audit and undo.

An operator's decision binds every later build exactly as a reviewer's does: a merge stores a
must-link between the two persons' records, a split cannot-links every record it moves away
from every record it leaves, and must-links each side together, as decided review items
(`sijill.linkage.bind_pairs`); a full rebuild then gives the same persons. Earlier review
decisions the action overrides are kept in the action, and put back by its undo.

Each action is an `operator_action` row holding what it changed (persons' states, links, UINs,
review items, the versions it wrote), a version of every person it changed, the history and an
outbox event, all in one transaction under the writer lock. An undo restores links, statuses,
UIN aliases and golden attributes exactly. A UIN is never deleted, so undoing a split makes the
split-off person's UIN an alias of the person it came from (anyone told of it still finds the
person). Refused: undoing an undo, undoing twice, and undoing an action superseded by later
changes (a person it changed has a newer version: a build, an event, another action).
"""

from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from sijill.db.base import utcnow
from sijill.errors import EventRefused, NotFound, UsageError
from sijill.history import record_events
from sijill.linkage import bind_pairs, unbind_pairs
from sijill.outbox import EVENT_MERGE, EVENT_SPLIT, EVENT_UNDO, publish
from sijill.register.models import PERSON_ACTIVE, PERSON_DECEASED, PERSON_MERGED, Link, OperatorAction, Person
from sijill.register.person_versions import STATE_FIELDS, latest_version
from sijill.register.persons import hold_writer_lock, new_version, records_of, refresh_golden, resolve_person
from sijill.uin.models import Uin
from sijill.uin.service import alias_uins, issue_uins, store_uins

ACTION_MERGE = "merge"
ACTION_SPLIT = "split"
ACTION_UNDO = "undo"
_LIVING = (PERSON_ACTIVE, PERSON_DECEASED)


@dataclass(frozen=True)
class ActionOutcome:
    """What an operator action did: its id, the UIN it concerns, the UINs it made, its event."""

    action_id: int
    uin: str
    event_id: int
    uins: tuple[str, ...] = ()


def _checked(reason: str, by: str) -> None:
    if not reason.strip() or not by.strip():
        raise UsageError("an operator action needs a reason and the operator's name (--reason, --by)")
    if len(reason) > 64 or len(by) > 64:
        raise UsageError("a reason and an operator's name have at most 64 characters")


def _living(session: Session, uin: str) -> Person:
    person = resolve_person(session, uin=uin).person
    if person.status not in _LIVING:
        raise EventRefused(f"the person of this UIN is {person.status}: no operator action applies")
    return person


def _snapshot(person: Person) -> dict[str, Any]:
    return {**{f: getattr(person, f) for f in STATE_FIELDS}, "provenance": dict(person.provenance or {})}


def _uins(session: Session, person_id: int) -> list[dict[str, Any]]:
    rows = session.scalars(select(Uin).where(Uin.person_id == person_id))
    return [
        {"uin": u.uin, "person_id": u.person_id, "status": u.status, "alias_of": u.alias_of} for u in rows
    ]


def _links(session: Session, person_id: int) -> dict[str, int]:
    rows = session.execute(select(Link.source_record_id, Link.person_id).where(Link.person_id == person_id))
    return {str(r): p for r, p in rows}


def _action(session: Session, kind: str, uin: str, by: str, reason: str) -> OperatorAction:
    action = OperatorAction(at=utcnow(), kind=kind, uin=uin, operator=by, reason=reason, detail={})
    session.add(action)
    session.flush()
    return action


def _history(session: Session, action: OperatorAction, persons: list[int], extra: dict[str, Any]) -> None:
    detail = {"action_id": action.id, "by": action.operator, "reason": action.reason, **extra}
    record_events(
        session=session,
        build_id=None,
        events=[
            {"entity": "person", "entity_id": p, "action": f"operator_{action.kind}", "detail": detail}
            for p in persons
        ],
    )


def _chain(ids: list[int]) -> list[tuple[int, int]]:
    return list(pairwise(ids))


def merge_persons(
    session: Session, *, survivor_uin: str, absorbed_uin: str, reason: str, by: str
) -> ActionOutcome:
    """Fold one person into another: its links move, its UINs become aliases of the survivor's.

    Example:
        >>> merge_persons(session, survivor_uin="2345678901", absorbed_uin="3456789012",
        ...               reason="same-person", by="op1").uin
        '2345678901'
    """
    hold_writer_lock(session)
    _checked(reason, by)
    survivor, absorbed = _living(session, survivor_uin), _living(session, absorbed_uin)
    if survivor.id == absorbed.id:
        raise EventRefused("these UINs already lead to one person")
    action = _action(session, ACTION_MERGE, survivor.uin, by, reason)
    before = {
        "persons": {str(p.id): _snapshot(p) for p in (survivor, absorbed)},
        "links": _links(session, absorbed.id),
        "uins": _uins(session, absorbed.id),
    }
    ours = [r.id for r in records_of(session, person_id=survivor.id)]
    theirs = [r.id for r in records_of(session, person_id=absorbed.id)]
    must = [(a, b) for a in ours for b in theirs]  # overrides any cannot-link between them
    review = bind_pairs(
        session=session, must=must, cannot=[], decided_by=by, note=f"operator action {action.id}"
    )
    session.execute(update(Link).where(Link.person_id == absorbed.id).values(person_id=survivor.id))
    absorbed.status, absorbed.merged_into, absorbed.updated_at = PERSON_MERGED, survivor.id, utcnow()
    alias_uins(session=session, absorbed=[absorbed.id], survivor=survivor.id, survivor_uin=survivor.uin)
    refresh_golden(session, survivor)
    versions = {
        str(p.id): new_version(session, p, by=by, reason=reason, source=f"operator:{action.id}")
        for p in (survivor, absorbed)
    }
    action.detail = {
        "before": before,
        "review": review,
        "versions": versions,
        "survivor": survivor.id,
        "absorbed": absorbed.id,
    }
    _history(
        session,
        action,
        [survivor.id, absorbed.id],
        {"survivor_uin": survivor.uin, "absorbed_uin": absorbed.uin},
    )
    payload = {"action_id": action.id, "absorbed_uin": absorbed.uin, "reason": reason}
    event = publish(session, kind=EVENT_MERGE, uin=survivor.uin, payload=payload)
    return ActionOutcome(action.id, survivor.uin, event, (absorbed.uin,))


def _split_records(session: Session, person: Person, record_ids: list[int]) -> tuple[list[int], list[int]]:
    held = [r.id for r in records_of(session, person_id=person.id)]
    moved = sorted(set(record_ids))
    strangers = sorted(set(moved) - set(held))
    if not moved:
        raise UsageError("a split names the records to move (--records ID,ID)")
    if strangers:
        raise EventRefused(
            f"records {', '.join(map(str, strangers))} are not accepted records of this person"
        )
    kept = [r for r in held if r not in set(moved)]
    if not kept:
        raise EventRefused("a split leaves at least one record with the person: name fewer records")
    return moved, kept


def split_person(session: Session, *, uin: str, record_ids: list[int], reason: str, by: str) -> ActionOutcome:
    """Move some of a person's records to a new person with a new UIN, and keep them apart."""
    hold_writer_lock(session)
    _checked(reason, by)
    person = _living(session, uin)
    moved, kept = _split_records(session, person, record_ids)
    action = _action(session, ACTION_SPLIT, person.uin, by, reason)
    before = {"persons": {str(person.id): _snapshot(person)}, "links": {str(r): person.id for r in moved}}
    review = bind_pairs(
        session=session,
        must=_chain(moved) + _chain(kept),
        cannot=[(a, b) for a in moved for b in kept],
        decided_by=by,
        note=f"operator action {action.id}",
    )
    [new_uin] = issue_uins(session=session, count=1)
    now = utcnow()
    other = Person(uin=new_uin, status=PERSON_ACTIVE, commune=person.commune, created_at=now, updated_at=now)
    session.add(other)
    session.flush()
    store_uins(session=session, holders=[(other.id, new_uin)])
    session.execute(
        update(Link).where(Link.source_record_id.in_(moved)).values(person_id=other.id, method="operator")
    )
    refresh_golden(session, person)
    refresh_golden(session, other)
    versions = {
        str(p.id): new_version(session, p, by=by, reason=reason, source=f"operator:{action.id}")
        for p in (person, other)
    }
    action.detail = {
        "before": before,
        "review": review,
        "versions": versions,
        "person": person.id,
        "new_person": other.id,
    }
    _history(
        session, action, [person.id, other.id], {"uin": person.uin, "new_uin": new_uin, "records": moved}
    )
    payload = {"action_id": action.id, "new_uin": new_uin, "reason": reason}
    event = publish(session, kind=EVENT_SPLIT, uin=person.uin, payload=payload)
    return ActionOutcome(action.id, person.uin, event, (new_uin,))


def _undoable(session: Session, action_id: int) -> OperatorAction:
    action = session.get(OperatorAction, action_id)
    if action is None:
        raise NotFound(f"no operator action {action_id}")
    if action.kind == ACTION_UNDO:
        raise EventRefused(f"action {action_id} is an undo; an undo is not undone: merge or split again")
    if action.undone_by is not None:
        raise EventRefused(f"action {action_id} is already undone (by action {action.undone_by})")
    for person_id, version in action.detail["versions"].items():
        if latest_version(session, person_id=int(person_id)) != version:
            raise EventRefused(
                f"action {action_id} is superseded: a person it changed has changed since "
                "(a build, an event or another action); correct it with a new merge or split"
            )
    return action


def _restore_person(person: Person, state: dict[str, Any]) -> None:
    for field, value in state.items():
        setattr(person, field, value)
    person.updated_at = utcnow()


def _restore(session: Session, before: dict[str, Any]) -> list[Person]:
    """Put persons, links and UINs back as `before` holds them; return the persons."""
    persons = []
    for person_id, state in before["persons"].items():
        person = session.get(Person, int(person_id))
        assert person is not None
        _restore_person(person, state)
        persons.append(person)
    for record_id, person_id in before["links"].items():
        session.execute(
            update(Link).where(Link.source_record_id == int(record_id)).values(person_id=person_id)
        )
    for row in before.get("uins", []):
        session.execute(
            update(Uin)
            .where(Uin.uin == row["uin"])
            .values(person_id=row["person_id"], status=row["status"], alias_of=row["alias_of"])
        )
    return persons


def _fold_split_off(session: Session, action: OperatorAction) -> Person:
    """Make the person a split created an alias of the one it came from (its UIN is kept)."""
    other = session.get(Person, int(action.detail["new_person"]))
    origin = int(action.detail["person"])
    assert other is not None
    other.status, other.merged_into, other.updated_at = PERSON_MERGED, origin, utcnow()
    alias_uins(session=session, absorbed=[other.id], survivor=origin, survivor_uin=action.uin)
    return other


def undo_action(session: Session, *, action_id: int, reason: str, by: str) -> ActionOutcome:
    """Undo a merge or a split exactly: links, statuses, UIN aliases and golden attributes."""
    hold_writer_lock(session)
    _checked(reason, by)
    action = _undoable(session, action_id)
    undo = _action(session, ACTION_UNDO, action.uin, by, reason)
    undo.undoes, action.undone_by = action.id, undo.id
    session.flush()
    persons = _restore(session, action.detail["before"])
    if action.kind == ACTION_SPLIT:
        persons.append(_fold_split_off(session, action))
    unbind_pairs(session=session, restore=action.detail["review"])
    versions = {
        str(p.id): new_version(session, p, by=by, reason=reason, source=f"operator:{undo.id}")
        for p in persons
    }
    undo.detail = {"versions": versions, "undoes": action.id, "kind": action.kind}
    _history(session, undo, [p.id for p in persons], {"undoes": action.id})
    uins = tuple(p.uin for p in persons if p.uin != action.uin)
    payload = {
        "action_id": undo.id,
        "undoes": action.id,
        "undone_kind": action.kind,
        "uins": list(uins),
        "reason": reason,
    }
    event = publish(session, kind=EVENT_UNDO, uin=action.uin, payload=payload)
    return ActionOutcome(undo.id, action.uin, event, uins)


def operator_actions(session: Session, *, uin: str | None = None) -> list[OperatorAction]:
    """Return operator actions, newest first; those on this UIN's person when given."""
    stmt = select(OperatorAction).order_by(OperatorAction.id.desc())
    if uin is not None:
        stmt = stmt.where(OperatorAction.uin == uin)
    return list(session.scalars(stmt))
