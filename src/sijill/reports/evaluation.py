"""Score the register's linkage against a synthetic truth: pairwise, B-cubed, by subgroup."""

from collections import Counter
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from sijill.errors import SijillError
from sijill.register.models import Link, Person
from sijill.sources.models import IDENTITY_FIELDS, SUPERSEDED, SourceRecord

SUBGROUPS = ("arabic_only", "year_only_birth", "rural", "women", "twins")


@dataclass
class Scores:
    """Pairwise and B-cubed scores of one set of records."""

    records: int = 0
    predicted_pairs: int = 0
    true_pairs: int = 0
    true_positive_pairs: int = 0
    bcubed_precision: float = 1.0
    bcubed_recall: float = 1.0
    false_merge_pairs: int = 0
    missed_link_pairs: int = 0

    @property
    def precision(self) -> float:
        return self.true_positive_pairs / self.predicted_pairs if self.predicted_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.true_positive_pairs / self.true_pairs if self.true_pairs else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {**vars(self), "precision": self.precision, "recall": self.recall, "f1": self.f1}


@dataclass
class Evaluation:
    """The whole evaluation: overall scores, errors by source pair and subgroup, worst cases."""

    overall: Scores
    quarantined: int
    not_in_register: int
    false_merges_by_sources: dict[str, int] = field(default_factory=dict)
    missed_links_by_sources: dict[str, int] = field(default_factory=dict)
    subgroups: dict[str, Scores] = field(default_factory=dict)
    worst_errors: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "overall": self.overall.as_dict(),
            "quarantined": self.quarantined,
            "not_in_register": self.not_in_register,
            "false_merges_by_sources": self.false_merges_by_sources,
            "missed_links_by_sources": self.missed_links_by_sources,
            "subgroups": {k: v.as_dict() for k, v in self.subgroups.items()},
            "worst_errors": self.worst_errors,
        }


