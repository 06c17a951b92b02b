"""The function-word language models: their probabilities, their score, and their saved form."""

from __future__ import annotations

import numpy as np
import pytest

from detector.fwlm import DISCOUNT, FLOOR, MAX_TOKENS, FunctionWordLM, NgramModel

A, B, C = np.uint64(11), np.uint64(22), np.uint64(33)


def test_probabilities_are_interpolated_absolute_discounting() -> None:
    """Two texts "a b" and "a c", order 2: every probability as the formula gives it."""
    model = NgramModel.fit([np.array([A, B]), np.array([A, C])], order=2)
    d = DISCOUNT
    unigram_a = (2 - d) / 4 + d * 3 / 4 * FLOOR  # a, b, c seen 2, 1, 1 times in 4 tokens
    unigram_b = (1 - d) / 4 + d * 3 / 4 * FLOOR
    first_a = (2 - d) / 2 + d * 1 / 2 * unigram_a  # both texts start with a: one follower of the start
    b_after_a = (1 - d) / 2 + d * 2 / 2 * unigram_b  # a is followed twice, by 2 distinct tokens
    np.testing.assert_allclose(np.exp(model.log_probs(np.array([A, B]))), [first_a, b_after_a])
    # An unseen token after a seen context backs off to the floor; after an unseen one, to the unigrams.
    unseen = d * 3 / 4 * FLOOR
    np.testing.assert_allclose(np.exp(model.log_probs(np.array([A, np.uint64(99)]))), [first_a, d * 2 / 2 * unseen])
    np.testing.assert_allclose(np.exp(model.log_probs(np.array([B])))[0], d * 1 / 2 * unigram_b)


def test_the_next_tokens_probabilities_sum_to_one() -> None:
    streams = [np.array([A, B, C, A, B]), np.array([B, C, C, A]), np.array([A, A, B])]
    model = NgramModel.fit(streams, order=3)
    vocabulary = [A, B, C]
    for context in ([A], [A, B], [C, C], [B, np.uint64(5)]):
        seen = sum(np.exp(model.log_probs(np.array([*context, x]))[-1]) for x in vocabulary)
        # What is left is the floor's share, spread over the 65,536 tokens the floor stands for.
        unseen = np.exp(model.log_probs(np.array([*context, np.uint64(777)]))[-1])
        assert seen + unseen * (1 / FLOOR - len(vocabulary)) == pytest.approx(1.0, abs=1e-6)


def test_the_score_says_which_class_writes_a_text_like_this() -> None:
    human = [np.array([A, B, C] * 20), np.array([A, B, C, A, B] * 8)]
    machine = [np.array([C, B, A] * 20), np.array([C, B, A, C] * 10)]
    lm = FunctionWordLM.fit(human + machine, [0, 0, 1, 1])
    got = lm.score([np.array([A, B, C, A, B, C]), np.array([C, B, A, C, B, A]), np.array([], dtype=np.uint64)])
    assert got[0] < 0 < got[1] and got[2] == 0.0
    long = np.array([C, B, A] * 400)
    assert lm.score([long])[0] == lm.score([long[:MAX_TOKENS]])[0]


def test_saved_arrays_give_the_same_scores(real_streams: tuple[list[np.ndarray], np.ndarray]) -> None:
    streams, y = real_streams
    lm = FunctionWordLM.fit(streams, y)
    arrays = lm.arrays()
    assert all(a.dtype == np.uint32 for a in arrays.values())
    back = FunctionWordLM.from_arrays(arrays, lm.params())
    np.testing.assert_array_equal(back.score(streams[:30]), lm.score(streams[:30]))
    arrays["lm_machine_counts_3"] = arrays["lm_machine_counts_3"][:-1]
    with pytest.raises(ValueError, match="order-3 arrays differ in length"):
        FunctionWordLM.from_arrays(arrays, lm.params())


def test_a_saved_model_reads_as_many_tokens_as_it_was_fitted_to(
    real_streams: tuple[list[np.ndarray], np.ndarray],
) -> None:
    streams, y = real_streams
    lm = FunctionWordLM.fit(streams, y)
    assert lm.params()["max_tokens"] == MAX_TOKENS
    lm.max_tokens = 20
    back = FunctionWordLM.from_arrays(lm.arrays(), lm.params())
    assert back.max_tokens == 20
    longest = max(streams, key=len)
    assert len(longest) > 20 and back.score([longest])[0] == lm.score([longest[:20]])[0]
    with pytest.raises(ValueError, match="at least one token"):
        FunctionWordLM.from_arrays(lm.arrays(), {**lm.params(), "max_tokens": 0})
    with pytest.raises(KeyError):  # a model saved without it
        FunctionWordLM.from_arrays(lm.arrays(), {"order": lm.human.order, "discount": lm.human.discount})


def test_a_context_with_no_follower_counted_still_gives_a_probability(
    real_streams: tuple[list[np.ndarray], np.ndarray],
) -> None:
    """Two n-grams that share a hash leave one context without followers: the score stays finite."""
    streams, y = real_streams
    lm = FunctionWordLM.fit(streams, y)
    for followers in lm.human.followers:
        followers[:] = 0
    assert np.all(np.isfinite(lm.score(streams[:30])))


def test_order_below_two_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 2"):
        NgramModel.fit([np.array([A, B])], order=1)


@pytest.fixture(scope="module")
def real_streams() -> tuple[list[np.ndarray], np.ndarray]:
    """The function-word sequences of 200 l2r training texts of the committed corpus, with their labels."""
    from itertools import islice

    from detector.dataset import default_corpus_dir, load_rows
    from detector.textfeatures import frequent_tokens, token_blocks

    rows = list(islice(load_rows(default_corpus_dir(), files=["l2r.jsonl.gz"], split="train"), 200))
    texts = [r["text"] for r in rows]
    streams: list[np.ndarray] = []
    token_blocks(texts, frequent_tokens(texts), streams)
    return streams, np.array([r["label"] for r in rows])


def test_the_score_separates_held_out_real_texts() -> None:
    """Fitted on the corpus's l2r training texts of three genres, the score ranks their held-out texts."""
    from detector import metrics
    from detector.dataset import default_corpus_dir, load_rows
    from detector.textfeatures import frequent_tokens, token_blocks

    genres = {"NewsArticle", "Business", "Sports"}

    def rows(split: str) -> list[dict[str, object]]:
        found = load_rows(default_corpus_dir(), files=["l2r.jsonl.gz"], split=split)
        return [r for r in found if r.get("genre") in genres]

    train, test = rows("train"), rows("test")
    frequent = frequent_tokens([str(r["text"]) for r in train])
    learn: list[np.ndarray] = []
    held: list[np.ndarray] = []
    token_blocks([str(r["text"]) for r in train], frequent, learn)
    token_blocks([str(r["text"]) for r in test], frequent, held)
    lm = FunctionWordLM.fit(learn, [int(str(r["label"])) for r in train])
    assert metrics.roc_auc(np.array([r["label"] for r in test]), lm.score(held)) > 0.7
