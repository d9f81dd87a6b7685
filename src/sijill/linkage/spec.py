"""The comparison spec: our comparisons described once, compiled to Splink settings.

Each comparison is a list of levels from the most to the least alike. A level is a SQL
condition on the `_l` and `_r` columns of a pair, written once in DuckDB's dialect; Splink
translates it for Spark. Fixed m probabilities are given where labels cannot teach them.
"""

from dataclasses import dataclass, field
from typing import Any

import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import SettingsCreator, block_on

MODEL_VERSION_FORMAT = 1


@dataclass(frozen=True)
class Level:
    """One level of a comparison."""

    label: str
    sql: str
    tf_column: str | None = None
    fixed_m: float | None = None
    null: bool = False
    m_prior: float = 0.02
    u_prior: float = 0.001


@dataclass(frozen=True)
class ComparisonSpec:
    """One comparison: its name, description and levels (null level first, else last)."""

    name: str
    description: str
    levels: tuple[Level, ...]
    fixed_else: bool = False

    def to_splink(self) -> cl.CustomComparison:
        """Return the Splink comparison of this spec."""
        levels: list[Any] = []
        for level in self.levels:
            creator = cll.CustomLevel(level.sql, label_for_charts=level.label, base_dialect_str="duckdb")
            options: dict[str, Any] = {}
            if level.null:
                options["is_null_level"] = True
            if level.tf_column:
                options["tf_adjustment_column"] = level.tf_column
                options["tf_adjustment_weight"] = 1.0
            if level.fixed_m is not None:
                options.update(m_probability=level.fixed_m, fix_m_probability=True)
            elif not level.null:
                options["m_probability"] = level.m_prior
            if not level.null:
                options["u_probability"] = level.u_prior
            levels.append(creator.configure(**options))
        else_m = max(1e-4, 1.0 - sum(x.fixed_m or x.m_prior for x in self.levels if not x.null))
        levels.append(
            cll.ElseLevel().configure(
                m_probability=else_m, u_probability=0.9, fix_m_probability=self.fixed_else
            )
        )
        return cl.CustomComparison(
            levels, output_column_name=self.name, comparison_description=self.description
        )


def _name(part: str, other: str) -> ComparisonSpec:
    k, s, o = f"{part}_key", f"{part}_strict", f"{other}_strict"
    return ComparisonSpec(
        f"{part}_name",
        f"{part} name, across scripts, by phonetic keys",
        (
            Level("null", f"{k}_l IS NULL OR {k}_r IS NULL", null=True),
            Level("strict keys equal", f"{s}_l = {s}_r", tf_column=s, m_prior=0.85, u_prior=0.005),
            Level("loose keys equal", f"{k}_l = {k}_r", m_prior=0.05, u_prior=0.002),
            Level(
                "written in the other name's field",
                f"{s}_l = {o}_r OR {o}_l = {s}_r",
                m_prior=0.03,
                u_prior=0.0005,
            ),
            Level(
                "loose keys one edit apart",
                f"levenshtein({k}_l, {k}_r) <= 1",
                m_prior=0.04,
                u_prior=0.02,
            ),
            Level(
                "strict keys two edits apart",
                f"levenshtein({s}_l, {s}_r) <= 2",
                m_prior=0.02,
                u_prior=0.05,
            ),
        ),
    )


def _birth_date() -> ComparisonSpec:
    y, m, d = "birth_year", "birth_month", "birth_day"
    return ComparisonSpec(
        "birth_date",
        "date of birth, aware of its precision",
        (
            Level("null", f"{y}_l IS NULL OR {y}_r IS NULL", null=True),
            Level("same full date", "birth_date_l = birth_date_r", m_prior=0.85, u_prior=0.0001),
            Level(
                # The fewer people born that year (the old), the more a shared year tells.
                "same year, one known to the year only",
                f"(birth_date_l IS NULL OR birth_date_r IS NULL) AND {y}_l = {y}_r",
                tf_column=y,
                m_prior=0.04,
                u_prior=0.0001,
            ),
            Level(
                "day and month swapped",
                f"{y}_l = {y}_r AND {m}_l = {d}_r AND {d}_l = {m}_r",
                m_prior=0.02,
                u_prior=0.00002,
            ),
            Level(
                "two of day, month, year agree",
                f"({y}_l = {y}_r AND {m}_l = {m}_r) OR ({y}_l = {y}_r AND {d}_l = {d}_r) "
                f"OR ({m}_l = {m}_r AND {d}_l = {d}_r)",
                m_prior=0.05,
                u_prior=0.005,
            ),
            # Splink scales the year's term frequencies by this exact level's u.
            Level("same year", f"{y}_l = {y}_r", m_prior=0.01, u_prior=0.01),
            Level("within a year", f"abs({y}_l - {y}_r) <= 1", m_prior=0.02, u_prior=0.04),
        ),
    )


