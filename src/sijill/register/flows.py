"""`sijill build`: ingest a sources directory, link, assign UINs, in one transaction."""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from sijill.db.base import utcnow
from sijill.db.engine import migrate
from sijill.db.locks import writer_session
from sijill.linkage import (
    DeltaLinker,
    Linker,
    LinkResult,
    latest_model,
    learn_spellings,
    load_records,
    load_spellings,
    queue_for_review,
    reviewer_constraints,
    save_model,
)
from sijill.names import SpellingDictionary
from sijill.register.assign import AssignOutcome, assign_persons, current_links
from sijill.register.golden import in_content_order
from sijill.register.models import PERSON_MERGED, Build, Link, Person
from sijill.sources import ExtractFile, IngestOutcome, SourceRecord, ingest_extract, scan_sources

logger = logging.getLogger(__name__)


@dataclass
class BuildProgress:
    """Callbacks a front end uses to show progress (all optional)."""

    on_extracts: Callable[[list[ExtractFile]], None] = lambda _x: None
    on_file_start: Callable[[ExtractFile], None] = lambda _e: None
    on_rows: Callable[[int], None] = lambda _n: None
    on_stage: Callable[[str], None] = lambda _s: None


@dataclass
class BuildSummary:
    """What a build did, for the console and the build table."""

    build_id: int
    files: list[IngestOutcome] = field(default_factory=list)
    ignored_files: list[str] = field(default_factory=list)
    assignment: AssignOutcome = field(default_factory=AssignOutcome)
    persons_total: int = 0
    linkage: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "files": [vars(f) | {"quarantined_total": f.quarantined_total} for f in self.files],
            "ignored_files": self.ignored_files,
            "assignment": vars(self.assignment),
            "persons_total": self.persons_total,
            "linkage": self.linkage,
        }


@dataclass
class _StageClock:
    """Time the stages of a build, logged (no personal data) and kept in its summary."""

    laps: dict[str, float] = field(default_factory=dict)
    last: float = field(default_factory=time.perf_counter)

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.laps[stage] = round(now - self.last, 2)
        self.last = now
        logger.info("stage %s: %.1f s", stage, self.laps[stage])


def _persons_total(session: Session) -> int:
    stmt = select(func.count()).select_from(Person).where(Person.status != PERSON_MERGED)
    return int(session.scalar(stmt) or 0)


def run_build(
    *,
    engine: Engine,
    sources_dir: Path,
    linker: Linker,
    chunk_size: int = 5000,
    today: date | None = None,
    progress: BuildProgress | None = None,
    retrain: bool = False,
    wait_seconds: float | None = None,
    compute: str = "duckdb",
    full: bool = False,
) -> BuildSummary:
    """Build or update the register from a sources directory; all or nothing.

    `compute` is where the extracts are parsed: `duckdb` in this process, `spark` on Spark.
    A register with persons and a saved model links only what changed (a delta build),
    unless `full` or `retrain` asks to link every record again.
    """
    progress = progress or BuildProgress()
    scanned = scan_sources(sources_dir)
    extracts = scanned.extracts
    progress.on_extracts(extracts)
    migrate(engine, wait_seconds=wait_seconds)
    with writer_session(engine, wait_seconds=wait_seconds) as session:
        build = Build(sources_dir=str(sources_dir), linker=linker.name)
        session.add(build)
        session.flush()
        summary = BuildSummary(build.id, ignored_files=scanned.ignored)
        clock = _StageClock()
        for extract in extracts:
            progress.on_file_start(extract)
            summary.files.append(
                ingest_extract(
                    session=session,
                    extract=extract,
                    build_id=build.id,
                    chunk_size=chunk_size,
                    today=today,
                    on_rows=progress.on_rows,
                    engine=compute,
                )
            )
        clock.lap("ingesting")
        summary.assignment, summary.linkage = link_and_assign(
            session=session, linker=linker, build_id=build.id, progress=progress, retrain=retrain, full=full
        )
        summary.linkage["seconds"] = {**clock.laps, **summary.linkage.get("seconds", {})}
        summary.persons_total = _persons_total(session)
        build.summary, build.finished_at = summary.as_dict(), utcnow()
    logger.info("build %d done: %d persons", summary.build_id, summary.persons_total)
    return summary


