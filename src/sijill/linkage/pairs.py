"""Score one pair of stored records with the register's model, for explanations."""

from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from sijill.errors import LinkageError, NotFound
from sijill.linkage.features import linkage_frame, load_records
from sijill.linkage.service import latest_model
from sijill.linkage.spellings import load_spellings
from sijill.sources.models import ACCEPTED, SourceRecord


def record_id_of(*, session: Session, source: str, source_id: str) -> int:
    """Return the id of the accepted record with this source id."""
    stmt = select(SourceRecord.id).where(
        SourceRecord.source == source,
        SourceRecord.source_id == source_id,
        SourceRecord.status == ACCEPTED,
    )
    found = session.scalars(stmt.limit(1)).first()
    if found is None:
        raise NotFound(f"no accepted record {source}:{source_id}")
    return int(found)


@dataclass(frozen=True)
class ScoredPair:
    """Splink's scored comparison of two records (`row`) and the model that scored it."""

    row: dict[str, Any]
    settings: dict[str, Any]


def score_stored_pair(*, session: Session, left: int, right: int) -> ScoredPair:
    """Return Splink's scored comparison of two stored records under the latest model."""
    from splink import Linker

    from sijill.linkage.splink_linker import duckdb_api

    model = latest_model(session=session)
    if model is None:
        raise LinkageError("no trained model in the register: run `sijill build` first")
    frame = linkage_frame(load_records(session=session), load_spellings(session=session))
    api = duckdb_api()
    linker = Linker(api.register(frame), model.settings, log_level="WARNING")
    rows = {int(r["record_id"]): r for r in frame[frame["record_id"].isin([left, right])].to_dict("records")}
    if left not in rows or right not in rows:
        raise NotFound("both records must be accepted records of the register")
    scored: pd.DataFrame = linker.inference.score_pair(
        _plain(rows[left]), _plain(rows[right])
    ).as_pandas_dataframe()
    return ScoredPair(scored.iloc[0].to_dict(), model.settings)


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (None if v is pd.NA else v) for k, v in row.items()}
