"""Phonetic keys shared by both scripts: a loose consonant skeleton and a strict key."""

import re
from functools import lru_cache

from sijill.names.normalise import (
    LATIN_ARTICLES,
    LATIN_JOINERS,
    is_arabic,
    normalise_arabic,
    normalise_latin,
)
from sijill.names.transliterate import SUN_LETTERS

LONG_VOWELS = frozenset("IUA")
_ARABIC_CONSONANTS = {
    "ب": "B",
    "ت": "T",
    "ث": "T",
    "ج": "J",
    "ح": "H",
    "خ": "X",
    "د": "D",
    "ذ": "D",
    "ر": "R",
    "ز": "Z",
    "س": "S",
    "ش": "C",
    "ص": "S",
    "ض": "D",
    "ط": "T",
    "ظ": "Z",
    "غ": "G",
    "ف": "F",
    "ق": "K",
    "ك": "K",
    "ݣ": "K",
    "ل": "L",
    "م": "M",
    "ن": "N",
    "ه": "H",
}
_ARABIC_VOWEL_LETTERS = "اويىة"
_LATIN_DIGRAPHS = {
    "ch": "C",
    "sh": "C",
    "kh": "X",
    "gh": "G",
    "th": "T",
    "dh": "D",
    "ph": "F",
    "dj": "J",
    "ck": "K",
    "qu": "K",
    "oo": "U",
    "ee": "I",
}
_LATIN_SINGLE = {
    "b": "B",
    "p": "B",
    "t": "T",
    "j": "J",
    "g": "K",
    "h": "H",
    "d": "D",
    "r": "R",
    "z": "Z",
    "s": "S",
    "f": "F",
    "v": "F",
    "k": "K",
    "q": "K",
    "l": "L",
    "m": "M",
    "n": "N",
    "w": "W",
    "x": "KS",
}
_LATIN_VOWELS = "aeiouy"
# Letters that never start a digraph and need no context: mapped in the fast path.
_LATIN_PLAIN = {c: v for c, v in _LATIN_SINGLE.items() if c in "bfjlmnvwzx" and len(v) == 1}
_LATIN_SUN = ("t", "th", "d", "dh", "r", "z", "s", "ch", "sh", "n", "l")
# A joined article: El before a name of 5 letters or more (Elalaoui, not Elias), or an
# assimilated one (Errahmani, Ettazi, Echcherkaoui).
_JOINED_ARTICLE = re.compile(r"^(?:el(?=[a-z]{5})|e(?=(tt|dd|rr|zz|ss|nn|ch)[a-z]{2}))")
_ABD_EL_SUN = re.compile(r"^(abd|abou|bou)[ae]l(?=(?:" + "|".join(_LATIN_SUN) + r"))")
# Abdul, Abdoul, Abdal, Abdil: the article of a theophoric compound, however the vowel is written.
_ABD_VOWEL = re.compile(r"^abd(?:ou|u|a|i)l(?=[a-z]|$)")
_LATIN_COMPOUND_HEADS = ("abd", "abou", "bou")


def _arabic_symbols(word: str, *, exact: bool = False) -> list[str]:
    """Return the sound symbols of one normalised Arabic word (article removed); `exact`
    also writes the letters Latin spellings cannot show: alif inside a word (A) and ʿayn (E)."""
    out: list[str] = []
    for i, ch in enumerate(word):
        nxt = word[i + 1] if i + 1 < len(word) else ""
        last = i == len(word) - 1
        if ch in _ARABIC_CONSONANTS:
            out.append(_ARABIC_CONSONANTS[ch])
        elif ch == "و":
            out.append("W" if i == 0 or (nxt != "" and nxt in _ARABIC_VOWEL_LETTERS) else "U")
        elif ch == "ي":
            prev = word[i - 1] if i else ""
            glide = nxt != "" and (nxt in "او" or (prev == "ا" and nxt in "ةى"))
            out.append("Y" if i == 0 or glide else "I")
        elif ch == "ة" and i and word[i - 1] == "ا":
            out.append("T")  # حياة Hayat, نجاة Najat: the ending is said t
        elif ch in "ةى" or (ch == "ا" and last):
            out.append("A")
        elif ch == "إ" and i:
            out.append("I")  # عبد الإله, Abdelilah: the hamza of Ilah is said i
        elif exact and ch == "ع":
            out.append("E")
        elif exact and ch in "اأ" and i:
            out.append("A")
    return out


