"""Online matching: one incoming record against the register, in milliseconds.

`Matcher.load` reads the register once (model, spellings, features, links, UINs) into an
in-memory `CandidateIndex`; `Matcher.match` is read-only and decides as a rebuild would: the
record's component is re-clustered by the batch's own clustering and guards
(`linkage.incremental`). `ingest_record` writes the same decision: the source record, its
link or a new person (`register.assign`, which issues UINs and writes the history), the
review pairs, and then updates the index once the transaction commits.

Several processes may each hold a matcher on one register (API workers, enrolment syncs, a
clerk's CLI). `Matcher.catch_up` re-reads what the others wrote since this matcher last
looked: records added since (by id) and the records of every person an outbox event names
(links, new persons, merges, splits, undos, corrections). `ingest_record` catches up first,
under the writer lock, so each ingest decides on the register as it stands, as if the
processes had taken turns: two records of one new person arriving in two processes make one
person, not two. The ids are a valid watermark because every writer of records and of
linkage events holds the writer lock, so they commit in id order.

A record whose only likely persons are held back by review stays unlinked (no UIN) until a
reviewer decides, so that a person the register may already hold never gets a second UIN;
a rebuild would give it a person of its own, which is the one difference from the batch.
"""

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from sijill.db.bulk import in_chunks
from sijill.errors import LinkageError, UsageError
from sijill.history import HistoryEvent, record_events
from sijill.linkage import latest_model, load_records, load_spellings, queue_for_review, reviewer_constraints
from sijill.linkage.features import RECORD_COLUMNS, linkage_frame, record_features
from sijill.linkage.incremental import Component, ComponentClustering, PlusOne, ranked_candidates, weights_of
from sijill.linkage.index import CandidateIndex, model_rules
from sijill.linkage.linker import LinkResult
from sijill.linkage.online import OnlineScorer
from sijill.linkage.spec import LinkageSpec, Thresholds
from sijill.linkage.training import same_source_threshold
from sijill.names import SpellingDictionary
from sijill.outbox import (
    EVENT_CORRECTION,
    EVENT_LINK,
    EVENT_MERGE,
    EVENT_NEW_PERSON,
    EVENT_SPLIT,
    EVENT_UNDO,
    OutboxEvent,
    publish,
    publish_many,
)
from sijill.register.assign import assign_persons
from sijill.register.models import PERSON_MERGED, Link, Person
from sijill.register.persons import hold_writer_lock
from sijill.sources import (
    ACCEPTED,
    QUARANTINED,
    RECORD_FORMATS,
    SUPERSEDED,
    IngestBatch,
    SourceRecord,
    parse_row,
    row_hash,
)

LINK, REVIEW, NEW, INVALID = "link", "review", "new", "invalid"
INCOMING_ID = -1  # the record id an incoming record is scored under before it is stored
# The payload keys of outbox events that name other persons whose records may have moved.
_NAMED_UINS = ("absorbed_uin", "new_uin", "into")
# The outbox events after which a person's records may have moved or changed.
_LINKAGE_KINDS = (EVENT_NEW_PERSON, EVENT_LINK, EVENT_MERGE, EVENT_SPLIT, EVENT_UNDO, EVENT_CORRECTION)
# More new records than this since a matcher last looked (a delta build): load it again whole.
RELOAD_AFTER = 200_000
MAX_CANDIDATES = 10  # candidates reported with a result, strongest first
_EXTRA_COLUMNS = ("source_id", "given_ar", "given_lat")
# The outbox events of an operator's decision, which binds record pairs (`bind_pairs`).
_BINDING_KINDS = (EVENT_MERGE, EVENT_SPLIT, EVENT_UNDO)
# The history entities whose events mean a reviewer decided pairs of records.
_REVIEW_ENTITIES = ("review_item", "enrolment")


@dataclass(frozen=True)
class Candidate:
    """A person the incoming record may be: its UIN, probability, weight and its evidence."""

    uin: str | None
    probability: float
    match_weight: float
    weights: dict[str, float]


