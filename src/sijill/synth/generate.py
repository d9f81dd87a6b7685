"""Write a synthetic sources directory: five extracts, the truth and the households."""

import csv
import logging
import random
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sijill.synth.config import SynthConfig
from sijill.synth.households import DECLARED_DOCUMENTS, HOUSEHOLD_COLUMNS, Survey, survey
from sijill.synth.population import Household, PopulationBuilder, build_population
from sijill.synth.registries import SOURCE_COLUMNS, ExtractWriter, Record

logger = logging.getLogger(__name__)
PERSON_COLUMNS = [
    "person_id",
    "household_id",
    "relationship",
    "sex",
    "birth_date",
    "family_ar",
    "given_ar",
    "family_fr",
    "given_fr",
    "birth_commune",
    "death_date",
    "twin",
    "cnie",
    "rural",
]


@dataclass
class SynthResult:
    """What was written, row counts by file."""

    out_dir: Path
    persons: int
    households: int
    rows: dict[str, int] = field(default_factory=dict)


Documents = dict[int, dict[str, str]]


def _write_source(
    path: Path, columns: list[str], records: Iterable[Record], truth: Any, documents: Documents
) -> int:
    """Write one extract and its truth rows; keep each person's first id in this source."""
    count = 0
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(columns)
        for rec in records:
            writer.writerow([rec.row[c] for c in columns])
            truth.writerow([rec.source, rec.source_id, rec.person_id])
            documents.setdefault(rec.person_id, {}).setdefault(rec.source, rec.source_id)
            count += 1
    return count


def _declared_document(held: dict[str, str]) -> str:
    """Return `source:source_id` of the document a household declares for a member, or ''."""
    for source in DECLARED_DOCUMENTS:
        if source in held:
            return f"{source}:{held[source]}"
    return ""


def _write_persons(path: Path, pop: PopulationBuilder) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(PERSON_COLUMNS)
        for p in pop.persons:
            rural = not pop.households[p.household_id].commune.urban
            writer.writerow(
                [
                    p.person_id,
                    p.household_id,
                    p.relationship,
                    p.sex,
                    p.birth.isoformat(),
                    p.family.arabic,
                    p.given.arabic,
                    p.family.spellings[0],
                    p.given.spellings[0],
                    p.birth_commune,
                    p.death.isoformat() if p.death else "",
                    int(p.twin),
                    p.cnie,
                    int(rural),
                ]
            )


def _write_households(
    path: Path, surveys: dict[int, Survey], pop: PopulationBuilder, documents: Documents
) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(HOUSEHOLD_COLUMNS)
        for hh in pop.households:
            s = surveys[hh.household_id]
            members = ";".join(f"{p.person_id}:{p.relationship}" for p in hh.members)
            declared = ";".join(_declared_document(documents.get(p.person_id, {})) for p in hh.members)
            row = {
                "household_id": str(hh.household_id),
                "commune": hh.commune.code,
                "area": "urban" if hh.commune.urban else "rural",
                "members": members,
                "member_ids": declared,
                "size": str(len(hh.members)),
                **s.values,
                "consumption_per_capita": f"{s.consumption_per_capita:.0f}",
            }
            writer.writerow([row[c] for c in HOUSEHOLD_COLUMNS])


def _poorest(surveys: dict[int, Survey], pop: PopulationBuilder, share: float) -> list[Household]:
    ranked = sorted(pop.households, key=lambda h: surveys[h.household_id].consumption_per_capita)
    return [h for h in ranked[: int(len(ranked) * share)] if h.members]


def generate(
    out_dir: Path,
    *,
    persons: int,
    seed: int = 1,
    config: SynthConfig | None = None,
    on_progress: Callable[[str], None] | None = None,
) -> SynthResult:
    """Generate a population and write its extracts, truth, persons and households."""
    config = config or SynthConfig()
    step = on_progress or (lambda _: None)
    out_dir.mkdir(parents=True, exist_ok=True)
    pop = build_population(persons, seed, config)
    step("population")
    rng = random.Random(seed + 31)
    surveys = {h.household_id: survey(rng, h) for h in pop.households}
    writer = ExtractWriter(pop, config, seed)
    result = SynthResult(out_dir, len(pop.persons), len(pop.households))
    sources: dict[str, Callable[[], Iterator[Record]]] = {
        "civil": writer.civil,
        "cnie": writer.cnie,
        "massar": writer.massar,
        "cnss": writer.cnss,
        "ramed": lambda: writer.ramed(_poorest(surveys, pop, config.ramed_poor_share)),
    }
    documents: Documents = {}
    with (out_dir / "truth.csv").open("w", newline="", encoding="utf-8") as f:
        truth = csv.writer(f)
        truth.writerow(["source", "source_id", "person_id"])
        for name, records in sources.items():
            path = out_dir / f"{name}.csv"
            result.rows[name] = _write_source(path, SOURCE_COLUMNS[name], records(), truth, documents)
            step(name)
    _write_persons(out_dir / "persons.csv", pop)
    _write_households(out_dir / "households.csv", surveys, pop, documents)
    step("households")
    logger.info("synthetic population written: %d persons, rows %s", persons, result.rows)
    return result