def _pairs(sizes: pd.Series) -> int:
    return int((sizes * (sizes - 1) // 2).sum())


def score_clusters(frame: pd.DataFrame) -> Scores:
    """Score predicted clusters (`uin`) against true ones (`person_id`), one row a record."""
    if frame.empty:
        return Scores()
    pred = frame.groupby("uin").size()
    true = frame.groupby("person_id").size()
    cell = frame.groupby(["uin", "person_id"]).size()
    scores = Scores(
        records=len(frame),
        predicted_pairs=_pairs(pred),
        true_pairs=_pairs(true),
        true_positive_pairs=_pairs(cell),
    )
    scores.false_merge_pairs = scores.predicted_pairs - scores.true_positive_pairs
    scores.missed_link_pairs = scores.true_pairs - scores.true_positive_pairs
    joined = frame.join(cell.rename("cell"), on=["uin", "person_id"])
    joined = joined.join(pred.rename("pred"), on="uin").join(true.rename("true"), on="person_id")
    scores.bcubed_precision = float((joined["cell"] / joined["pred"]).mean())
    scores.bcubed_recall = float((joined["cell"] / joined["true"]).mean())
    return scores


def score_subset(frame: pd.DataFrame, mask: pd.Series) -> Scores:
    """B-cubed scores of the records in `mask`, their clusters taken from the whole frame."""
    pred = frame.groupby("uin").size()
    true = frame.groupby("person_id").size()
    cell = frame.groupby(["uin", "person_id"]).size()
    part = frame[mask].join(cell.rename("cell"), on=["uin", "person_id"])
    part = part.join(pred.rename("pred"), on="uin").join(true.rename("true"), on="person_id")
    if part.empty:
        return Scores()
    s = Scores(records=len(part))
    s.bcubed_precision = float((part["cell"] / part["pred"]).mean())
    s.bcubed_recall = float((part["cell"] / part["true"]).mean())
    s.false_merge_pairs = int((part["pred"] - part["cell"]).sum())
    s.missed_link_pairs = int((part["true"] - part["cell"]).sum())
    return s


def _error_pairs(frame: pd.DataFrame, group_col: str, other_col: str) -> Counter[str]:
    """Count pairs inside `group_col` clusters that differ on `other_col`, by source pair."""
    impure = frame.groupby(group_col)[other_col].transform("nunique") > 1
    counts: Counter[str] = Counter()
    for _, members in frame[impure].groupby(group_col):
        rows = list(zip(members[other_col], members["source"], strict=True))
        for (a, sa), (b, sb) in combinations(rows, 2):
            if a != b:
                counts["-".join(sorted((sa, sb)))] += 1
    return counts


def _register_frame(session: Session) -> pd.DataFrame:
    stmt = (
        select(
            SourceRecord.source,
            SourceRecord.source_id,
            Person.uin,
            *(getattr(SourceRecord, c) for c in (*IDENTITY_FIELDS, "birth_precision")),
        )
        .outerjoin(Link, Link.source_record_id == SourceRecord.id)
        .outerjoin(Person, Person.id == Link.person_id)
        .where(SourceRecord.status != SUPERSEDED)
    )
    return pd.DataFrame(
        session.execute(stmt).all(),
        columns=["source", "source_id", "uin", *IDENTITY_FIELDS, "birth_precision"],
    )


def _read_truth(truth_path: Path) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    if not truth_path.exists():
        raise SijillError(f"{truth_path}: no such truth file")
    truth = pd.read_csv(truth_path, dtype=str, keep_default_na=False)
    if list(truth.columns[:3]) != ["source", "source_id", "person_id"]:
        raise SijillError(f"{truth_path}: expected columns source,source_id,person_id")
    persons_path = truth_path.with_name("persons.csv")
    persons = None
    if persons_path.exists():
        persons = pd.read_csv(persons_path, dtype=str, usecols=["person_id", "twin", "rural"])
    return truth[truth["source_id"] != ""], persons


def _subgroup_masks(frame: pd.DataFrame) -> dict[str, pd.Series]:
    masks = {
        "arabic_only": frame["family_lat"].isna() & frame["given_lat"].isna(),
        "year_only_birth": frame["birth_precision"] == "year",
        "women": frame["sex"] == "F",
    }
    if "rural" in frame:
        masks["rural"] = frame["rural"] == "1"
        masks["twins"] = frame["twin"] == "1"
    return masks


def _worst(frame: pd.DataFrame, limit: int) -> list[dict[str, Any]]:
    """Return the clusters with the most mixed persons and the persons most split."""
    cols = ["source", "source_id", *IDENTITY_FIELDS, "uin", "person_id"]
    merged = frame.groupby("uin")["person_id"].nunique().sort_values(ascending=False)
    split = frame.groupby("person_id")["uin"].nunique().sort_values(ascending=False)
    errors: list[dict[str, Any]] = []
    for uin, n in merged[merged > 1].head(limit // 2).items():
        rows = frame[frame["uin"] == uin][cols].fillna("").to_dict("records")
        errors.append({"kind": "false_merge", "uin": uin, "persons": int(n), "records": rows})
    for pid, n in split[split > 1].head(limit - len(errors)).items():
        rows = frame[frame["person_id"] == pid][cols].fillna("").to_dict("records")
        errors.append({"kind": "missed_link", "person_id": pid, "uins": int(n), "records": rows})
    return errors


def evaluate(*, session: Session, truth_path: Path, worst: int = 20) -> Evaluation:
    """Compare the register's crosswalk with the truth of a synthetic population."""
    truth, persons = _read_truth(truth_path)
    register = _register_frame(session)
    if register.empty:
        raise SijillError("the register holds no source records: run `sijill build` first")
    frame = truth.merge(register, on=["source", "source_id"], how="left", indicator=True)
    missing = int((frame["_merge"] == "left_only").sum())
    quarantined = int(((frame["_merge"] == "both") & frame["uin"].isna()).sum())
    frame = frame[frame["uin"].notna()].drop(columns="_merge")
    if persons is not None:
        frame = frame.merge(persons, on="person_id", how="left")
    result = Evaluation(score_clusters(frame), quarantined, missing)
    result.false_merges_by_sources = dict(_error_pairs(frame, "uin", "person_id").most_common())
    result.missed_links_by_sources = dict(_error_pairs(frame, "person_id", "uin").most_common())
    result.subgroups = {k: score_subset(frame, m) for k, m in _subgroup_masks(frame).items()}
    result.worst_errors = _worst(frame, worst)
    return result