@dataclass
class MatchResult:
    """What the register makes of one incoming record."""

    source_id: str | None
    decision: str
    uin: str | None
    candidates: list[Candidate] = field(default_factory=list)
    ms: float = 0.0
    reason: str | None = None
    merges: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Return the result as JSON-ready data."""
        return {
            "source_id": self.source_id,
            "decision": self.decision,
            "uin": self.uin,
            "candidates": [vars(c) for c in self.candidates],
            "ms": round(self.ms, 3),
            "reason": self.reason,
            "merges": self.merges,
        }


@dataclass
class _Incoming:
    """A parsed incoming record: its stored values and its linkage features."""

    source: str
    values: dict[str, Any]
    flags: list[str]
    features: dict[str, Any]


@dataclass
class Matcher:
    """The register held in memory for matching: scorer, index, spellings, UINs, constraints."""

    scorer: OnlineScorer
    index: CandidateIndex
    spellings: SpellingDictionary
    thresholds: Thresholds
    uin_of: dict[int, str]
    held: dict[tuple[str, str], int]
    must_link: list[tuple[int, int]]
    cannot_link: list[tuple[int, int]]
    today: date = field(default_factory=date.today)
    seen_record: int = 0  # the newest source record id this matcher has read
    seen_event: int = 0  # the newest outbox event id this matcher has followed
    seen_history: int = 0  # the newest history event id: reviewers' decisions are followed

    @classmethod
    def load(
        cls, session: Session, *, spec: LinkageSpec | None = None, today: date | None = None
    ) -> "Matcher":
        """Read the register into memory (only reads)."""
        spec = spec or LinkageSpec()
        # Read before the register itself: what is written meanwhile is caught up later.
        seen_record, seen_event, seen_history = _watermarks(session)
        model = latest_model(session=session)
        if model is None:
            raise LinkageError(
                "no trained model in the register: run `sijill build` with the splink engine first"
            )
        spellings = load_spellings(session=session)
        records = load_records(session=session)
        frame = linkage_frame(records, spellings)
        for column in _EXTRA_COLUMNS:
            frame[column] = records[column].astype(object).where(records[column].notna(), None).to_numpy()
        scorer = OnlineScorer.from_settings(model.settings)
        links = dict(session.execute(select(Link.source_record_id, Link.person_id)).all())
        index = CandidateIndex.build(
            frame,
            rules=model_rules(model.settings),
            tf_columns=scorer.tf_columns,
            person_of=links,
            given_names=records[["given_ar", "given_lat"]],
        )
        uins = dict(
            session.execute(select(Person.id, Person.uin).where(Person.status != PERSON_MERGED)).all()
        )
        must, cannot = reviewer_constraints(session=session)
        held = {
            (str(s), str(i)): int(r)
            for r, s, i in zip(records["record_id"], records["source"], records["source_id"], strict=True)
        }
        thresholds = replace(spec.thresholds, same_source=same_source_threshold(frame, spec.thresholds))
        return cls(
            scorer,
            index,
            spellings,
            thresholds,
            uins,
            held,
            must,
            cannot,
            today or date.today(),
            seen_record,
            seen_event,
            seen_history,
        )

    def catch_up(self, session: Session) -> int:
        """Follow what other processes wrote since this matcher last looked; return how many
        records were re-read. Three indexed reads when nothing changed."""
        top_record, top_event, top_history = _watermarks(session)
        if (
            top_record <= self.seen_record
            and top_event <= self.seen_event
            and top_history <= self.seen_history
        ):
            return 0
        if top_record - self.seen_record > RELOAD_AFTER:  # a delta build elsewhere: read it all again
            fresh = Matcher.load(session, today=self.today)
            self.__dict__.update(fresh.__dict__)
            return len(self.index)
        added = session.execute(
            select(SourceRecord.id, SourceRecord.previous_id).where(SourceRecord.id > self.seen_record)
        ).all()
        ids = {int(r) for r, _ in added} | {
            int(p) for _, p in added if p is not None
        }  # and what they replace
        rows = session.execute(
            select(OutboxEvent.uin, OutboxEvent.payload, OutboxEvent.kind).where(
                OutboxEvent.id > self.seen_event,
                OutboxEvent.id <= top_event,
                OutboxEvent.kind.in_(_LINKAGE_KINDS),
            )
        ).all()
        uins = {str(u) for u, _, _ in rows if u}
        uins |= {str(p[k]) for _, p, _ in rows for k in _NAMED_UINS if isinstance(p, dict) and p.get(k)}
        uins |= {str(u) for _, p, _ in rows if isinstance(p, dict) for u in p.get("uins") or []}
        named = [
            row
            for part in in_chunks(sorted(uins))
            for row in session.execute(
                select(Person.id, Person.uin, Person.status).where(Person.uin.in_(part))
            )
        ]
        persons = [int(p) for p, _, _ in named]
        self._note_uins(named)  # a person merged away holds no record left to refresh
        for part in in_chunks(persons):
            ids |= set(session.scalars(select(Link.source_record_id).where(Link.person_id.in_(part))))
        members = self.index.members
        ids |= {int(self.index.record_ids[slot]) for p in persons for slot in members.get(p, [])}
        if ids:
            self.refresh(session, sorted(ids))
        # A reviewer's decision binds the clustering: must-links and cannot-links are read
        # again after one, and after an operator's merge, split or undo, which bind pairs too.
        binding = any(kind in _BINDING_KINDS for _, _, kind in rows)
        if binding or _reviews_decided(session, self.seen_history, top_history):
            self.must_link, self.cannot_link = reviewer_constraints(session=session)
        self.seen_record, self.seen_event = max(self.seen_record, top_record), max(self.seen_event, top_event)
        self.seen_history = max(self.seen_history, top_history)
        return len(ids)

    def refresh(self, session: Session, record_ids: list[int]) -> None:
        """Re-read these records (and their persons) after a change made elsewhere: a merge,
        a split, a correction, a delta build. Call it after the change commits."""
        index = self.index
        frame = _records_frame(session, record_ids)
        accepted = frame[frame["status"] == ACCEPTED]
        for rid in set(record_ids) - {int(r) for r in accepted["record_id"]}:
            if rid in index.slot_of:
                index.remove(rid)
        links: dict[int, int] = {}
        for part in in_chunks(list(record_ids)):
            stmt = select(Link.source_record_id, Link.person_id).where(Link.source_record_id.in_(part))
            links.update({int(r): int(p) for r, p in session.execute(stmt).all()})
        for record in accepted.to_dict("records"):
            seen_ar, seen_la = index.given_seen
            features = record_features(
                record,
                self.spellings,
                PlusOne(seen_ar, record.get("given_ar")),
                PlusOne(seen_la, record.get("given_lat")),
            )
            features.update({c: record.get(c) for c in _EXTRA_COLUMNS})
            index.add(features, links.get(int(record["record_id"])))
            self.held[(str(record["source"]), str(record["source_id"]))] = int(record["record_id"])
        persons = sorted(set(links.values()))
        rows = [
            row
            for part in in_chunks(persons)
            for row in session.execute(
                select(Person.id, Person.uin, Person.status).where(Person.id.in_(part))
            )
        ]
        self._note_uins(rows)

    def _note_uins(self, persons: Sequence[Any]) -> None:
        """Keep the UIN of each (id, UIN, status) person, and drop those merged away."""
        for pid, uin, status in persons:
            if status == PERSON_MERGED:
                self.uin_of.pop(int(pid), None)
            else:
                self.uin_of[int(pid)] = str(uin)

    def parse(self, source: str, row: Mapping[str, str], record_id: int = INCOMING_ID) -> _Incoming | str:
        """Parse a raw extract row as ingestion does; return the record, or why it is invalid."""
        fmt = RECORD_FORMATS.get(source)
        if fmt is None:
            raise UsageError(f"unknown source {source!r}: use one of {', '.join(RECORD_FORMATS)}")
        parsed = parse_row({k: v or "" for k, v in row.items()}, fmt, today=self.today)
        if parsed.reason:
            return parsed.reason
        values = dict(parsed.values)
        record = {**values, "record_id": record_id, "source": source, "flags": parsed.flags}
        seen_ar, seen_la = self.index.given_seen
        features = record_features(
            record,
            self.spellings,
            PlusOne(seen_ar, values.get("given_ar")),
            PlusOne(seen_la, values.get("given_lat")),
        )
        features.update({c: values.get(c) for c in _EXTRA_COLUMNS})
        return _Incoming(source, values, parsed.flags, features)

    def component(self, incoming: _Incoming) -> Component:
        """Return the incoming record's component and its clustering (reads only)."""
        held = self.held.get((incoming.source, str(incoming.values["source_id"])))
        index = self.index
        hidden = index.slot_of.get(held, -1) if held is not None else -1
        if hidden >= 0:  # a new version replaces the held one, as in a rebuild
            index.alive[hidden] = False
        try:
            return ComponentClustering(
                index, self.scorer, self.thresholds, self.spellings, self.must_link, self.cannot_link
            ).run(incoming.features)
        finally:
            if hidden >= 0:
                index.alive[hidden] = True

    def match(self, source: str, row: Mapping[str, str]) -> MatchResult:
        """Match one raw row of a registry's extract against the register; change nothing.

        Example:
            >>> matcher.match("civil", {"acte_id": "...", "nom_ar": "...", ...}).decision  # doctest: +SKIP
            'link'
        """
        start = time.perf_counter()
        incoming = self.parse(source, row)
        if isinstance(incoming, str):
            source_id = (row.get(RECORD_FORMATS[source].id_column) or "").strip() or None
            return MatchResult(source_id, INVALID, None, reason=incoming, ms=_ms(start))
        component = self.component(incoming)
        result = self.decide(incoming, component)
        result.ms = _ms(start)
        return result

    def decide(self, incoming: _Incoming, component: Component) -> MatchResult:
        """Turn the clustering of a component into a decision for the incoming record."""
        x = int(incoming.features["record_id"])
        cluster = component.result.cluster_of[x]
        together = [r for r, c in component.result.cluster_of.items() if c == cluster and r != x]
        persons = sorted({p for r in together if (p := self._person_of(r)) is not None})
        reviewed = any(x in (p["record_id_l"], p["record_id_r"]) for p in component.result.review_pairs)
        source_id = str(incoming.values["source_id"])
        candidates = self._candidates(component)
        if persons:
            uins = [self.uin_of.get(p) for p in persons]
            return MatchResult(source_id, LINK, uins[0], candidates, merges=[u for u in uins[1:] if u])
        if together or reviewed:
            return MatchResult(source_id, REVIEW, None, candidates)
        return MatchResult(source_id, NEW, None, candidates)

    def _person_of(self, record_id: int) -> int | None:
        slot = self.index.slot_of.get(record_id)
        if slot is None:
            return None
        person = int(self.index.persons[slot])
        return None if person < 0 else person

    def _candidates(self, component: Component) -> list[Candidate]:
        """Return the best-scored candidate of each person, strongest first."""
        scores, slots = component.scores, component.candidates
        out: list[Candidate] = []
        seen: set[int] = set()
        for i in ranked_candidates(scores, self.thresholds.review).tolist():
            cluster = self.index.cluster_of_slot(int(slots[i]))
            if cluster in seen:
                continue
            seen.add(cluster)
            uin = self.uin_of.get(cluster) if cluster >= 0 else None
            weight = float(scores.match_weight[i])
            out.append(Candidate(uin, float(scores.probability[i]), weight, weights_of(scores, i)))
            if len(out) == MAX_CANDIDATES:
                break
        return out


