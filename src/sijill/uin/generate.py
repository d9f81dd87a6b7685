"""Random, check-digited Unique Identifying Numbers."""

import secrets
from typing import Any

import numpy as np

from sijill.errors import InvalidUIN
from sijill.uin.checksum import VERHOEFF_D, VERHOEFF_INV, VERHOEFF_P, verhoeff_valid

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
    if not number.isascii() or not number.isdigit():
        return "a UIN is made of the digits 0-9 only"
    if len(number) != UIN_LENGTH:
        return f"a UIN has {UIN_LENGTH} digits; got {len(number)}"
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
        raise InvalidUIN(f"not a valid UIN: {problem}")
    return number


def new_uin() -> str:
    """Draw a new UIN: 9 random digits from the OS's CSPRNG, then the Verhoeff digit."""
    return new_uins(1)[0]


_BODY_SPAN = 8 * 10**8  # bodies 200000000 .. 999999999: the first digit is never 0 or 1
_UNBIASED_LIMIT = (2**64 // _BODY_SPAN) * _BODY_SPAN


def _random_bodies(count: int) -> Any:
    """Return `count` uniform random 9-digit bodies from the OS's CSPRNG (rejection sampling)."""
    raw = np.frombuffer(secrets.token_bytes(8 * (count + count // 8 + 8)), dtype=np.uint64)
    raw = raw[raw < _UNBIASED_LIMIT]
    while len(raw) < count:
        raw = np.concatenate([raw, np.frombuffer(secrets.token_bytes(8 * count), dtype=np.uint64)])
        raw = raw[raw < _UNBIASED_LIMIT]
    return (raw[:count] % _BODY_SPAN).astype(np.int64) + 2 * 10**8


def _digits(numbers: Any, width: int) -> Any:
    """Return the decimal digits of each number, most significant first (rows x width)."""
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return (numbers[:, None] // powers) % 10


def _verhoeff_digits(digits: Any) -> Any:
    """Return the Verhoeff check digit of each row of digits, vectorised."""
    d, p, inv = np.array(VERHOEFF_D), np.array(VERHOEFF_P), np.array(VERHOEFF_INV)
    check = np.zeros(len(digits), dtype=np.int64)
    for i, column in enumerate(digits[:, ::-1].T):
        check = d[check, p[(i + 1) % 8, column]]
    return inv[check]


def new_uins(count: int) -> list[str]:
    """Draw `count` UINs at once (vectorised), each following every rule of `uin_problem`."""
    out: list[str] = []
    while len(out) < count:
        wanted = count - len(out)
        bodies = _random_bodies(wanted + wanted // 4 + 4)
        numbers = bodies * 10 + _verhoeff_digits(_digits(bodies, 9))
        step = np.diff(_digits(numbers, 10), axis=1)
        runs = ((step[:, :-1] == step[:, 1:]) & (np.abs(step[:, :-1]) <= 1)).any(axis=1)
        out.extend(numbers[~runs][:wanted].astype(str).tolist())
    return out
