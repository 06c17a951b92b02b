"""Evaluating the shipped model: ``python -m detector.evaluate`` (``make eval``), gated against pinned floors.

Each test set is reported on its own, never mixed (held-out rows only, split ``test``):

* **genuine pages**: held-out genuine HTML pages (trafilatura-eval, article-extraction-benchmark) through
  the whole HTML path, and apart the same pages as plain-text renderings: false-positive rate at the
  shipped threshold, per source and language, calibration, the highest-scoring pages;
* **human vs machine**: held-out l2r pairs (per genre and generator), plus two refitted splits: a
  **cross-generator** split (trained without one model family's rewrites, tested on them) and a
  **cross-genre** split (trained without a quarter of the genres, tested on those);
* **template cases**: the reference seeds, and the synthetic template pages, always labelled synthetic
  and never in a real figure.

Beside the detector, on the same rows: datatrove's Gopher + C4 + FineWeb quality filters, a TF-IDF +
logistic-regression classifier trained on the same rows as the text model, and each signal family alone
(ablation). Headline figures carry 95% cluster-bootstrap intervals (``detector.metrics``); margins over
baselines carry paired intervals. The report lists the worst errors with their reasons.

Writes ``reports/eval.md`` (with PNG plots in ``reports/figures/``) and ``reports/eval.json``, then runs
the gate (``detector.gate``): exit status 1 when a headline figure fell below its floor. ``--fast`` skips
the baselines, the ablation and the refitted splits (the gate's figures are all still computed): what CI
runs. ``--pin`` re-pins the floors. ``--from-results reports/eval.json`` gates (and with ``--pin`` re-pins,
``--update-card`` carries into the card) the figures of a finished run instead of running one again, once it is
checked to be this model's on this corpus: a re-pin refused at the end of the hour-long evaluation (a floor
that would move the bad way) need not cost another hour.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from detector import gate, metrics
from detector.dataset import corpus_hash, default_corpus_dir, load_rows, row_to_page
from detector.errors import ConfigError, DetectorError
from detector.model import PageModel, default_model_dir
from detector.pipeline import Detector
from detector.train import (
    CALIBRATION_PRIOR,
    MODEL_FEATURES,
    SEED,
    TEXT_MODEL_C,
    TEXT_MODEL_TOL,
    TRAIN_FILES,
    FeatureTable,
    featurize,
    fit,
    text_logits,
    text_sample_weights,
    text_training_rows,
    training_rows,
)

LOGGER = logging.getLogger(__name__)
REPORTS = Path(__file__).resolve().parents[1] / "reports"
FLOORS_FILE = "floors.json"
N_GENRE_FOLDS = 4
N_WORST = 8  # errors listed per set
FAST_ROUNDS = 200  # bootstrap rounds in --fast runs (the point figures, which the gate reads, do not change)


# ----------------------------------------------------------------------------------------------------
# Test sets and the scores of every scorer on them
# ----------------------------------------------------------------------------------------------------


@dataclass
class TestSet:
    """Rows of one test set, with each scorer's scores (higher: more likely farm) in ``scores``."""

    name: str
    table: FeatureTable
    scores: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def y(self) -> np.ndarray:
        return np.asarray(self.table.y)

    def subset(self, keep: list[bool], name: str | None = None) -> TestSet:
        """The rows where ``keep`` is true, with their scores."""
        mask = np.asarray(keep, dtype=bool)
        scores = {k: v[mask] for k, v in self.scores.items()}
        return TestSet(name or self.name, self.table.subset(mask), scores)


def _probabilities(model: PageModel, table: FeatureTable) -> np.ndarray:
    X, _ = table.arrays()
    if len(X) == 0:
        return np.zeros(0)
    return model.probability(model.full_matrix(X, table.texts))


def _families() -> list[str]:
    return sorted({n.split(".")[0] for n in MODEL_FEATURES})


def _quality_scores(tables: list[FeatureTable], workers: int) -> list[np.ndarray]:
    """datatrove's quality filters over the cleaned text of every row (in worker processes)."""
    jobs = [(t.page_texts, t.lang) for t in tables]
    if workers > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(_quality_job, *zip(*jobs, strict=True)))
    return [_quality_job(texts, langs) for texts, langs in jobs]


def _quality_job(texts: list[str], langs: list[str]) -> np.ndarray:
    from detector.baselines import QualityRules

    return QualityRules().score(texts, langs)