def _watermarks(session: Session) -> tuple[int, int, int]:
    """Return the newest source record id, outbox event id and history event id."""
    top_record = session.scalar(select(func.max(SourceRecord.id)))
    top_event = session.scalar(select(func.max(OutboxEvent.id)))
    top_history = session.scalar(select(func.max(HistoryEvent.id)))
    return int(top_record or 0), int(top_event or 0), int(top_history or 0)


def _reviews_decided(session: Session, after: int, upto: int) -> bool:
    """Return whether a reviewer decided a pair between two history events: a review item
    settled, or an enrolment reviewed (which decides its candidate pairs)."""
    stmt = select(HistoryEvent.id).where(
        HistoryEvent.id > after, HistoryEvent.id <= upto, HistoryEvent.entity.in_(_REVIEW_ENTITIES)
    )
    return session.execute(stmt.limit(1)).first() is not None


def _ms(start: float) -> float:
    return (time.perf_counter() - start) * 1000.0


def _store_record(
    session: Session, incoming: _Incoming | str, source: str, row: Mapping[str, str], by: str
) -> SourceRecord:
    """Insert the incoming row as a source record (accepted, or quarantined with its reason)."""
    digest = row_hash(dict(row))
    batch = IngestBatch(source=source, file_name=f"online:{by}"[:255], checksum=digest, rows_read=1)
    session.add(batch)
    session.flush()
    values: dict[str, Any] = incoming.values if not isinstance(incoming, str) else {}
    record = SourceRecord(
        batch_id=batch.id,
        source=source,
        source_id=values.get("source_id")
        or (row.get(RECORD_FORMATS[source].id_column) or "").strip()
        or None,
        row_number=1,
        row_hash=digest,
        raw=dict(row),
        status=QUARANTINED if isinstance(incoming, str) else ACCEPTED,
        reason=incoming if isinstance(incoming, str) else None,
        flags=[] if isinstance(incoming, str) else incoming.flags,
        **{k: v for k, v in values.items() if k != "source_id"},
    )
    batch.rows_accepted, batch.rows_quarantined = (0, 1) if isinstance(incoming, str) else (1, 0)
    session.add(record)
    session.flush()
    return record


