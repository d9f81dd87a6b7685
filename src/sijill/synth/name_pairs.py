"""Test sets of name pairs built from the name lists: same names, and different names that look alike.

The lists hold each name once in Arabic with the Latin spellings clerks use. Same-name pairs
put a name's Arabic form against each of its spellings, and its spellings against each other
(one upper-cased, compounds written joined or apart). Different-name pairs come in kinds:
look-alikes (gendered forms, names that share their consonants, theophoric compounds with
another second element), names whose keys are equal or one edit apart, and names drawn at
random; each is written in both scripts and across them.

A part of the names is held out (a fixed share, chosen by a hash of the Arabic form, so that
it never depends on a seed): pairs touching a held-out name are kept apart, for a report on
names the rules were never adjusted on.
"""

import random
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import combinations

from sijill.names import loose_key, normalise_arabic, normalise_latin
from sijill.synth.names import NameEntry, name_list

HELD_OUT_SHARE = 4  # one name in four is held out
GIVEN_LISTS = ("given_male", "given_female")
LOOK_ALIKE_KINDS = ("gendered", "shared consonants", "compound")
_ABD_AR = "عبد"
_ABD_LATIN = re.compile(r"^(abd[eoua]?l?)(?=[a-z])", re.IGNORECASE)


@dataclass(frozen=True)
class NamePair:
    """Two written names, whether they are one name, and the kind of pair."""

    a: str
    b: str
    same: bool
    kind: str
    held_out: bool


@dataclass
class NamePairs:
    """Same-name and different-name pairs, each tagged with its kind and split."""

    pairs: list[NamePair] = field(default_factory=list)

    def select(
        self, *, same: bool | None = None, kinds: Iterable[str] = (), held_out: bool
    ) -> list[NamePair]:
        """Return the pairs of one split, optionally of some kinds and of one truth."""
        wanted = set(kinds)
        return [
            p
            for p in self.pairs
            if p.held_out == held_out
            and (same is None or p.same == same)
            and (not wanted or p.kind in wanted)
        ]


def is_held_out(entry: NameEntry) -> bool:
    """Return True for the names kept out of every adjustment of the rules."""
    return zlib.crc32(entry.arabic.encode("utf-8")) % HELD_OUT_SHARE == 0


def _bare(arabic: str) -> str:
    return normalise_arabic(arabic).removeprefix("ال").replace(" ", "")


def different_names(a: NameEntry, b: NameEntry) -> bool:
    """Return True when two entries are different names: other Arabic (article and spaces
    aside) and no Latin spelling in common."""
    shared = {normalise_latin(s) for s in a.spellings} & {normalise_latin(s) for s in b.spellings}
    return _bare(a.arabic) != _bare(b.arabic) and not shared


def _is_compound(entry: NameEntry) -> bool:
    return normalise_arabic(entry.arabic).startswith(_ABD_AR + " ")


def _is_gendered(male: NameEntry, female: NameEntry) -> bool:
    """Return True when the female name is the male one with the feminine ending (كريم / كريمة)."""
    m, f = _bare(male.arabic), _bare(female.arabic)
    return f in (m + "ة", m + "ه")


def _shares_consonants(a: NameEntry, b: NameEntry) -> bool:
    """Return True when the consonant skeletons are equal, or one is the other with a letter
    before it (محمد / حميد / أحمد / محمود, حسن / لحسن)."""
    ka, kb = loose_key(a.arabic), loose_key(b.arabic)
    short, long = sorted((ka, kb), key=len)
    return len(short) >= 2 and (ka == kb or (len(long) == len(short) + 1 and long[1:] == short))


def _joined_or_apart(spelling: str) -> str:
    """Write a compound spelling the other way: Abdelaziz <-> Abdel Aziz, عبد الله <-> عبدالله."""
    if spelling.startswith(_ABD_AR + " "):
        return spelling.replace(" ", "", 1)
    if spelling.startswith(_ABD_AR):
        return _ABD_AR + " " + spelling[len(_ABD_AR) :]
    if " " in spelling:
        return spelling.replace(" ", "", 1)
    match = _ABD_LATIN.match(spelling)
    if match:
        head = match.group(1)
        return f"{head} {spelling[len(head) :].capitalize()}"
    return spelling


