"""A similarity in [0, 1] between two names written in any mix of scripts."""

from functools import lru_cache
from itertools import permutations

from rapidfuzz.distance import Indel, JaroWinkler

from sijill.names.keys import loose_key, strict_key
from sijill.names.normalise import is_arabic, normalise_arabic, normalise_latin
from sijill.names.spellings import SpellingDictionary

_WEIGHTS = {"strict": 0.5, "loose": 0.25, "text": 0.25}
_MAX_WORDS_PERMUTED = 4
_ENDING_PENALTY = 0.8


def _as_keyable(text: str, spellings: SpellingDictionary | None) -> str:
    """Return the form to compare: the learnt Arabic form behind a Latin spelling when known."""
    if spellings is not None and not is_arabic(text):
        return spellings.arabic_for(text) or text
    return text


def _text(a: str, b: str) -> float:
    """Compare the letters when both names are in one script, else the strict keys."""
    if is_arabic(a) and is_arabic(b):
        return Indel.normalized_similarity(normalise_arabic(a), normalise_arabic(b))
    if not is_arabic(a) and not is_arabic(b):
        return JaroWinkler.similarity(normalise_latin(a), normalise_latin(b))
    return Indel.normalized_similarity(strict_key(a), strict_key(b))


def _score_forms(a: str, b: str) -> float:
    """Score two single-order forms by their keys and their letters."""
    if b < a:
        a, b = b, a
    la, lb = loose_key(a), loose_key(b)
    if not la or not lb:
        return 0.0
    sa, sb = strict_key(a), strict_key(b)
    strict = Indel.normalized_similarity(sa, sb)
    loose = Indel.normalized_similarity(la, lb)
    score = _WEIGHTS["strict"] * strict + _WEIGHTS["loose"] * loose + _WEIGHTS["text"] * _text(a, b)
    return score * _ENDING_PENALTY if _differ_by_ending(sa, sb) else score


def _differ_by_ending(a: str, b: str) -> bool:
    """Return True when one key is the other plus a final vowel: the feminine or nisba ending
    (Karim / Karima, Mansour / Mansouri), which makes another name."""
    short, long = sorted((a, b), key=len)
    return len(long) == len(short) + 1 and long.startswith(short) and long[-1] in "AI"


def _orders(text: str) -> list[str]:
    """Return the name and its other word orders (family and given names swapped)."""
    words = text.split()
    if len(words) < 2 or len(words) > _MAX_WORDS_PERMUTED:
        return [text]
    return [" ".join(p) for p in permutations(words)]


@lru_cache(maxsize=200_000)
def _similarity(a: str, b: str) -> float:
    direct = _score_forms(a, b)
    if direct >= 1.0:
        return 1.0
    swapped_b = (_score_forms(a, other) for other in _orders(b)[1:])
    swapped_a = (_score_forms(other, b) for other in _orders(a)[1:])
    return max([direct, *swapped_b, *swapped_a])


def similarity(a: str, b: str, *, spellings: SpellingDictionary | None = None) -> float:
    """Return how alike two names are, in [0, 1], whatever their scripts and word order.

    Example:
        >>> similarity("محمد العلوي", "Mohammed EL ALAOUI") > 0.9
        True
    """
    if not a.strip() or not b.strip():
        return 0.0
    return round(_similarity(_as_keyable(a, spellings), _as_keyable(b, spellings)), 6)