def _exact(
    name: str, description: str, column: str, *, tf: bool = False, m: float = 0.9, u: float = 0.05
) -> ComparisonSpec:
    return ComparisonSpec(
        name,
        description,
        (
            Level("null", f"{column}_l IS NULL OR {column}_r IS NULL", null=True),
            Level(
                "equal",
                f"{column}_l = {column}_r",
                tf_column=column if tf else None,
                m_prior=m,
                u_prior=u,
            ),
        ),
    )


def _birth_place() -> ComparisonSpec:
    return ComparisonSpec(
        "birth_place",
        "place or commune of birth",
        (
            Level("null", "birth_place_l IS NULL OR birth_place_r IS NULL", null=True),
            Level(
                "equal", "birth_place_l = birth_place_r", tf_column="birth_place", m_prior=0.85, u_prior=0.02
            ),
            Level(
                "one typo apart",
                "levenshtein(birth_place_l, birth_place_r) <= 1",
                m_prior=0.03,
                u_prior=0.002,
            ),
        ),
    )


def _cnie() -> ComparisonSpec:
    # Labels come from shared cards, so the card's own m cannot be learnt from them.
    return ComparisonSpec(
        "cnie",
        "CNIE card number, tolerating one typo",
        (
            Level("null", "cnie_l IS NULL OR cnie_r IS NULL", null=True),
            Level("equal", "cnie_l = cnie_r", fixed_m=0.90, u_prior=0.00001),
            Level("one typo", "levenshtein(cnie_l, cnie_r) <= 1", fixed_m=0.05, u_prior=0.00001),
        ),
        fixed_else=True,
    )


def _father() -> ComparisonSpec:
    return ComparisonSpec(
        "father",
        "father's given name (civil acts)",
        (
            Level("null", "father_key_l IS NULL OR father_key_r IS NULL", null=True),
            Level("equal", "father_key_l = father_key_r", m_prior=0.9, u_prior=0.02),
        ),
    )


def _home() -> ComparisonSpec:
    # RAMED knows where a member lives, the civil act where the person was born: most people,
    # rural people above all, live in the commune they were born in.
    born_here = "birth_place_l = home_commune_r OR home_commune_l = birth_place_r"
    return ComparisonSpec(
        "home_commune",
        "commune of residence, against the other record's commune of residence or of birth",
        (
            Level(
                "null",
                "NOT ((birth_place_l IS NOT NULL AND home_commune_r IS NOT NULL) "
                "OR (home_commune_l IS NOT NULL AND birth_place_r IS NOT NULL) "
                "OR (home_commune_l IS NOT NULL AND home_commune_r IS NOT NULL))",
                null=True,
            ),
            Level("same commune of residence", "home_commune_l = home_commune_r", m_prior=0.7, u_prior=0.01),
            Level("lives where the other was born", born_here, m_prior=0.6, u_prior=0.01),
            Level(
                "commune of residence one typo apart",
                "levenshtein(home_commune_l, home_commune_r) <= 1",
                m_prior=0.03,
                u_prior=0.001,
            ),
        ),
    )


def _household() -> ComparisonSpec:
    both_household = "household_ref_l IS NOT NULL AND household_ref_r IS NOT NULL"
    both_guardian = "guardian_cnie_l IS NOT NULL AND guardian_cnie_r IS NOT NULL"
    return ComparisonSpec(
        "household",
        "household evidence: the same RAMED household, or the same guardian's card (MASSAR)",
        (
            Level("null", f"NOT (({both_household}) OR ({both_guardian}))", null=True),
            Level("same RAMED household", "household_ref_l = household_ref_r", m_prior=0.6, u_prior=0.001),
            Level("same guardian card", "guardian_cnie_l = guardian_cnie_r", m_prior=0.6, u_prior=0.001),
            Level(
                "household or guardian card one typo apart",
                "levenshtein(household_ref_l, household_ref_r) <= 1 "
                "OR levenshtein(guardian_cnie_l, guardian_cnie_r) <= 1",
                m_prior=0.05,
                u_prior=0.0005,
            ),
        ),
    )


