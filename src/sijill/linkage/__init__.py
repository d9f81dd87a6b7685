"""Linkage: which records are one person. The facade the register, CLI and API call.

Names load on first use, so that importing the facade (or the tables in
`sijill.linkage.models`) does not load Splink, DuckDB or pandas until they are needed.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sijill.linkage.engines import linker_for
    from sijill.linkage.explain import level_label, model_table, prior_weight, waterfall
    from sijill.linkage.features import linkage_frame, load_records
    from sijill.linkage.incremental import Component, ComponentClustering
    from sijill.linkage.index import CandidateIndex
    from sijill.linkage.linker import DeltaLinker, Linker, LinkResult, TrainedModel
    from sijill.linkage.models import LinkageModel, NameSpelling, ReviewItem
    from sijill.linkage.online import OnlineScorer, Scores, TermFrequencies
    from sijill.linkage.pairs import ScoredPair, record_id_of, score_stored_pair
    from sijill.linkage.review import (
        DECISIONS,
        bind_pairs,
        decide_review,
        pending_reviews,
        queue_for_review,
        reviewer_constraints,
        unbind_pairs,
    )
    from sijill.linkage.service import latest_model, save_model
    from sijill.linkage.spec import COMPARISONS, LinkageSpec, Thresholds
    from sijill.linkage.spellings import learn_spellings, load_spellings

_WHERE = {
    "linker_for": "engines",
    "level_label": "explain",
    "model_table": "explain",
    "prior_weight": "explain",
    "waterfall": "explain",
    "linkage_frame": "features",
    "load_records": "features",
    "Component": "incremental",
    "ComponentClustering": "incremental",
    "CandidateIndex": "index",
    "OnlineScorer": "online",
    "Scores": "online",
    "TermFrequencies": "online",
    "DeltaLinker": "linker",
    "Linker": "linker",
    "LinkResult": "linker",
    "TrainedModel": "linker",
    "LinkageModel": "models",
    "NameSpelling": "models",
    "ReviewItem": "models",
    "ScoredPair": "pairs",
    "record_id_of": "pairs",
    "score_stored_pair": "pairs",
    "DECISIONS": "review",
    "bind_pairs": "review",
    "decide_review": "review",
    "unbind_pairs": "review",
    "pending_reviews": "review",
    "queue_for_review": "review",
    "reviewer_constraints": "review",
    "latest_model": "service",
    "save_model": "service",
    "COMPARISONS": "spec",
    "LinkageSpec": "spec",
    "Thresholds": "spec",
    "learn_spellings": "spellings",
    "load_spellings": "spellings",
}
__all__ = [
    "COMPARISONS",
    "DECISIONS",
    "CandidateIndex",
    "Component",
    "ComponentClustering",
    "DeltaLinker",
    "LinkResult",
    "LinkageModel",
    "LinkageSpec",
    "Linker",
    "NameSpelling",
    "OnlineScorer",
    "ReviewItem",
    "ScoredPair",
    "Scores",
    "TermFrequencies",
    "Thresholds",
    "TrainedModel",
    "bind_pairs",
    "decide_review",
    "latest_model",
    "learn_spellings",
    "level_label",
    "linkage_frame",
    "linker_for",
    "load_records",
    "load_spellings",
    "model_table",
    "pending_reviews",
    "prior_weight",
    "queue_for_review",
    "record_id_of",
    "reviewer_constraints",
    "save_model",
    "score_stored_pair",
    "unbind_pairs",
    "waterfall",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'sijill.linkage' has no attribute {name!r}")
    return getattr(import_module(f"sijill.linkage.{module}"), name)
