"""Read back what the payment agency reports, record it, and say where it differs.

A status file has one line per payment: `program,period,household_id,uin,amount_mad,status`
(`status` is paid, failed or returned; an optional `reference` column is kept; a file of a
token release carries `sector_token` instead of `uin`). A line is recorded only when it
matches a due entitlement of a released cycle, for the same recipient and amount; every
other line is a difference, and so is every released entitlement the file does not mention.
"""

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sijill.db.base import utcnow
from sijill.social.cycles import sector_token
from sijill.social.errors import InvalidHousehold
from sijill.social.models import (
    CYCLE_RELEASED,
    ENTITLEMENT_DUE,
    PAYMENT_PAID,
    PAYMENT_STATUSES,
    Cycle,
    Entitlement,
    Payment,
)

REQUIRED = ("program", "period", "household_id", "amount_mad", "status")
DIFFERENCE_COLUMNS = ["line", "program", "period", "household_id", "difference"]


@dataclass
class Reconciliation:
    """What a status file said, what was recorded, and every difference with its line."""

    lines: int = 0
    recorded: dict[str, int] = field(default_factory=dict)
    differences: list[dict[str, Any]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Return the number of differences of each kind."""
        out: dict[str, int] = {}
        for d in self.differences:
            out[d["difference"]] = out.get(d["difference"], 0) + 1
        return out


def _read(path: Path) -> tuple[list[dict[str, str]], bool]:
    try:
        with path.open(encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
            header = rows[0].keys() if rows else set()
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InvalidHousehold(f"{path}: cannot read as CSV: {type(exc).__name__}") from None
    missing = [c for c in REQUIRED if rows and c not in header]
    if missing:
        raise InvalidHousehold(f"{path}: no column {missing[0]!r}")
    tokens = "sector_token" in header
    if rows and not tokens and "uin" not in header:
        raise InvalidHousehold(f"{path}: no column 'uin' (or 'sector_token')")
    return rows, tokens


def _entitlements(session: Session, keys: set[tuple[str, str]]) -> dict[tuple[str, str, int], Any]:
    found: dict[tuple[str, str, int], Any] = {}
    for program, period in sorted(keys):
        stmt = (
            select(Entitlement, Cycle.status, Payment)
            .join(Cycle, Cycle.id == Entitlement.cycle_id)
            .outerjoin(Payment, Payment.entitlement_id == Entitlement.id)
            .where(Entitlement.program == program, Entitlement.period == period)
        )
        for entitlement, cycle_status, payment in session.execute(stmt):
            found[(program, period, entitlement.household_id)] = (entitlement, cycle_status, payment)
    return found


def _difference(line: int, row: dict[str, str], kind: str) -> dict[str, Any]:
    return {
        "line": line,
        "program": row.get("program", ""),
        "period": row.get("period", ""),
        "household_id": row.get("household_id", ""),
        "difference": kind,
    }


def _check(row: dict[str, str], held: Any, tokens: bool, key: bytes | None) -> str | None:
    """Return why a reported line cannot be recorded, or None when it can."""
    if row["status"] not in PAYMENT_STATUSES:
        return "unknown status (use paid, failed or returned)"
    if held is None:
        return "no such entitlement"
    entitlement, cycle_status, payment = held
    if cycle_status != CYCLE_RELEASED:
        return "cycle not released: never payable"
    if entitlement.status != ENTITLEMENT_DUE:
        return f"entitlement held ({entitlement.hold_reason}): not payable"
    if tokens:
        if key is None or row["sector_token"] != sector_token(key, entitlement.recipient_uin):
            return "recipient differs"
    elif row["uin"] != entitlement.recipient_uin:
        return "recipient differs"
    if row["amount_mad"].strip() != str(entitlement.amount_mad):
        return "amount differs"
    if payment is not None and payment.status == PAYMENT_PAID and row["status"] != PAYMENT_PAID:
        return "reported after being paid"
    if payment is not None and payment.status == PAYMENT_PAID:
        return "already paid"
    return None


def reconcile_payments(*, session: Session, path: Path, token_key: bytes | None = None) -> Reconciliation:
    """Record a payment-status file's lines and report the differences."""
    rows, tokens = _read(path)
    out = Reconciliation(lines=len(rows))
    keys = {(r["program"], r["period"]) for r in rows}
    held = _entitlements(session, keys)
    seen: set[tuple[str, str, int]] = set()
    for line, row in enumerate(rows, start=2):
        try:
            key = (row["program"], row["period"], int(row["household_id"]))
        except ValueError:
            out.differences.append(_difference(line, row, "household_id is not a number"))
            continue
        if key in seen:
            out.differences.append(_difference(line, row, "reported twice in the file"))
            continue
        seen.add(key)
        why = _check(row, held.get(key), tokens, token_key)
        if why is not None:
            out.differences.append(_difference(line, row, why))
            continue
        _record(session, held[key], row, path)
        out.recorded[row["status"]] = out.recorded.get(row["status"], 0) + 1
    for key, (entitlement, cycle_status, payment) in sorted(held.items()):
        if (
            cycle_status == CYCLE_RELEASED
            and entitlement.status == ENTITLEMENT_DUE
            and key not in seen
            and payment is None
        ):
            out.differences.append(
                _difference(
                    0,
                    {"program": key[0], "period": key[1], "household_id": str(key[2])},
                    "no status reported",
                )
            )
    session.flush()
    return out


def _record(session: Session, held: Any, row: dict[str, str], path: Path) -> None:
    entitlement, _status, payment = held
    reference = row.get("reference") or None
    if payment is None:
        session.add(
            Payment(
                entitlement_id=entitlement.id,
                status=row["status"],
                reference=reference,
                source_file=path.name,
            )
        )
        return
    payment.status, payment.reference, payment.source_file = row["status"], reference, path.name
    payment.reported_at = utcnow()


def write_differences(reconciliation: Reconciliation, out: Path) -> None:
    """Write the differences of a reconciliation as CSV."""
    with out.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=DIFFERENCE_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(reconciliation.differences)
