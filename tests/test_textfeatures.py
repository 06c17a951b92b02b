"""The text model's features: hashed word, byte and function-word n-grams."""

from __future__ import annotations

import re

import numpy as np
import pytest

from detector.textfeatures import (
    _shape,
    byte_ngrams,
    frequent_tokens,
    idf_weights,
    pair_means,
    raw_blocks,
    shrink_topic_weights,
    token_blocks,
    weighted,
)

TEXTS = [
    "The council approved the budget on Tuesday, which surprised the mayor.",
    "The committee rejected the plan on Friday, which pleased the governor.",
    "Bananas are yellow. NASA launched 3 rockets in 2024!",
]


def test_shapes_stand_for_words_by_case_and_digits() -> None:
    assert [_shape(t) for t in ("council", "Council", "NASA", "I", "2024", ",", "x2")] == [
        "<x>",
        "<Xx>",
        "<XX>",
        "<Xx>",
        "<d>",
        ",",
        "<x>",
    ]


def test_frequent_tokens_are_the_most_common_and_deterministic() -> None:
    top = frequent_tokens(TEXTS, top=3)
    assert top.dtype == np.uint32 and len(top) == 3
    assert np.array_equal(top, frequent_tokens(list(reversed(TEXTS)), top=3))  # ties broken by token, not order


def test_function_word_ngrams_ignore_topic_words() -> None:
    """Two sentences built the same way with other topic words share every function-word n-gram."""
    frequent = frequent_tokens(TEXTS[:2], top=5)  # the, on, ",", which, ".": the frame both sentences share
    words, shapes = token_blocks(TEXTS[:2], frequent)
    assert (shapes[0] != shapes[1]).nnz == 0
    assert (words[0] != words[1]).nnz > 0
    _, other = token_blocks([TEXTS[2]], frequent)
    assert (other[0] != shapes[0]).nnz > 0


def test_rare_ngrams_get_no_weight_and_blocks_are_normalised() -> None:
    frequent = frequent_tokens(TEXTS)
    blocks = raw_blocks(TEXTS, frequent)
    idf = [idf_weights(X, min_df=2) for X in blocks]
    df = np.bincount(blocks[0].indices, minlength=blocks[0].shape[1])
    assert np.all(idf[0][df == 1] == 0) and np.all(idf[0][df >= 2] > 0)
    X = weighted(blocks, idf)
    width = blocks[0].shape[1]
    norms = np.sqrt(np.asarray(X[:, :width].multiply(X[:, :width]).sum(axis=1))).ravel()
    assert np.allclose(norms[:2], 1.0, atol=1e-6)


def test_byte_ngrams_are_stable_across_calls() -> None:
    a, b = byte_ngrams(TEXTS), byte_ngrams(list(TEXTS))
    assert (a != b).nnz == 0 and a.shape[0] == len(TEXTS)


def test_the_text_models_logit_weighs_by_the_prose_it_rests_on() -> None:
    from detector.model import EVIDENCE_WORDS
    from detector.train import fit_text_model

    texts = [
        "Moreover, it is important to note that the landscape is evolving, underscoring its significance.",
        "we went down to the pier on sunday and my brother lost his hat in the wind again",
    ] * 4
    model = fit_text_model(texts, np.array([1, 0] * 4))
    long_text, short_text = texts[0] + " " + texts[0], "Moreover, it is important."
    streams: list[np.ndarray] = []
    raw = np.asarray(model.features([long_text, short_text, ""], streams) @ model.coef) + model.intercept
    assert model.lm is not None
    lm = model.lm_weight * model.lm.score(streams)
    got = model.decision([long_text, short_text, ""])
    n = np.array([28.0, 4.0, 0.0])
    np.testing.assert_allclose(got, raw * n / (n + EVIDENCE_WORDS) + lm)
    assert got[2] == 0.0  # no prose, no evidence either way
    assert got[0] > 0 and abs(got[1] - lm[1]) < abs(raw[1])  # the sign is kept, a few words count for less


