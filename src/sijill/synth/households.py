"""Socio-economic variables of each household, as a social register survey collects them."""

import math
import random
from dataclasses import dataclass

from sijill.synth.population import Household

HOUSEHOLD_COLUMNS = [
    "household_id",
    "commune",
    "area",
    "members",
    "member_ids",
    "size",
    "dwelling_type",
    "rooms",
    "water",
    "electricity",
    "sanitation",
    "tv",
    "fridge",
    "car",
    "computer",
    "livestock",
    "head_education",
    "head_occupation",
    "spend_gas",
    "spend_water_electricity",
    "spend_telephone",
    "head_marital_status",
    "consumption_per_capita",
]
# The document a household declares for each member, most trusted first: the member's CNIE
# card, else the birth act, else the MASSAR code (the RSU form asks for one of them).
DECLARED_DOCUMENTS = ("cnie", "civil", "massar")


@dataclass(frozen=True)
class Survey:
    """The answers of one household and its true monthly consumption per capita (dirhams)."""

    values: dict[str, str]
    consumption_per_capita: float


def _pick(rng: random.Random, welfare: float, options: tuple[str, ...]) -> str:
    """Pick an option, the later ones more likely for better-off households."""
    position = (welfare + 1.5) / 3 * (len(options) - 1) + rng.gauss(0, 0.7)
    return options[max(0, min(len(options) - 1, round(position)))]


def _yes(rng: random.Random, welfare: float, threshold: float) -> str:
    return "1" if welfare + rng.gauss(0, 0.6) > threshold else "0"


def _marital_status(rng: random.Random, hh: Household) -> str:
    """Draw the head's marital status: married with a spouse present, else by sex and age."""
    head = hh.members[0] if hh.members else None
    if head is None or any(p.relationship == "spouse" for p in hh.members):
        return "married"
    has_children = any(p.relationship in ("son", "daughter") for p in hh.members)
    if head.sex == "F" and has_children:
        options, weights = ("widowed", "divorced", "single"), (0.55, 0.35, 0.10)
    else:
        options, weights = ("widowed", "divorced", "single"), (0.35, 0.30, 0.35)
    return rng.choices(options, weights=weights, k=1)[0]


def survey(rng: random.Random, hh: Household) -> Survey:
    """Draw the survey answers of one household from its latent welfare."""
    w, urban = hh.welfare, hh.commune.urban
    size = max(len(hh.members), 1)
    consumption = math.exp(7.0 + 0.55 * w + rng.gauss(0, 0.25) - 0.05 * (size - 4))
    dwelling = (
        ("precarious", "traditional", "modern_house", "apartment", "villa")
        if urban
        else ("precarious", "rural_traditional", "rural_modern", "modern_house")
    )
    values = {
        "dwelling_type": _pick(rng, w, dwelling),
        "rooms": str(max(1, round(1.5 + 0.25 * size + w + rng.gauss(0, 0.7)))),
        "water": _pick(rng, w + (0.6 if urban else -0.6), ("well_or_river", "public_tap", "piped")),
        "electricity": _yes(rng, w + (1.5 if urban else 0.4), -0.6),
        "sanitation": _pick(rng, w + (0.6 if urban else -0.8), ("none", "septic", "sewer")),
        "tv": _yes(rng, w, -0.9),
        "fridge": _yes(rng, w, -0.3),
        "car": _yes(rng, w, 0.9),
        "computer": _yes(rng, w, 0.5),
        "livestock": "0" if urban else str(max(0, round(rng.gauss(3 - w * 2, 3)))),
        "head_education": _pick(rng, w, ("none", "primary", "secondary", "higher")),
        "head_occupation": _pick(
            rng,
            w,
            (
                "unemployed",
                "farm_worker" if not urban else "informal",
                "self_employed",
                "employee",
                "manager",
            ),
        ),
        "spend_gas": str(max(0, round(40 + 25 * w + rng.gauss(0, 10)))),
        "spend_water_electricity": str(
            max(
                0,
                round(150 + 110 * w + rng.gauss(0, 40) if urban else 60 + 50 * w + rng.gauss(0, 25)),
            )
        ),
        "spend_telephone": str(max(0, round(60 + 70 * w + rng.gauss(0, 30)))),
        "head_marital_status": _marital_status(rng, hh),
    }
    return Survey(values, consumption)