def _tfidf(train: FeatureTable, seed: int, *, punctuation: bool = False) -> Any:
    from detector.baselines import TfidfLogReg

    learn = text_training_rows(train)
    rows = np.flatnonzero(learn)
    y = np.asarray(train.y)[rows]
    weights = text_sample_weights([train.source[i] for i in rows], y)
    model = TfidfLogReg(C=TEXT_MODEL_C, seed=seed, punctuation=punctuation, tol=TEXT_MODEL_TOL)
    return model.fit([train.texts[i] for i in rows], y, weights)


# ----------------------------------------------------------------------------------------------------
# Metrics of one set
# ----------------------------------------------------------------------------------------------------


def _interval(metric: metrics.Metric, ts: TestSet, key: str, rounds: int, weights: np.ndarray | None = None) -> Any:
    return metrics.bootstrap(metric, ts.y, [ts.scores[key]], ts.table.group, weights, rounds=rounds, seed=SEED)[
        0
    ].to_dict()


def _tpr1(y: np.ndarray, s: np.ndarray, w: np.ndarray | None) -> float | None:
    return metrics.tpr_at_fpr(y, s, w, fpr=0.01)


def _pauc1(y: np.ndarray, s: np.ndarray, w: np.ndarray | None) -> float | None:
    return metrics.partial_roc_auc(y, s, w, max_fpr=0.01)


def _tpr01(y: np.ndarray, s: np.ndarray, w: np.ndarray | None) -> float | None:
    return metrics.tpr_at_fpr(y, s, w, fpr=0.001)


def _ece_metric(y: np.ndarray, s: np.ndarray, w: np.ndarray | None) -> float | None:
    return metrics.ece(y, s, w)


def genuine_report(ts: TestSet, threshold: float, rounds: int) -> dict[str, Any]:
    """False positives on a set of genuine pages: overall, by source and language, and the highest."""
    p = ts.scores["detector"]
    false_positives = int((p >= threshold).sum())
    out: dict[str, Any] = {
        "pages": len(p),
        "skipped_rows": dict(ts.table.skipped),
        "false_positives": false_positives,
        # one page is one cluster here: the false positives are independent events, and an exact interval
        # says what 0 of 472 allows, where a bootstrap of it is always [0, 0]
        "fpr": metrics.binomial_interval(false_positives, len(p)).to_dict(),
        "ece": _interval(_ece_metric, ts, "detector", rounds),
        "brier": metrics.brier(ts.y, p),
        "mean_probability": float(p.mean()) if len(p) else None,
    }
    groups: dict[str, list[int]] = defaultdict(list)
    for i in range(len(p)):
        groups[f"source={ts.table.source[i]}"].append(i)
        groups[f"lang={ts.table.lang[i]}"].append(i)
    out["by_group"] = {
        k: {
            "pages": len(v),
            "false_positives": int((p[v] >= threshold).sum()),
            "fpr": float(np.mean(p[v] >= threshold)),
        }
        for k, v in sorted(groups.items())
        if len(v) >= 5
    }
    return out


def labelled_report(
    ts: TestSet, threshold: float | np.ndarray, rounds: int, prevalence: float | None
) -> dict[str, Any]:
    """Discrimination and calibration of the detector on a set with both classes."""
    y, p = ts.y, ts.scores["detector"]
    w = metrics.prevalence_weights(y, prevalence) if prevalence is not None else None
    out: dict[str, Any] = {
        "rows": len(y),
        "positives": int(y.sum()),
        "skipped_rows": dict(ts.table.skipped),
        "roc_auc": _interval(metrics.roc_auc, ts, "detector", rounds),
        "pr_auc": metrics.pr_auc(y, p),
        "tpr_at_1pct_fpr": _interval(_tpr1, ts, "detector", rounds),
        "tpr_at_0.1pct_fpr": _interval(_tpr01, ts, "detector", rounds),
        "at_threshold": metrics.at_threshold(y, p, threshold),
        "ece_raw": metrics.ece(y, p),
        "brier_raw": metrics.brier(y, p),
    }
    if prevalence is not None:
        out["prevalence"] = prevalence
        out["ece_at_prior"] = _interval(_ece_metric, ts, "detector", rounds, w)
        out["brier_at_prior"] = metrics.brier(y, p, w)
        out["at_threshold_at_prior"] = metrics.at_threshold(y, p, threshold, w)
    return out


