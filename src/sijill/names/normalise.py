"""Normalise names written in Arabic script or in French-convention Latin."""

import re
import unicodedata
from functools import lru_cache

_ARABIC_RANGE = re.compile(r"[\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF\uFB50-\uFDFF\uFE70-\uFEFF]")
_DIACRITICS = re.compile(r"[\u0610-\u061A\u064B-\u065F\u0670\u06D6-\u06ED]")
_TATWEEL = "\u0640"
# A word-initial hamzated alif before ل is kept (إلهام is not the article ال + هام), and so is
# the hamza-i right after an article (الإله, Ilah: عبد الإله is not عبد الله).
_HAMZA_BEFORE_LAM = re.compile(r"(?:(?<=\s)|^)([أإ])(?=ل)|(?:(?<=\sال)|(?<=^ال))(إ)")
_JOINED_ABD = re.compile(r"(?:(?<=\s)|^)عبد(?=ال.)")
# Alef maqsura ends a name with the sound a (مصطفى Mustapha, هدى Houda): read as final alef.
_FINAL_ALEF_MAQSURA = re.compile(r"ى(?=\s|$)")
_ARABIC_LETTER_MAP = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ى": "ي",
        "ی": "ي",
        "ې": "ي",
        "ک": "ك",
        "ڭ": "ݣ",
        "گ": "ݣ",
        "ڨ": "ݣ",
        "ڤ": "ف",
        "ڥ": "ف",
        "پ": "ب",
        "چ": "ش",
        "ؤ": "و",
        "ئ": "ي",
        "،": " ",
        "-": " ",
        "_": " ",
        ".": " ",
    }
)
# Compound prefixes written apart or joined: عبد ال..., أبو, بن, آيت, أولاد.
_ARABIC_JOINERS = ("عبد", "ابو", "بو", "بن", "ابن", "ايت", "اولاد", "ولد", "بنت")

LATIN_ARTICLES = frozenset(
    {
        "el",
        "al",
        "ed",
        "er",
        "es",
        "ech",
        "et",
        "ez",
        "en",
        "ad",
        "ar",
        "as",
        "az",
        "at",
        "an",
        "ach",
    }
)
LATIN_JOINERS = frozenset(
    {
        "ben",
        "bent",
        "bnou",
        "ibn",
        "ould",
        "ouled",
        "oulad",
        "ait",
        "ou",
        "bou",
        "abou",
        "abd",
        "abdel",
        "abdal",
        "abdou",
        "abde",
    }
)
LATIN_TITLES = {
    "med": "mohammed",
    "mhd": "mohammed",
    "my": "moulay",
    "mly": "moulay",
    "mol": "moulay",
    "sd": "sidi",
    "si": "sidi",
    "lla": "lalla",
}


def is_arabic(text: str) -> bool:
    """Return True when the text holds at least one Arabic-script letter."""
    return not text.isascii() and bool(_ARABIC_RANGE.search(text))


@lru_cache(maxsize=200_000)
def normalise_arabic(text: str) -> str:
    """Strip diacritics and tatweel, unify letter variants and spacing of compounds.

    Example:
        >>> normalise_arabic("عَبْدُ الله")
        'عبد الله'
    """
    text = unicodedata.normalize("NFKC", text)
    text = _DIACRITICS.sub("", text).replace(_TATWEEL, "")
    text = _FINAL_ALEF_MAQSURA.sub("ا", text)
    text = _JOINED_ABD.sub("عبد ", text)
    text = _HAMZA_BEFORE_LAM.sub(lambda m: "\u0000" if m.group(1) == "أ" else "\u0001", text)
    text = text.translate(_ARABIC_LETTER_MAP).replace("\u0000", "أ").replace("\u0001", "إ")
    text = text.replace("ء", "")
    return " ".join(_split_arabic_joiners(text.split()))


def _split_arabic_joiners(tokens: list[str]) -> list[str]:
    """Write compound prefixes apart from the name they introduce: عبدالله -> عبد الله."""
    out: list[str] = []
    for token in tokens:
        for joiner in ("عبد", "اولاد", "ايت"):
            if token.startswith(joiner) and len(token) > len(joiner) + 1:
                out.append(joiner)
                token = token[len(joiner) :]
                break
        out.append(token)
    return out


def _strip_accents(text: str) -> str:
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=200_000)
def normalise_latin(text: str) -> str:
    """Lower-case, strip accents, split particles and expand abbreviated titles.

    Example:
        >>> normalise_latin("EL-ALAOUI  Mly")
        'el alaoui moulay'
    """
    text = _strip_accents(text.replace("ç", "s").replace("Ç", "S")).lower()
    text = re.sub(r"[’'`´‘]", "", text)
    text = re.sub(r"[^a-z]+", " ", text)
    tokens = [LATIN_TITLES.get(t, t) for t in text.split()]
    return " ".join(tokens)


def normalise(text: str) -> str:
    """Normalise a name in either script, keeping its script.

    Example:
        >>> normalise("  Mohammed   EL ALAOUI ")
        'mohammed el alaoui'
    """
    if is_arabic(text):
        return normalise_arabic(text)
    return normalise_latin(text)


def is_arabic_joiner(token: str) -> bool:
    """Return True for an Arabic compound prefix (عبد, بن, ايت ...)."""
    return token in _ARABIC_JOINERS