def _records_frame(session: Session, ids: list[int]) -> pd.DataFrame:
    """Return these records as `load_records` returns records, with their status."""
    columns = [getattr(SourceRecord, c) for c in (*RECORD_COLUMNS, "status")]
    rows = [
        row
        for part in in_chunks(ids)
        for row in session.execute(select(*columns).where(SourceRecord.id.in_(part)))
    ]
    frame = pd.DataFrame.from_records([tuple(r) for r in rows], columns=[*RECORD_COLUMNS, "status"])
    return frame.rename(columns={"id": "record_id"})


def _supersede(
    session: Session, matcher: Matcher, source: str, source_id: str, digest: str
) -> int | str | None:
    """Mark the held version of this source id superseded; return its id, or 'unchanged'."""
    held = matcher.held.get((source, source_id))
    if held is None:
        return None
    old = session.get(SourceRecord, held)
    if old is None or old.status != ACCEPTED:
        return None
    if old.row_hash == digest:
        return "unchanged"
    old.status = SUPERSEDED
    session.flush()
    return held


def ingest_record(
    session: Session, matcher: Matcher, source: str, row: Mapping[str, str], *, by: str
) -> MatchResult:
    """Store one incoming row and link it as a rebuild would, in the caller's writer session
    (`sijill.db.locks.writer_session`); the matcher's index follows once it commits.

    The matcher first catches up with what other processes wrote (`Matcher.catch_up`)."""
    start = time.perf_counter()
    hold_writer_lock(session)  # re-entrant: the watermarks are only valid under the lock
    matcher.catch_up(session)
    incoming = matcher.parse(source, row)
    if isinstance(incoming, str):
        record = _store_record(session, incoming, source, row, by)
        return MatchResult(record.source_id, INVALID, None, reason=incoming, ms=_ms(start))
    source_id = str(incoming.values["source_id"])
    previous = _supersede(session, matcher, source, source_id, row_hash(dict(row)))
    if previous == "unchanged":
        held = matcher.held[(source, source_id)]
        person = matcher._person_of(held)
        uin = matcher.uin_of.get(person) if person is not None else None
        return MatchResult(source_id, LINK if uin else REVIEW, uin, reason="unchanged", ms=_ms(start))
    record = _store_record(session, incoming, source, row, by)
    if isinstance(previous, int):
        record.previous_id = previous
    incoming.features["record_id"] = record.id
    component = matcher.component(incoming)
    result = matcher.decide(incoming, component)
    _write(session, matcher, record, result, component, by)
    _follow_on_commit(session, matcher, incoming, component, previous if isinstance(previous, int) else None)
    result.ms = _ms(start)
    return result


