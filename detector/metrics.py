"""Evaluation metrics, each with a bootstrap interval that resamples whole groups.

Scores are "higher means more likely content farm" (a probability or any monotone score). Every function
takes optional row ``weights``; :func:`prevalence_weights` gives the weights that reweight a test set to a
stated prevalence, which is how a probability calibrated for one prevalence is checked on a set drawn at
another (l2r holds four machine rewrites per human text; the model states one farm page in ten).

Intervals come from a cluster bootstrap (Efron & Tibshirani 1993, ch. 6; Field & Welsh 2007 for
clustered data): whole groups are drawn with replacement (an l2r pair with its rewrites, a page with its
text rendering), because rows of one group are not independent. A paired bootstrap of a difference draws
the same groups for both scores, so the interval of a margin is much narrower than the two intervals.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

BOOTSTRAP_ROUNDS = 1000
CI_LEVEL = 0.95
ECE_BINS = 10  # equal-width bins, as in Guo et al. 2017 ("On Calibration of Modern Neural Networks")

Metric = Callable[[np.ndarray, np.ndarray, np.ndarray | None], float | None]


def _w(weights: np.ndarray | None, n: int) -> np.ndarray:
    return np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)


def _by_score(y: np.ndarray, s: np.ndarray, weights: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Positive and negative weight at each distinct score, scores ascending (ties kept together)."""
    w = _w(weights, len(y))
    order = np.argsort(s, kind="mergesort")
    ss, ys, ws = s[order], y[order], w[order]
    starts = np.flatnonzero(np.r_[True, ss[1:] != ss[:-1]])
    pos = np.add.reduceat(ws * (ys == 1), starts)
    neg = np.add.reduceat(ws * (ys == 0), starts)
    return pos, neg


def _roc_points(y: np.ndarray, s: np.ndarray, weights: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """(FPR, TPR) of "score >= threshold" at each distinct score from the highest down, (0, 0) first."""
    pos, neg = _by_score(y, s, weights)
    return np.r_[0.0, np.cumsum(neg[::-1]) / neg.sum()], np.r_[0.0, np.cumsum(pos[::-1]) / pos.sum()]


def roc_auc(y: np.ndarray, s: np.ndarray, weights: np.ndarray | None = None) -> float | None:
    """Area under the ROC curve (ties count one half); None when the set holds one class only.

    The Mann-Whitney form over distinct scores: the same value as scikit-learn's ``roc_auc_score``, at a
    fraction of its cost, which matters inside a bootstrap.
    """
    if len(y) == 0 or y.min() == y.max():
        return None
    pos, neg = _by_score(y, s, weights)
    total_pos, total_neg = pos.sum(), neg.sum()
    above = total_pos - np.cumsum(pos)  # positive weight strictly above each distinct score
    return float(np.sum(neg * (above + 0.5 * pos)) / (total_pos * total_neg))


def partial_roc_auc(
    y: np.ndarray, s: np.ndarray, weights: np.ndarray | None = None, *, max_fpr: float = 0.01
) -> float | None:
    """Standardised partial area under the ROC curve over false-positive rates 0 to ``max_fpr`` (McClish 1989,
    "Analyzing a portion of the ROC curve"): scikit-learn's ``roc_auc_score(max_fpr=...)``, 0.5 for a score that
    ranks at chance, 1 for a perfect one; ties are straight segments, as in :func:`roc_auc`; None when the set
    holds one class only.

    It reads the region TPR at ``max_fpr`` FPR reads, from the whole curve there rather than from the one
    threshold that the few most positive-looking negatives set: on 940 negatives, TPR at 1% FPR moves with the
    tenth-highest negative, the partial area with all of the top ten.
    """
    if not 0 < max_fpr <= 1:
        raise ValueError(f"max_fpr must be in (0, 1], not {max_fpr}")
    if len(y) == 0 or y.min() == y.max():
        return None
    fpr, tpr = _roc_points(y, s, weights)
    stop = int(np.searchsorted(fpr, max_fpr, side="right"))
    if stop < len(fpr):  # cut the segment that crosses max_fpr there (fpr[stop - 1] <= max_fpr < fpr[stop])
        cut = tpr[stop - 1] + (tpr[stop] - tpr[stop - 1]) * (max_fpr - fpr[stop - 1]) / (fpr[stop] - fpr[stop - 1])
        fpr, tpr = np.r_[fpr[:stop], max_fpr], np.r_[tpr[:stop], cut]
    area = float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2))
    chance = 0.5 * max_fpr**2
    return 0.5 * (1 + (area - chance) / (max_fpr - chance))