@dataclass
class _ContentIds:
    """Number records in (source, source id) order, for the linker; map results back.

    Database ids depend on history (a killed build, a sequence moved, files in another
    order); sampling, pair orientation and tie-breaks of the linkage must not, so the linker
    sees ids that only the records' content decides: the same input gives the same persons.
    """

    real: list[int]
    rank_of: dict[int, int]
    keyed: pd.DataFrame  # the records in content order, numbered by it

    @classmethod
    def of(cls, records: pd.DataFrame) -> "_ContentIds":
        if in_content_order(records):  # as `load_records` reads them: no sort of millions
            ordered = records.reset_index(drop=True)
        else:
            ordered = records.sort_values(["source", "source_id"], kind="stable").reset_index(drop=True)
        real = [int(r) for r in ordered["record_id"].astype("int64").tolist()]
        keyed = ordered.assign(record_id=range(1, len(ordered) + 1))
        return cls(real, {r: i + 1 for i, r in enumerate(real)}, keyed)

    def ranked(self, pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
        rank_of = self.rank_of
        return [(rank_of[a], rank_of[b]) for a, b in pairs if a in rank_of and b in rank_of]

    def to_real(self, result: LinkResult) -> LinkResult:
        """Put the record ids of a result back to database ids."""
        back = self.real
        result.cluster_of = {back[r - 1]: back[c - 1] for r, c in result.cluster_of.items()}
        result.method_of = {back[r - 1]: m for r, m in result.method_of.items()}
        result.score_of = {back[r - 1]: v for r, v in result.score_of.items()}
        for pair in result.review_pairs:
            left, right = back[pair["record_id_l"] - 1], back[pair["record_id_r"] - 1]
            pair["record_id_l"], pair["record_id_r"] = min(left, right), max(left, right)
        return result


def _link_by_content(
    linker: Linker,
    records: pd.DataFrame,
    spellings: SpellingDictionary,
    must_link: list[tuple[int, int]],
    cannot_link: list[tuple[int, int]],
) -> LinkResult:
    """Link with records numbered in (source, source id) order (`_ContentIds`)."""
    ids = _ContentIds.of(records)
    result = linker.link(
        ids.keyed,
        spellings=spellings,
        must_link=ids.ranked(must_link),
        cannot_link=ids.ranked(cannot_link),
    )
    return ids.to_real(result)


def _changed_records(
    session: Session, records: pd.DataFrame, links: dict[int, int]
) -> tuple[list[int], set[int]]:
    """Return the records a delta starts from: accepted records no person holds yet (new, or
    new versions), and the held records of the persons whose record a new version replaces;
    and those persons."""
    unlinked = [int(r) for r in records["record_id"].tolist() if int(r) not in links]
    replaced: set[int] = set()
    for i in range(0, len(unlinked), 5000):
        stmt = (
            select(Link.person_id)
            .join(SourceRecord, SourceRecord.previous_id == Link.source_record_id)
            .where(SourceRecord.id.in_(unlinked[i : i + 5000]))
        )
        replaced.update(session.scalars(stmt))
    held = [r for r, p in links.items() if p in replaced]
    return sorted({*unlinked, *held}), replaced


def _unsettled(
    links: dict[int, int], must_link: list[tuple[int, int]], cannot_link: list[tuple[int, int]]
) -> list[int]:
    """Return the records of reviewers' decisions the register does not yet follow."""
    apart = [(a, b) for a, b in must_link if links.get(a) != links.get(b)]
    together = [(a, b) for a, b in cannot_link if a in links and links.get(a) == links.get(b)]
    return [r for pair in (*apart, *together) for r in pair if r in links]


def _link_delta(
    linker: DeltaLinker,
    records: pd.DataFrame,
    changed: list[int],
    links: dict[int, int],
    spellings: tuple[SpellingDictionary, SpellingDictionary],
    must_link: list[tuple[int, int]],
    cannot_link: list[tuple[int, int]],
) -> LinkResult:
    """Link only what `changed` reaches, in content order (`_ContentIds`)."""
    ids = _ContentIds.of(records)
    rank_of = ids.rank_of
    result = linker.link_delta(
        ids.keyed,
        changed=[rank_of[r] for r in changed],
        person_of={rank_of[r]: p for r, p in links.items() if r in rank_of},
        spellings=spellings[1],
        spellings_before=spellings[0],
        must_link=ids.ranked(must_link),
        cannot_link=ids.ranked(cannot_link),
    )
    return ids.to_real(result)


def link_and_assign(
    *,
    session: Session,
    linker: Linker,
    build_id: int | None,
    progress: BuildProgress | None = None,
    retrain: bool = False,
    full: bool = False,
) -> tuple[AssignOutcome, dict[str, Any]]:
    """Relearn spellings, link the records and assign persons and UINs.

    With a model and persons already in the register, only what changed is linked (a delta
    build, `linkage.delta`); `full` or `retrain` links every accepted record again.
    """
    progress = progress or BuildProgress()
    clock = _StageClock()
    progress.on_stage("loading records")
    records = load_records(session=session)
    clock.lap("loading records")
    progress.on_stage("learning spellings")
    spellings_before = load_spellings(session=session)
    spellings = learn_spellings(session=session, records=records)
    clock.lap("learning spellings")
    progress.on_stage("linking")
    must_link, cannot_link = reviewer_constraints(session=session)
    saved = latest_model(session=session)
    trainable = linker.trainable
    if trainable and linker.model is None and saved is not None and not retrain:
        linker.model = saved.settings
    incremental = isinstance(linker, DeltaLinker) and linker.incremental and not (full or retrain)
    links = current_links(session=session) if incremental else {}
    clock.lap("loading links and decisions")
    if links and isinstance(linker, DeltaLinker):
        outcome, figures = _delta_and_assign(
            session,
            linker,
            build_id,
            progress,
            records,
            links,
            (spellings_before, spellings),
            must_link,
            cannot_link,
            clock,
        )
    else:
        outcome, figures = _full_and_assign(
            session, linker, build_id, progress, records, spellings, must_link, cannot_link, clock
        )
    if saved is not None and trainable and "model_version" not in figures:
        figures["model_version"] = f"{saved.version} (reused)"
    figures["spellings_learnt"] = len(spellings)
    figures["seconds"] = clock.laps
    return outcome, figures


def _full_and_assign(
    session: Session,
    linker: Linker,
    build_id: int | None,
    progress: BuildProgress,
    records: pd.DataFrame,
    spellings: SpellingDictionary,
    must_link: list[tuple[int, int]],
    cannot_link: list[tuple[int, int]],
    clock: _StageClock,
) -> tuple[AssignOutcome, dict[str, Any]]:
    """Link every accepted record, then assign persons."""
    result = _link_by_content(linker, records, spellings, must_link, cannot_link)
    result.figures["mode"] = "full"
    if result.model is not None:
        model = save_model(session=session, settings=result.model.settings, training=result.model.training)
        result.figures["model_version"] = f"{model.version} (trained now)"
    clock.lap("linking")
    progress.on_stage("assigning UINs")
    outcome = assign_persons(session=session, result=result, build_id=build_id, records=records)
    if result.review_pairs:
        result.figures["review_queued"] = queue_for_review(session=session, pairs=result.review_pairs)
    clock.lap("assigning UINs")
    return outcome, result.figures


def _delta_and_assign(
    session: Session,
    linker: DeltaLinker,
    build_id: int | None,
    progress: BuildProgress,
    records: pd.DataFrame,
    links: dict[int, int],
    spellings: tuple[SpellingDictionary, SpellingDictionary],
    must_link: list[tuple[int, int]],
    cannot_link: list[tuple[int, int]],
    clock: _StageClock,
) -> tuple[AssignOutcome, dict[str, Any]]:
    """Link what changed against the register, then assign persons in its region only."""
    new, replaced = _changed_records(session, records, links)
    changed = sorted({*new, *_unsettled(links, must_link, cannot_link)})
    if not changed:
        clock.lap("linking")
        return AssignOutcome(), {"mode": "delta", "delta": {"changed_records": 0}}
    result = _link_delta(linker, records, changed, links, spellings, must_link, cannot_link)
    result.figures["mode"] = "delta"
    clock.lap("linking")
    progress.on_stage("assigning UINs")
    region = records[records["record_id"].isin(result.cluster_of.keys())]
    persons = {links[r] for r in result.cluster_of if r in links} | replaced
    outcome = assign_persons(
        session=session, result=result, build_id=build_id, records=region, links=links, region=persons
    )
    if result.review_pairs:
        result.figures["review_queued"] = queue_for_review(session=session, pairs=result.review_pairs)
    clock.lap("assigning UINs")
    return outcome, result.figures