def _paired_rows() -> tuple[object, np.ndarray, np.ndarray]:
    """60 sparse rows: 19 pairs of a human text with two rewrites, and three one-class rows (web pages)."""
    from scipy.sparse import random as sparse_random

    X = sparse_random(60, 500, density=0.05, random_state=1, format="csr", dtype=np.float32)
    y = np.array([0, 1, 1] * 20)
    pairs = np.repeat(np.arange(20), 3).astype(str)
    pairs[-3:] = ["web-1", "web-2", "web-3"]
    y[-3:] = 0
    return X, y, pairs


def test_pair_means_average_the_two_classes_of_each_pair() -> None:
    X, y, pairs = _paired_rows()
    P = pair_means(X, y, pairs).toarray()
    dense = X.toarray()
    assert P.shape == (19, 500)  # the one-class rows make no pair
    np.testing.assert_allclose(P[0], 0.5 * dense[0] + 0.25 * (dense[1] + dense[2]), rtol=1e-6)


def test_topic_shrink_cuts_the_weights_along_the_pairs_main_axes() -> None:
    X, y, pairs = _paired_rows()
    coef = np.random.default_rng(0).normal(size=500).astype(np.float32)
    P = pair_means(X, y, pairs).toarray()
    top = np.linalg.svd(P, full_matrices=False)[2][:5].T  # the 5 main axes, orthonormal columns
    got = shrink_topic_weights(coef, X, y, pairs, directions=5, shrink=0.5)
    np.testing.assert_allclose(got, coef - 0.5 * top @ (top.T @ coef), atol=1e-5)
    assert not np.allclose(got, coef, atol=1e-3)
    # Cut whole along every axis, the weights no longer see the pairs' shared content at all.
    removed = shrink_topic_weights(coef, X, y, pairs, directions=100, shrink=1.0)
    assert np.abs(P @ removed).max() < 1e-4 < np.abs(P @ coef).max()
    # A row of a one-class group (a web page) does not move the axes.
    X2 = X.tolil()
    X2[59, 7] = 5.0
    np.testing.assert_allclose(shrink_topic_weights(coef, X2.tocsr(), y, pairs, directions=5), got, atol=1e-6)
    np.testing.assert_array_equal(shrink_topic_weights(coef, X, y, pairs, shrink=0.0), coef)


def test_the_text_model_shrinks_its_weights_only_along_the_pair_means() -> None:
    from detector.train import fit_text_model

    texts = [
        "Moreover, it is important to note that the landscape is evolving, underscoring its significance.",
        "we went down to the pier on sunday and my brother lost his hat in the wind again",
        "Furthermore, the council's decision underscores a pivotal shift in the evolving policy landscape.",
        "the council met on tuesday and argued about the car park for two hours, nothing decided",
    ] * 3
    y = np.array([1, 0, 1, 0] * 3)
    pairs = [f"pair-{i // 2}" for i in range(len(texts))]
    plain = fit_text_model(texts, y)
    shrunk = fit_text_model(texts, y, pairs=pairs)
    X = plain.features(texts)
    P = pair_means(X, y, pairs).toarray()
    change = (shrunk.coef - plain.coef).astype(np.float64)
    assert np.abs(change).max() > 1e-4
    # The change lies in the span of the pair means: nothing of it is left after projecting onto that span.
    basis = np.linalg.svd(P, full_matrices=False)[2]
    np.testing.assert_allclose(basis.T @ (basis @ change), change, atol=1e-5)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("BYTE_PREFIX", 1500),
        ("BYTE_SIZES", (3, 5)),
        ("SHAPE_SIZES", (1, 2, 3)),
        ("_TOKEN_RE", re.compile(r"\w+")),
        ("_MIX", np.uint64(0x9E3779B97F4A7C17)),
    ],
)
def test_the_featurization_digest_changes_with_any_step_of_it(
    monkeypatch: pytest.MonkeyPatch, name: str, value: object
) -> None:
    import detector.textfeatures as tf

    frequent = frequent_tokens(["the of and to a in is it , . which that"] * 3)
    before = tf.featurization_digest(frequent)
    assert tf.featurization_digest(frequent) == before  # deterministic
    monkeypatch.setattr(tf, name, value)
    monkeypatch.setattr(tf, "_TOKEN_CACHE", {})
    assert tf.featurization_digest(frequent) != before