def _component_links(session: Session, record: SourceRecord, component: Component) -> dict[int, int] | None:
    """Return the links `assign_persons` needs: the component's, or None (all of them) when
    the record is a new version, whose held version's person it may carry over."""
    if record.previous_id is not None:
        return None
    stmt = (
        select(Link.source_record_id, Link.person_id)
        .join(SourceRecord, SourceRecord.id == Link.source_record_id)
        .where(SourceRecord.status == ACCEPTED, Link.source_record_id.in_(component.record_ids))
    )
    return {int(r): int(p) for r, p in session.execute(stmt).all()}


def _write(
    session: Session,
    matcher: Matcher,
    record: SourceRecord,
    result: MatchResult,
    component: Component,
    by: str,
) -> None:
    """Write the component's clustering: links, new persons, merges, review pairs, history."""
    record_id = record.id
    clusters = _clusters_to_write(matcher, record_id, result, component)
    linked = LinkResult(clusters, component.result.method_of, component.result.score_of)
    region = {p for r in component.record_ids if (p := matcher._person_of(r)) is not None}
    if clusters:
        assign_persons(
            session=session,
            result=linked,
            build_id=None,
            records=_records_frame(session, list(clusters)).drop(columns="status"),
            links=_component_links(session, record, component),
            region=region,
        )
    if component.result.review_pairs:
        queue_for_review(session=session, pairs=component.result.review_pairs)
    session.flush()
    if result.decision != REVIEW:
        uin = session.scalar(
            select(Person.uin)
            .join(Link, Link.person_id == Person.id)
            .where(Link.source_record_id == record_id)
        )
        result.uin = str(uin) if uin else None
    _publish(session, record_id, result)
    record_events(
        session=session,
        build_id=None,
        events=[
            {
                "entity": "source_record",
                "entity_id": str(record_id),
                "action": "matched online",
                "detail": {"decision": result.decision, "uin": result.uin, "by": by},
            }
        ],
    )