def _by(
    ts: TestSet,
    key: Callable[[int], str],
    threshold: float | np.ndarray | None = None,
    prevalence: float | None = None,
    *,
    every_scorer: bool = False,
) -> dict[str, dict[str, Any]]:
    """The detector's ROC-AUC and TPR at 1% FPR per ``key`` of a row; with ``threshold`` (one, or one per
    row) also how many of the part's human texts score at or above it, with ``prevalence`` its ECE there;
    with ``every_scorer`` the other scorers' ROC-AUC there too (``roc_auc_by_scorer``)."""
    groups: dict[str, list[int]] = defaultdict(list)
    for i in range(len(ts.y)):
        groups[key(i)].append(i)
    y, p = ts.y, ts.scores["detector"]
    out: dict[str, dict[str, Any]] = {}
    for k, v in sorted(groups.items()):
        row: dict[str, Any] = {
            "rows": len(v),
            "roc_auc": metrics.roc_auc(y[v], p[v]),
            "tpr_at_1pct_fpr": _tpr1(y[v], p[v], None),
        }
        if threshold is not None:
            counts = metrics.at_threshold(y[v], p[v], threshold[v] if isinstance(threshold, np.ndarray) else threshold)
            row["human_texts"] = counts["fp"] + counts["tn"]
            row["human_above_threshold"] = counts["fp"]
        if prevalence is not None:
            row["ece_at_prior"] = metrics.ece(y[v], p[v], metrics.prevalence_weights(y[v], prevalence))
        if every_scorer:
            row["roc_auc_by_scorer"] = {
                name: metrics.roc_auc(y[v], s[v]) for name, s in ts.scores.items() if name != "detector"
            }
        out[k] = row
    return out


#: The figures every scorer of a set is compared on, by their key in the results.
COMPARED: tuple[tuple[str, metrics.Metric], ...] = (
    ("roc_auc", metrics.roc_auc),
    ("tpr_at_1pct_fpr", _tpr1),
    ("pauc_to_1pct_fpr", _pauc1),
)


def comparison(ts: TestSet, rounds: int, *, within_genres: bool = False) -> dict[str, Any]:
    """Every scorer of the set on ROC-AUC, TPR at 1% FPR and partial ROC-AUC to 1% FPR, and the detector's
    paired margin over each.

    With ``within_genres``, also each scorer's ROC-AUC over pairs of the same genre only
    (:func:`detector.metrics.roc_auc_within`) and the detector's margin there: whether a shortfall on a set of
    several genres is in ordering the texts of one genre, or in how the genres sit against each other.
    """
    out: dict[str, Any] = {}
    y, groups = ts.y, ts.table.group
    genres = list(ts.table.genre) if within_genres else None
    for name, s in ts.scores.items():
        row: dict[str, Any] = {label: metric(y, s, None) for label, metric in COMPARED}
        row["modal_share"] = _modal_share(s)
        if genres is not None:
            row["roc_auc_within_genres"] = metrics.roc_auc_within(y, s, None, genres)
        if name != "detector":
            for label, metric in COMPARED:
                diff = metrics.difference(metric, y, ts.scores["detector"], s, groups, rounds=rounds, seed=SEED)
                row[f"margin_{label}"] = diff.to_dict()
            if genres is not None:
                diff = metrics.difference(
                    metrics.roc_auc_within, y, ts.scores["detector"], s, groups, strata=genres, rounds=rounds, seed=SEED
                )
                row["margin_roc_auc_within_genres"] = diff.to_dict()
        out[name] = row
    return out


def _modal_share(scores: np.ndarray) -> float | None:
    """The share of the texts that get the scorer's most common value: near 1 for a scorer with nothing
    to say on the set (a template signal on plain texts)."""
    if not len(scores):
        return None
    _, counts = np.unique(np.asarray(scores, dtype=np.float64), return_counts=True)
    return float(counts.max() / len(scores))


def matched_recall_fpr(genuine: TestSet, l2r: TestSet, threshold: float) -> dict[str, Any]:
    """Each scorer's false-positive rate on genuine pages at the recall the detector has on l2r.

    Baselines have no threshold of their own: each gets the one at which it flags the same share of the
    held-out machine texts as the detector does at its shipped threshold, a like-for-like operating point.
    Where a scorer's machine texts tie at that threshold (a rule that counts failed filters, a signal that
    is 0 on most texts), flagging all the tied texts would overshoot the recall, and flagging none would fall
    short: the rule flags every text above the threshold and a share ``tied_share`` of those exactly at it,
    the share that makes its recall the detector's. Its FPR is that rule's expected FPR, ties counted at the
    same share on the genuine pages (the randomised operating point between two ROC points, Fawcett 2006,
    "An introduction to ROC analysis", Pattern Recognition Letters 27(8)). A scorer that gives
    every text the same value so comes out at the recall itself, chance, and not at 100%.
    """
    machine = l2r.y == 1
    recall = float(np.mean(l2r.scores["detector"][machine] >= threshold))
    out: dict[str, Any] = {"matched_recall_on_l2r": recall}
    for name, s in genuine.scores.items():
        if name not in l2r.scores:
            continue
        if name == "detector":
            fpr = float(np.mean(s >= threshold)) if len(s) else None
            out[name] = {"threshold": threshold, "tied_share": 1.0, "fpr": fpr}
            continue
        matched = _matched_threshold(l2r.scores[name][machine], recall)
        if matched is None:  # the detector flags no machine text: neither does the baseline
            out[name] = {"threshold": None, "tied_share": 0.0, "fpr": 0.0 if len(s) else None}
            continue
        t, share = matched
        fpr = float(np.mean(s > t) + share * np.mean(s == t)) if len(s) else None
        out[name] = {"threshold": t, "tied_share": share, "fpr": fpr}
    return out


