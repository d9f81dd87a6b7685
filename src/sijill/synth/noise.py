"""The mistakes clerks make: typos, spellings, swapped names, dates in several forms."""

import random
import string
import zlib
from datetime import date

_KEYBOARD_NEIGHBOURS = {
    "a": "zqs",
    "e": "zrd",
    "i": "uok",
    "o": "ipl",
    "u": "yio",
    "m": "nl",
    "n": "bm",
    "s": "qdz",
    "d": "sfe",
    "r": "etf",
    "t": "ryg",
    "l": "km",
    "h": "gj",
    "k": "jl",
    "b": "vn",
    "c": "xv",
    "f": "dg",
    "g": "fh",
    "j": "hk",
    "y": "tu",
    "z": "as",
}
_ARABIC_LETTERS = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"


def typo(rng: random.Random, text: str) -> str:
    """Return the text with one typing mistake past its first letter."""
    if len(text) < 3:
        return text
    i = rng.randrange(1, len(text) - 1)
    kind = rng.random()
    if kind < 0.3:
        return text[:i] + text[i + 1 :]
    if kind < 0.5:
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    if kind < 0.65:
        return text[:i] + text[i] + text[i:]
    ch = text[i]
    if ch.isascii() and ch.isalpha():
        pool = _KEYBOARD_NEIGHBOURS.get(ch.lower(), "aeiou")
        sub = rng.choice(pool)
        return text[:i] + (sub.upper() if ch.isupper() else sub) + text[i + 1 :]
    if ch != " " and not ch.isascii():
        return text[:i] + rng.choice(_ARABIC_LETTERS) + text[i + 1 :]
    return text


def spelling(rng: random.Random, spellings: tuple[str, ...], first_share: float) -> str:
    """Choose the Latin spelling a clerk writes: the usual one most often."""
    if len(spellings) == 1 or rng.random() < first_share:
        return spellings[0]
    return rng.choice(spellings[1:])


def mistype_card(rng: random.Random, card: str) -> str:
    """Return the card number with one digit changed or two digits swapped."""
    digits = [i for i, c in enumerate(card) if c.isdigit()]
    if len(digits) < 2:
        return card
    i = rng.choice(digits[:-1])
    chars = list(card)
    if rng.random() < 0.5 and chars[i + 1].isdigit() and chars[i] != chars[i + 1]:
        chars[i], chars[i + 1] = chars[i + 1], chars[i]
    else:
        chars[i] = rng.choice([d for d in string.digits if d != chars[i]])
    return "".join(chars)


def written_date(rng: random.Random, born: date, *, fmt: str, year_only: bool, day_month_swap: float) -> str:
    """Write a birth date as a registry does: ISO or DD/MM/YYYY, year only, day/month swapped."""
    if year_only:
        return str(born.year)
    day, month = born.day, born.month
    if day <= 12 and day != month and rng.random() < day_month_swap:
        day, month = month, day
    if fmt == "iso":
        return f"{born.year:04d}-{month:02d}-{day:02d}"
    return f"{day:02d}/{month:02d}/{born.year:04d}"


def partial_latin(rng: random.Random, family: str, given: str) -> tuple[str, str]:
    """Write the Latin names in part, as a hurried margin note does: one of the two names
    left out, or a compound given name cut to its first word."""
    if " " in given.strip() and rng.random() < 0.5:
        return family, given.split()[0]
    if rng.random() < 0.5:
        return family, ""
    return "", given


def older_commune_code(code: str) -> str:
    """Return the code a commune had in an older nomenclature, unknown to today's list.

    Morocco renumbered its regions in the 2015 reform (16 regions became 12), so a civil
    status office that kept its old registers writes codes that today's list does not hold.
    The synthetic old code moves the commune to a region number above 12.

    Example:
        >>> older_commune_code("04.441.01.01")
        '13.441.01.01'
    """
    region, _, rest = code.partition(".")
    return f"{13 + int(region) % 4:02d}.{rest}"


def is_stale_office(code: str, share: float) -> bool:
    """Return True for the communes whose civil status office still writes old codes (a
    fixed share of communes, chosen by a hash of the code, so every act of one office agrees)."""
    return share > 0 and zlib.crc32(code.encode("ascii")) % 10_000 < share * 10_000
