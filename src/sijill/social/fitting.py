"""Refit the index on a survey file and compare it with the shipped model on held-out households."""

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from sijill.geo import communes
from sijill.social.config import index_to_toml, load_index
from sijill.social.errors import InvalidHousehold
from sijill.social.index import TargetingErrors, fit_index, log_consumption, score_frame, targeting_errors


@dataclass(frozen=True)
class FitReport:
    """How the fitted and the shipped model find the poorest 20% of the held-out half."""

    fitted_on: int
    tested_on: int
    fitted: TargetingErrors
    shipped: TargetingErrors
    version: str


def read_survey(path: Path) -> pd.DataFrame:
    """Read a survey file with consumption into the frame the index scores."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    for column in ("commune", "consumption_per_capita", "size"):
        if column not in frame.columns:
            raise InvalidHousehold(f"{path}: no column {column!r}")
    known = communes()
    frame = frame[frame["commune"].isin(known)].copy()
    frame["urban"] = frame["commune"].map(lambda c: known[c].urban)
    frame["region_code"] = frame["commune"].map(lambda c: known[c].region_code)
    frame["log_consumption"] = log_consumption(frame["consumption_per_capita"])
    return frame.reset_index(drop=True)


def fit_survey(*, survey: Path, out: Path, base: Path | None, version: str | None, seed: int) -> FitReport:
    """Fit on half the survey, test both models on the other half, write the fitted model."""
    frame = read_survey(survey)
    shipped = load_index(base)
    test = np.random.default_rng(seed).random(len(frame)) < 0.5
    train, held = frame[~test], frame[test]
    name = version or f"fitted-{date.today().isoformat()}"
    fitted = fit_index(
        shipped, train, version=name, source=f"least squares on {survey.name} ({len(train):,} households)"
    )
    out.write_text(
        index_to_toml(fitted, header=f"Fitted by `sijill index fit` on {survey.name}; not official."),
        encoding="utf-8",
    )
    truth = held["log_consumption"]
    return FitReport(
        fitted_on=len(train),
        tested_on=len(held),
        fitted=targeting_errors(score_frame(fitted, held), truth),
        shipped=targeting_errors(score_frame(shipped, held), truth),
        version=name,
    )