def roc_auc_within(
    y: np.ndarray, s: np.ndarray, weights: np.ndarray | None, strata: Sequence[str] | np.ndarray
) -> float | None:
    """ROC-AUC over the (positive, negative) pairs of the same stratum only (a genre, say): how well the
    score orders texts of one kind, apart from how the kinds sit against each other.

    The mean of each stratum's ROC-AUC weighted by its number of pairs; strata with one class count for
    nothing; None when no stratum holds both classes. Against :func:`roc_auc` on the same rows, the gap is
    what mixing the strata costs (or gains): a stratum's negatives scored above another's positives.
    """
    labels = np.asarray(strata)
    w = _w(weights, len(y))
    total = pairs = 0.0
    for k in np.unique(labels):
        m = labels == k
        auc = roc_auc(y[m], s[m], w[m])
        if auc is not None:
            n = float(w[m][y[m] == 1].sum() * w[m][y[m] == 0].sum())
            total += auc * n
            pairs += n
    return total / pairs if pairs > 0 else None


def pr_auc(y: np.ndarray, s: np.ndarray, weights: np.ndarray | None = None) -> float | None:
    """Average precision (the area under the precision-recall curve, step-wise); None without positives."""
    from sklearn.metrics import average_precision_score

    if not np.any(y == 1) or len(np.unique(y)) < 2:
        return None
    return float(average_precision_score(y, s, sample_weight=weights))


def tpr_at_fpr(y: np.ndarray, s: np.ndarray, weights: np.ndarray | None = None, *, fpr: float = 0.01) -> float | None:
    """The largest true-positive rate of any threshold whose false-positive rate is at most ``fpr``."""
    if len(y) == 0 or y.min() == y.max():
        return None
    fprs, tpr = _roc_points(y, s, weights)
    return float(tpr[fprs <= fpr + 1e-12].max())  # the point (0, 0) always qualifies


def at_threshold(
    y: np.ndarray, s: np.ndarray, threshold: float | np.ndarray, weights: np.ndarray | None = None
) -> dict[str, Any]:
    """Confusion counts (unweighted) and precision, recall, F1, FPR (weighted when ``weights`` is given);
    ``threshold`` is one value, or one per row."""
    w = _w(weights, len(y))
    pred = s >= threshold
    pos, neg = y == 1, y == 0
    tp, fp = float(w[pred & pos].sum()), float(w[pred & neg].sum())
    fn, tn = float(w[~pred & pos].sum()), float(w[~pred & neg].sum())
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / (tp + fn) if tp + fn else None
    f1 = 2 * precision * recall / (precision + recall) if precision and recall else (0.0 if recall == 0 else None)
    return {
        "tp": int((pred & pos).sum()),
        "fp": int((pred & neg).sum()),
        "fn": int((~pred & pos).sum()),
        "tn": int((~pred & neg).sum()),
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "fpr": fp / (fp + tn) if fp + tn else None,
    }


def ece(y: np.ndarray, p: np.ndarray, weights: np.ndarray | None = None, *, bins: int = ECE_BINS) -> float:
    """Expected calibration error: the weighted mean |mean probability - observed rate| over equal-width bins."""
    w = _w(weights, len(y))
    idx = np.minimum((np.clip(p, 0.0, 1.0) * bins).astype(int), bins - 1)
    total = w.sum()
    err = 0.0
    for b in range(bins):
        m = idx == b
        wb = w[m].sum()
        if wb > 0:
            err += wb * abs(np.average(p[m], weights=w[m]) - np.average(y[m], weights=w[m]))
    return float(err / total) if total else 0.0


def reliability(
    y: np.ndarray, p: np.ndarray, weights: np.ndarray | None = None, *, bins: int = ECE_BINS
) -> list[tuple[float, float, float]]:
    """Per non-empty bin: (mean probability, observed rate, share of the weight): the reliability diagram."""
    w = _w(weights, len(y))
    idx = np.minimum((np.clip(p, 0.0, 1.0) * bins).astype(int), bins - 1)
    out = []
    for b in range(bins):
        m = idx == b
        if w[m].sum() > 0:
            out.append(
                (
                    float(np.average(p[m], weights=w[m])),
                    float(np.average(y[m], weights=w[m])),
                    float(w[m].sum() / w.sum()),
                )
            )
    return out


def brier(y: np.ndarray, p: np.ndarray, weights: np.ndarray | None = None) -> float:
    """Mean squared error of the probabilities."""
    return float(np.average((p - y) ** 2, weights=_w(weights, len(y))))


