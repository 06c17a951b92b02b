"""Validation of the page model inside the training split: ``make validate-page``.

The page model's design (``detector.train``: its recipe ``SHIPPED_RECIPE``, the prose and one-sided
evidence families, the text logits it learns from) was chosen on splits of the corpus's *train* split, never
on the held-out rows ``make eval`` reports. This re-runs that validation for the shipped recipe, beside the
same recipe with 6 knots per style value rather than 3, the recipe before the basis (``LINEAR_RECIPE``:
linear style values learnt from every row), the shipped recipe without
the style family and the text model's logit alone (a page model that reads nothing else), so that the figures
the ``detector.train`` docstrings quote can be checked and the next change to the page model can be judged
the same way:

* the rows and the splits of ``make validate-text`` (``detector.validate_text``): a quarter of the train
  split's l2r pairs held out as validation rows, the rest with the genuine web pages and the synthetic
  template pages as training rows; ``all``, each generator left out, each quarter of the genres left out,
  all on the same quarter of the pairs; then ``all`` again on each of the other three quarters;
* per split, the text model is fitted on the training rows and on each of its ``N_FOLDS`` folds by group (the
  folds and fits of ``detector.train.text_logits``), and the page model is fitted as ``detector.train.fit``
  fits it, on the text logits out of fold;
* per split and scorer, ROC-AUC and the TPR at 1% FPR of the validation rows, then their means (over the
  nine splits; over the four quarters), the four genre quarters pooled (``detector.validate_text``) and, for
  each scorer beside the shipped recipe, on how many splits the shipped recipe is ahead.

Both figures are ranks, which the calibration does not change: so the calibration is fitted here on the same
out-of-fold logits as the weights (the shipped model calibrates on logits out of fold by genre, a second set
of text-model fits that would double the cost for the same figures).

Writes ``reports/validate_page.md``. About 24 minutes on two cores (72 text-model fits).
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from detector.model import TextModel
from detector.train import (
    LINEAR_RECIPE,
    MODEL_FEATURES,
    N_FOLDS,
    SHIPPED_RECIPE,
    FeatureTable,
    PageRecipe,
    TextLogits,
    featurize,
    fit,
    fit_text_rows,
    text_folds,
    text_training_rows,
    training_rows,
)
from detector.validate_text import Result, Split, all_splits, mean_groups, run, split_table

LOGGER = logging.getLogger(__name__)

#: The page models compared: the signal values they read beside the text model's logit, and how they are fitted.
SCORERS: dict[str, tuple[list[str], PageRecipe]] = {
    "shipped": (list(MODEL_FEATURES), SHIPPED_RECIPE),
    "6 knots": (list(MODEL_FEATURES), SHIPPED_RECIPE._replace(knots=6)),
    "linear style, all rows": (list(MODEL_FEATURES), LINEAR_RECIPE),
    "without the style family": ([n for n in MODEL_FEATURES if not n.startswith("style.")], SHIPPED_RECIPE),
    "text logit alone": ([], SHIPPED_RECIPE),
}
#: One text-model fit: (split index, fold index or None for the fit on all the split's training rows).
Job = tuple[int, int | None]

_SPLITS: list[Split] = []  # the splits a worker process fits on: :func:`_init`


def _init(table: FeatureTable) -> None:
    """Make the splits in this process (once per worker, rather than a table sent with every job)."""
    _SPLITS[:] = all_splits(table)


def run_job(job: Job) -> tuple[Job, TextModel | np.ndarray]:
    """The split's text model (fold None), or one fold's out-of-fold logits on the rows it left out."""
    index, fold = job
    _, learn, _ = _SPLITS[index]
    if fold is None:
        return job, fit_text_rows(learn, np.flatnonzero(text_training_rows(learn)))
    train, test = text_folds(learn, learn.group)[fold]
    return job, fit_text_rows(learn, train).decision([learn.texts[i] for i in test])


def score_split(split: Split, text: TextModel, oof: np.ndarray) -> Result:
    """Each scorer's page model fitted on the split's training rows, deciding on its validation rows."""
    name, learn, val = split
    logits = text.decision(val.texts)
    signals = np.asarray(val.X)
    scores: dict[str, np.ndarray] = {}
    for scorer, (features, recipe) in SCORERS.items():
        model, _ = fit(learn, features=features, text=TextLogits(text, oof, oof), recipe=recipe)
        scores[scorer] = model.decision(model.full_matrix(signals, val.texts, logits=logits))
    return name, np.asarray(val.y), scores


def fit_splits(table: FeatureTable, workers: int = 1) -> list[Result]:
    """The splits of the train split's ``table``: every split's text models (in ``workers`` processes), then
    its page models."""
    _init(table)
    jobs = list(_SPLITS)
    started = time.time()
    work: list[Job] = [(i, fold) for i in range(len(jobs)) for fold in (None, *range(N_FOLDS))]
    texts: dict[int, TextModel] = {}
    oof = {i: np.zeros(len(split[1].y)) for i, split in enumerate(jobs)}
    folds = {i: text_folds(split[1], split[1].group) for i, split in enumerate(jobs)}

    def keep(job: Job, out: TextModel | np.ndarray) -> None:
        index, fold = job
        if isinstance(out, TextModel):
            texts[index] = out
        elif fold is not None:
            oof[index][folds[index][fold][1]] = out
        step = "on all its training rows" if fold is None else f"fold {fold + 1} of {N_FOLDS}"
        LOGGER.info("%s: text model %s, %.0fs", jobs[index][0], step, time.time() - started)

    if workers <= 1:
        for job in work:
            keep(*run_job(job))
    else:
        with ProcessPoolExecutor(max_workers=workers, initializer=_init, initargs=(table,)) as pool:
            for job, out in pool.map(run_job, work):
                keep(job, out)
    return [score_split(split, texts[i], oof[i]) for i, split in enumerate(jobs)]


def render(results: list[Result]) -> str:
    """The report: per split and scorer, ROC-AUC / TPR at 1% FPR; their means; where the shipped recipe leads."""
    names = list(SCORERS)
    table_lines, table = split_table(results, names)
    lines = [
        "# Page model validation (inside the training split)",
        "",
        "ROC-AUC / TPR at 1% FPR of the page model on l2r rows held out of the train split "
        "(`python -m detector.validate_page`; the splits are in its docstring), fitted as the shipped model is, "
        "beside the same recipe with 6 knots per style value, the recipe before the basis (linear style values "
        "learnt from every row, C = 0.5), the shipped recipe without "
        "the style family and the text model's logit alone. "
        "**mean**: of the nine splits, which all validate on part 1 of the pairs; the last mean: of `all` on "
        "each of the four parts; **genre quarters pooled**: their validation rows together, each scored by the "
        "page model that never saw its genre, a TPR at 1% FPR that rests on more than a quarter's one or two most "
        "machine-like human texts. Not a held-out figure: `reports/eval.md` is.",
        "",
        *table_lines,
    ]
    shipped = table["shipped"]
    for label, rows in mean_groups([name for name, _, _ in results]).items():
        where = "Splits" if label == "mean" else "Parts of the pairs (`all` on each)"
        lines += ["", f"{where} on which the shipped recipe is ahead of (level with) each other scorer:", ""]
        for scorer in names[1:]:
            counts = []
            for k, metric in enumerate(("ROC-AUC", "TPR at 1% FPR")):
                ahead = int(np.sum(shipped[rows, k] > table[scorer][rows, k]))
                level = int(np.sum(shipped[rows, k] == table[scorer][rows, k]))
                counts.append(f"{metric} {ahead} of {len(rows)}" + (f" ({level})" if level else ""))
            lines.append(f"- {scorer}: " + ", ".join(counts))
    return "\n".join(lines) + "\n"


def validate(corpus_dir: Path, workers: int = 1) -> list[Result]:
    rows = training_rows(corpus_dir)
    LOGGER.info("featurizing %d training rows", len(rows))
    return fit_splits(featurize(rows, workers=workers), workers)


def main(argv: list[str] | None = None) -> int:
    return run(argv, "detector.validate_page", __doc__ or "", validate, render)


if __name__ == "__main__":
    raise SystemExit(main())
