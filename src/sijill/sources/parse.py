"""Parse the values of extracts: dates with their precision, sex codes, card numbers."""

import re
from dataclasses import dataclass
from datetime import date

CNIE_SHAPE = re.compile(r"^[A-Z]{1,2}\d{1,7}$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_YEAR = re.compile(r"^(\d{4})$")
_SEX = {"M": "M", "H": "M", "1": "M", "F": "F", "2": "F", "ذ": "M", "أ": "F"}
EARLIEST_YEAR = 1890


@dataclass(frozen=True, slots=True)
class PartialDate:
    """A date known to the day, or only to the year."""

    year: int
    month: int | None = None
    day: int | None = None

    @property
    def precision(self) -> str:
        return "day" if self.day is not None else "year"

    def iso(self) -> str:
        if self.month is None or self.day is None:
            return f"{self.year:04d}"
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"


def parse_date(value: str, *, today: date | None = None) -> PartialDate | None:
    """Parse YYYY-MM-DD, DD/MM/YYYY or YYYY; None when empty, impossible or in the future.

    Example:
        >>> parse_date("05/11/1980").iso()
        '1980-11-05'
    """
    value = value.strip()
    today = today or date.today()
    if m := _ISO.match(value):
        y, mo, d = int(m[1]), int(m[2]), int(m[3])
    elif m := _DMY.match(value):
        d, mo, y = int(m[1]), int(m[2]), int(m[3])
    elif m := _YEAR.match(value):
        y = int(m[1])
        return PartialDate(y) if EARLIEST_YEAR <= y <= today.year else None
    else:
        return None
    try:
        parsed = date(y, mo, d)
    except ValueError:
        return None
    if parsed > today or y < EARLIEST_YEAR:
        return None
    return PartialDate(y, mo, d)


def parse_sex(value: str) -> str | None:
    """Return M or F for the sex codes registries use, None otherwise."""
    return _SEX.get(value.strip().upper()[:1]) if value.strip() else None


def clean_card(value: str) -> str:
    """Upper-case a card number and drop spaces and separators."""
    return re.sub(r"[\s\-./]", "", value).upper()


def is_card_shaped(value: str) -> bool:
    """Return True for the CNIE shape: one or two letters, then digits."""
    return bool(CNIE_SHAPE.match(value))
