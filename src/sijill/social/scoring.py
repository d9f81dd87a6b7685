"""Score households with the index, store each score with its model version, explain it.

A score is recomputed when the household changed (its version moved on) or when another
model is used; the model itself is stored the first time it scores, so that every score can
be explained later term by term, whatever file the model came from.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
import pandas as pd
from sqlalchemy import Text, cast, delete, func, select
from sqlalchemy.orm import Session

from sijill.db.base import utcnow
from sijill.db.bulk import bulk_insert
from sijill.social.config import IndexSpec, index_checksum, load_index
from sijill.social.errors import HouseholdNotFound, InvalidConfiguration
from sijill.social.index import ScoreExplanation, explain_score, score_frame
from sijill.social.models import (
    HOUSEHOLD_ACTIVE,
    MEMBER_ACTIVE,
    Household,
    HouseholdMember,
    HouseholdScore,
    IndexModel,
)

logger = logging.getLogger(__name__)
_CHUNK = 5000


@dataclass(frozen=True)
class ScoreOutcome:
    """How many households were scored, with which model."""

    model_version: str
    scored: int
    current: int


def store_model(*, session: Session, spec: IndexSpec) -> IndexModel:
    """Keep a model in the register; refuse a known version whose coefficients differ."""
    checksum = index_checksum(spec)
    held = session.get(IndexModel, spec.version)
    if held is not None:
        if held.checksum != checksum:
            raise InvalidConfiguration(
                f"index model version {spec.version!r} is already stored with other coefficients: "
                "give the changed model a new version"
            )
        return held
    model = IndexModel(version=spec.version, checksum=checksum, spec=orjson.loads(spec.model_dump_json()))
    session.add(model)
    session.flush()
    return model


def stored_model(*, session: Session, version: str) -> IndexSpec:
    """Return a model the register stored when it scored."""
    held = session.get(IndexModel, version)
    if held is None:
        raise HouseholdNotFound(f"no index model of version {version!r} in the register")
    return IndexSpec.model_validate(held.spec)


def _sizes(session: Session) -> pd.Series:
    stmt = (
        select(HouseholdMember.household_id, func.count())
        .where(HouseholdMember.status == MEMBER_ACTIVE)
        .group_by(HouseholdMember.household_id)
    )
    rows = session.execute(stmt).all()
    return pd.Series({int(h): int(n) for h, n in rows}, dtype="int64")


def households_frame(*, session: Session, household_ids: Sequence[int] | None = None) -> pd.DataFrame:
    """Return active households with their variables as columns, size and current score versions."""
    stmt = (
        select(
            Household.id,
            Household.urban,
            Household.region_code,
            Household.version,
            cast(Household.variables, Text),
            HouseholdScore.model_version,
            HouseholdScore.household_version,
        )
        .outerjoin(HouseholdScore, HouseholdScore.household_id == Household.id)
        .where(Household.status == HOUSEHOLD_ACTIVE)
        .order_by(Household.id)
    )
    if household_ids is not None:
        stmt = stmt.where(Household.id.in_(list(household_ids)))
    rows = session.execute(stmt).all()
    base = pd.DataFrame.from_records(
        [r[:4] + r[5:] for r in rows],
        columns=["household_id", "urban", "region_code", "version", "model_version", "household_version"],
    )
    parsed = [orjson.loads(r[4]) for r in rows]
    variables = pd.DataFrame.from_records(parsed, index=base.index) if parsed else pd.DataFrame(index=base.index)
    variables = variables.drop(
        columns=[c for c in base.columns if c in variables.columns] + ["size"], errors="ignore"
    )
    frame = pd.concat([base, variables], axis=1)
    frame["urban"] = frame["urban"].astype(bool)
    frame["size"] = frame["household_id"].map(_sizes(session)).fillna(0).astype("int64")
    return frame


def score_households(
    *, session: Session, spec: IndexSpec | None = None, everything: bool = False
) -> ScoreOutcome:
    """Score every household whose score is missing or stale (all of them with `everything`)."""
    spec = spec or load_index()
    store_model(session=session, spec=spec)
    frame = households_frame(session=session)
    stale = (
        frame["model_version"].ne(spec.version)
        | frame["household_version"].ne(frame["version"])
        | frame["model_version"].isna()
    )
    todo = frame if everything else frame[stale]
    if len(todo):
        _write_scores(session, todo, score_frame(spec, todo), spec.version, whole=len(todo) == len(frame))
    logger.info("scored %d households with index %s", len(todo), spec.version)
    return ScoreOutcome(spec.version, scored=len(todo), current=len(frame) - len(todo))


def _write_scores(
    session: Session, frame: pd.DataFrame, scores: pd.Series, version: str, *, whole: bool
) -> None:
    ids = frame["household_id"].astype("int64").tolist()
    if whole:
        session.execute(delete(HouseholdScore))
    else:
        for i in range(0, len(ids), _CHUNK):
            session.execute(
                delete(HouseholdScore).where(HouseholdScore.household_id.in_(ids[i : i + _CHUNK]))
            )
    now = utcnow()
    rows = [
        {
            "household_id": h,
            "model_version": version,
            "household_version": int(v),
            "score": float(s),
            "computed_at": now,
        }
        for h, v, s in zip(ids, frame["version"], scores, strict=True)
    ]
    bulk_insert(session, HouseholdScore.__table__, rows)


def explain_household(*, session: Session, household_id: int) -> dict[str, Any]:
    """Return a household's score explained term by term, and whether it is current."""
    score = session.get(HouseholdScore, household_id)
    frame = households_frame(session=session, household_ids=[household_id])
    if not len(frame):
        raise HouseholdNotFound(f"no active household {household_id}")
    if score is None:
        return {"household_id": household_id, "scored": False}
    spec = stored_model(session=session, version=score.model_version)
    row = frame.iloc[0].to_dict()
    explanation: ScoreExplanation = explain_score(spec, row)
    return {
        "household_id": household_id,
        "scored": True,
        "current": score.household_version == int(row["version"]),
        "stored_score": score.score,
        "model_status": spec.status,
        **explanation.as_dict(),
    }
