"""Unique Identifying Numbers: 10 digits, random, with a Verhoeff check digit.

`sijill.uin.service` (issue, store, alias) is the one writer of the `uin` table.
"""

from sijill.uin.checksum import verhoeff_digit, verhoeff_valid
from sijill.uin.generate import check_uin, is_valid_uin, new_uin, uin_problem
from sijill.uin.models import UIN_RETIRED, Uin

__all__ = [
    "UIN_RETIRED",
    "Uin",
    "check_uin",
    "is_valid_uin",
    "new_uin",
    "uin_problem",
    "verhoeff_digit",
    "verhoeff_valid",
]
