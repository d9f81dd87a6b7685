"""Errors of the social register, children of sijill's one error root.

Exit codes: 2 for configuration a person must fix (like a usage error), 4 for what the
register does not hold, 8 for an action the rules refuse (four eyes, a cycle's state).
"""

from sijill.errors import NotFound, SijillError


class InvalidConfiguration(SijillError):
    """A program, index or check file that does not validate."""

    exit_code = 2


class InvalidHousehold(SijillError):
    """A household declaration that cannot be registered as written."""

    exit_code = 1


class HouseholdNotFound(NotFound):
    """A household, change request or cycle that the register does not hold."""


class RuleRefused(SijillError):
    """An action the rules refuse: the preparer approving, paying what was not approved."""

    exit_code = 8