def _matched_threshold(machine_scores: np.ndarray, recall: float) -> tuple[float, float] | None:
    """(t, q): flagging every score above ``t`` and a share ``q`` of those equal to it flags ``recall`` of
    ``machine_scores``. ``t`` is the lowest score among the top ``recall`` share; ``q`` is 1 without ties.
    None when that share is no text at all."""
    s = np.sort(np.asarray(machine_scores, dtype=np.float64))[::-1]
    k = round(recall * len(s))
    if k == 0:
        return None
    t = float(s[k - 1])
    above = int(np.sum(s > t))
    tied = int(np.sum(s == t))
    return t, (k - above) / tied


def worst_errors(
    ts: TestSet, rows: dict[str, dict[str, Any]], detector: Detector | None, threshold: float | np.ndarray
) -> dict[str, Any]:
    """The highest-scoring negatives and lowest-scoring positives, with reasons and a snippet.

    ``detector`` gives the reasons; without one (scores of refitted models, which are not kept) an error's
    ``reasons`` is None. ``threshold`` is one value, or one per row.
    """
    p = ts.scores["detector"]
    y = ts.y
    t = np.broadcast_to(np.asarray(threshold, dtype=np.float64), p.shape)
    out: dict[str, Any] = {}
    for kind, mask, order in (("false_positives", y == 0, -p), ("false_negatives", y == 1, p)):
        idx = [i for i in np.argsort(order, kind="stable") if mask[i]][:N_WORST]
        listed = []
        for i in idx:
            wrong = p[i] >= t[i] if kind == "false_positives" else p[i] < t[i]
            row = rows.get(ts.table.ids[i])
            reasons: list[str] | None = None if detector is None else []
            if row is not None and detector is not None:
                page = row_to_page(row)
                if ts.table.fmt[i] == "text" and row.get("html") is not None:
                    page = type(page)(id=page.id, url=page.url, text=ts.table.page_texts[i])
                reasons = [f"{r.signal}: {r.text}" for r in detector.score(page).reasons]
            snippet = " ".join(ts.table.page_texts[i].split())[:240]
            listed.append(
                {
                    "id": ts.table.ids[i],
                    "format": ts.table.fmt[i],
                    "probability": round(float(p[i]), 4),
                    "wrong_at_threshold": bool(wrong),
                    "generator": ts.table.generator[i],
                    "reasons": reasons,
                    "snippet": snippet,
                }
            )
        out[kind] = listed
    return out


# ----------------------------------------------------------------------------------------------------
# Refitted splits
# ----------------------------------------------------------------------------------------------------


def _refit_scores(job: tuple[FeatureTable, FeatureTable, int]) -> tuple[dict[str, np.ndarray], float]:
    """Refit the detector and the TF-IDF baselines on a training subset: their scores on a test subset, and
    the refitted detector's threshold (chosen on its own training rows, as the shipped model's is)."""
    train, test, seed = job
    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
    model, _ = fit(train, seed=seed)
    scores = {
        "detector": _probabilities(model, test),
        "tfidf_logreg": _tfidf(train, seed).score(test.texts),
        "tfidf_logreg_punct": _tfidf(train, seed, punctuation=True).score(test.texts),
    }
    return scores, model.threshold


