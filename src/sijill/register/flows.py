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
    Linker,
    LinkResult,
    latest_model,
    learn_spellings,
    load_records,
    queue_for_review,
    reviewer_constraints,
    save_model,
)
from sijill.names import SpellingDictionary
from sijill.register.assign import AssignOutcome, assign_persons
from sijill.register.models import PERSON_MERGED, Build, Person
from sijill.sources import ExtractFile, IngestOutcome, ingest_extract, scan_sources

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
) -> BuildSummary:
    """Build or update the register from a sources directory; all or nothing.

    `compute` is where the extracts are parsed: `duckdb` in this process, `spark` on Spark.
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
            session=session, linker=linker, build_id=build.id, progress=progress, retrain=retrain
        )
        summary.linkage["seconds"] = {**clock.laps, **summary.linkage.get("seconds", {})}
        summary.persons_total = _persons_total(session)
        build.summary, build.finished_at = summary.as_dict(), utcnow()
    logger.info("build %d done: %d persons", summary.build_id, summary.persons_total)
    return summary


def _link_by_content(
    linker: Linker,
    records: pd.DataFrame,
    spellings: SpellingDictionary,
    must_link: list[tuple[int, int]],
    cannot_link: list[tuple[int, int]],
) -> LinkResult:
    """Link with records numbered in (source, source id) order, then map back to record ids.

    Database ids depend on history (a killed build, a sequence moved, files in another
    order); sampling, pair orientation and tie-breaks of the linkage must not, so the linker
    sees ids that only the records' content decides: the same input gives the same persons.
    """
    ordered = records.sort_values(["source", "source_id"], kind="stable").reset_index(drop=True)
    real = ordered["record_id"].astype("int64").to_numpy()
    rank_of = {int(r): i + 1 for i, r in enumerate(real)}
    keyed = ordered.assign(record_id=range(1, len(ordered) + 1))

    def ranked(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
        return [(rank_of[a], rank_of[b]) for a, b in pairs if a in rank_of and b in rank_of]

    result = linker.link(
        keyed, spellings=spellings, must_link=ranked(must_link), cannot_link=ranked(cannot_link)
    )
    back = {i + 1: int(r) for i, r in enumerate(real)}
    result.cluster_of = {back[r]: back[c] for r, c in result.cluster_of.items()}
    result.method_of = {back[r]: m for r, m in result.method_of.items()}
    result.score_of = {back[r]: v for r, v in result.score_of.items()}
    for pair in result.review_pairs:
        left, right = back[pair["record_id_l"]], back[pair["record_id_r"]]
        pair["record_id_l"], pair["record_id_r"] = min(left, right), max(left, right)
    return result


def link_and_assign(
    *,
    session: Session,
    linker: Linker,
    build_id: int | None,
    progress: BuildProgress | None = None,
    retrain: bool = False,
) -> tuple[AssignOutcome, dict[str, Any]]:
    """Relearn spellings, link every accepted record and assign persons and UINs."""
    progress = progress or BuildProgress()
    clock = _StageClock()
    progress.on_stage("learning spellings")
    spellings = learn_spellings(session=session)
    clock.lap("learning spellings")
    progress.on_stage("linking")
    records = load_records(session=session)
    must_link, cannot_link = reviewer_constraints(session=session)
    saved = latest_model(session=session)
    trainable = linker.trainable
    if trainable and linker.model is None and saved is not None and not retrain:
        linker.model = saved.settings
    result = _link_by_content(linker, records, spellings, must_link, cannot_link)
    if result.model is not None:
        model = save_model(session=session, settings=result.model.settings, training=result.model.training)
        result.figures["model_version"] = f"{model.version} (trained now)"
    elif saved is not None and trainable:
        result.figures["model_version"] = f"{saved.version} (reused)"
    clock.lap("linking")
    progress.on_stage("assigning UINs")
    outcome = assign_persons(session=session, result=result, build_id=build_id, records=records)
    if result.review_pairs:
        result.figures["review_queued"] = queue_for_review(session=session, pairs=result.review_pairs)
    clock.lap("assigning UINs")
    result.figures["spellings_learnt"] = len(spellings)
    result.figures["seconds"] = clock.laps
    return outcome, result.figures
