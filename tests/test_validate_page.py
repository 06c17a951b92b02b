"""The page model's validation: what it may leave out of the shipped recipe, and its report."""

from __future__ import annotations

import numpy as np

from detector.features import FEATURE_NAMES
from detector.model import PageModel, default_model_dir
from detector.train import _ROW_FIELDS, LINEAR_RECIPE, MODEL_FEATURES, SHIPPED_RECIPE, FeatureTable, TextLogits, fit
from detector.validate_page import SCORERS, render


def _table(rng: np.random.Generator) -> FeatureTable:
    """Eight genres of l2r pairs (a human text and two rewrites) and 40 genuine web pages, random signals."""
    table = FeatureTable(**{name: [] for name in _ROW_FIELDS})
    rows = [
        (f"genre{g}", f"genre{g}:{pair}", int(k > 0), "l2r", "text")
        for g in range(8)
        for pair in range(10)
        for k in range(3)
    ]
    rows += [("", f"page{p}", 0, "trafilatura-eval", fmt) for p in range(20) for fmt in ("html", "text")]
    for genre, group, label, source, fmt in rows:
        table.genre.append(genre)
        table.group.append(group)
        table.y.append(label)
        table.source.append(source)
        table.fmt.append(fmt)
        table.X.append(list(rng.normal(label, 1.0, len(FEATURE_NAMES))))
    return table


def test_the_calibration_logits_leave_the_page_models_ranking_as_it_is() -> None:
    """The validation calibrates on the logits the weights are fitted on, not on a second set out of fold by
    genre: only the calibration may move, so ROC-AUC and TPR at 1% FPR are those of the shipped recipe."""
    rng = np.random.default_rng(0)
    table = _table(rng)
    y = np.asarray(table.y)
    oof, by_genre = rng.normal(2 * y - 1, 1.5), rng.normal(2 * y - 1, 2.5)
    same, _ = fit(table, text=TextLogits(None, oof, oof))  # type: ignore[arg-type]
    shipped, _ = fit(table, text=TextLogits(None, oof, by_genre))  # type: ignore[arg-type]
    for name in ("mean", "scale", "coef"):
        np.testing.assert_array_equal(getattr(same, name), getattr(shipped, name))
    assert same.intercept == shipped.intercept
    assert (same.calib_slope, same.calib_intercept) != (shipped.calib_slope, shipped.calib_intercept)


def test_the_scorers_are_the_shipped_recipe_the_one_before_it_and_two_reductions_of_it() -> None:
    assert SCORERS["shipped"] == (list(MODEL_FEATURES), SHIPPED_RECIPE)
    assert SCORERS["6 knots"] == (list(MODEL_FEATURES), SHIPPED_RECIPE._replace(knots=6))
    assert SCORERS["linear style, all rows"] == (list(MODEL_FEATURES), LINEAR_RECIPE)
    assert LINEAR_RECIPE.knots == 0 and LINEAR_RECIPE.joint_sources is None
    without_style = [n for n in MODEL_FEATURES if n.split(".")[0] != "style"]
    assert SCORERS["without the style family"] == (without_style, SHIPPED_RECIPE)
    assert any(n.startswith("style.") for n in MODEL_FEATURES) and SCORERS["text logit alone"] == ([], SHIPPED_RECIPE)


def test_logits_given_to_the_model_matrix_are_the_text_models_own() -> None:
    model = PageModel.load(default_model_dir())
    assert model.text_model is not None
    texts = ["A short human note about the weather.", "In today's fast-paced world, it is crucial to delve."]
    signals = np.zeros((2, len(FEATURE_NAMES)))
    logits = model.text_model.decision(texts)
    np.testing.assert_array_equal(model.full_matrix(signals, texts), model.full_matrix(signals, texts, logits=logits))
    assert np.array_equal(model.full_matrix(signals, texts, logits=logits + 1.0)[:, -1], logits + 1.0)


LINEAR = "linear style, all rows"
KNOTS6 = "6 knots"


def test_the_report_gives_each_split_the_means_and_where_the_shipped_recipe_leads() -> None:
    """The nine splits and the other parts of the pairs are averaged and counted apart."""
    y = np.array([0, 0, 1, 1])
    good, bad = np.array([0.1, 0.2, 0.8, 0.9]), np.array([0.9, 0.8, 0.2, 0.1])
    text = render(
        [
            (
                "all",
                y,
                {
                    "shipped": good,
                    KNOTS6: good,
                    LINEAR: good,
                    "without the style family": bad,
                    "text logit alone": good,
                },
            ),
            (
                "without GPT-4o",
                y,
                {"shipped": good, KNOTS6: good, LINEAR: bad, "without the style family": bad, "text logit alone": bad},
            ),
            (
                "all, validation part 2",
                y,
                {"shipped": bad, KNOTS6: good, LINEAR: bad, "without the style family": good, "text logit alone": bad},
            ),
        ]
    )
    assert "| all | 4 (2) | 1.0000 / 1.000 | 1.0000 / 1.000 | 1.0000 / 1.000 | 0.0000 / 0.000 | 1.0000 / 1.000 |" in (
        text
    )
    assert "| **mean** | | 1.0000 / 1.000 | 1.0000 / 1.000 | 0.5000 / 0.500 | 0.0000 / 0.000 | 0.5000 / 0.500 |" in (
        text
    )
    assert (
        "| **mean of all over the 2 parts** | | 0.5000 / 0.500 | 1.0000 / 1.000 | 0.5000 / 0.500 | 0.5000 / 0.500 "
        "| 0.5000 / 0.500 |" in text
    )
    nine, parts = text.split("Parts of the pairs")
    assert "- 6 knots: ROC-AUC 0 of 2 (2), TPR at 1% FPR 0 of 2 (2)" in nine
    assert "- 6 knots: ROC-AUC 0 of 2 (1), TPR at 1% FPR 0 of 2 (1)" in parts
    assert "- linear style, all rows: ROC-AUC 1 of 2 (1), TPR at 1% FPR 1 of 2 (1)" in nine
    assert "- without the style family: ROC-AUC 2 of 2, TPR at 1% FPR 2 of 2" in nine
    assert "- text logit alone: ROC-AUC 1 of 2 (1), TPR at 1% FPR 1 of 2 (1)" in nine
    assert "- without the style family: ROC-AUC 1 of 2, TPR at 1% FPR 1 of 2" in parts
    assert "- text logit alone: ROC-AUC 0 of 2 (2), TPR at 1% FPR 0 of 2 (2)" in parts