def refitted_splits(
    train: FeatureTable, l2r_test: FeatureTable, seed: int, rounds: int, workers: int, prevalence: float
) -> dict[str, Any]:
    """The cross-generator and cross-genre splits, refitted in ``workers`` processes.

    Cross-generator: trained without one generator's rewrites (and the synthetic pages made of them),
    tested on that generator against the held-out human texts. Cross-genre: genres in ``N_GENRE_FOLDS``
    folds (sorted, round robin), each fold trained without its genres and tested on them. Each split gets
    the held-out l2r set's metrics (:func:`labelled_report`, at the refitted model's own threshold and,
    for calibration, reweighted to ``prevalence``) and the baselines' margins; ``cross_genre["pooled"]`` is
    every held-out text scored by the fold model that never saw its genre, one set, with each genre apart,
    and ``errors["cross_genre_pooled"]`` its worst errors.
    """
    jobs: list[tuple[str, str, dict[str, Any], list[bool], list[bool]]] = []
    for gen in sorted(set(l2r_test.generator) - {"human"}):
        keep = [g != gen for g in train.generator]
        test = [g in (gen, "human") for g in l2r_test.generator]
        jobs.append(("cross_generator", gen, {}, keep, test))
    genres = sorted(set(l2r_test.genre))
    for k in range(N_GENRE_FOLDS):
        held = set(genres[k::N_GENRE_FOLDS])
        keep = [g not in held for g in train.genre]
        test = [g in held for g in l2r_test.genre]
        jobs.append(("cross_genre", f"fold{k}", {"genres": sorted(held)}, keep, test))
    args = [(train.subset(keep), l2r_test.subset(test), seed) for _, _, _, keep, test in jobs]
    LOGGER.info(
        "refitting the detector and the TF-IDF baselines on %d splits, %d at a time (the longest step)",
        len(jobs),
        max(workers, 1),
    )
    started = time.time()
    results: list[tuple[dict[str, np.ndarray], float]] = []
    with ExitStack() as stack:
        if workers > 1:
            done = stack.enter_context(ProcessPoolExecutor(max_workers=workers)).map(_refit_scores, args)
        else:
            done = map(_refit_scores, args)
        for (kind, key, extra, _, _), result in zip(jobs, done, strict=True):
            results.append(result)
            name = f"{kind.replace('_', '-')} {key}" + (f" ({', '.join(extra['genres'])})" if extra else "")
            LOGGER.info("refitted %d of %d: %s, %.0fs so far", len(results), len(jobs), name, time.time() - started)
    out: dict[str, Any] = {"cross_generator": {}, "cross_genre": {}}
    genre_folds = []
    for (kind, key, extra, _, test), (_, test_table, _), (scores, threshold) in zip(jobs, args, results, strict=True):
        ts = TestSet(key, test_table, scores)
        split = _split_report(ts, threshold, rounds, prevalence, within_genres=kind == "cross_genre")
        out[kind][key] = {**extra, "threshold": threshold, **split}
        if kind == "cross_genre":
            genre_folds.append((test, scores, threshold))
    ts, thresholds = _pooled(l2r_test, genre_folds)
    out["cross_genre"]["pooled"] = {
        "genres": sorted(set(l2r_test.genre)),
        "threshold": [t for _, _, t in genre_folds],
        **_split_report(ts, thresholds, rounds, prevalence, within_genres=True),
        "by_genre": _by(ts, list(ts.table.genre).__getitem__, thresholds, prevalence, every_scorer=True),
    }
    out["errors"] = {"cross_genre_pooled": worst_errors(ts, {}, None, thresholds)}
    return out


def _split_report(
    ts: TestSet, threshold: float | np.ndarray, rounds: int, prevalence: float, *, within_genres: bool = False
) -> dict[str, Any]:
    labelled = labelled_report(ts, threshold, rounds, prevalence)
    del labelled["skipped_rows"]  # a subset carries the whole l2r set's count: it is reported there
    return {**labelled, "baselines": comparison(ts, rounds, within_genres=within_genres)}


def _pooled(
    table: FeatureTable, folds: list[tuple[list[bool], dict[str, np.ndarray], float]]
) -> tuple[TestSet, np.ndarray]:
    """Every text of ``table`` that a fold holds, scored by that fold's refitted model, as one test set; with
    each text's threshold (its fold model's own). The genre folds partition the genres, so each text is
    scored once, by the model that never saw its genre."""
    n = len(table)
    scores = {name: np.full(n, np.nan) for name in folds[0][1]}
    thresholds = np.full(n, np.nan)
    for test, fold_scores, threshold in folds:
        idx = np.flatnonzero(test)
        for name, s in fold_scores.items():
            scores[name][idx] = s
        thresholds[idx] = threshold
    held = ~np.isnan(thresholds)
    return TestSet("pooled", table, scores).subset(list(held)), thresholds[held]


# ----------------------------------------------------------------------------------------------------
# The whole evaluation
# ----------------------------------------------------------------------------------------------------