def _strip_arabic_article(word: str, *, after_compound: bool) -> str:
    """Drop ال; inside عبد ال... keep the ل before a moon letter, as it is pronounced."""
    if not word.startswith("ال") or len(word) < 4:
        return word
    rest = word[2:]
    if after_compound and rest[0] not in SUN_LETTERS:
        return "ل" + rest
    return rest


def _arabic_words(text: str) -> list[str]:
    """Return the words of an Arabic name with articles handled, compounds joined."""
    words: list[str] = []
    joined = False
    for token in normalise_arabic(text).split():
        token = _strip_arabic_article(token, after_compound=joined)
        if joined and words:
            words[-1] += token
        else:
            words.append(token)
        joined = token in ("عبد", "ابو", "بو")
    return words


def _latin_symbols(word: str, *, vowels: bool = False) -> list[str]:
    """Return the sound symbols of one normalised Latin word (article removed); `vowels`
    also writes the short vowels a, e, o (lower case), which Arabic script leaves out."""
    out: list[str] = []
    i, n = 0, len(word)
    while i < n:
        ch = word[i]
        if ch in _LATIN_PLAIN:
            out.append(_LATIN_PLAIN[ch])
            i += 1
            continue
        pair = word[i : i + 2]
        nxt = word[i + 2 : i + 3]
        if pair == "ou":
            out.append("W" if nxt and nxt in _LATIN_VOWELS else "U")
            i += 2
            continue
        if pair == "rh" and (i == 0 or (word[i - 1] not in _LATIN_VOWELS and word[i - 1] != "r")):
            out.append("G")  # Rhizlane, Rhazi, Amrhar: a French rendering of غ
            i += 2
            continue
        if pair == "gu" and nxt and nxt in "aeiy":
            out.append("K")  # the u only marks a hard g (Guennouni)
            i += 2
            continue
        if pair in _LATIN_DIGRAPHS:
            out.append(_LATIN_DIGRAPHS[pair])
            i += 2
            continue
        sounds = _latin_single(word, i)
        if not sounds and vowels and word[i] in "aeo" and word[i - 1 : i] != word[i]:
            sounds = [word[i]]
        out.extend(sounds)
        i += 1
    return out


def _silent_final_h(word: str) -> bool:
    """Return True when a final h only ends an a (Fatimah, Jamilah), not Allah or Ilah."""
    divine = word == "ilah" or (
        word.endswith("lah") and (word.startswith("abd") or word.endswith(("llah", "lilah")))
    )
    return word.endswith("ah") and not divine


def _latin_single(word: str, i: int) -> list[str]:
    """Return the symbols of the single Latin letter at position i."""
    ch = word[i]
    nxt = word[i + 1] if i + 1 < len(word) else ""
    last = i == len(word) - 1
    if ch == "h" and last and _silent_final_h(word):
        return []  # Fatimah, Aminah: the h only ends the a
    if ch in _LATIN_SINGLE:
        return list(_LATIN_SINGLE[ch])
    if ch == "c":
        return ["S"] if nxt in ("e", "i") else ["K"]
    if ch == "y":
        return ["Y"] if i == 0 or (nxt and nxt in "aeiou") else ["I"]
    if ch == "i":
        between_vowels = 0 < i < len(word) - 1 and word[i - 1] in "aeo" and nxt in "aeo"
        return ["Y"] if between_vowels else ["I"]
    if ch == "a" and word[i:] == "ah" and _silent_final_h(word):
        return ["A"]
    if ch == "u":
        return ["U"] if word[i - 1 : i] != "o" else []
    if ch == "a" and (last or word[i:] == "ae"):
        return ["A"]
    return []


def _strip_latin_article(word: str) -> str:
    """Drop a joined article (Elalaoui, Errahmani) and the l of abdel before a sun letter."""
    if word.startswith(_LATIN_COMPOUND_HEADS):
        word = _ABD_EL_SUN.sub(r"\1", _ABD_VOWEL.sub("abdel", word))
    if word.startswith("e"):
        word = _JOINED_ARTICLE.sub("", word, count=1)
    return word


