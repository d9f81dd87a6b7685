"""Morocco's communes (HCP codes, names, urban/rural type, 2024 population)."""

import csv
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources


@dataclass(frozen=True, slots=True)
class Commune:
    """One commune of the HCP list."""

    code: str
    name_fr: str
    name_ar: str
    urban: bool
    province_code: str
    region_code: str
    population: int


@lru_cache(maxsize=1)
def communes() -> dict[str, Commune]:
    """Return every commune by its HCP code (RR.PPP.CC.NN)."""
    text = resources.files("sijill.data").joinpath("communes.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(text.splitlines())
    return {
        r["code"]: Commune(
            code=r["code"],
            name_fr=r["name_fr"],
            name_ar=r["name_ar"],
            urban=r["type"] == "urban",
            province_code=r["province_code"],
            region_code=r["region_code"],
            population=int(r["population_2024"] or 0),
        )
        for r in rows
    }


def is_known_commune(code: str) -> bool:
    """Return True when the code is in the HCP list."""
    return code in communes()


@dataclass(frozen=True, slots=True)
class Region:
    """One of the twelve regions of the HCP list."""

    code: str
    name_fr: str
    name_ar: str
    population: int


@lru_cache(maxsize=1)
def regions() -> dict[str, Region]:
    """Return every region by its HCP code (RR)."""
    text = resources.files("sijill.data").joinpath("regions.csv").read_text(encoding="utf-8")
    return {
        r["code"]: Region(r["code"], r["name_fr"], r["name_ar"], int(r["population_2024"] or 0))
        for r in csv.DictReader(text.splitlines())
    }