def prevalence_weights(y: np.ndarray, prevalence: float) -> np.ndarray:
    """Row weights under which label-1 rows make up ``prevalence`` of the set (mean weight 1)."""
    y = np.asarray(y)
    w = np.ones(len(y))
    n_pos, n_neg = int((y == 1).sum()), int((y == 0).sum())
    if n_pos and n_neg:
        w[y == 1] = prevalence * len(y) / n_pos
        w[y == 0] = (1.0 - prevalence) * len(y) / n_neg
    return w


@dataclass(frozen=True)
class Interval:
    """A figure and its interval, bootstrap or exact (``low``/``high`` None when it could not be computed)."""

    value: float | None
    low: float | None
    high: float | None

    def to_dict(self) -> dict[str, float | None]:
        return {"value": self.value, "low": self.low, "high": self.high}


def binomial_interval(k: int, n: int, level: float = 0.95) -> Interval:
    """The share k / n with its exact (Clopper-Pearson) interval: for a rate of independent events, such as
    false positives among genuine pages, where a bootstrap of 0 events in n is always 0 and says nothing."""
    from scipy.stats import beta

    if n <= 0:
        return Interval(None, None, None)
    tail = (1.0 - level) / 2.0
    low = 0.0 if k == 0 else float(beta.ppf(tail, k, n - k + 1))
    high = 1.0 if k == n else float(beta.ppf(1.0 - tail, k + 1, n - k))
    return Interval(k / n, low, high)


def _group_index(groups: Sequence[str]) -> list[np.ndarray]:
    order: dict[str, list[int]] = {}
    for i, g in enumerate(groups):
        order.setdefault(g, []).append(i)
    return [np.asarray(v) for v in order.values()]


def bootstrap(
    metric: Metric,
    y: np.ndarray,
    scores: Sequence[np.ndarray],
    groups: Sequence[str],
    weights: np.ndarray | None = None,
    *,
    rounds: int = BOOTSTRAP_ROUNDS,
    seed: int = 0,
) -> list[Interval]:
    """The metric of each score in ``scores``, with percentile intervals from one shared group resampling.

    Scores of the same rows are resampled together (paired), so the returned intervals of
    :func:`difference` and of each score come from the same draws. Deterministic for a ``seed``.
    """
    members = _group_index(groups)
    rng = np.random.default_rng(seed)
    values = [metric(y, s, weights) for s in scores]
    draws: list[list[float]] = [[] for _ in scores]
    for _ in range(rounds):
        pick = rng.integers(0, len(members), len(members))
        rows = np.concatenate([members[k] for k in pick])
        w = None if weights is None else weights[rows]
        for j, s in enumerate(scores):
            v = metric(y[rows], s[rows], w)
            if v is not None:
                draws[j].append(v)
    alpha = (1.0 - CI_LEVEL) / 2
    out = []
    for v, d in zip(values, draws, strict=True):
        if v is None or len(d) < rounds // 2:
            out.append(Interval(v, None, None))
        else:
            out.append(Interval(v, float(np.quantile(d, alpha)), float(np.quantile(d, 1 - alpha))))
    return out


def difference(
    metric: Callable[..., float | None],
    y: np.ndarray,
    ours: np.ndarray,
    theirs: np.ndarray,
    groups: Sequence[str],
    weights: np.ndarray | None = None,
    *,
    strata: Sequence[str] | None = None,
    rounds: int = BOOTSTRAP_ROUNDS,
    seed: int = 0,
) -> Interval:
    """metric(ours) - metric(theirs) with a paired cluster-bootstrap interval.

    ``metric`` is a :data:`Metric`; with ``strata`` (a label per row) it also takes the resampled rows'
    labels, as a fourth argument (:func:`roc_auc_within`).
    """
    members = _group_index(groups)
    rng = np.random.default_rng(seed)
    labels = None if strata is None else np.asarray(strata)

    def value(s: np.ndarray, rows: np.ndarray | None) -> float | None:
        pick = slice(None) if rows is None else rows
        w = None if weights is None else weights[pick]
        return metric(y[pick], s[pick], w) if labels is None else metric(y[pick], s[pick], w, labels[pick])

    a, b = value(ours, None), value(theirs, None)
    if a is None or b is None:
        return Interval(None, None, None)
    diffs = []
    for _ in range(rounds):
        rows = np.concatenate([members[k] for k in rng.integers(0, len(members), len(members))])
        da, db = value(ours, rows), value(theirs, rows)
        if da is not None and db is not None:
            diffs.append(da - db)
    alpha = (1.0 - CI_LEVEL) / 2
    if len(diffs) < rounds // 2:
        return Interval(a - b, None, None)
    return Interval(a - b, float(np.quantile(diffs, alpha)), float(np.quantile(diffs, 1 - alpha)))
