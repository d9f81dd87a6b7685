"""Twenty incremental builds with random edits, new persons, deaths and removals: nothing breaks."""

import csv
import random
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine

from sijill.db.engine import session_scope
from sijill.linkage.splink_linker import SplinkLinker
from sijill.register.flows import run_build
from sijill.register.service import crosswalk_rows, resolve_source_id
from sijill.sources.formats import FORMATS
from sijill.synth import generate
from tests.register.consistency import check_register

TODAY = date(2026, 1, 1)
BUILDS = 20
Table = tuple[list[str], list[dict[str, str]]]


def _read(path: Path) -> Table:
    with path.open(encoding="utf-8") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames or []), list(reader)


def _write(path: Path, table: Table) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=table[0])
        writer.writeheader()
        writer.writerows(table[1])


class Registries:
    """The registries' full content, of which the extracts show a changing part."""

    def __init__(self, root: Path, rng: random.Random) -> None:
        self.rng = rng
        self.tables = {s: _read(root / f"{s}.csv") for s in FORMATS if (root / f"{s}.csv").exists()}
        with (root / "truth.csv").open(encoding="utf-8") as f:
            owner = {(r["source"], r["source_id"]): r["person_id"] for r in csv.DictReader(f)}
        persons = sorted({p for p in owner.values()})
        self.hidden = set(rng.sample(persons, len(persons) // 5))
        self.owner = owner

    def visible(self, source: str, row: dict[str, str]) -> bool:
        return self.owner.get((source, row[FORMATS[source].id_column])) not in self.hidden

    def step(self) -> None:
        """Change the registries as a month would: edits, deaths, new persons, removals."""
        rng = self.rng
        for _ in range(rng.randint(1, 4)):
            self.hidden.discard(rng.choice(sorted(self.hidden))) if self.hidden else None
        for source, (_, rows) in self.tables.items():
            for row in rng.sample(rows, min(len(rows), 3)):
                column = rng.choice([c for c in row if c != FORMATS[source].id_column])
                row[column] = (row[column] or "") + rng.choice(["", "e", "1", " "])
            if source == "civil":
                for row in rng.sample(rows, 2):
                    row["date_deces"] = row["date_deces"] or "2025-03-01"
            if rng.random() < 0.5 and len(rows) > 10:
                rows.remove(rng.choice(rows))

    def extracts(self, out: Path) -> None:
        out.mkdir(parents=True, exist_ok=True)
        for source, (header, rows) in self.tables.items():
            _write(out / f"{source}.csv", (header, [r for r in rows if self.visible(source, r)]))


@pytest.mark.slow
def test_twenty_incremental_builds_keep_every_invariant(engine: Engine, tmp_path: Path) -> None:
    generate(tmp_path / "population", persons=200, seed=11)
    registries = Registries(tmp_path / "population", random.Random(11))
    ever: dict[str, set[str]] = {}
    for build in range(BUILDS):
        out = tmp_path / f"extract-{build:02d}"
        registries.extracts(out)
        run_build(engine=engine, sources_dir=out, linker=SplinkLinker(), chunk_size=500, today=TODAY)
        uins = check_register(engine)
        issued = set().union(*uins.values())
        assert set().union(*ever.values()) <= issued, "a UIN once issued is never lost"
        for retired in ever.get("retired", set()):
            assert retired in uins.get("retired", set()), "a retired UIN is never reissued"
        ever = uins
        with session_scope(engine) as session:
            crosswalk = {(s, i): u for s, i, u, *_ in crosswalk_rows(session=session)}
            for source, (_, rows) in registries.tables.items():
                id_column = FORMATS[source].id_column
                for row in (r for r in rows if registries.visible(source, r)):
                    key = (
                        source,
                        row[id_column].strip().upper() if source == "cnie" else row[id_column].strip(),
                    )
                    if key[1] and crosswalk.get(key):
                        found = resolve_source_id(session=session, source=source, source_id=key[1])
                        assert found == crosswalk[key]
        registries.step()
