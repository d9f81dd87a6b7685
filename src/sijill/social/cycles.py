"""Payment cycles with four eyes: prepared by one person, approved by another, then released.

`run_cycle` prepares (or re-prepares) every program's cycle of a period in bulk and writes
one payment list per program and an exclusions report. A cycle that is still prepared is
recomputed from the current data; an approved or released cycle is never recomputed, its
files are written again from what was approved. Files hold no timestamps and are sorted,
so re-running a cycle on unchanged data writes byte-identical files.

The preparer can never approve (checked here and by a CHECK constraint); entitlements of a
cycle that is not released can never be paid (database triggers); a person is never paid
twice for one program and period (unique constraints).
"""

import csv
import hmac
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from hashlib import sha256
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pandas as pd
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from sijill.db.base import utcnow
from sijill.db.bulk import bulk_insert_tuples, next_ids
from sijill.social.checks import run_cross_checks
from sijill.social.config import IndexSpec, LoadedProgram, load_index, load_programs
from sijill.social.errors import HouseholdNotFound, RuleRefused
from sijill.social.following import follow_register
from sijill.social.inputs import load_inputs, load_members
from sijill.social.models import (
    CYCLE_APPROVED,
    CYCLE_PREPARED,
    CYCLE_RELEASED,
    ENTITLEMENT_DUE,
    Cycle,
    Entitlement,
    Payment,
)
from sijill.social.people import schooling_frame
from sijill.social.rules import EXCLUSION_COLUMNS, ProgramResult, compute_program, period_bounds
from sijill.social.scoring import score_households

logger = logging.getLogger(__name__)

PAYMENT_LIST_COLUMNS = ["program", "period", "household_id", "uin", "amount_mad"]
RELEASE_COLUMNS = ["program", "period", "entitlement_id", "household_id", "uin", "amount_mad"]
TOKEN_COLUMNS = ["program", "period", "entitlement_id", "household_id", "sector_token", "amount_mad"]
EXCLUSIONS_FILE = "exclusions.csv"
PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_CHUNK = 5000


def check_period(period: str) -> str:
    """Return a period written YYYY-MM, or refuse it."""
    if not PERIOD.match(period):
        from sijill.errors import UsageError

        raise UsageError("the cycle must be a month written YYYY-MM, e.g. 2026-01")
    return period


@dataclass
class CycleRun:
    """What running the cycles of a period did, program by program."""

    period: str
    recomputed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    households: dict[str, int] = field(default_factory=dict)
    amounts: dict[str, int] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)


def _cycle(session: Session, program: str, period: str) -> Cycle | None:
    return session.scalars(select(Cycle).where(Cycle.program == program, Cycle.period == period)).first()


def _clear(session: Session, cycle: Cycle) -> None:
    """Delete a prepared cycle's entitlements (Core: no session to synchronise)."""
    session.connection().execute(delete(Entitlement).where(Entitlement.cycle_id == cycle.id))


def _summary(loaded: LoadedProgram, result: ProgramResult, model_version: str | None) -> dict[str, Any]:
    e = result.entitlements
    by_sex = e.groupby(e["recipient_sex"].fillna("?"))["household_id"].size()
    return {
        "households": len(e),
        "persons": int(e["persons"].sum()),
        "amount_mad": int(e["amount_mad"].sum()),
        "lines": len(result.lines),
        "recipients_by_sex": {str(k): int(v) for k, v in by_sex.items()},
        "exclusions": result.exclusions.to_dict(orient="records"),
        "model_version": model_version,
        "program": orjson.loads(loaded.program.model_dump_json()),
    }


def _nullable(values: pd.Series, kind: Callable[[Any], Any]) -> list[Any]:
    """Return a column as Python values of a kind (int, float, str), missing ones as None."""
    missing = values.isna().to_numpy()
    if kind is int:
        out: list[Any] = values.where(~missing, 0).astype("int64").tolist()
    elif kind is float:
        out = values.where(~missing, 0.0).astype("float64").tolist()
    else:
        out = [kind(v) for v in values.astype(object).where(~missing, "").tolist()]
    for i in np.flatnonzero(missing).tolist():
        out[i] = None
    return out


