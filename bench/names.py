"""Benchmark names across scripts: ROC AUC on same-name pairs and hard negatives, and speed.

The test set is built from the name lists: positives pair a name's Arabic form with each of
its Latin spellings, and spellings with each other (in upper case, with particles moved,
with one typo); hard negatives pair different names whose keys are equal or close
(Said/Saad, Karim/Karima). The dictionary of spellings is learnt, as in every build, from
the records of a synthetic population (another seed) that carry both scripts.

    uv run python bench/names.py
"""

import argparse
import csv
import random
import tempfile
import time
from itertools import combinations
from pathlib import Path

from rapidfuzz.distance import Levenshtein

from sijill.names import (
    SpellingDictionary,
    loose_key,
    name_key,
    normalise_arabic,
    normalise_latin,
    similarity,
    strict_key,
)
from sijill.names.keys import word_symbols
from sijill.names.similarity import _similarity
from sijill.synth import generate
from sijill.synth.names import NameEntry, name_list
from sijill.synth.noise import typo

THRESHOLD = 0.85


def positives(entries: list[NameEntry], rng: random.Random, n: int) -> list[tuple[str, str]]:
    """Same name across scripts and spellings (upper case, particles split or joined)."""
    pairs: list[tuple[str, str]] = []
    for e in entries:
        pairs += [(e.arabic, s) for s in e.spellings]
        pairs += [(a.upper(), b) for a, b in combinations(e.spellings, 2)]
    rng.shuffle(pairs)
    return pairs[:n]


def with_typos(pairs: list[tuple[str, str]], rng: random.Random) -> list[tuple[str, str]]:
    """The same pairs, one side with a typing mistake."""
    return [(a, typo(rng, b)) for a, b in pairs]


def _really_different(a: NameEntry, b: NameEntry) -> bool:
    """Two entries are different names: other Arabic (article aside), no spelling shared."""
    bare = [normalise_arabic(x.arabic).removeprefix("ال") for x in (a, b)]
    shared = {normalise_latin(s) for s in a.spellings} & {normalise_latin(s) for s in b.spellings}
    return bare[0] != bare[1] and not shared


def hard_negatives(entries: list[NameEntry], rng: random.Random, n: int) -> list[tuple[str, str]]:
    by_key: dict[str, list[NameEntry]] = {}
    for e in entries:
        by_key.setdefault(loose_key(e.arabic), []).append(e)
    pairs: list[tuple[str, str]] = []
    for group in by_key.values():
        for a, b in combinations(group, 2):
            if _really_different(a, b):
                pairs += [(a.arabic, b.spellings[0]), (a.spellings[0], b.spellings[0])]
    keys = list(by_key)
    while len(pairs) < 3 * n:
        a, b = rng.sample(keys, 2)
        ea, eb = by_key[a][0], by_key[b][0]
        if Levenshtein.distance(a, b) <= 1 and _really_different(ea, eb):
            pairs.append((ea.spellings[0], rng.choice(eb.spellings)))
            pairs.append((ea.arabic, rng.choice(eb.spellings)))
    rng.shuffle(pairs)
    return pairs[:n]


def learn(tmp: Path) -> SpellingDictionary:
    generate(tmp, persons=20_000, seed=777)
    d = SpellingDictionary()
    for name in ("civil", "cnie", "massar"):
        with (tmp / f"{name}.csv").open(encoding="utf-8") as f:
            for row in csv.DictReader(f):
                d.add(row["nom_ar"], row["nom_fr"])
                d.add(row["prenom_ar"], row["prenom_fr"])
    return d


def auc(pos: list[float], neg: list[float]) -> float:
    ranked = sorted([(s, 1) for s in pos] + [(s, 0) for s in neg])
    rank_sum, i = 0.0, 0
    while i < len(ranked):
        j = i
        while j < len(ranked) and ranked[j][0] == ranked[i][0]:
            j += 1
        rank_sum += sum((i + j + 1) / 2 for k in range(i, j) if ranked[k][1])
        i = j
    n_pos, n_neg = len(pos), len(neg)
    return (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def report(label: str, pos: list[float], neg: list[float]) -> None:
    tp = sum(s >= THRESHOLD for s in pos)
    fp = sum(s >= THRESHOLD for s in neg)
    precision = tp / (tp + fp) if tp + fp else 1.0
    print(
        f"{label:<28} AUC {auc(pos, neg):.4f}   at {THRESHOLD}: precision {precision:.3f}, "
        f"recall {tp / len(pos):.3f}"
    )


def speed(names: list[str], pairs: list[tuple[str, str]]) -> None:
    for fn in (loose_key, strict_key, word_symbols):
        fn.cache_clear()  # type: ignore[attr-defined]
    start = time.perf_counter()
    for n in names:
        name_key(n)
    cold = len(names) / (time.perf_counter() - start)
    stream = names * 20
    start = time.perf_counter()
    for n in stream:
        name_key(n)
    warm = len(stream) / (time.perf_counter() - start)
    for fn in (loose_key, strict_key, word_symbols, _similarity):
        fn.cache_clear()  # type: ignore[attr-defined]
    start = time.perf_counter()
    for a, b in pairs:
        similarity(a, b)
    rate = len(pairs) / (time.perf_counter() - start)
    print(f"name keys: {cold:,.0f}/s for names never seen, {warm:,.0f}/s on a stream (cached)")
    print(f"similarity: {rate:,.0f} comparisons/s (pairs and keys never seen before)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pairs", type=int, default=600)
    args = parser.parse_args()
    rng = random.Random(5)
    entries = [e for kind in ("given_male", "given_female", "family") for e in name_list(kind)]
    pos, neg = positives(entries, rng, args.pairs), hard_negatives(entries, rng, args.pairs)
    print(f"test set: {len(pos)} same-name pairs, {len(neg)} hard negatives")
    with tempfile.TemporaryDirectory() as tmp:
        learnt = learn(Path(tmp))
    print(f"learnt spellings: {len(learnt):,} (Arabic, Latin) pairs")
    report("rules only", [similarity(a, b) for a, b in pos], [similarity(a, b) for a, b in neg])
    report(
        "with learnt spellings",
        [similarity(a, b, spellings=learnt) for a, b in pos],
        [similarity(a, b, spellings=learnt) for a, b in neg],
    )
    typos = with_typos(pos, rng)
    report(
        "positives with a typo",
        [similarity(a, b, spellings=learnt) for a, b in typos],
        [similarity(a, b, spellings=learnt) for a, b in neg],
    )
    unseen = [f"{rng.choice(entries).spellings[0]}{rng.choice('aeiou')}{i % 97}x" for i in range(50_000)]
    speed(
        [u.rstrip("0123456789x") + chr(97 + i % 26) * (1 + i % 3) for i, u in enumerate(unseen)],
        pos + neg,
    )


if __name__ == "__main__":
    main()