def evaluate(model_dir: Path, corpus_dir: Path, *, workers: int = 1, fast: bool = False) -> dict[str, Any]:
    """Every set, scorer and figure; ``fast`` skips the baselines, ablation and refitted splits."""
    started = time.time()
    model = PageModel.load(model_dir)
    detector = Detector(model)
    t = model.threshold
    rounds = FAST_ROUNDS if fast else metrics.BOOTSTRAP_ROUNDS
    out: dict[str, Any] = {
        "model_version": model.version,
        "threshold": t,
        "calibration_prior": model.card.get("calibration_prior", CALIBRATION_PRIOR),
        "corpus_sha256": corpus_hash(corpus_dir),
        "fast": fast,
        "bootstrap_rounds": rounds,
    }

    test_rows = {f: list(load_rows(corpus_dir, files=[f], split="test")) for f in TRAIN_FILES}
    seed_rows = list(load_rows(corpus_dir, files=["seeds.jsonl.gz"]))
    rows_by_id = {str(r["id"]): r for rs in (*test_rows.values(), seed_rows) for r in rs}
    LOGGER.info("featurizing the held-out rows")
    html = featurize(test_rows["html.jsonl.gz"], workers=workers)
    sets = {
        "genuine_html": TestSet("genuine HTML pages", html.subset([f == "html" for f in html.fmt])),
        "genuine_text": TestSet("genuine pages as text", html.subset([f == "text" for f in html.fmt])),
        "l2r": TestSet("human vs machine (l2r)", featurize(test_rows["l2r.jsonl.gz"], workers=workers)),
        "synthetic": TestSet("synthetic template pages", featurize(test_rows["synthetic.jsonl.gz"], workers=workers)),
    }
    for ts in sets.values():
        ts.scores["detector"] = _probabilities(model, ts.table)

    train: FeatureTable | None = None
    if not fast:
        LOGGER.info("featurizing the training rows for the baselines, the ablation and the refitted splits")
        train = featurize(training_rows(corpus_dir), workers)
        real = [sets["genuine_html"], sets["genuine_text"], sets["l2r"]]
        LOGGER.info("running the quality rules on %d held-out rows", sum(len(ts.table.texts) for ts in real))
        quality = _quality_scores([ts.table for ts in real], workers)
        for ts, q in zip(real, quality, strict=True):
            ts.scores["quality_rules"] = q
        LOGGER.info("fitting the two TF-IDF baselines")
        tfidfs = [_tfidf(train, SEED), _tfidf(train, SEED, punctuation=True)]
        families = _families()
        LOGGER.info("fitting the ablation: the text model alone, then each of %d signal families alone", len(families))
        text = text_logits(train, SEED)
        ablation = {"text_model": fit(train, features=(), text=text)[0]}
        for fam in families:
            feats = tuple(n for n in MODEL_FEATURES if n.split(".")[0] == fam)
            ablation[fam] = fit(train, features=feats, use_text_model=False)[0]
        for ts in real:
            for tfidf in tfidfs:
                ts.scores[tfidf.name] = tfidf.score(ts.table.texts)
            for fam, m in ablation.items():
                ts.scores[f"only:{fam}"] = _probabilities(m, ts.table)

    out["genuine_html"] = genuine_report(sets["genuine_html"], t, rounds)
    out["genuine_text"] = genuine_report(sets["genuine_text"], t, rounds)
    l2r = sets["l2r"]
    out["l2r"] = labelled_report(l2r, t, rounds, out["calibration_prior"])
    out["l2r"]["by_genre"] = _by(l2r, lambda i: l2r.table.genre[i], t, out["calibration_prior"])
    out["l2r"]["by_generator"] = {
        g: _by(l2r.subset([x in (g, "human") for x in l2r.table.generator]), lambda i: "all")["all"]
        for g in sorted(set(l2r.table.generator) - {"human"})
    }
    syn = sets["synthetic"]
    out["synthetic"] = {
        fmt: labelled_report(syn.subset([f == fmt for f in syn.table.fmt]), t, rounds, None) for fmt in ("html", "text")
    }
    out["seeds"] = []
    for row in seed_rows:
        v = detector.score(row_to_page(row))
        out["seeds"].append(
            {
                "id": row["id"],
                "label": row["label"],
                "probability": v.probability,
                "predicted": v.label,
                "reasons": [f"{r.signal}: {r.text}" for r in v.reasons],
            }
        )
    from detector.dedup_eval import evaluate_dedup

    LOGGER.info("evaluating near-duplicate finding")
    out["near_duplicates"] = evaluate_dedup(corpus_dir, sets["genuine_html"].table.page_texts, seed=SEED)
    out["errors"] = {
        "genuine_html": worst_errors(sets["genuine_html"], rows_by_id, detector, t),
        "l2r": worst_errors(l2r, rows_by_id, detector, t),
    }
    if train is not None:
        out["baselines"] = {
            "l2r": comparison(l2r, rounds),
            "genuine_html_at_matched_recall": matched_recall_fpr(sets["genuine_html"], l2r, t),
            "genuine_text_at_matched_recall": matched_recall_fpr(sets["genuine_text"], l2r, t),
        }
        refitted = refitted_splits(train, l2r.table, SEED, rounds, workers, out["calibration_prior"])
        out["errors"].update(refitted.pop("errors"))
        out.update(refitted)
    out["figures"] = headline_figures(out)
    out["seconds"] = round(time.time() - started, 1)
    out["_sets"] = sets  # the scores, for the plots; not written to eval.json
    return out


