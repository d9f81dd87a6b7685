"""A similarity in [0, 1] between two names written in any mix of scripts.

Two names are compared sound by sound (`names.sounds`), by a weighted edit distance whose
costs say how much each script can be trusted: a long vowel, an alif or an ʿayn that one
Arabic name has and another has not makes another name (محمد / محمود, هشام / هاشم, سعد /
سعاد), while a Latin spelling that writes a short vowel long, or leaves out what it cannot
show, is still the same name (Mouhamed, Khalid for خالد). The feminine ending makes another
name (Karim / Karima). Theophoric compounds are compared by the element after Abd: the
divine name decides (Abdelhak / Abdelilah are two names, Abdelaziz / Abdel Aziz one).
"""

from functools import lru_cache
from itertools import permutations

from sijill.names.normalise import is_arabic
from sijill.names.sounds import Sound, compound_elements, readings
from sijill.names.spellings import SpellingDictionary

_MAX_WORDS_PERMUTED = 4
# Consonants one script writes for one sound of the other (ث as t or s, ذ as d or z).
# Sounds one script writes for a sound of the other: ث as t or s, ذ as d or z, a Latin ou
# before a vowel for و or for ʿayn (Souad, سعاد), a Latin o for that ou (Doaa, Douaa).
_NEAR = frozenset(
    {frozenset("TS"), frozenset("DZ"), frozenset("WU"), frozenset("YI"), frozenset("WE"), frozenset("Wo")}
)
# The weight of each sound in a name's length (what a difference is measured against).
_MASS = {"C": 1.0, "L": 0.6, "S": 0.1, "A": 0.3, "H": 0.1, "E": 0.3, "F": 1.0}


def _dropped(sound: Sound, own_arabic: bool, other_arabic: bool) -> float:
    """Return the cost of a sound one name has and the other has not."""
    kind = sound[1]
    if kind in "CF":
        return 1.0 if kind == "C" else 1.2
    if kind == "S":
        return 0.0 if other_arabic else 0.1  # Arabic never writes short vowels
    if kind in "AEH":
        if other_arabic:
            return 1.0
        # A Latin spelling shows alif as a, ʿayn as a vowel, rarely by nothing; the alif
        # that begins a word it often leaves out (Brahim, Smail, Driss).
        return 0.1 if kind == "H" else 0.4
    # A long vowel: Arabic is sure of it; a Latin i or ou may stand for a short vowel.
    if own_arabic:
        return 1.0 if other_arabic else 0.6
    return 0.35


def _swapped(a: Sound, b: Sound, a_arabic: bool, b_arabic: bool) -> float:
    """Return the cost of writing sound a where the other name has sound b."""
    if a == b:
        return 0.0
    kinds = {a[1], b[1]}
    near = frozenset((a[0], b[0])) in _NEAR
    if kinds == {"C"}:
        return 0.5 if near else 1.0
    if "C" in kinds:
        return 0.3 if near or {a[0], b[0]} == {"A", "H"} else 1.0
    if kinds == {"L"}:
        return 1.0 if a_arabic and b_arabic else 0.5
    if "F" in kinds:
        return 0.4 if kinds & {"E", "S"} else 1.2
    if kinds == {"S"}:
        return 0.1
    if kinds in ({"A", "S"}, {"H", "S"}):
        return 0.0 if "a" in (a[0], b[0]) or "H" in kinds else 0.5
    if "H" in kinds:
        return 0.1 if kinds & {"L", "E"} else 1.0
    if "E" in kinds:
        return 0.05 if "S" in kinds else 0.5
    if kinds == {"L", "S"}:
        return 0.2 if {a[0], b[0]} in ({"U", "o"}, {"I", "e"}) else 0.5
    return 0.6


def _distance(a: tuple[Sound, ...], b: tuple[Sound, ...], a_arabic: bool, b_arabic: bool) -> float:
    """Return the weighted edit distance between two sequences of sounds."""
    previous = [0.0]
    for y in b:
        previous.append(previous[-1] + _dropped(y, b_arabic, a_arabic))
    for x in a:
        drop_x = _dropped(x, a_arabic, b_arabic)
        current = [previous[0] + drop_x]
        for j, y in enumerate(b, start=1):
            current.append(
                min(
                    previous[j] + drop_x,
                    current[j - 1] + _dropped(y, b_arabic, a_arabic),
                    previous[j - 1] + _swapped(x, y, a_arabic, b_arabic),
                )
            )
        previous = current
    return previous[-1]


def _mass(seq: tuple[Sound, ...]) -> float:
    return sum(_MASS[kind] for _, kind in seq)


def _score_sounds(a: str, b: str) -> float:
    """Score two single-order forms by the distance of their sounds, read the likeliest way."""
    best = 0.0
    for sa in readings(a):
        for sb in readings(b):
            if sa and sb:
                length = max(_mass(sa), _mass(sb), 1.0)
                distance = _distance(sa, sb, is_arabic(a), is_arabic(b))
                best = max(best, 1.0 - distance / length)
    return best


def _score_forms(a: str, b: str) -> float:
    """Score two single-order forms; compounds by the element after Abd alone."""
    if b < a:
        a, b = b, a
    ea, eb = compound_elements(a), compound_elements(b)
    if ea and eb:
        return max(_score_sounds(x, y) for x in ea for y in eb)
    return _score_sounds(a, b)


def _as_keyable(text: str, spellings: SpellingDictionary | None) -> str:
    """Return the form to compare: the learnt Arabic form behind a Latin spelling when known."""
    if spellings is not None and not is_arabic(text):
        return spellings.arabic_for(text) or text
    return text


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
        >>> similarity("Abdelhak", "Abdelilah") < similarity("Abdelhak", "عبد الحق")
        True
    """
    if not a.strip() or not b.strip():
        return 0.0
    return round(_similarity(_as_keyable(a, spellings), _as_keyable(b, spellings)), 6)
