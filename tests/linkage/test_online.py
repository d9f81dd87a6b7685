"""The online scorer gives Splink's batch scores, pair for pair and comparison for comparison."""

import logging
from collections import Counter
from typing import Any

import numpy as np
import pandas as pd
import pytest
from splink import Linker

from sijill.linkage.features import record_features
from sijill.linkage.online import OnlineScorer, TermFrequencies, Value, column_value, compile_condition
from sijill.linkage.splink_linker import INTEGER_COLUMNS, duckdb_api, typed_input
from sijill.names import SpellingDictionary


def _splink_pairs(frame: pd.DataFrame, settings: dict[str, Any]) -> pd.DataFrame:
    api = duckdb_api()
    linker = Linker(api.register(typed_input(frame, api)), settings, log_level=logging.ERROR)
    return linker.inference.predict().as_pandas_dataframe()


def _env(
    frame: pd.DataFrame, left: np.ndarray, right: np.ndarray, columns: frozenset[str]
) -> dict[str, Value]:
    rows = frame.set_index("record_id")
    env: dict[str, Value] = {}
    for column in columns:
        numeric = column in INTEGER_COLUMNS
        env[f"{column}_l"] = column_value(rows.loc[left, column].tolist(), numeric=numeric)
        env[f"{column}_r"] = column_value(rows.loc[right, column].tolist(), numeric=numeric)
    return env


def _frequencies(frame: pd.DataFrame, columns: frozenset[str]) -> TermFrequencies:
    tf = TermFrequencies()
    for column in columns:
        for value, n in Counter(frame[column].dropna().tolist()).items():
            tf.add(column, int(value) if column in INTEGER_COLUMNS else value, n)
    return tf


def test_online_weights_equal_splink_batch_weights(
    built: tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]],
) -> None:
    _records, frame, settings = built
    pairs = _splink_pairs(frame, settings)
    assert len(pairs) >= 300
    scorer = OnlineScorer.from_settings(settings)
    left = pairs["record_id_l"].to_numpy()
    right = pairs["record_id_r"].to_numpy()
    scores = scorer.score(
        _env(frame, left, right, scorer.columns), len(pairs), _frequencies(frame, scorer.tf_columns)
    )
    np.testing.assert_allclose(scores.match_weight, pairs["match_weight"].to_numpy(), rtol=0, atol=1e-9)
    np.testing.assert_allclose(scores.probability, pairs["match_probability"].to_numpy(), rtol=0, atol=1e-9)
    for comparison in scorer.comparisons:
        name = comparison.name
        expected = pairs[f"mw_{name}"].to_numpy(dtype=float)
        if f"mw_tf_adj_{name}" in pairs:
            expected = expected + pairs[f"mw_tf_adj_{name}"].fillna(0.0).to_numpy(dtype=float)
        np.testing.assert_allclose(scores.weights[name], expected, rtol=0, atol=1e-9, err_msg=name)
        np.testing.assert_array_equal(scores.gammas[name], pairs[f"gamma_{name}"].to_numpy(), err_msg=name)


def test_one_record_scored_against_many_equals_the_pairwise_scores(
    built: tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]],
) -> None:
    _records, frame, settings = built
    scorer = OnlineScorer.from_settings(settings)
    tf = _frequencies(frame, scorer.tf_columns)
    ids = frame["record_id"].to_numpy()
    one, many = ids[:1], ids[1:200]
    broadcast = scorer.score(_env(frame, one, many, scorer.columns), len(many), tf)
    pairwise = scorer.score(_env(frame, np.repeat(one, len(many)), many, scorer.columns), len(many), tf)
    np.testing.assert_array_equal(broadcast.match_weight, pairwise.match_weight)


def test_record_features_equal_the_batch_frame(
    built: tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]],
) -> None:
    records, frame, _settings = built
    seen_ar, seen_la = records["given_ar"].value_counts(), records["given_lat"].value_counts()
    spellings = _spellings_of(records)
    expected = frame.astype(object).where(frame.notna(), None).to_dict("records")
    for record, row in zip(records.to_dict("records"), expected, strict=True):
        assert record_features(record, spellings, seen_ar, seen_la) == row


def _spellings_of(records: pd.DataFrame) -> SpellingDictionary:
    """Learn the spellings as `learn_spellings` does, from the records in hand."""
    learnt = SpellingDictionary()
    for part in ("family", "given"):
        pairs = records[[f"{part}_ar", f"{part}_lat"]].dropna()
        for (ar, la), n in Counter(map(tuple, pairs.to_numpy().tolist())).items():
            learnt.add(ar, la, count=n)
    return learnt


def test_a_condition_the_scorer_cannot_read_is_refused() -> None:
    with pytest.raises(Exception, match="cannot read"):
        compile_condition("jaro_winkler_similarity(a_l, a_r) > 0.9")
