"""Validation of the text model inside the training split: ``make validate-text``.

The choices of ``detector.textfeatures`` (its blocks, floors and the topic shrink) and ``detector.fwlm`` (the
function-word language models) were made on splits of the corpus's *train* split, never on the held-out rows
``make eval`` reports. This re-runs that validation for the shipped recipe, beside the same recipe without
the language models, without them and the topic shrink, and the TF-IDF baseline (``tfidf_logreg_punct``),
so that the figures the docstrings quote can be checked:

* a quarter of the l2r pairs of the train split (by a hash of the pair) is held out as validation rows;
  the rest, with the genuine web pages, is what the text model learns from;
* nine splits: ``all`` (every generator and genre seen), each generator's rewrites left out of training
  (validated on that generator against the human texts), and each quarter of the genres left out (the
  genres in sorted order, every fourth one; validated on those genres only);
* the nine splits all validate on the same quarter of the pairs (part 1), so a difference between two
  recipes there can be that quarter's and no other's: ``all`` is run again with each of the other three
  quarters held out instead (``all, validation part 2`` to ``4``), four disjoint sets of validation rows
  that together cover the train split's l2r pairs;
* per split and scorer, ROC-AUC and the TPR at 1% FPR of the held-out rows, then their means over the nine
  splits and over the four parts, and the four genre quarters pooled: their validation rows together (all of
  part 1), each scored by the model that never saw its genre, so a TPR at 1% FPR that rests on the 1% most
  machine-like of all their human texts rather than on the one or two of a quarter's.

Writes ``reports/validate_text.md``. About 12 minutes on two cores (48 text-model fits).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
import zlib
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from detector import metrics
from detector.baselines import TfidfLogReg
from detector.dataset import default_corpus_dir
from detector.train import (
    SEED,
    TEXT_MODEL_C,
    FeatureTable,
    featurize,
    fit_text_model,
    text_sample_weights,
    text_training_rows,
    training_rows,
)

LOGGER = logging.getLogger(__name__)

#: Share of the train split's l2r pairs held out for validation: one part of ``VALIDATION_PARTS``.
VALIDATION_SHARE = 0.25
VALIDATION_PARTS = round(1 / VALIDATION_SHARE)
#: The name of the all-generators split run on another part of the pairs (``{part}`` counts from 1).
ROTATED_SPLIT = "all, validation part {part}"
#: The name of a split that leaves a quarter of the genres out begins so, the genres follow.
GENRE_SPLIT = "genres "
SCORERS = ("shipped", "without language models", "without either", "tfidf_logreg_punct")
Split = tuple[str, FeatureTable, FeatureTable]
#: A split's name, its validation rows' labels and each scorer's scores of them.
Result = tuple[str, np.ndarray, dict[str, np.ndarray]]


def inner_split(
    table: FeatureTable, share: float = VALIDATION_SHARE, part: int = 0
) -> tuple[FeatureTable, FeatureTable]:
    """(rows to learn from, l2r rows to validate on): whole pairs (groups) by a CRC-32 of the group name, the
    ``part``-th (from 0) of the ``1 / share`` parts it cuts them into."""
    lo = part * share * 1000
    bucket = np.array([zlib.crc32(g.encode("utf-8")) % 1000 for g in table.group])
    held = (bucket >= lo) & (bucket < lo + share * 1000)
    l2r = np.asarray(table.source) == "l2r"
    return table.subset(~held), table.subset(held & l2r)


def splits(learn: FeatureTable, val: FeatureTable) -> list[Split]:
    """The nine (name, training rows, validation rows) splits of the module docstring."""
    out: list[Split] = [("all", learn, val)]
    for gen in sorted(set(val.generator) - {"human"}):
        out.append(
            (
                f"without {gen}",
                learn.subset([g != gen for g in learn.generator]),
                val.subset([g in (gen, "human") for g in val.generator]),
            )
        )
    genres = sorted(set(val.genre))
    for k in range(4):
        held = set(genres[k::4])
        out.append(
            (
                f"{GENRE_SPLIT}{', '.join(sorted(held))}",
                learn.subset([g not in held for g in learn.genre]),
                val.subset([g in held for g in val.genre]),
            )
        )
    return out


def all_splits(table: FeatureTable) -> list[Split]:
    """The nine splits of :func:`splits` on the first part of the pairs, then ``all`` on each other part."""
    out = splits(*inner_split(table))
    for part in range(1, VALIDATION_PARTS):
        out.append((ROTATED_SPLIT.format(part=part + 1), *inner_split(table, part=part)))
    return out


def mean_groups(names: Sequence[str]) -> dict[str, list[int]]:
    """The rows a report averages: the nine splits on the first part; ``all`` on every part (where run)."""
    rotated = {ROTATED_SPLIT.format(part=p + 1) for p in range(1, VALIDATION_PARTS)}
    groups = {"mean": [i for i, n in enumerate(names) if n not in rotated]}
    parts = [i for i, n in enumerate(names) if n == "all" or n in rotated]
    if len(parts) > 1:
        groups[f"mean of all over the {len(parts)} parts"] = parts
    return groups


def score_split(split: Split) -> Result:
    """Each scorer fitted on the split's training rows, scoring its validation rows."""
    name, learn, val = split
    started = time.time()
    rows = np.flatnonzero(text_training_rows(learn))
    y = np.asarray(learn.y)[rows]
    texts = [learn.texts[i] for i in rows]
    weights = text_sample_weights([learn.source[i] for i in rows], y)
    pairs = [learn.group[i] for i in rows]
    scores = {
        "shipped": fit_text_model(texts, y, SEED, weights, pairs).decision(val.texts),
        "without language models": fit_text_model(texts, y, SEED, weights, pairs, language_models=False).decision(
            val.texts
        ),
        "without either": fit_text_model(texts, y, SEED, weights, language_models=False).decision(val.texts),
        "tfidf_logreg_punct": TfidfLogReg(C=TEXT_MODEL_C, seed=SEED, punctuation=True)
        .fit(texts, y, weights)
        .score(val.texts),
    }
    LOGGER.info("%s: %d training texts, %d validation texts, %.0fs", name, len(rows), len(val), time.time() - started)
    return name, np.asarray(val.y), scores


