"""`sijill build`: ingest a sources directory, link, assign UINs, in one transaction."""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from sijill.db.base import utcnow
from sijill.db.engine import migrate
from sijill.db.locks import writer_session
from sijill.linkage import (
    Linker,
    latest_model,
    learn_spellings,
    load_records,
    queue_for_review,
    reviewer_constraints,
    save_model,
)
from sijill.register.assign import AssignOutcome, assign_persons
from sijill.register.models import PERSON_MERGED, Build, Person
from sijill.sources import ExtractFile, IngestOutcome, find_extracts, ingest_extract

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
    assignment: AssignOutcome = field(default_factory=AssignOutcome)
    persons_total: int = 0
    linkage: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "files": [vars(f) | {"quarantined_total": f.quarantined_total} for f in self.files],
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
) -> BuildSummary:
    """Build or update the register from a sources directory; all or nothing."""
    progress = progress or BuildProgress()
    extracts = find_extracts(sources_dir)
    progress.on_extracts(extracts)
    migrate(engine)
    with writer_session(engine) as session:
        build = Build(sources_dir=str(sources_dir), linker=linker.name)
        session.add(build)
        session.flush()
        summary = BuildSummary(build.id)
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
                )
            )
        summary.assignment, summary.linkage = link_and_assign(
            session=session, linker=linker, build_id=build.id, progress=progress, retrain=retrain
        )
        summary.persons_total = _persons_total(session)
        build.summary, build.finished_at = summary.as_dict(), utcnow()
    logger.info("build %d done: %d persons", summary.build_id, summary.persons_total)
    return summary


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
    result = linker.link(records, spellings=spellings, must_link=must_link, cannot_link=cannot_link)
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
