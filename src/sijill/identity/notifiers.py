"""Notifiers of one-time codes: where a resident's code goes."""

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session


@dataclass
class CollectingNotifier:
    """Keep the codes sent, per UIN (a test or a demonstration; it delivers nothing)."""

    sent: dict[str, list[str]] = field(default_factory=dict)

    def send_code(self, *, session: Session, uin: str, code: str, expires_at: datetime) -> None:
        """Keep the code under its UIN."""
        self.sent.setdefault(uin, []).append(code)

    def last_code(self, uin: str) -> str | None:
        """Return the last code sent for this UIN."""
        codes = self.sent.get(uin)
        return codes[-1] if codes else None


# FIXME(api): a delivery outbox for residents' codes (an SMS gateway's queue). Not the live
# register's outbox (`sijill.outbox`): that is the agencies' feed (`GET /v1/events`, SPDCI
# notify), and a one-time code published there would let any agency open a resident's
# session. Until a channel is configured, the default keeps codes in the process and
# delivers nothing.
OutboxNotifier = CollectingNotifier