def _own_spellings(entry: NameEntry, other: NameEntry) -> tuple[str, ...]:
    """Return the spellings of one name that the other name is never written with."""
    theirs = {normalise_latin(s) for s in other.spellings}
    return tuple(s for s in entry.spellings if normalise_latin(s) not in theirs) or entry.spellings


def _renderings(a: NameEntry, b: NameEntry, rng: random.Random) -> list[tuple[str, str]]:
    """Write two names in both scripts and across them: Arabic/Arabic, Arabic/Latin both
    ways, and Latin/Latin (never with a spelling both names share: Rabia is ربيع and ربيعة)."""
    sa, sb = _own_spellings(a, b), _own_spellings(b, a)
    return [
        (a.arabic, b.arabic),
        (a.arabic, rng.choice(sb)),
        (rng.choice(sa), b.arabic),
        (rng.choice(sa), rng.choice(sb)),
    ]


def _same_name_pairs(entry: NameEntry) -> list[tuple[str, str]]:
    pairs = [(entry.arabic, s) for s in entry.spellings]
    pairs += [(a.upper(), b) for a, b in combinations(entry.spellings, 2) if a != b]
    if _is_compound(entry):
        pairs.append((entry.arabic, _joined_or_apart(entry.arabic)))
        pairs += [(_joined_or_apart(s), entry.arabic) for s in entry.spellings]
        pairs += [(_joined_or_apart(a), b) for a, b in combinations(entry.spellings, 2) if a != b]
    return pairs


def _look_alikes(entries: list[NameEntry]) -> list[tuple[str, NameEntry, NameEntry]]:
    males, females = name_list("given_male"), name_list("given_female")
    found = [("gendered", m, f) for m in males for f in females if _is_gendered(m, f)]
    for a, b in combinations(entries, 2):
        if not different_names(a, b):
            continue
        if _is_compound(a) and _is_compound(b):
            found.append(("compound", a, b))
        elif _shares_consonants(a, b) and not (_is_gendered(a, b) or _is_gendered(b, a)):
            found.append(("shared consonants", a, b))
    return found


def _close_keys(entries: list[NameEntry], rng: random.Random, n: int) -> list[tuple[NameEntry, NameEntry]]:
    """Different names whose consonant skeletons are one edit apart (Imane / Amine ...)."""
    from rapidfuzz.distance import Levenshtein

    found = []
    for a, b in combinations(entries, 2):
        ka, kb = loose_key(a.arabic), loose_key(b.arabic)
        if Levenshtein.distance(ka, kb) == 1 and different_names(a, b):
            found.append((a, b))
    rng.shuffle(found)
    return found[:n]


def build_name_pairs(*, seed: int = 5, random_pairs: int = 400, close_pairs: int = 300) -> NamePairs:
    """Return the same-name and different-name pairs of the given-name and family-name lists."""
    rng = random.Random(seed)
    given = [e for kind in GIVEN_LISTS for e in name_list(kind)]
    family = name_list("family")
    out = NamePairs()
    for entry in [*given, *family]:
        for x, y in _same_name_pairs(entry):
            out.pairs.append(NamePair(x, y, True, "same name", is_held_out(entry)))
    for kind, ea, eb in _look_alikes(given):
        held = is_held_out(ea) or is_held_out(eb)
        out.pairs += [NamePair(x, y, False, kind, held) for x, y in _renderings(ea, eb, rng)]
    for ea, eb in _close_keys([*given, *family], rng, close_pairs):
        held = is_held_out(ea) or is_held_out(eb)
        out.pairs += [NamePair(x, y, False, "close keys", held) for x, y in _renderings(ea, eb, rng)[1:]]
    everyone = [*given, *family]
    drawn = 0
    while drawn < random_pairs:
        ea, eb = rng.sample(everyone, 2)
        if different_names(ea, eb):
            held = is_held_out(ea) or is_held_out(eb)
            x, y = rng.choice(_renderings(ea, eb, rng))
            out.pairs.append(NamePair(x, y, False, "random", held))
            drawn += 1
    return out
