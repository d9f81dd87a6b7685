"""Errors of the identity services; the API maps each class to one HTTP status, in one place."""

from sijill.errors import NotFound, SijillError, UsageError


class Unauthenticated(SijillError):
    """No credential, or one that is unknown, revoked or expired."""

    exit_code = 1


class OutsidePolicy(SijillError):
    """An operation, field or source the caller's policy does not name."""

    exit_code = 1


class UnknownSubject(NotFound):
    """A UIN, VID or source id that leads to no person this caller may see."""


class InvalidRequest(UsageError):
    """A value the services cannot use; the message says which and why, never the value."""


class Conflict(SijillError):
    """A request that contradicts the state of the register (a second perpetual VID, say)."""

    exit_code = 1


class RateLimited(SijillError):
    """An agency calling faster than its policy allows."""

    exit_code = 1


class AuditUnavailable(SijillError):
    """The audit log cannot be written: the call is refused rather than left unrecorded."""

    exit_code = 5
