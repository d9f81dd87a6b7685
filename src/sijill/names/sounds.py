"""Names as sequences of sounds, each of a class, for comparing them across scripts.

The keys (`names.keys`) fold a name to a few symbols so that spellings of one name meet in
one block. Telling names apart needs what the keys fold away, and how much each script can
be trusted to show it: Arabic writes every long vowel, alif and ʿayn but no short vowel;
a Latin spelling writes short vowels (a, e, o) as freely as long ones, and cannot show alif
or ʿayn at all. So each sound carries its class:

- `C` a consonant (the key symbols: B, T, J, H, X, D, R, Z, S, C, F, K, G, L, M, N, W, Y);
- `L` a long vowel, I or U (ي, و; Latin i, ou, u);
- `S` a short vowel, written only in Latin (a, e, o);
- `A` alif, written only in Arabic (ا inside a word); `H` the hamza's alif that begins a
  word (إبراهيم, which Latin spellings often leave out: Brahim);
- `E` ʿayn, written only in Arabic (ع);
- `F` the final vowel a (ة, ى, a final ا; Latin a, ah, ae at the end): the feminine ending.
"""

import re
from functools import lru_cache

from sijill.names.keys import (
    _ARABIC_CONSONANTS,
    _ARABIC_VOWEL_LETTERS,
    _LATIN_ABD,
    _arabic_words,
    _latin_symbols,
    _latin_words,
    _strip_arabic_article,
)
from sijill.names.normalise import is_arabic, normalise_arabic
from sijill.names.transliterate import SUN_LETTERS

Sound = tuple[str, str]
_ABD = "عبد"
_LATIN_ARTICLE = re.compile(r"^e?l(?=[bcdfghjkmnqrstvwxz][a-z]{2})")


def _arabic_letter(word: str, i: int) -> Sound | None:
    """Return the sound of letter i of a normalised Arabic word, or None for none."""
    ch, nxt = word[i], word[i + 1] if i + 1 < len(word) else ""
    last = i == len(word) - 1
    if ch in _ARABIC_CONSONANTS:
        return (_ARABIC_CONSONANTS[ch], "C")
    if ch == "و":
        return ("W", "C") if i == 0 or (nxt != "" and nxt in _ARABIC_VOWEL_LETTERS) else ("U", "L")
    if ch == "ي":
        prev = word[i - 1] if i else ""
        glide = nxt != "" and (nxt in "او" or (prev == "ا" and nxt in "ةى"))
        return ("Y", "C") if i == 0 or glide else ("I", "L")
    if ch == "ة" and i and word[i - 1] == "ا":
        return ("T", "C")
    if ch in "ةى" or (ch == "ا" and last):
        return ("A", "F")
    if ch in "اأإآ" and i == 0:
        return ("A", "H")
    if ch == "إ":
        return ("I", "L")
    if ch in "اأآ":
        return ("A", "A")
    if ch == "ع":
        return ("E", "E")
    return None


def _arabic_sounds(text: str) -> tuple[Sound, ...]:
    out: list[Sound] = []
    for word in _arabic_words(text):
        out += [s for s in (_arabic_letter(word, i) for i in range(len(word))) if s is not None]
    return tuple(out)


def _latin_class(symbol: str) -> Sound:
    if symbol in "aeo":
        return (symbol, "S")
    if symbol == "A":
        return ("A", "F")
    if symbol in "IU":
        return (symbol, "L")
    return (symbol, "C")


def _latin_sounds_of(words: list[str]) -> tuple[Sound, ...]:
    out: list[Sound] = []
    for word in words:
        for sound in (_latin_class(s) for s in _latin_symbols(word, vowels=True)):
            if not (out and sound[1] == "C" and out[-1] == sound):  # a doubled letter is one sound
                out.append(sound)
    return tuple(out)


@lru_cache(maxsize=200_000)
def sounds(text: str) -> tuple[Sound, ...]:
    """Return the sounds of a name, in either script, each with its class.

    Example:
        >>> sounds("سعاد")
        (('S', 'C'), ('E', 'E'), ('A', 'A'), ('D', 'C'))
    """
    if is_arabic(text):
        return _arabic_sounds(text)
    return _latin_sounds_of(_latin_words(text))


@lru_cache(maxsize=200_000)
def readings(text: str) -> tuple[tuple[Sound, ...], ...]:
    """Return the ways a name may be heard: more than one where a Latin spelling leaves a
    doubt (Lhaj: the article l, or not).

    Example:
        >>> len(readings("Lmokhtar")), len(readings("Hassan")), len(readings("الحسن"))
        (2, 1, 2)
    """
    if is_arabic(text):
        heard = _arabic_sounds(text)
        first = normalise_arabic(text).split()[:1]
        if first and first[0].startswith("ال") and len(first[0]) > 3 and first[0][2] not in SUN_LETTERS:
            return (heard, (("L", "C"), *heard))  # الحسن: Hassan, and Lahcen as Moroccans say it
        return (heard,)
    words = _latin_words(text)
    out = [_latin_sounds_of(words)]
    if words and _LATIN_ARTICLE.match(words[0]):  # Lhaj, Elhaj, Lmokhtar: al- said l-
        out.append(_latin_sounds_of([_LATIN_ARTICLE.sub("", words[0]), *words[1:]]))
    return tuple(out)


@lru_cache(maxsize=200_000)
def compound_elements(text: str) -> tuple[str, ...]:
    """Return the element after Abd of a theophoric compound (the divine name, article
    aside: عبد الحق -> حق, Abdelhak -> hak), in each way a spelling may be read; none for a
    name that is not one.

    Example:
        >>> compound_elements("Abd El Hak"), compound_elements("عبدالإله"), compound_elements("Hamid")
        (('hak',), ('إله',), ())
    """
    if is_arabic(text):
        tokens = normalise_arabic(text).split()
        if len(tokens) > 1 and tokens[0] == _ABD:
            return (" ".join([_strip_arabic_article(tokens[1], after_compound=False), *tokens[2:]]),)
        return ()
    words = _latin_words(text)
    if not words or not words[0].startswith("abd"):
        return ()
    head = _LATIN_ABD.match(words[0])
    element = words[0][head.end() if head else 3 :]
    if not element:
        return ()
    rest = words[1:]
    out = [" ".join([element, *rest])]
    if head and head.group(0).endswith("l") and element[0] in "aeiou":
        out.append(" ".join(["l" + element, *rest]))  # Abdelah: Abd-Allah with one l written
    return tuple(out)
