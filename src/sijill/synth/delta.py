"""An earlier state of generated extracts: building it, then the extracts, is a delta build.

The earlier extracts lack every row of some persons (new persons in the delta) and some rows
of others (new records of held persons), and carry a clerk's slip in the given name of some
rows that the later extracts correct (changed rows, new versions of held records).
"""

import csv
import random
import shutil
from dataclasses import dataclass
from pathlib import Path

EXTRACTS = ("civil", "cnie", "massar", "cnss", "ramed")
GIVEN_NAME_COLUMNS = ("prenom_fr", "prenom")


@dataclass
class EarlierExtracts:
    """How the earlier extracts differ from the later ones, in rows."""

    new_person_rows: int = 0
    new_record_rows: int = 0
    changed_rows: int = 0
    new_persons: int = 0

    @property
    def delta_rows(self) -> int:
        return self.new_person_rows + self.new_record_rows + self.changed_rows


def _truth(sources: Path) -> dict[tuple[str, str], str]:
    with (sources / "truth.csv").open(encoding="utf-8", newline="") as f:
        return {(r["source"], r["source_id"]): r["person_id"] for r in csv.DictReader(f)}


def _slip(name: str) -> str:
    """Return a name with its last letter doubled (a clerk's slip the later extract corrects)."""
    return name + name[-1] if name else name


@dataclass
class _Plan:
    held_back: set[tuple[str, str]]
    changed: set[tuple[str, str]]


def _plan(
    truth: dict[tuple[str, str], str], counts: EarlierExtracts, seed: int, sizes: tuple[int, int, int]
) -> _Plan:
    new_persons, new_records, changed = sizes
    rng = random.Random(seed)
    rows_of: dict[str, list[tuple[str, str]]] = {}
    for key, person in sorted(truth.items()):
        rows_of.setdefault(person, []).append(key)
    persons = sorted(rows_of)
    rng.shuffle(persons)
    fresh = persons[:new_persons]
    held_back = {key for p in fresh for key in rows_of[p]}
    counts.new_persons, counts.new_person_rows = len(fresh), len(held_back)
    several = [p for p in persons[new_persons:] if len(rows_of[p]) > 1]
    extra = [rows_of[p][-1] for p in several[:new_records]]
    held_back.update(extra)
    counts.new_record_rows = len(extra)
    rest = sorted(k for k in truth if k not in held_back)
    slipped = set(rng.sample(rest, min(changed, len(rest))))
    return _Plan(held_back, slipped)


def _write(source: Path, out: Path, name: str, plan: _Plan, counts: EarlierExtracts) -> None:
    with (
        source.open(encoding="utf-8", newline="") as f_in,
        out.open("w", encoding="utf-8", newline="") as f_out,
    ):
        reader = csv.DictReader(f_in)
        fields = list(reader.fieldnames or [])
        writer = csv.DictWriter(f_out, fieldnames=fields)
        writer.writeheader()
        given = next(c for c in GIVEN_NAME_COLUMNS if c in fields)
        for row in reader:
            key = (name, row[fields[0]])
            if key in plan.held_back:
                continue
            if key in plan.changed and row[given]:
                row[given] = _slip(row[given])
                counts.changed_rows += 1
            writer.writerow(row)


def write_earlier_extracts(
    sources: Path, out: Path, *, new_persons: int, new_records: int, changed: int, seed: int = 1
) -> EarlierExtracts:
    """Write to `out` an earlier state of the extracts in `sources` (see the module)."""
    out.mkdir(parents=True, exist_ok=True)
    counts = EarlierExtracts()
    plan = _plan(_truth(sources), counts, seed, (new_persons, new_records, changed))
    for name in EXTRACTS:
        _write(sources / f"{name}.csv", out / f"{name}.csv", name, plan, counts)
    if (sources / "households.csv").exists():
        shutil.copy(sources / "households.csv", out / "households.csv")
    return counts
