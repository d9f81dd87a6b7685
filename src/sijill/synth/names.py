"""Lists of common Moroccan names, each in Arabic with its Latin spellings and frequency."""

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources


@dataclass(frozen=True, slots=True)
class NameEntry:
    """A name in Arabic script with the Latin spellings clerks use, most usual first."""

    arabic: str
    spellings: tuple[str, ...]
    weight: float


def _parse(text: str) -> list[NameEntry]:
    """Parse `arabic;spelling|spelling;weight` lines, merging repeated Arabic forms."""
    merged: dict[str, tuple[list[str], float]] = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        arabic, spellings, weight = line.split(";")
        known, total = merged.get(arabic, ([], 0.0))
        known.extend(s for s in spellings.split("|") if s not in known)
        merged[arabic] = (known, total + float(weight))
    return [NameEntry(ar, tuple(sp), w) for ar, (sp, w) in merged.items()]


@lru_cache(maxsize=3)
def name_list(kind: str) -> list[NameEntry]:
    """Return the list named `given_male`, `given_female` or `family`."""
    text = resources.files("sijill.synth.data").joinpath(f"{kind}.txt").read_text("utf-8")
    return _parse(text)
