"""Linkage quality as the register sees it (no truth needed) and the review backlog.

Links by method, the match weights of probabilistic links, how many registries each person
is seen in, what each build did, and the queue of uncertain pairs: pending (still two
persons), moot (a later build made them one), decided, by whom and when.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from itertools import pairwise
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, aliased

from sijill.linkage.models import REVIEW_MATCH, REVIEW_NON_MATCH, REVIEW_PENDING, ReviewItem
from sijill.register.models import PERSON_ACTIVE, PERSON_DECEASED, PERSON_MERGED, Build, Link, Person
from sijill.sources.models import ACCEPTED, SourceRecord

WEIGHT_BINS = (6, 8, 10, 12, 14, 16, 18, 20, 25)


@dataclass
class Backlog:
    """The review queue: what is left to do and what reviewers did."""

    pending: int = 0
    moot: int = 0
    linked: int = 0
    kept_apart: int = 0
    by_reviewer: dict[str, int] = field(default_factory=dict)
    by_day: dict[date, int] = field(default_factory=dict)

    @property
    def decided(self) -> int:
        return self.linked + self.kept_apart


@dataclass
class LinkageQuality:
    """Figures of the register's linkage and its review backlog."""

    records: int = 0
    persons: int = 0
    merged_persons: int = 0
    links_by_method: dict[str, int] = field(default_factory=dict)
    weight_bins: list[tuple[str, int]] = field(default_factory=list)
    sources_per_person: dict[int, int] = field(default_factory=dict)
    records_by_source: dict[str, int] = field(default_factory=dict)
    builds: list[dict[str, Any]] = field(default_factory=list)
    backlog: Backlog = field(default_factory=Backlog)


def _weight_bins(session: Session) -> list[tuple[str, int]]:
    """Count probabilistic links by match weight band, in the database."""
    band = case(*((Link.score < edge, i) for i, edge in enumerate(WEIGHT_BINS)), else_=len(WEIGHT_BINS))
    stmt = (
        select(band, func.count())
        .where(Link.method == "probabilistic", Link.score.is_not(None))
        .group_by(band)
    )
    counts = {int(i): int(n) for i, n in session.execute(stmt)}
    edges = list(WEIGHT_BINS)
    labels = [f"<{edges[0]}", *(f"{lo}–{hi}" for lo, hi in pairwise(edges))]
    labels.append(f"≥{edges[-1]}")
    return [(label, counts.get(i, 0)) for i, label in enumerate(labels)]


def _sources_per_person(session: Session) -> dict[int, int]:
    per_person = (
        select(Link.person_id, func.count(func.distinct(SourceRecord.source)).label("n"))
        .join(SourceRecord, SourceRecord.id == Link.source_record_id)
        .where(SourceRecord.status == ACCEPTED)
        .group_by(Link.person_id)
        .subquery()
    )
    stmt = select(per_person.c.n, func.count()).group_by(per_person.c.n).order_by(per_person.c.n)
    return {int(n): int(c) for n, c in session.execute(stmt)}


def backlog(*, session: Session) -> Backlog:
    """Return the review backlog: pending pairs still two persons, moot ones, decisions."""
    left, right = aliased(Link), aliased(Link)
    stmt = (
        select(ReviewItem.status, left.person_id == right.person_id, func.count())
        .join(left, left.source_record_id == ReviewItem.record_id_l)
        .join(right, right.source_record_id == ReviewItem.record_id_r)
        .group_by(ReviewItem.status, left.person_id == right.person_id)
    )
    result = Backlog()
    for status, same, n in session.execute(stmt):
        if status == REVIEW_PENDING:
            if same:
                result.moot += n
            else:
                result.pending += n
        elif status == REVIEW_MATCH:
            result.linked += n
        elif status == REVIEW_NON_MATCH:
            result.kept_apart += n
    decided = select(ReviewItem.decided_by, ReviewItem.decided_at).where(ReviewItem.decided_at.is_not(None))
    by_reviewer: Counter[str] = Counter()
    by_day: Counter[date] = Counter()
    for who, when in session.execute(decided):
        by_reviewer[who or "?"] += 1
        if when is not None:
            by_day[when.date()] += 1
    result.by_reviewer = dict(by_reviewer.most_common())
    result.by_day = dict(sorted(by_day.items()))
    return result


def linkage_quality(*, session: Session, builds: int = 10) -> LinkageQuality:
    """Return the register's linkage figures and its review backlog."""
    q = LinkageQuality()
    q.records = int(session.scalar(select(func.count()).where(SourceRecord.status == ACCEPTED)) or 0)
    q.persons = int(
        session.scalar(select(func.count()).where(Person.status.in_((PERSON_ACTIVE, PERSON_DECEASED)))) or 0
    )
    q.merged_persons = int(session.scalar(select(func.count()).where(Person.status == PERSON_MERGED)) or 0)
    q.links_by_method = {
        m: int(n)
        for m, n in session.execute(
            select(Link.method, func.count()).group_by(Link.method).order_by(Link.method)
        )
    }
    q.records_by_source = {
        s: int(n)
        for s, n in session.execute(
            select(SourceRecord.source, func.count())
            .where(SourceRecord.status == ACCEPTED)
            .group_by(SourceRecord.source)
            .order_by(SourceRecord.source)
        )
    }
    q.weight_bins = _weight_bins(session)
    q.sources_per_person = _sources_per_person(session)
    recent = session.scalars(select(Build).order_by(Build.id.desc()).limit(builds)).all()
    q.builds = [_build_row(b) for b in reversed(recent)]
    q.backlog = backlog(session=session)
    return q


def _build_row(build: Build) -> dict[str, Any]:
    assignment = (build.summary or {}).get("assignment", {})
    return {
        "id": build.id,
        "started_at": build.started_at,
        "linker": build.linker,
        "created": assignment.get("persons_created", 0),
        "merged": assignment.get("persons_merged", 0),
        "split": assignment.get("persons_split", 0),
        "persons": (build.summary or {}).get("persons_total", 0),
    }