def _lines_of(lines: pd.DataFrame) -> dict[int, str]:
    """Return each household's lines as the JSON of [[component, rule, amount, beneficiary], ...].

    Why text built per line and joined per household: a national cycle has half a million
    lines; each distinct (component, rule) is encoded once by orjson, the rest is string
    concatenation, and the text is exactly `orjson.dumps` of the nested lists.
    """
    if not len(lines):
        return {}
    labels = list(
        zip(lines["component"].astype(str).tolist(), lines["rule"].astype(str).tolist(), strict=True)
    )
    encoded = {label: orjson.dumps(list(label)).decode()[:-1] for label in set(labels)}
    beneficiary = _nullable(lines["beneficiary_person_id"], int)
    text = [
        f"{encoded[label]},{amount},{'null' if b is None else b}]"
        for label, amount, b in zip(
            labels, lines["amount_mad"].astype("int64").tolist(), beneficiary, strict=True
        )
    ]
    households = lines["household_id"].astype("int64").to_numpy()
    order = np.argsort(households, kind="stable")
    keys, starts = np.unique(households[order], return_index=True)
    ends = [*starts[1:].tolist(), len(order)]
    ordered = [text[i] for i in order.tolist()]
    return {
        int(h): "[" + ",".join(ordered[a:b]) + "]"
        for h, a, b in zip(keys.tolist(), starts.tolist(), ends, strict=True)
    }


def _store(session: Session, cycle: Cycle, result: ProgramResult) -> None:
    """Write a cycle's entitlements, each with its lines, in bulk, column by column."""
    e = result.entitlements
    n, ids = len(e), next_ids(session, Entitlement.__table__, len(e))
    households = e["household_id"].astype("int64").tolist()
    lines = _lines_of(result.lines)
    entitlements = {
        "id": ids,
        "cycle_id": [cycle.id] * n,
        "program": [cycle.program] * n,
        "period": [cycle.period] * n,
        "household_id": households,
        "recipient_person_id": e["recipient_person_id"].astype("int64").tolist(),
        "recipient_uin": e["recipient_uin"].astype(str).tolist(),
        "recipient_sex": _nullable(e["recipient_sex"], str),
        "amount_mad": e["amount_mad"].astype("int64").tolist(),
        "score": _nullable(e["score"], float),
        "commune": e["commune"].astype(str).tolist(),
        "region_code": e["region_code"].astype(str).tolist(),
        "urban": e["urban"].astype(bool).tolist(),
        "persons": e["persons"].astype("int64").tolist(),
        "status": [ENTITLEMENT_DUE] * n,
        "hold_reason": [None] * n,
        "lines": [lines.get(h, "[]") for h in households],
    }
    names = list(entitlements)
    bulk_insert_tuples(session, Entitlement.__table__, names, list(zip(*entitlements.values(), strict=True)))


def _prepare(
    session: Session, loaded: LoadedProgram, period: str, by: str, result: ProgramResult, model: str | None
) -> Cycle:
    program = loaded.program
    cycle = _cycle(session, program.id, period)
    if cycle is None:
        cycle = Cycle(
            program=program.id,
            period=period,
            status=CYCLE_PREPARED,
            prepared_by=by,
            program_version=program.version,
            program_checksum=loaded.checksum,
        )
        session.add(cycle)
        session.flush()
    else:
        _clear(session, cycle)
    cycle.prepared_by, cycle.prepared_at = by, utcnow()
    cycle.program_version, cycle.program_checksum = program.version, loaded.checksum
    cycle.model_version = model
    cycle.summary = _summary(loaded, result, model)
    session.flush()
    _store(session, cycle, result)
    return cycle


