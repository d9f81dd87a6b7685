"""Sync an offline bundle: verify it whole, then apply each entry once, resumably.

Nothing is written before the bundle's signature holds against the key of a registered,
active device. The ledger is the bundle's row (`enrolment_bundle`: its digest, completed or
not) and the (device, client id) of every entry applied (`enrolment`). Each entry is applied
in a transaction of its own, holding the writer lock: an interrupted sync leaves whole
entries behind, and the next sync of the same bundle skips them and goes on. A bundle whose
entries are all applied is reported "already applied", and nothing is written at all.

Each entry needs its own transaction for a second reason: the live matcher's index follows
a new person once its transaction commits, so the next entry (the same person captured
twice, say) is matched against it.
"""

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from sijill.db.base import utcnow
from sijill.db.engine import session_scope
from sijill.db.locks import writer_session
from sijill.enrolment.bundle import Bundle, read_bundle, verify_signature
from sijill.enrolment.devices import device_key
from sijill.enrolment.errors import BundleRefused, EnrolmentRefused
from sijill.enrolment.forms import EnrolmentForm, entry_digest, entry_number, form_from_json
from sijill.enrolment.models import Enrolment, EnrolmentBundle
from sijill.enrolment.service import (
    OUTCOME_ALREADY,
    OUTCOME_NEW,
    OUTCOME_QUEUED,
    OUTCOME_REFUSED,
    EnrolmentOutcome,
    EnrolmentPlace,
    enrol_person,
)
from sijill.history import record_events
from sijill.register.match import Matcher

logger = logging.getLogger(__name__)
CLIENT_ID_LIMIT = 64


@dataclass
class SyncReport:
    """What a sync did with each entry of a bundle, in the bundle's order."""

    bundle_id: str
    device: str
    outcomes: list[EnrolmentOutcome] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        """How many entries became new, queued, were already applied or were refused."""
        seen = Counter(o.outcome for o in self.outcomes)
        return {k: seen.get(k, 0) for k in (OUTCOME_NEW, OUTCOME_QUEUED, OUTCOME_ALREADY, OUTCOME_REFUSED)}

    @property
    def already_applied(self) -> bool:
        """True when every entry was applied by an earlier sync: this one changed nothing."""
        return bool(self.outcomes) and all(o.outcome == OUTCOME_ALREADY for o in self.outcomes)

    def as_dict(self) -> dict[str, Any]:
        """Return the report as JSON-ready data."""
        return {
            "bundle_id": self.bundle_id,
            "device": self.device,
            "counts": self.counts,
            "already_applied": self.already_applied,
            "entries": [o.as_dict() for o in self.outcomes],
        }


@dataclass(frozen=True)
class _Entry:
    """An entry of a verified bundle: its place in it, its form (or why it has none)."""

    row_number: int
    client_id: str | None
    digest: str
    form: EnrolmentForm | None
    problem: str | None


def _entries(bundle: Bundle) -> list[_Entry]:
    """Read every entry's form; a malformed entry or a repeated client id is refused alone."""
    out: list[_Entry] = []
    seen: set[str] = set()
    for i, raw in enumerate(bundle.entries, 1):
        digest = entry_digest(raw)
        try:
            form = form_from_json(raw)
        except EnrolmentRefused as exc:
            client = raw.get("client_id") if isinstance(raw, dict) else None
            out.append(_Entry(i, client if isinstance(client, str) else None, digest, None, str(exc)))
            continue
        client_id, problem = form.client_id, None
        if not client_id or len(client_id) > CLIENT_ID_LIMIT:
            problem = f"an entry needs a client_id of 1 to {CLIENT_ID_LIMIT} characters"
        elif client_id in seen:
            problem = "the bundle holds this client_id twice"
        seen.add(client_id or "")
        out.append(_Entry(i, client_id, digest, form, problem))
    return out


def _check_ledger(session: Session, bundle: Bundle) -> EnrolmentBundle | None:
    """Return the bundle's ledger row, refusing a bundle id seen before with other content."""
    held = session.get(EnrolmentBundle, bundle.bundle_id)
    if held is not None and (held.digest != bundle.digest or held.device != bundle.device):
        raise BundleRefused(
            f"bundle {bundle.bundle_id} was synced before with other content or from another device; "
            "a device gives each bundle a new id"
        )
    return held


def _applied(session: Session, device: str, client_ids: list[str]) -> dict[str, Enrolment]:
    """Return the enrolments already applied from these client ids of the device."""
    out: dict[str, Enrolment] = {}
    for i in range(0, len(client_ids), 1000):
        stmt = select(Enrolment).where(
            Enrolment.device == device, Enrolment.client_id.in_(client_ids[i : i + 1000])
        )
        out.update({str(e.client_id): e for e in session.scalars(stmt)})
    return out


