"""Errors of enrolment, children of sijill's one error root.

Exit codes: 1 for an enrolment whose form or evidence cannot be used (the message says which
field and why, never its value), 4 for an enrolment or device the register does not hold,
9 for a bundle refused whole (a signature that does not hold, a device the register does not
know or has revoked, a bundle that is not one): nothing of a refused bundle is written.
"""

from sijill.errors import NotFound, SijillError

EXIT_BUNDLE_REFUSED = 9


class EnrolmentRefused(SijillError):
    """An enrolment whose person fields or evidence cannot be used as written."""

    exit_code = 1


class BundleRefused(SijillError):
    """A bundle that cannot be trusted or read: nothing of it is applied."""

    exit_code = EXIT_BUNDLE_REFUSED


class UnknownDevice(BundleRefused):
    """A bundle signed by a device the register does not know, or has revoked."""


class EnrolmentNotFound(NotFound):
    """An enrolment number or device name that the register does not hold."""