def _publish(session: Session, record_id: int, result: MatchResult) -> None:
    """Announce the new person, or the link and any merge, in the outbox (no personal data)."""
    if result.uin is None:
        return
    payload = {"record_id": record_id}
    if result.decision == NEW:
        publish(session, kind=EVENT_NEW_PERSON, uin=result.uin, payload=payload)
        return
    events: list[tuple[str, str | None, Mapping[str, Any]]] = [(EVENT_LINK, result.uin, payload)]
    events += [(EVENT_MERGE, absorbed, {"into": result.uin}) for absorbed in result.merges]
    publish_many(session, events=events)


def _clusters_to_write(
    matcher: Matcher, record_id: int, result: MatchResult, component: Component
) -> dict[int, int]:
    """Return the clusters to assign: those holding a person, and the record's own when new.

    Records left unlinked for review stay so (no UIN) until a reviewer decides.
    """
    clusters = component.result.cluster_of
    held = {c for r, c in clusters.items() if matcher._person_of(r) is not None}
    return {r: c for r, c in clusters.items() if c in held or (r == record_id and result.decision == NEW)}


def _follow_on_commit(
    session: Session, matcher: Matcher, incoming: _Incoming, component: Component, previous: int | None
) -> None:
    """Bring the index, UINs and held ids up to date once the transaction commits."""
    ids = component.record_ids
    persons = dict(
        session.execute(
            select(Link.source_record_id, Link.person_id).where(Link.source_record_id.in_(ids))
        ).all()
    )
    live = set(persons.values())
    uins = dict(session.execute(select(Person.id, Person.uin).where(Person.id.in_(live))).all())
    before = [p for r in ids if (p := matcher._person_of(r)) is not None]
    merged = list(
        session.scalars(select(Person.id).where(Person.status == PERSON_MERGED, Person.id.in_(before)))
    )
    x = int(incoming.features["record_id"])
    watermarks = _watermarks(session)  # under the writer lock: this ingest's own writes

    def follow(_session: Session) -> None:
        index = matcher.index
        if previous is not None and previous in index.slot_of:
            index.remove(previous)
        index.add(incoming.features, persons.get(x))
        for rid in ids:
            if rid != x and rid in index.slot_of and matcher._person_of(rid) != persons.get(rid):
                index.move(rid, persons.get(rid))
        matcher.uin_of.update(uins)
        for p in merged:
            matcher.uin_of.pop(p, None)
        matcher.held[(incoming.source, str(incoming.values["source_id"]))] = x
        matcher.seen_record = max(matcher.seen_record, watermarks[0])
        matcher.seen_event = max(matcher.seen_event, watermarks[1])
        matcher.seen_history = max(matcher.seen_history, watermarks[2])

    event.listen(session, "after_commit", follow, once=True)
