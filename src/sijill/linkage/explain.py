"""Explain a model and a pair: the match weight of each comparison level (a waterfall)."""

import math
from typing import Any


def model_table(settings: dict[str, Any]) -> list[dict[str, Any]]:
    """Return one row per comparison level: label, m, u and match weight."""
    rows = []
    for comparison in settings["comparisons"]:
        for level in comparison["comparison_levels"]:
            m, u = level.get("m_probability"), level.get("u_probability")
            weight = math.log2(m / u) if m and u and not level.get("is_null_level") else None
            rows.append(
                {
                    "comparison": comparison["output_column_name"],
                    "level": level.get("label_for_charts") or level.get("sql_condition"),
                    "m": m,
                    "u": u,
                    "match_weight": weight,
                    "tf": level.get("tf_adjustment_column"),
                }
            )
    return rows


def prior_weight(settings: dict[str, Any]) -> float:
    """Return the prior match weight: log2 of the odds that two random records match."""
    p = float(settings["probability_two_random_records_match"])
    return math.log2(p / (1 - p))


def waterfall(row: dict[str, Any], comparisons: list[str]) -> list[tuple[str, float, float]]:
    """Return (step, weight, running total) from the prior through each comparison."""
    steps: list[tuple[str, float, float]] = []
    total = 0.0
    evidence = sum(
        float(row.get(f"mw_{c}") or 0.0) + float(row.get(f"mw_tf_{c}") or 0.0) for c in comparisons
    )
    prior = float(row.get("match_weight", 0.0)) - evidence
    for name in ("prior", *comparisons):
        weight = prior if name == "prior" else float(row.get(f"mw_{name}") or 0.0)
        if name != "prior":
            weight += float(row.get(f"mw_tf_{name}") or 0.0)
        total += weight
        steps.append((name, weight, total))
    return steps


def level_label(settings: dict[str, Any], comparison: str, gamma: int) -> str:
    """Return the label of the level a comparison vector value (gamma) stands for."""
    if gamma < 0:
        return "null (a value is missing)"
    for c in settings["comparisons"]:
        if c["output_column_name"] == comparison:
            levels = [lv for lv in c["comparison_levels"] if not lv.get("is_null_level")]
            level = levels[len(levels) - 1 - gamma]
            return str(level.get("label_for_charts") or level.get("sql_condition"))
    return str(gamma)
