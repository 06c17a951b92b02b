"""The text model's features: hashed word, byte and function-word n-grams."""

from __future__ import annotations

import numpy as np

from detector.textfeatures import (
    _shape,
    byte_ngrams,
    frequent_tokens,
    idf_weights,
    raw_blocks,
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
    raw = np.asarray(model.features([long_text, short_text, ""]) @ model.coef) + model.intercept
    got = model.decision([long_text, short_text, ""])
    n = np.array([28.0, 4.0, 0.0])
    np.testing.assert_allclose(got, raw * n / (n + EVIDENCE_WORDS))
    assert got[2] == 0.0  # no prose, no evidence either way
    assert got[0] > 0 and abs(got[1]) < abs(raw[1])  # the sign is kept, a few words count for less