def headline_figures(res: dict[str, Any]) -> dict[str, float | None]:
    """The figures the gate holds and the model card records."""
    farm = [s["probability"] for s in res["seeds"] if s["label"] == 1]
    genuine = [s["probability"] for s in res["seeds"] if s["label"] == 0]
    return {
        "genuine_html.fpr": res["genuine_html"]["fpr"]["value"],
        "genuine_html.ece": res["genuine_html"]["ece"]["value"],
        "l2r.roc_auc": res["l2r"]["roc_auc"]["value"],
        "l2r.tpr_at_1pct_fpr": res["l2r"]["tpr_at_1pct_fpr"]["value"],
        "l2r.ece_at_prior": res["l2r"]["ece_at_prior"]["value"],
        "seeds.min_farm_probability": min(farm) if farm and None not in farm else None,
        "seeds.max_genuine_probability": max(genuine) if genuine and None not in genuine else None,
    }


def _plots(res: dict[str, Any], sets: dict[str, TestSet], reports: Path) -> dict[str, str]:
    from detector import report

    figures = reports / report.FIGURES_DIR
    l2r, syn = sets["l2r"], sets["synthetic"]
    curves = {
        "held-out l2r": {k: (l2r.y, v) for k, v in l2r.scores.items() if not k.startswith("only:")},
        "synthetic pages (synthetic)": {"detector": (syn.y, syn.scores["detector"])},
    }
    prior = res["calibration_prior"]
    diagrams = {
        f"held-out l2r, reweighted to {prior:.0%} machine": metrics.reliability(
            l2r.y, l2r.scores["detector"], metrics.prevalence_weights(l2r.y, prior)
        ),
        "genuine HTML pages": metrics.reliability(sets["genuine_html"].y, sets["genuine_html"].scores["detector"]),
        "synthetic pages (synthetic)": metrics.reliability(syn.y, syn.scores["detector"]),
    }
    from detector.dedup_eval import plot_s_curve

    nd = res["near_duplicates"]
    plot_s_curve(nd["s_curve"], nd["edited_copies"], figures / "s_curve.png")
    return {
        **report.plot_curves(curves, figures),
        **report.plot_reliability(diagrams, figures),
        "near-duplicate S-curve": f"{report.FIGURES_DIR}/s_curve.png",
    }


