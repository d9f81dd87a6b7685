"""Parse the values of extracts: dates with their precision, sex codes, card numbers."""

import re
from dataclasses import dataclass
from datetime import date

CNIE_SHAPE = re.compile(r"^[A-Z]{1,2}[0-9]{1,7}$")
_ISO = re.compile(r"^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})\Z")
_DMY = re.compile(r"^([0-9]{1,2})[/.-]([0-9]{1,2})[/.-]([0-9]{4})\Z")
_YEAR = re.compile(r"^([0-9]{4})\Z")
# Arabic-Indic digits (as clerks write dates in Arabic) are read as the digits they are.
ARABIC_DIGITS = "٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹"
ASCII_DIGITS = "01234567890123456789"
_TO_ASCII_DIGITS = str.maketrans(ARABIC_DIGITS, ASCII_DIGITS)
# The documented sex codes and their explicitly mapped variants; anything else is flagged.
SEX_CODES: dict[str, str] = {
    "M": "M",
    "H": "M",
    "1": "M",
    "HOMME": "M",
    "MASCULIN": "M",
    "ذ": "M",
    "ذكر": "M",
    "F": "F",
    "2": "F",
    "FEMME": "F",
    "FEMININ": "F",
    "FÉMININ": "F",
    "أ": "F",
    "أنثى": "F",
    "انثى": "F",
}
CARD_SEPARATORS = r"[\s\-./]"
LOWER_ASCII = "abcdefghijklmnopqrstuvwxyz"
UPPER_ASCII = LOWER_ASCII.upper()
_UPPER_ASCII = str.maketrans(LOWER_ASCII, UPPER_ASCII)
# Sex codes are compared upper-cased letter by letter (ASCII and é only), the same in SQL.
SEX_LOWER, SEX_UPPER = LOWER_ASCII + "é", UPPER_ASCII + "É"
_SEX_UPPER = str.maketrans(SEX_LOWER, SEX_UPPER)
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
    value = value.strip().translate(_TO_ASCII_DIGITS)
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
    """Return M or F for the documented sex codes (`SEX_CODES`), None for anything else."""
    return SEX_CODES.get(value.strip().translate(_SEX_UPPER))


def clean_card(value: str) -> str:
    """Drop spaces and separators of a card number and upper-case its ASCII letters."""
    return re.sub(CARD_SEPARATORS, "", value).translate(_UPPER_ASCII)


def is_card_shaped(value: str) -> bool:
    """Return True for the CNIE shape: one or two letters, then digits."""
    return bool(CNIE_SHAPE.match(value))