def run_cycle(
    *,
    session: Session,
    period: str,
    by: str,
    out_dir: Path | None = None,
    programs: dict[str, LoadedProgram] | None = None,
    index: IndexSpec | None = None,
    only: list[str] | None = None,
    on_stage: Callable[[str], None] | None = None,
) -> CycleRun:
    """Prepare the cycles of a period for every program (or `only` these), and write the files."""
    import time

    check_period(period)
    step = on_stage or (lambda _s: None)
    programs = programs or load_programs()
    wanted = sorted(only or programs)
    unknown = [p for p in wanted if p not in programs]
    if unknown:
        raise HouseholdNotFound(f"no program {unknown[0]!r}: use one of {', '.join(sorted(programs))}")
    run = CycleRun(period)
    clock = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        run.seconds[stage] = round(now - clock, 2)
        clock = now
        step(stage)

    computed: dict[str, ProgramResult] = {}
    to_compute = [
        p for p in wanted if (c := _cycle(session, p, period)) is None or c.status == CYCLE_PREPARED
    ]
    if to_compute:
        follow_register(session=session)
        lap("following the register")
        spec = index or load_index()
        score_households(session=session, spec=spec)
        lap("scoring")
        members, schooling = load_members(session=session), schooling_frame(session=session)
        lap("loading")
        run_cross_checks(session=session, on=period_bounds(period)[0], members=members, schooling=schooling)
        lap("cross-checks")
        inputs = load_inputs(
            session=session, period=period, programs=to_compute, members=members, schooling=schooling
        )
        for program_id in to_compute:
            result = compute_program(programs[program_id].program, inputs)
            _prepare(session, programs[program_id], period, by, result, spec.version)
            computed[program_id] = result
            run.recomputed.append(program_id)
        lap("computing")
    run.kept = [p for p in wanted if p not in run.recomputed]
    for program_id in wanted:
        cycle = _cycle(session, program_id, period)
        assert cycle is not None
        run.households[program_id] = int(cycle.summary.get("households", 0))
        run.amounts[program_id] = int(cycle.summary.get("amount_mad", 0))
    if out_dir is not None:
        run.files = write_cycle_files(
            session=session, period=period, programs=wanted, out_dir=out_dir, computed=computed
        )
        lap("writing")
    logger.info("cycle %s: %d programs recomputed, %d kept", period, len(run.recomputed), len(run.kept))
    return run


# ---------------------------------------------------------------- files


def _entitlement_rows(session: Session, program: str, period: str, *, due_only: bool) -> list[Any]:
    cycle = select(Cycle.id).where(Cycle.program == program, Cycle.period == period).scalar_subquery()
    stmt = (
        select(Entitlement.id, Entitlement.household_id, Entitlement.recipient_uin, Entitlement.amount_mad)
        .where(Entitlement.cycle_id == cycle)
        .order_by(Entitlement.household_id)
    )
    if due_only:
        stmt = stmt.where(Entitlement.status == ENTITLEMENT_DUE)
    return list(session.execute(stmt).all())