def _latin_words(text: str) -> list[str]:
    """Return the words of a Latin name with articles dropped and compounds joined."""
    words: list[str] = []
    joined = article = False
    for token in normalise_latin(text).split():
        if token in LATIN_ARTICLES:
            article = True
            continue
        token = _strip_latin_article(token)
        if joined and words:
            # Abd El Hak is Abdelhak: the article written apart stays inside the compound.
            link = "el" if article and words[-1] in _LATIN_COMPOUND_HEADS else ""
            words[-1] = _ABD_EL_SUN.sub(r"\1", words[-1] + link + token)
        else:
            words.append(token)
        joined, article = token in LATIN_JOINERS, False
    return words


def _collapse(symbols: list[str], *, strict: bool) -> str:
    """Join symbols into a key: drop vowels (loose) or the initial vowel (strict), fold runs."""
    kept = [s for s in symbols if strict or s not in LONG_VOWELS]
    if strict and any(s not in LONG_VOWELS for s in kept):
        while kept and kept[0] in LONG_VOWELS:
            kept.pop(0)
    out: list[str] = []
    for s in kept:
        if not out or out[-1] != s:
            out.append(s)
    return "".join(out)


@lru_cache(maxsize=500_000)
def word_symbols(text: str) -> tuple[tuple[str, ...], ...]:
    """Return the sound symbols of each word of a name, in either script."""
    if is_arabic(text):
        return tuple(tuple(_arabic_symbols(w)) for w in _arabic_words(text))
    return tuple(tuple(_latin_symbols(w)) for w in _latin_words(text))


@lru_cache(maxsize=500_000)
def loose_key(text: str) -> str:
    """Return the consonant skeleton of a name, the same in both scripts.

    A name of vowels only (Aya, Ia) keys by its strict key instead of an empty skeleton.

    Example:
        >>> loose_key("محمد") == loose_key("Mohammed") == loose_key("Mhamed")
        True
    """
    loose = "".join(_collapse(list(w), strict=False) for w in word_symbols(text))
    return loose or strict_key(text)


@lru_cache(maxsize=500_000)
def strict_key(text: str) -> str:
    """Return a key that also keeps long vowels and the feminine ending.

    Example:
        >>> strict_key("Karim") == strict_key("Karima")
        False
    """
    return "".join(_collapse(list(w), strict=True) for w in word_symbols(text))


@lru_cache(maxsize=500_000)
def form_key(text: str) -> str:
    """Return the exact key of an Arabic name: the strict key with alif and ʿayn, which tell
    apart names Latin spellings blur (هشام / هاشم, سعد / سعاد); empty for a Latin name.

    Example:
        >>> form_key("هشام") != form_key("هاشم") and strict_key("هشام") == strict_key("هاشم")
        True
    """
    if not is_arabic(text):
        return ""
    words = (_arabic_symbols(w, exact=True) for w in _arabic_words(text))
    return "".join(_collapse(w, strict=True) for w in words)


# Abd and its article (Abdel-, Abdal-, Abde- before a doubled sun letter); the l of an
# article before a sun letter is already dropped (Abdellatif -> abdlatif).
_LATIN_ABD = re.compile(r"^abd(?:[aeiou]l|[ae](?=(?:tt|dd|rr|zz|ss|nn|ch|sh|th)))?")


@lru_cache(maxsize=500_000)
def head_key(text: str) -> str:
    """Return the strict key of the element that makes a name: the divine name of a
    theophoric compound (Abdelhak -> Hak, عبد الإله -> إله), else the whole name.

    Two compounds share Abd; the element after it decides whether they are one name.

    Example:
        >>> head_key("Abdelhak") == head_key("عبد الحق") != head_key("Abdelilah")
        True
    """
    if is_arabic(text):
        tokens = normalise_arabic(text).split()
        if len(tokens) > 1 and tokens[0] == "عبد":
            element = _strip_arabic_article(tokens[1], after_compound=False)
            return _collapse(_arabic_symbols(element), strict=True)
        return strict_key(text)
    words = _latin_words(text)
    if words and words[0].startswith("abd"):
        element = _LATIN_ABD.sub("", words[0], count=1)
        if element:
            return _collapse(_latin_symbols(element), strict=True)
    return strict_key(text)


def name_key(text: str) -> str:
    """Return the blocking key of a name: its loose key.

    Example:
        >>> name_key("El Alaoui") == name_key("العلوي") == name_key("Elalaoui")
        True
    """
    return loose_key(text)