def main(argv: list[str] | None = None) -> int:
    from detector import report

    parser = argparse.ArgumentParser(prog="python -m detector.evaluate", description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=default_corpus_dir())
    parser.add_argument("--model", type=Path, default=default_model_dir())
    parser.add_argument("--reports", type=Path, default=REPORTS)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--fast", action="store_true", help="no baselines, ablation or refitted splits (CI's gate)")
    parser.add_argument("--update-card", action="store_true", help="write the headline figures into the model card")
    parser.add_argument("--pin", action="store_true", help="re-pin the gate's floors to this run's figures")
    parser.add_argument("--allow-lower", action="store_true", help="with --pin: allow a floor to move the bad way")
    parser.add_argument("--no-gate", action="store_true", help="report only; do not fail on the floors")
    parser.add_argument(
        "--from-results",
        type=Path,
        metavar="EVAL_JSON",
        help="gate (and --pin, --update-card) the figures of a finished run (its eval.json) instead of running one; "
        "refused unless it was made with this model on this corpus",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", stream=sys.stderr)
    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
    try:
        return _run(args, report)
    except (DetectorError, FileNotFoundError) as exc:
        print(f"evaluate: error: {exc}", file=sys.stderr)
        return 2


def saved_results(path: Path, model_dir: Path, corpus_dir: Path) -> dict[str, Any]:
    """The results a finished run wrote to ``path`` (its ``eval.json``), checked to be those of the model in
    ``model_dir`` on the corpus in ``corpus_dir``.

    Raises:
        ConfigError: the file is missing or is no evaluation's results, or it was made with another model or
            on other evaluation data.
    """
    try:
        res = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read the evaluation results {path}: {exc} (run `make eval` to make them)") from exc
    if not isinstance(res, dict) or not {"figures", "corpus_sha256", "model_version"} <= set(res):
        raise ConfigError(f"{path} holds no evaluation's results (run `make eval` to make them)")
    version = PageModel.load(model_dir).version
    data = corpus_hash(corpus_dir)
    if res["model_version"] != version or res["corpus_sha256"] != data:
        raise ConfigError(
            f"{path} holds the figures of model {res['model_version']} on corpus {str(res['corpus_sha256'])[:12]}, "
            f"not of model {version} on corpus {data[:12]}: evaluate this model again (`make eval`)"
        )
    return res


def _run(args: argparse.Namespace, report: Any) -> int:
    if args.from_results:
        res = saved_results(args.from_results, args.model, args.corpus)
        args.fast = bool(res.get("fast"))
    else:
        res = evaluate(args.model, args.corpus, workers=args.workers, fast=args.fast)
    args.reports.mkdir(parents=True, exist_ok=True)
    floors_path = args.reports / FLOORS_FILE
    floors = gate.load_floors(floors_path)
    pin_error = None
    before = floors
    if args.pin:
        try:
            floors = gate.pin(res["figures"], res["corpus_sha256"], floors, allow_lower=args.allow_lower)
            gate.write_floors(floors_path, floors)
        except DetectorError as exc:  # the report is still written; the floors stay as they were
            pin_error = str(exc)
    problems = gate.check(res["figures"], res["corpus_sha256"], floors)
    if pin_error:
        problems.insert(0, f"floors not re-pinned: {pin_error}")
    gate_lines = ["| figure | value | floor | noise margin | |", "|---|---:|---:|---:|---|"]
    for name, spec in sorted((floors or {}).get("figures", {}).items()):  # the order of the floors file
        value = res["figures"].get(name)
        bad = any(p.startswith((name + " ", name + ":")) for p in problems)
        gate_lines.append(
            f"| {name} | {report._f(value, '.4f')} | {spec['floor']:.4f} | {spec['margin']:.4f} "
            f"| {'**FAIL**' if bad else 'ok'} |"
        )
    gate_lines += ["", *(f"- {p}" for p in problems)] if problems else ["", "All figures hold their floors."]
    if args.pin and not pin_error:
        held = gate.check(res["figures"], res["corpus_sha256"], before) if before else []
        gate_lines += ["", *_pin_lines(before, floors, held, from_saved=args.from_results is not None)]
    res["gate"] = {"passed": not problems, "problems": problems}
    if not args.fast and "_sets" in res:  # a finished run's results keep the plots it drew
        res["plots"] = _plots(res, res["_sets"], args.reports)
    md = report.render_markdown(res, gate_lines)
    name = "eval_fast" if args.fast else "eval"
    (args.reports / f"{name}.md").write_text(md, encoding="utf-8")
    (args.reports / f"{name}.json").write_text(json.dumps(_jsonable(res), indent=1) + "\n", encoding="utf-8")
    if args.update_card:
        report.write_model_card(args.model, res)
    print("\n".join(report.summary_table(res)))
    print(f"\nreport: {args.reports / (name + '.md')}")
    if problems:
        verdict = "not applied (--no-gate)" if args.no_gate else "FAILED"
        print(f"\nevaluation gate {verdict}:\n" + "\n".join(f"  - {p}" for p in problems), file=sys.stderr)
        return 0 if args.no_gate else 1
    print("evaluation gate passed", file=sys.stderr)
    return 0


def _pin_lines(
    before: dict[str, Any] | None, after: dict[str, Any] | None, failed_before: list[str], *, from_saved: bool = False
) -> list[str]:
    """What a re-pin in this run did: the check above then holds by construction, so say so, with every floor
    that moved (from what to what) and how the figures fared against the floors as they were. ``from_saved``:
    the re-pin came after the run, from the results it saved (``--from-results``)."""
    old = (before or {}).get("figures", {})
    moved = [
        f"{name} {old[name]['floor']:.4f} -> {spec['floor']:.4f}"
        for name, spec in sorted((after or {}).get("figures", {}).items())
        if name in old and old[name]["floor"] != spec["floor"]
    ]
    new = sorted(set((after or {}).get("figures", {})) - set(old))
    if before is None:
        against = "There were no floors before."
    elif failed_before:
        against = "Against the floors as they were: " + "; ".join(failed_before) + "."
    else:
        against = "Against the floors as they were, every figure held."
    return [
        (
            "The floors were re-pinned after this run, from the results it saved (`--from-results`, `--pin`), to "
            "its own figures"
            if from_saved
            else "The floors were re-pinned in this run (`--pin`) to its own figures"
        )
        + f", so the table above holds by construction. {against} "
        + (f"Floors moved: {'; '.join(moved)}." if moved else "No floor moved.")
        + (f" New floors: {', '.join(new)}." if new else "")
    ]


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items() if not k.startswith("_")}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    return obj


if __name__ == "__main__":
    sys.exit(main())
