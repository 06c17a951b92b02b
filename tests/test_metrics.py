"""Evaluation metrics against scikit-learn's, and the bootstrap's properties."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import brier_score_loss, roc_auc_score, roc_curve

from detector import metrics


@pytest.fixture(scope="module")
def scored() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    y = rng.integers(0, 2, 600)
    s = np.round(rng.normal(y * 1.2, 1.0), 1)  # rounded: plenty of ties
    w = rng.random(600) + 0.1
    return y, s, w


def test_roc_auc_equals_scikit_learn_with_ties_and_weights(scored: tuple[np.ndarray, ...]) -> None:
    y, s, w = scored
    assert metrics.roc_auc(y, s) == pytest.approx(roc_auc_score(y, s), abs=1e-12)
    assert metrics.roc_auc(y, s, w) == pytest.approx(roc_auc_score(y, s, sample_weight=w), abs=1e-9)


@pytest.mark.parametrize("max_fpr", [0.001, 0.01, 0.1, 0.5, 1.0])
def test_partial_roc_auc_equals_scikit_learn_with_ties_and_weights(
    scored: tuple[np.ndarray, ...], max_fpr: float
) -> None:
    y, s, w = scored
    assert metrics.partial_roc_auc(y, s, max_fpr=max_fpr) == pytest.approx(
        roc_auc_score(y, s, max_fpr=max_fpr), abs=1e-12
    )
    assert metrics.partial_roc_auc(y, s, w, max_fpr=max_fpr) == pytest.approx(
        roc_auc_score(y, s, sample_weight=w, max_fpr=max_fpr), abs=1e-9
    )


def test_partial_roc_auc_is_one_when_perfect_half_at_chance_and_sees_only_its_range() -> None:
    y = np.r_[np.ones(50, dtype=int), np.zeros(1000, dtype=int)]
    perfect = np.r_[np.full(50, 2.0), np.zeros(1000)]
    assert metrics.partial_roc_auc(y, perfect) == pytest.approx(1.0)
    assert metrics.partial_roc_auc(y, np.zeros(len(y))) == pytest.approx(0.5)  # one tie: the diagonal
    # Two scorers alike above the 1% most positive-looking negatives and apart below them: the same partial
    # area, different ROC-AUC. 30 positives on top, then 5 negatives, then the other 20 positives amid (a) or
    # under (b) the remaining negatives.
    negatives = np.r_[np.full(5, 9.0), np.linspace(0.0, 1.0, 995)]
    a = np.r_[np.full(30, 10.0), np.full(20, 0.5), negatives]
    b = np.r_[np.full(30, 10.0), np.full(20, -1.0), negatives]
    assert metrics.partial_roc_auc(y, a) == pytest.approx(metrics.partial_roc_auc(y, b))
    assert 0.5 < metrics.partial_roc_auc(y, a) < 1.0
    assert metrics.roc_auc(y, a) > metrics.roc_auc(y, b) + 0.1
    with pytest.raises(ValueError, match="max_fpr"):
        metrics.partial_roc_auc(y, a, max_fpr=0.0)


def test_one_class_has_no_auc() -> None:
    assert metrics.roc_auc(np.zeros(5, dtype=int), np.arange(5.0)) is None
    assert metrics.tpr_at_fpr(np.ones(5, dtype=int), np.arange(5.0)) is None


@pytest.mark.parametrize("fpr", [0.001, 0.01, 0.1, 0.5])
def test_tpr_at_fpr_is_the_best_roc_point_within_budget(scored: tuple[np.ndarray, ...], fpr: float) -> None:
    y, s, _ = scored
    f, t, _ = roc_curve(y, s)
    assert metrics.tpr_at_fpr(y, s, fpr=fpr) == pytest.approx(t[f <= fpr + 1e-12].max())


def test_at_threshold_counts() -> None:
    y = np.array([1, 1, 0, 0, 1])
    s = np.array([0.9, 0.2, 0.8, 0.1, 0.7])
    r = metrics.at_threshold(y, s, 0.5)
    assert (r["tp"], r["fp"], r["fn"], r["tn"]) == (2, 1, 1, 1)
    assert r["precision"] == pytest.approx(2 / 3) and r["recall"] == pytest.approx(2 / 3)
    assert r["fpr"] == pytest.approx(0.5)


def test_ece_of_calibrated_and_of_overconfident_scores() -> None:
    rng = np.random.default_rng(1)
    p = rng.random(20000)
    y = (rng.random(20000) < p).astype(int)  # calibrated by construction
    assert metrics.ece(y, p) < 0.02
    assert metrics.ece(y, np.where(p > 0.5, 1.0, 0.0)) > 0.2
    assert metrics.brier(y, p) == pytest.approx(brier_score_loss(y, p))


def test_prevalence_weights() -> None:
    y = np.array([1, 1, 1, 1, 0])
    w = metrics.prevalence_weights(y, 0.1)
    assert w[y == 1].sum() / w.sum() == pytest.approx(0.1)
    assert w.mean() == pytest.approx(1.0)


def test_bootstrap_is_deterministic_and_brackets_the_value(scored: tuple[np.ndarray, ...]) -> None:
    y, s, _ = scored
    groups = [str(i // 3) for i in range(len(y))]
    a = metrics.bootstrap(metrics.roc_auc, y, [s], groups, rounds=200, seed=3)[0]
    b = metrics.bootstrap(metrics.roc_auc, y, [s], groups, rounds=200, seed=3)[0]
    assert a == b
    assert a.low is not None and a.high is not None and a.low < a.value < a.high


def test_clustered_rows_widen_the_interval() -> None:
    """Rows that are copies of one another carry no more evidence than one: resampling groups shows it."""
    rng = np.random.default_rng(5)
    y0 = rng.integers(0, 2, 200)
    s0 = rng.normal(y0, 1.0)
    y, s = np.repeat(y0, 5), np.repeat(s0, 5)
    rows = metrics.bootstrap(metrics.roc_auc, y, [s], [str(i) for i in range(len(y))], rounds=300)[0]
    pairs = metrics.bootstrap(metrics.roc_auc, y, [s], [str(i // 5) for i in range(len(y))], rounds=300)[0]
    assert rows.low is not None and rows.high is not None and pairs.low is not None and pairs.high is not None
    assert pairs.high - pairs.low > 1.5 * (rows.high - rows.low)


def test_paired_difference_of_a_better_score_is_positive() -> None:
    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, 800)
    good = rng.normal(y * 2.0, 1.0)
    bad = good + rng.normal(0, 2.0, 800)
    d = metrics.difference(metrics.roc_auc, y, good, bad, [str(i) for i in range(800)], rounds=300)
    assert d.value is not None and d.low is not None and d.low > 0


def test_roc_auc_within_strata_is_the_pair_weighted_mean_and_ignores_offsets_between_strata() -> None:
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 400)
    strata = np.array(["a"] * 150 + ["b"] * 250)
    s = rng.normal(y * 1.5, 1.0)
    a, b = strata == "a", strata == "b"
    pairs = [int(y[m].sum() * (1 - y[m]).sum()) for m in (a, b)]
    expected = (metrics.roc_auc(y[a], s[a]) * pairs[0] + metrics.roc_auc(y[b], s[b]) * pairs[1]) / sum(pairs)
    assert metrics.roc_auc_within(y, s, None, strata) == pytest.approx(expected)
    # One stratum: the plain ROC-AUC.
    assert metrics.roc_auc_within(y, s, None, ["x"] * len(y)) == pytest.approx(metrics.roc_auc(y, s))
    # Lifting every score of one stratum changes the plain ROC-AUC (its negatives pass the other's positives)
    # but not the ROC-AUC within strata.
    lifted = s + 3.0 * b
    assert metrics.roc_auc(y, lifted) < metrics.roc_auc(y, s) - 0.02
    assert metrics.roc_auc_within(y, lifted, None, strata) == pytest.approx(metrics.roc_auc_within(y, s, None, strata))


def test_roc_auc_within_strata_skips_one_class_strata() -> None:
    y = np.array([0, 1, 1, 1, 0, 0])
    s = np.array([0.1, 0.9, 0.5, 0.6, 0.7, 0.2])
    assert metrics.roc_auc_within(y, s, None, ["a", "a", "b", "b", "c", "c"]) == 1.0
    assert metrics.roc_auc_within(y, s, None, ["a", "b", "b", "b", "c", "c"]) is None


def test_paired_difference_within_strata_resamples_the_strata_with_the_rows() -> None:
    rng = np.random.default_rng(4)
    y = rng.integers(0, 2, 600)
    strata = np.array(["a", "b", "c"])[rng.integers(0, 3, 600)]
    good = rng.normal(y * 2.0, 1.0)
    # Worse within each stratum, and the strata shifted apart: the plain ROC-AUC of "bad" suffers twice.
    bad = good + rng.normal(0, 1.5, 600) + 2.0 * (strata == "b")
    groups = [str(i) for i in range(600)]
    d = metrics.difference(metrics.roc_auc_within, y, good, bad, groups, strata=strata, rounds=300)
    assert d.value == pytest.approx(
        metrics.roc_auc_within(y, good, None, strata) - metrics.roc_auc_within(y, bad, None, strata)
    )
    assert d.low is not None and d.high is not None and 0 < d.low <= d.value <= d.high
    plain = metrics.difference(metrics.roc_auc, y, good, bad, groups, rounds=300)
    assert plain.value is not None and plain.value > d.value


def test_binomial_interval_is_exact_and_not_zero_wide_at_zero_events() -> None:
    from scipy.stats import binomtest

    zero = metrics.binomial_interval(0, 472)
    assert zero.value == 0.0 and zero.low == 0.0
    assert zero.high is not None and 0.0077 < zero.high < 0.0079  # 1 - 0.025 ** (1 / 472)
    some = metrics.binomial_interval(7, 933)
    exact = binomtest(7, 933).proportion_ci(confidence_level=0.95, method="exact")
    assert some.low == pytest.approx(exact.low) and some.high == pytest.approx(exact.high)
    assert metrics.binomial_interval(5, 5).high == 1.0 and metrics.binomial_interval(0, 0).value is None
