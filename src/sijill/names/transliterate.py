"""Transliterate Arabic-script names into the Maghrebi, French-convention Latin form."""

from functools import lru_cache

from sijill.names.normalise import normalise_arabic

SUN_LETTERS = frozenset("تثدذرزسشصضطظلن")
_LETTERS = {
    "ب": "b",
    "ت": "t",
    "ث": "t",
    "ج": "j",
    "ح": "h",
    "خ": "kh",
    "د": "d",
    "ذ": "d",
    "ر": "r",
    "ز": "z",
    "س": "s",
    "ش": "ch",
    "ص": "s",
    "ض": "d",
    "ط": "t",
    "ظ": "z",
    "غ": "gh",
    "ف": "f",
    "ق": "k",
    "ك": "k",
    "ݣ": "g",
    "ل": "l",
    "م": "m",
    "ن": "n",
    "ه": "h",
    "ة": "a",
    "ا": "a",
    "أ": "a",
    "إ": "i",
}
_VOWELS = "aeiou"


def _letter(word: str, i: int) -> str:
    """Return the Latin rendering of letter i of a normalised Arabic word."""
    ch, prev = word[i], word[i - 1] if i else ""
    nxt = word[i + 1] if i + 1 < len(word) else ""
    if ch == "و":
        return "ou"
    if ch == "ي":
        return "y" if i == 0 or (nxt != "" and nxt in "اوي") else "i"
    if ch == "ع":
        return "a" if i == 0 or prev == "ا" or nxt == "" or nxt not in "اويى" else ""
    if ch == "س" and prev and nxt and prev not in "ن" and nxt in "اويى":
        return "ss"
    return _LETTERS.get(ch, "")


def _epenthesis(segments: list[str]) -> list[str]:
    """Add the short vowels a clerk writes that Arabic leaves out: an initial and a final one."""
    consonant = [bool(seg) and seg[0] not in _VOWELS and seg not in ("y",) for seg in segments]
    out = list(segments)
    if len(out) > 2 and consonant[0] and consonant[1]:
        out[0] += "a"
    if len(out) > 2 and consonant[-1] and consonant[-2] and out[-1] != out[-2]:
        out[-2] += "e"
    return out


def _transliterate_word(word: str) -> str:
    """Transliterate one normalised Arabic word, assimilating the article to sun letters."""
    article = ""
    if word.startswith("ال") and len(word) > 3:
        first = word[2]
        article = "e" + _letter(word, 2) if first in SUN_LETTERS else "el"
        word = word[2:]
    segments = [s for s in (_letter(word, i) for i in range(len(word))) if s]
    return article + "".join(_epenthesis(segments))


@lru_cache(maxsize=100_000)
def transliterate(text: str) -> str:
    """Transliterate an Arabic name into French-convention Latin.

    Long vowels and the consonants come out as a Moroccan clerk writes them; short vowels,
    which Arabic does not write, are not guessed beyond the first syllable.

    Example:
        >>> transliterate("الرحماني")
        'errahmani'
    """
    words = normalise_arabic(text).split()
    return " ".join(w for w in (_transliterate_word(w) for w in words) if w)
