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


@dataclass
class OutboxNotifier:
    """Write each code to the register's outbox as a `resident_code` event (the default).

    The delivery gateway of the country (an SMS or e-mail sender) subscribes to the outbox
    (`sijill outbox consume --subscriber sms`) and delivers each code to the resident holding
    the UIN. The kind is private: an agency's feed (`GET /v1/events`, SPDCI notify) never
    carries it, or an agency could open the resident's session. The code is written in the
    request's transaction, so a code exists for delivery exactly when it can be used.
    """

    def send_code(self, *, session: Session, uin: str, code: str, expires_at: datetime) -> None:
        """Publish the code for delivery to the holder of `uin`."""
        from sijill.outbox import EVENT_RESIDENT_CODE, publish

        publish(
            session,
            kind=EVENT_RESIDENT_CODE,
            uin=uin,
            payload={"code": code, "expires_at": expires_at.isoformat()},
        )