COMPARISONS: tuple[ComparisonSpec, ...] = (
    _name("family", "given"),
    _name("given", "family"),
    _birth_date(),
    _exact("sex", "sex", "sex", m=0.995, u=0.5),
    _cnie(),
    _birth_place(),
    _father(),
    _home(),
    _household(),
)

BLOCKING_RULES: tuple[tuple[str, ...], ...] = (
    ("family_key", "given_key", "birth_year"),
    ("family_key", "given_key", "birth_month", "birth_day"),
    ("given_key", "birth_date"),
    ("family_key", "birth_date"),
    ("cnie",),
    ("guardian_cnie",),
)
SWAPPED_BLOCK = "l.family_key = r.given_key AND l.given_key = r.family_key AND l.birth_year = r.birth_year"
# For the records a typo or a date known to the year only keeps out of the blocks above:
# one name, the birth year and one's commune of residence the other's commune of birth
# (civil acts against RAMED); both names and such a place; and both names where a date is
# missing (the filter on one side keeps that join small). A place of birth on both sides, or
# the household alone, adds many pairs and few links: not blocked on.
_CROSS_PLACES = ("l.birth_place = r.home_commune", "l.home_commune = r.birth_place")
PLACE_BLOCKS = (
    *(
        f"l.{name} = r.{name} AND l.birth_year = r.birth_year AND {places}"
        for name in ("family_key", "given_key")
        for places in _CROSS_PLACES
    ),
    *(
        f"l.family_key = r.family_key AND l.given_key = r.given_key AND {places}"
        for places in (*_CROSS_PLACES, "l.home_commune = r.home_commune")
    ),
    *(
        f"{side}.birth_year IS NULL AND l.family_key = r.family_key AND l.given_key = r.given_key"
        for side in "lr"
    ),
)
# Two records with the same full date that the blocks above miss: one name written in the
# other's field (the rest may be a typo or another name: the twins guard decides), both names
# swapped whatever the year, or a card one keystroke off (one of its halves intact). Each
# joins on the full date, so each adds few pairs.
_HALVES = ("substr({s}.cnie, 1, 4)", "substr({s}.cnie, length({s}.cnie) - 3)")
DATE_BLOCKS = (
    "l.family_key = r.given_key AND l.given_key = r.family_key "
    "AND l.birth_month = r.birth_month AND l.birth_day = r.birth_day",
    *(f"{h.format(s='l')} = {h.format(s='r')} AND l.birth_date = r.birth_date" for h in _HALVES),
)
DETERMINISTIC_RULES = (
    "l.family_strict = r.family_strict AND l.given_strict = r.given_strict AND l.birth_date = r.birth_date",
    "l.cnie = r.cnie AND l.birth_year = r.birth_year",
)
EM_BLOCKS = (("family_key", "given_key", "birth_year"),)
# Columns the clustering guards read besides those the comparisons retain (`linkage.clusters`).
GUARD_COLUMNS = ("source", "given_form", "given_skeleton", "given_spelt", "given_head")


@dataclass(frozen=True)
class Thresholds:
    """Match weights: link above `link`, review between `review` and `link`; two records of
    one registry need up to `same_source` (see `linkage.training.same_source_threshold`)."""

    link: float = 6.0
    review: float = 2.0
    same_source: float = 14.0


@dataclass(frozen=True)
class LinkageSpec:
    """The whole linkage configuration: comparisons (trained and saved as a model) and thresholds."""

    comparisons: tuple[ComparisonSpec, ...] = COMPARISONS
    thresholds: Thresholds = field(default_factory=Thresholds)

    def settings(self) -> SettingsCreator:
        """Return the Splink settings of this spec (untrained)."""
        rules: list[Any] = [block_on(*cols) for cols in BLOCKING_RULES]
        rules += [SWAPPED_BLOCK, *PLACE_BLOCKS, *DATE_BLOCKS]
        return SettingsCreator(
            link_type="dedupe_only",
            unique_id_column_name="record_id",
            comparisons=[c.to_splink() for c in self.comparisons],
            blocking_rules_to_generate_predictions=rules,
            retain_intermediate_calculation_columns=True,
            retain_matching_columns=True,
            additional_columns_to_retain=list(GUARD_COLUMNS),
            max_iterations=20,
            em_convergence=0.001,
        )
