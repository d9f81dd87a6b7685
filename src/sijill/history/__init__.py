"""The register's append-only history: every change, by whom, when, why and from what source.

Sources, linkage, register, services and the social register all write here, through
`record_events`; nothing else inserts into the `history` table, and nothing may update or
delete its rows (database triggers refuse it).
"""

from sijill.history.models import HistoryEvent
from sijill.history.service import events_of, record_events

__all__ = ["HistoryEvent", "events_of", "record_events"]