def _already(entry: _Entry, enrolment: Enrolment) -> EnrolmentOutcome:
    if enrolment.entry_digest != entry.digest:
        return EnrolmentOutcome(
            OUTCOME_REFUSED,
            enrolment.number,
            client_id=entry.client_id,
            reason="this client_id was applied before with other content; it is not applied again",
        )
    return EnrolmentOutcome(OUTCOME_ALREADY, enrolment.number, client_id=entry.client_id)


def verify_bundle(*, session: Session, path: Path) -> Bundle:
    """Read a bundle and check its signature against its device's key; BundleRefused otherwise."""
    bundle = read_bundle(path)
    verify_signature(bundle, device_key(session=session, name=bundle.device))
    _check_ledger(session, bundle)
    return bundle


def sync_bundle(
    *,
    engine: Engine,
    path: Path,
    today: date | None = None,
    on_entry: Callable[[EnrolmentOutcome], None] | None = None,
    wait_seconds: float | None = None,
) -> SyncReport:
    """Verify a bundle, then apply each entry not applied before; return what became of each.

    Raises BundleRefused (nothing written) for a bundle that is altered, unsigned, from an
    unknown or revoked device, or a bundle id seen before with other content.
    """
    with session_scope(engine) as session:
        bundle = verify_bundle(session=session, path=path)
        entries = _entries(bundle)
        applied = _applied(session, bundle.device, [e.client_id for e in entries if e.client_id])
        complete = (held := session.get(EnrolmentBundle, bundle.bundle_id)) is not None and bool(
            held.completed_at
        )
    report = SyncReport(bundle.bundle_id, bundle.device)
    pending = [e for e in entries if e.problem is None and e.client_id not in applied]
    if pending or not complete:
        _open_ledger(engine, bundle, len(entries), wait_seconds)
    matcher = _load_matcher(engine, today) if pending else None
    for entry in entries:
        outcome = _apply(engine, bundle, entry, applied, matcher, today, wait_seconds)
        report.outcomes.append(outcome)
        if on_entry is not None:
            on_entry(outcome)
    if pending or not complete:
        _close_ledger(engine, bundle, report, wait_seconds)
    logger.info("bundle %s synced: %s", bundle.bundle_id, report.counts)
    return report


def _load_matcher(engine: Engine, today: date | None) -> Matcher:
    with session_scope(engine) as session:
        return Matcher.load(session, today=today)


def _apply(
    engine: Engine,
    bundle: Bundle,
    entry: _Entry,
    applied: dict[str, Enrolment],
    matcher: Matcher | None,
    today: date | None,
    wait_seconds: float | None,
) -> EnrolmentOutcome:
    """Apply one entry in a transaction of its own, unless applied before or unusable."""
    if entry.client_id in applied:
        return _already(entry, applied[entry.client_id])
    if entry.problem is not None or entry.form is None:
        return EnrolmentOutcome(OUTCOME_REFUSED, client_id=entry.client_id, reason=entry.problem)
    assert matcher is not None and entry.client_id is not None
    place = EnrolmentPlace(
        entry_number(bundle.device, entry.client_id),
        bundle.device,
        bundle.bundle_id,
        entry.row_number,
        entry.digest,
    )
    try:
        with writer_session(engine, wait_seconds=wait_seconds) as session:
            # Under the lock: a concurrent sync of the same bundle may have applied it meanwhile.
            if held := _applied(session, bundle.device, [entry.client_id]).get(entry.client_id):
                return _already(entry, held)
            return enrol_person(session=session, matcher=matcher, form=entry.form, place=place, today=today)
    except EnrolmentRefused as exc:
        return EnrolmentOutcome(OUTCOME_REFUSED, client_id=entry.client_id, reason=str(exc))


def _open_ledger(engine: Engine, bundle: Bundle, entries: int, wait_seconds: float | None) -> None:
    """Write the bundle's ledger row on its first sync (under the lock, re-checked)."""
    with writer_session(engine, wait_seconds=wait_seconds) as session:
        if _check_ledger(session, bundle) is not None:
            return
        session.add(
            EnrolmentBundle(
                bundle_id=bundle.bundle_id, device=bundle.device, digest=bundle.digest, entries=entries
            )
        )


def _close_ledger(engine: Engine, bundle: Bundle, report: SyncReport, wait_seconds: float | None) -> None:
    """Mark the bundle completed (every entry seen) and write the sync to the history."""
    with writer_session(engine, wait_seconds=wait_seconds) as session:
        held = session.get(EnrolmentBundle, bundle.bundle_id)
        assert held is not None
        first = held.completed_at is None
        held.completed_at = held.completed_at or utcnow()
        record_events(
            session=session,
            build_id=None,
            events=[
                {
                    "entity": "enrol_device",
                    "entity_id": bundle.device,
                    "action": "bundle synced" if first else "bundle resynced",
                    "detail": {"bundle": bundle.bundle_id, "counts": report.counts},
                }
            ],
        )
