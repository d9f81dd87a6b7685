"""The socio-economic index: a proxy means test, computed for many households at once.

`score = area constant + region constant + sum(coefficient x variable)`, a predicted log of
annual consumption per person, with one model for urban and one for rural households. Every
score can be explained term by term. `fit_index` refits the coefficients by least squares on
a survey that carries consumption, and `targeting_errors` says how well a model finds the
poorest.
"""

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sijill.social.config import AreaModel, IndexSpec, Term

# The poorest share whose targeting errors are reported.
POOREST_SHARE = 0.20
MONTHS = 12


def _numeric(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values, errors="coerce").fillna(0.0).astype("float64")


def term_values(term: Term, frame: pd.DataFrame) -> pd.Series:
    """Return the value each household brings to one term (before its coefficient)."""
    raw = frame[term.variable] if term.variable in frame else pd.Series("", index=frame.index)
    if term.transform == "equals":
        return (raw.astype("string") == term.equals).fillna(False).astype("float64")
    x = _numeric(raw)
    if term.transform == "log":
        return pd.Series(np.log(np.maximum(x.to_numpy(), 1.0)), index=frame.index)
    if term.transform == "log1p":
        return pd.Series(np.log1p(np.maximum(x.to_numpy(), 0.0)), index=frame.index)
    if term.transform == "per_person":
        return x / np.maximum(_numeric(frame["size"]), 1.0)
    return x


def _area_scores(model: AreaModel, frame: pd.DataFrame) -> pd.Series:
    region = frame["region_code"].map(model.regions).fillna(0.0).astype("float64")
    total = model.constant + region
    for term in model.terms:
        total = total + term.coefficient * term_values(term, frame)
    return total


def score_frame(spec: IndexSpec, frame: pd.DataFrame) -> pd.Series:
    """Return the index of every household of a frame (columns: urban, region_code, size, variables).

    Example:
        >>> scores = score_frame(load_index(), households)  # doctest: +SKIP
    """
    urban = frame["urban"].astype(bool)
    scores = pd.Series(np.nan, index=frame.index, dtype="float64")
    for is_urban in (True, False):
        part = frame[urban == is_urban]
        if len(part):
            scores.loc[part.index] = _area_scores(spec.area(is_urban), part)
    return scores


@dataclass(frozen=True)
class ScoreTerm:
    """One line of a score's explanation."""

    term: str
    value: float
    coefficient: float
    contribution: float


@dataclass(frozen=True)
class ScoreExplanation:
    """A household's score, term by term, with the model that computed it."""

    model_version: str
    area: str
    constant: float
    region_code: str
    region_constant: float
    terms: list[ScoreTerm]
    score: float

    def as_dict(self) -> dict[str, Any]:
        """Return the explanation as plain data (for JSON and templates)."""
        return {
            "model_version": self.model_version,
            "area": self.area,
            "constant": self.constant,
            "region_code": self.region_code,
            "region_constant": self.region_constant,
            "terms": [vars(t) for t in self.terms],
            "score": self.score,
        }


def explain_score(spec: IndexSpec, row: dict[str, Any]) -> ScoreExplanation:
    """Explain one household's score: each term's value, coefficient and contribution."""
    frame = pd.DataFrame([row])
    model = spec.area(bool(row["urban"]))
    terms = []
    for term in model.terms:
        value = float(term_values(term, frame).iloc[0])
        terms.append(ScoreTerm(term.label, value, term.coefficient, term.coefficient * value))
    region = float(model.regions.get(str(row["region_code"]), 0.0))
    score = model.constant + region + sum(t.contribution for t in terms)
    return ScoreExplanation(
        spec.version,
        "urban" if row["urban"] else "rural",
        model.constant,
        str(row["region_code"]),
        region,
        terms,
        score,
    )


# ---------------------------------------------------------------- fitting and targeting


def log_consumption(monthly_per_person: pd.Series) -> pd.Series:
    """Return the index's target from a survey's monthly consumption per person."""
    return pd.Series(
        np.log(np.maximum(_numeric(monthly_per_person) * MONTHS, 1.0)), index=monthly_per_person.index
    )


def _design(model: AreaModel, frame: pd.DataFrame, regions: list[str]) -> np.ndarray:
    columns = [np.ones(len(frame))]
    columns += [(frame["region_code"] == r).to_numpy(dtype="float64") for r in regions[1:]]
    columns += [term_values(t, frame).to_numpy() for t in model.terms]
    return np.column_stack(columns)


def _fit_area(model: AreaModel, frame: pd.DataFrame, target: pd.Series) -> AreaModel:
    """Refit one area's constant, region constants and coefficients by least squares."""
    regions = sorted(model.regions)
    present = [r for r in regions if (frame["region_code"] == r).any()]
    x = _design(model, frame, present)
    coef, *_ = np.linalg.lstsq(x, target.to_numpy(), rcond=None)
    fitted_regions = dict.fromkeys(regions, 0.0)
    fitted_regions.update(
        {r: round(float(c), 4) for r, c in zip(present[1:], coef[1 : len(present)], strict=True)}
    )
    terms = [
        t.model_copy(update={"coefficient": round(float(c), 4)})
        for t, c in zip(model.terms, coef[len(present) :], strict=True)
    ]
    return AreaModel(constant=round(float(coef[0]), 4), regions=fitted_regions, terms=terms)


def fit_index(template: IndexSpec, survey: pd.DataFrame, *, version: str, source: str) -> IndexSpec:
    """Return a model of the template's shape refitted on a survey (with `log_consumption`)."""
    target = survey["log_consumption"]
    urban = survey["urban"].astype(bool)
    return IndexSpec(
        version=version,
        status="fitted",
        note=f"fitted by least squares on {len(survey):,} surveyed households; not official",
        source=source,
        target=template.target,
        urban=_fit_area(template.urban, survey[urban], target[urban]),
        rural=_fit_area(template.rural, survey[~urban], target[~urban]),
    )


@dataclass(frozen=True)
class TargetingErrors:
    """How a model finds the poorest: exclusion and inclusion error rates, and the line used."""

    households: int
    poor: int
    selected: int
    exclusion_error: float
    inclusion_error: float
    line: float


def targeting_errors(
    scores: pd.Series, truth: pd.Series, share: float = POOREST_SHARE, line: float | None = None
) -> TargetingErrors:
    """Compare the households a score selects with the poorest by true log consumption.

    The poor are the `share` poorest by truth; the selected are those whose score is at most
    the same line (the truth's quantile, or a program threshold when `line` is given).
    Exclusion error: poor not selected / poor. Inclusion error: selected not poor / selected.
    """
    cut = float(np.quantile(truth, share))
    poor = truth <= cut
    selected = scores <= (cut if line is None else line)
    n_poor, n_selected = int(poor.sum()), int(selected.sum())
    return TargetingErrors(
        households=len(truth),
        poor=n_poor,
        selected=n_selected,
        exclusion_error=float((poor & ~selected).sum() / n_poor) if n_poor else 0.0,
        inclusion_error=float((selected & ~poor).sum() / n_selected) if n_selected else 0.0,
        line=cut if line is None else line,
    )
