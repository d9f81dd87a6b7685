"""Benchmark names across scripts: same names against different names, and speed.

The test set is built from the name lists (`sijill.synth.name_pairs`): same-name pairs (a
name's Arabic form against each of its Latin spellings, spellings against each other, one
upper-cased, compounds joined and apart) and different-name pairs of four kinds, each written
Arabic/Arabic, Arabic/Latin and Latin/Latin: look-alikes (gendered forms, names sharing their
consonants, theophoric compounds with another divine name), names whose consonant skeletons
are one edit apart, and names drawn at random. One name in four is held out: the rules were
adjusted on the other pairs only; the held-out figures are the ones that count.

For each split it prints the ROC AUC (same names against every different-name pair), the 5th
percentile of same-name scores and the share of look-alike pairs below it, by kind; then the
pairs the issue names; rules alone and with a dictionary of spellings learnt, as in every
build, from the records of a synthetic population (another seed) that carry both scripts.

    uv run python bench/names.py
"""

import argparse
import csv
import random
import tempfile
import time
from pathlib import Path

from sijill.names import SpellingDictionary, loose_key, name_key, similarity, strict_key
from sijill.names.keys import word_symbols
from sijill.names.similarity import _similarity
from sijill.names.sounds import compound_elements, readings
from sijill.synth import generate
from sijill.synth.name_pairs import LOOK_ALIKE_KINDS, NamePair, build_name_pairs
from sijill.synth.noise import typo

AUC_GOAL, BELOW_GOAL = 0.99, 0.75
# The look-alike different names the issue names, each written in both scripts.
NAMED_LOOK_ALIKES = [
    (("كريم", "Karim"), ("كريمة", "Karima")),
    (("سعيد", "Said"), ("سعيدة", "Saida")),
    (("عزيز", "Aziz"), ("عزيزة", "Aziza")),
    (("محمد", "Mohammed"), ("محمود", "Mahmoud")),
    (("محمد", "Mohammed"), ("حميد", "Hamid")),
    (("محمد", "Mohammed"), ("أحمد", "Ahmed")),
    (("محمود", "Mahmoud"), ("حميد", "Hamid")),
    (("محمود", "Mahmoud"), ("أحمد", "Ahmed")),
    (("حميد", "Hamid"), ("أحمد", "Ahmed")),
    (("سعيد", "Said"), ("سعد", "Saad")),
    (("حسن", "Hassan"), ("حسين", "Houssine")),
    (("حسن", "Hassan"), ("لحسن", "Lahcen")),
    (("حسين", "Houssine"), ("لحسن", "Lahcen")),
    (("عبد الله", "Abdellah"), ("عبد الحق", "Abdelhak")),
    (("عبد الله", "Abdellah"), ("عبد الإله", "Abdelilah")),
    (("عبد الحق", "Abdelhak"), ("عبد الإله", "Abdelilah")),
    (("عبد الرحمن", "Abderrahmane"), ("عبد الكريم", "Abdelkrim")),
    (("عبد الرحمن", "Abderrahmane"), ("عبد الرحيم", "Abderrahim")),
    (("عبد الكريم", "Abdelkrim"), ("عبد الحكيم", "Abdelhakim")),
    (("عبدالله", "Abdallah"), ("عبدالحق", "Abdel Hak")),
]


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


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[int(q * (len(ordered) - 1))]


def learn(tmp: Path) -> SpellingDictionary:
    generate(tmp, persons=20_000, seed=777)
    d = SpellingDictionary()
    for name in ("civil", "cnie", "massar"):
        with (tmp / f"{name}.csv").open(encoding="utf-8") as f:
            for row in csv.DictReader(f):
                d.add(row["nom_ar"], row["nom_fr"])
                d.add(row["prenom_ar"], row["prenom_fr"])
    return d


def _named_pairs() -> list[tuple[str, str]]:
    out = []
    for (ar_a, la_a), (ar_b, la_b) in NAMED_LOOK_ALIKES:
        out += [(ar_a, ar_b), (ar_a, la_b), (la_a, ar_b), (la_a, la_b)]
    return out


def report(
    label: str, pos: list[NamePair], neg: list[NamePair], spellings: SpellingDictionary | None
) -> None:
    def score(pairs: list[NamePair]) -> list[float]:
        return [similarity(p.a, p.b, spellings=spellings) for p in pairs]

    ps, ns = score(pos), score(neg)
    p5 = percentile(ps, 0.05)
    looks = [p for p in neg if p.kind in LOOK_ALIKE_KINDS]
    below = sum(s < p5 for s in score(looks)) / len(looks)
    named = [similarity(a, b, spellings=spellings) for a, b in _named_pairs()]
    named_below = sum(s < p5 for s in named) / len(named)
    print(
        f"{label:<34} AUC {auc(ps, ns):.4f}  p5 {p5:.3f}  look-alikes below p5 {below:.3f}  "
        f"issue's pairs below p5 {named_below:.3f}"
    )
    for kind in (*LOOK_ALIKE_KINDS, "close keys", "random"):
        ks = score([p for p in neg if p.kind == kind])
        if ks:
            share = sum(s < p5 for s in ks) / len(ks)
            print(f"    {kind:<18} {len(ks):>5} pairs  AUC {auc(ps, ks):.4f}  below p5 {share:.3f}")


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
    for fn in (_similarity, readings, compound_elements):
        fn.cache_clear()  # type: ignore[attr-defined]
    start = time.perf_counter()
    for a, b in pairs:
        similarity(a, b)
    rate = len(pairs) / (time.perf_counter() - start)
    print(f"name keys: {cold:,.0f}/s for names never seen, {warm:,.0f}/s on a stream (cached)")
    print(f"similarity: {rate:,.0f} comparisons/s (pairs never compared before)")


def main() -> None:
    argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    ).parse_args()
    sets = build_name_pairs()
    with tempfile.TemporaryDirectory() as tmp:
        learnt = learn(Path(tmp))
    print(f"learnt spellings: {len(learnt):,} (Arabic, Latin) pairs; goals: AUC >= {AUC_GOAL}, ", end="")
    print(f"look-alikes below the 5th percentile of same names >= {BELOW_GOAL}")
    rng = random.Random(5)
    for held_out in (False, True):
        split = "held-out" if held_out else "adjusted on"
        pos, neg = sets.select(same=True, held_out=held_out), sets.select(same=False, held_out=held_out)
        print(f"\n{split}: {len(pos)} same-name pairs, {len(neg)} different-name pairs")
        report(f"{split}, rules alone", pos, neg, None)
        report(f"{split}, with learnt spellings", pos, neg, learnt)
        typos = [NamePair(p.a, typo(rng, p.b), True, p.kind, p.held_out) for p in pos]
        report(f"{split}, same names with a typo", typos, neg, None)
    everyone = [p for p in sets.pairs]
    unseen = [f"{everyone[i % len(everyone)].b}{chr(97 + i % 26)}{i % 97}" for i in range(50_000)]
    speed(
        [u.rstrip("0123456789") + chr(97 + i % 26) * (1 + i % 3) for i, u in enumerate(unseen)],
        [(p.a, p.b) for p in everyone],
    )


if __name__ == "__main__":
    main()