def split_table(results: list[Result], scorers: Sequence[str]) -> tuple[list[str], dict[str, np.ndarray]]:
    """The table of a validation report (per split and scorer ROC-AUC / TPR at 1% FPR, then their means and, where
    there are genre quarters, those pooled) and, per scorer, its figures as an array of (ROC-AUC, TPR) rows, one
    per split."""
    lines = ["| split | texts (human) | " + " | ".join(scorers) + " |", "|---|---:|" + "---|" * len(scorers)]
    table: dict[str, list[tuple[float, float]]] = {s: [] for s in scorers}
    for name, y, scores in results:
        cells = []
        for scorer in scorers:
            auc = metrics.roc_auc(y, scores[scorer])
            tpr = metrics.tpr_at_fpr(y, scores[scorer])
            table[scorer].append((float(auc or 0.0), float(tpr or 0.0)))
            cells.append(f"{auc:.4f} / {tpr:.3f}")
        lines.append(f"| {name} | {len(y)} ({int(np.sum(y == 0))}) | " + " | ".join(cells) + " |")
    arrays = {s: np.array(v).reshape(-1, 2) for s, v in table.items()}
    for label, rows in mean_groups([name for name, _, _ in results]).items():
        means = [f"{arrays[s][rows, 0].mean():.4f} / {arrays[s][rows, 1].mean():.3f}" for s in scorers]
        lines.append(f"| **{label}** | | " + " | ".join(means) + " |")
    genres = [(y, scores) for name, y, scores in results if name.startswith(GENRE_SPLIT)]
    if len(genres) > 1:
        y = np.concatenate([y for y, _ in genres])
        cells = []
        for scorer in scorers:
            pooled = np.concatenate([scores[scorer] for _, scores in genres])
            cells.append(f"{metrics.roc_auc(y, pooled):.4f} / {metrics.tpr_at_fpr(y, pooled):.3f}")
        label = f"**{len(genres)} genre quarters pooled**"
        lines.append(f"| {label} | {len(y)} ({int(np.sum(y == 0))}) | " + " | ".join(cells) + " |")
    return lines, arrays


def render(results: list[Result]) -> str:
    """The report: per split and scorer, ROC-AUC / TPR at 1% FPR, and their means."""
    lines = [
        "# Text model validation (inside the training split)",
        "",
        "ROC-AUC / TPR at 1% FPR of the text model alone on l2r rows held out of the train split "
        "(`python -m detector.validate_text`; the splits are in its docstring). **mean**: of the nine splits, "
        "which all validate on part 1 of the pairs; the last mean: of `all` on each of the four parts; "
        "**genre quarters pooled**: their validation rows together, each scored by the model that never saw its "
        "genre. Not a held-out figure: `reports/eval.md` is.",
        "",
        *split_table(results, SCORERS)[0],
    ]
    return "\n".join(lines) + "\n"


def validate(corpus_dir: Path, workers: int = 1) -> list[Result]:
    rows = training_rows(corpus_dir)
    LOGGER.info("featurizing %d training rows", len(rows))
    jobs = all_splits(featurize(rows, workers=workers))
    if workers <= 1:
        return [score_split(s) for s in jobs]
    with ProcessPoolExecutor(max_workers=min(workers, len(jobs))) as pool:
        return list(pool.map(score_split, jobs))


def run(
    argv: list[str] | None,
    module: str,
    doc: str,
    validate: Callable[[Path, int], list[Result]],
    render: Callable[[list[Result]], str],
) -> int:
    """The command line of a validation module: run ``validate``, write ``reports/<module's name>.md``, print it."""
    parser = argparse.ArgumentParser(prog=f"python -m {module}", description=doc.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=default_corpus_dir())
    parser.add_argument("--reports", type=Path, default=Path("reports"))
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", stream=sys.stderr)
    report = render(validate(args.corpus, args.workers))
    args.reports.mkdir(parents=True, exist_ok=True)
    (args.reports / f"{module.rsplit('.', 1)[-1]}.md").write_text(report, encoding="utf-8")
    print(report)
    return 0


def main(argv: list[str] | None = None) -> int:
    return run(argv, "detector.validate_text", __doc__ or "", validate, render)


if __name__ == "__main__":
    sys.exit(main())
