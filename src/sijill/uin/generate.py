"""Random, check-digited Unique Identifying Numbers."""

import secrets

from sijill.errors import InvalidUIN
from sijill.uin.checksum import verhoeff_digit, verhoeff_valid

UIN_LENGTH = 10
MAX_RUN = 2  # at most two ascending, descending or identical digits in a row


_FORBIDDEN_RUNS = frozenset(
    [str(d) * 3 for d in range(10)]
    + ["".join(str(d + k) for k in range(3)) for d in range(8)]
    + ["".join(str(d - k) for k in range(3)) for d in range(2, 10)]
)


def _has_forbidden_run(number: str) -> bool:
    """Return True for three or more identical, ascending or descending digits in a row."""
    return any(number[i : i + 3] in _FORBIDDEN_RUNS for i in range(len(number) - MAX_RUN))


def uin_problem(number: str) -> str | None:
    """Return why a number is not a valid UIN, or None when it is one."""
    if len(number) != UIN_LENGTH or not number.isdigit():
        return f"a UIN has {UIN_LENGTH} digits; got {len(number)} characters"
    if number[0] in "01":
        return "a UIN never starts with 0 or 1"
    if not verhoeff_valid(number):
        return "the check digit does not match (a digit is wrong or two are swapped)"
    if _has_forbidden_run(number):
        return "a UIN has no run of 3 identical, ascending or descending digits"
    return None


def is_valid_uin(number: str) -> bool:
    """Return True when the number is a well-formed UIN.

    Example:
        >>> is_valid_uin(new_uin())
        True
    """
    return uin_problem(number) is None


def check_uin(number: str) -> str:
    """Return the number when valid; raise InvalidUIN saying why otherwise."""
    problem = uin_problem(number)
    if problem:
        raise InvalidUIN(f"{number!r} is not a valid UIN: {problem}")
    return number


def new_uin() -> str:
    """Draw a new UIN: 9 random digits from the OS's CSPRNG, then the Verhoeff digit."""
    while True:
        body = str(2 * 10**8 + secrets.randbelow(8 * 10**8))
        candidate = body + verhoeff_digit(body)
        if not _has_forbidden_run(candidate):
            return candidate