def _write_csv(path: Path, header: list[str], rows: list[list[Any]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _payment_rows(program: str, period: str, result: ProgramResult) -> list[list[Any]]:
    e = result.entitlements
    households = e["household_id"].astype("int64").tolist()
    uins = e["recipient_uin"].astype(str).tolist()
    amounts = e["amount_mad"].astype("int64").tolist()
    return [[program, period, h, u, a] for h, u, a in zip(households, uins, amounts, strict=True)]


def write_cycle_files(
    *,
    session: Session,
    period: str,
    programs: list[str],
    out_dir: Path,
    computed: dict[str, ProgramResult] | None = None,
) -> list[Path]:
    """Write `<program>.csv` for each program and `exclusions.csv`, sorted, without timestamps.

    A program just computed is written from its result (the same rows, in the same order,
    as stored); the others from the register.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    files = []
    exclusions: list[list[Any]] = []
    for program in sorted(programs):
        cycle = _cycle(session, program, period)
        if cycle is None:
            continue
        if computed is not None and program in computed:
            rows = _payment_rows(program, period, computed[program])
        else:
            stored = _entitlement_rows(session, program, period, due_only=False)
            rows = [[program, period, h, u, a] for _i, h, u, a in stored]
        files.append(_write_csv(out_dir / f"{program}.csv", PAYMENT_LIST_COLUMNS, rows))
        for row in cycle.summary.get("exclusions", []):
            exclusions.append([program, period, *(row[c] for c in EXCLUSION_COLUMNS)])
    files.append(_write_csv(out_dir / EXCLUSIONS_FILE, ["program", "period", *EXCLUSION_COLUMNS], exclusions))
    return files


# ---------------------------------------------------------------- approval and release


def _cycles_of(session: Session, period: str, program: str | None) -> list[Cycle]:
    check_period(period)
    stmt = select(Cycle).where(Cycle.period == period).order_by(Cycle.program)
    if program is not None:
        stmt = stmt.where(Cycle.program == program)
    cycles = list(session.scalars(stmt))
    if not cycles:
        raise HouseholdNotFound(f"no cycle for {period}{f' of {program}' if program else ''}: run it first")
    return cycles


def approve_cycle(*, session: Session, period: str, by: str, program: str | None = None) -> list[Cycle]:
    """Approve the prepared cycles of a period (or one program's); never by their preparer."""
    cycles = _cycles_of(session, period, program)
    for cycle in cycles:
        if cycle.status != CYCLE_PREPARED:
            raise RuleRefused(
                f"cycle {cycle.program} {period} is {cycle.status}, not prepared: nothing to approve"
            )
        if cycle.prepared_by == by:
            raise RuleRefused(
                f"cycle {cycle.program} {period} was prepared by the same person: "
                "four eyes, another person must approve it"
            )
    now = utcnow()
    for cycle in cycles:
        cycle.status, cycle.approved_by, cycle.approved_at = CYCLE_APPROVED, by, now
    session.flush()
    return cycles


def sector_token(key: bytes, uin: str) -> str:
    """Return the payment sector's token of a UIN: the bank never sees the UIN itself."""
    return hmac.new(key, f"payments:{uin}".encode(), sha256).hexdigest()[:24]


def release_cycle(
    *,
    session: Session,
    period: str,
    by: str,
    out_dir: Path,
    program: str | None = None,
    token_key: bytes | None = None,
) -> list[Path]:
    """Release approved cycles: hold what a death made unpayable, write the bank-facing files."""
    cycles = _cycles_of(session, period, program)
    for cycle in cycles:
        if cycle.status != CYCLE_APPROVED:
            raise RuleRefused(
                f"cycle {cycle.program} {period} is {cycle.status}: only an approved cycle is released"
            )
    follow_register(session=session)
    now = utcnow()
    out_dir.mkdir(parents=True, exist_ok=True)
    files = []
    for cycle in cycles:
        cycle.status, cycle.released_by, cycle.released_at = CYCLE_RELEASED, by, now
        rows = _entitlement_rows(session, cycle.program, period, due_only=True)
        if token_key is None:
            body = [[cycle.program, period, i, h, u, a] for i, h, u, a in rows]
            files.append(_write_csv(out_dir / f"{cycle.program}.release.csv", RELEASE_COLUMNS, body))
        else:
            body = [[cycle.program, period, i, h, sector_token(token_key, u), a] for i, h, u, a in rows]
            files.append(_write_csv(out_dir / f"{cycle.program}.release.csv", TOKEN_COLUMNS, body))
    session.flush()
    return files


def cycles_of_period(*, session: Session, period: str) -> list[dict[str, Any]]:
    """Return the cycles of a period with their state and totals."""
    return [
        {
            "program": c.program,
            "period": c.period,
            "status": c.status,
            "prepared_by": c.prepared_by,
            "approved_by": c.approved_by,
            "released_by": c.released_by,
            "households": c.summary.get("households", 0),
            "amount_mad": c.summary.get("amount_mad", 0),
            "paid": _paid_count(session, c.id),
        }
        for c in _cycles_of(session, period, None)
    ]


def _paid_count(session: Session, cycle_id: int) -> int:
    from sqlalchemy import func

    stmt = (
        select(func.count())
        .select_from(Payment)
        .join(Entitlement, Entitlement.id == Payment.entitlement_id)
        .where(Entitlement.cycle_id == cycle_id, Payment.status == "paid")
    )
    return int(session.scalar(stmt) or 0)


def today_period() -> str:
    """Return the current month as a period."""
    today = date.today()
    return f"{today.year:04d}-{today.month:02d}"
