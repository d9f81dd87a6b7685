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
from sijill.db.bulk import bulk_insert_tuples, db_timestamp
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
from sijill.social.people import fetch_frame

logger = logging.getLogger(__name__)
_CHUNK = 5000
# Below this many stale households, read only those; above it, one scan of all is faster.
_FEW = 20_000


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
    frame = fetch_frame(session, stmt, ["household_id", "size"])
    return pd.Series(frame["size"].to_numpy(), index=frame["household_id"].to_numpy(), dtype="int64")


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
        stmt = stmt.where(Household.id.in_([int(h) for h in household_ids]))
    columns = [
        "household_id",
        "urban",
        "region_code",
        "version",
        "variables",
        "model_version",
        "household_version",
    ]
    base = fetch_frame(session, stmt, columns)
    parsed = [orjson.loads(v) for v in base.pop("variables")]
    variables = (
        pd.DataFrame.from_records(parsed, index=base.index) if parsed else pd.DataFrame(index=base.index)
    )
    variables = variables.drop(
        columns=[c for c in base.columns if c in variables.columns] + ["size"], errors="ignore"
    )
    frame = pd.concat([base, variables], axis=1)
    frame["urban"] = frame["urban"].astype(bool)
    frame["size"] = frame["household_id"].map(_sizes(session)).fillna(0).astype("int64")
    return frame


def _stale(session: Session, version: str) -> list[int]:
    """Return the active households with no score, or one of another model or household version."""
    stmt = (
        select(Household.id)
        .outerjoin(HouseholdScore, HouseholdScore.household_id == Household.id)
        .where(
            Household.status == HOUSEHOLD_ACTIVE,
            HouseholdScore.household_id.is_(None)
            | (HouseholdScore.model_version != version)
            | (HouseholdScore.household_version != Household.version),
        )
        .order_by(Household.id)
    )
    return [int(h) for h in fetch_frame(session, stmt, ["household_id"])["household_id"]]


def score_households(
    *, session: Session, spec: IndexSpec | None = None, everything: bool = False
) -> ScoreOutcome:
    """Score every household whose score is missing or stale (all of them with `everything`)."""
    spec = spec or load_index()
    store_model(session=session, spec=spec)
    total = int(
        session.scalar(
            select(func.count()).select_from(Household).where(Household.status == HOUSEHOLD_ACTIVE)
        )
        or 0
    )
    stale = None if everything else _stale(session, spec.version)
    if stale is not None and not stale:
        return ScoreOutcome(spec.version, scored=0, current=total)
    few = stale is not None and len(stale) <= _FEW
    todo = households_frame(session=session, household_ids=stale if few else None)
    if stale is not None and not few:
        todo = todo[todo["household_id"].isin(stale)]
    _write_scores(session, todo, score_frame(spec, todo), spec.version, whole=len(todo) == total)
    logger.info("scored %d households with index %s", len(todo), spec.version)
    return ScoreOutcome(spec.version, scored=len(todo), current=total - len(todo))


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
    now = db_timestamp(session, utcnow())
    names = ["household_id", "model_version", "household_version", "score", "computed_at"]
    rows = [
        (h, version, v, s, now)
        for h, v, s in zip(
            ids,
            frame["version"].astype("int64").tolist(),
            scores.astype("float64").tolist(),
            strict=True,
        )
    ]
    bulk_insert_tuples(session, HouseholdScore.__table__, names, rows)


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
