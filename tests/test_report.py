"""The evaluation report's reading of the detector's margins over the baselines."""

from __future__ import annotations

from typing import Any

from detector import report


def _iv(value: float, low: float, high: float) -> dict[str, float]:
    return {"value": value, "low": low, "high": high}


def test_margin_verdict_reads_the_interval_not_the_point() -> None:
    assert report.margin_verdict(_iv(0.02, 0.01, 0.03)) == "ahead"
    assert report.margin_verdict(_iv(-0.02, -0.03, -0.01)) == "behind"
    assert report.margin_verdict(_iv(0.05, -0.01, 0.20)) == "ahead, unresolved"
    assert report.margin_verdict(_iv(-0.05, -0.20, 0.01)) == "behind, unresolved"
    assert report.margin_verdict(_iv(0.0, 0.0, 0.0)) == "level"  # a tie is neither ahead nor behind
    assert report.margin_verdict(_iv(0.0, -0.02, 0.03)) == "level"


def _results() -> dict[str, Any]:
    ahead = {"margin_roc_auc": _iv(0.02, 0.01, 0.03), "margin_tpr_at_1pct_fpr": _iv(0.1, 0.05, 0.2)}
    return {
        "l2r": {"rows": 1000, "positives": 800},
        "baselines": {
            "l2r": {
                "detector": {"roc_auc": 0.95, "tpr_at_1pct_fpr": 0.6},
                "tfidf_logreg": ahead,
                "only:text_model": {
                    "margin_roc_auc": _iv(0.002, 0.001, 0.004),
                    "margin_tpr_at_1pct_fpr": _iv(-0.03, -0.07, 0.05),
                    "margin_pauc_to_1pct_fpr": _iv(0.02, 0.002, 0.04),
                },
            }
        },
        "cross_genre": {
            "fold0": {
                "genres": ["Finance", "Sports"],
                "rows": 500,
                "positives": 400,
                "baselines": {
                    "tfidf_logreg": {
                        **ahead,
                        "margin_roc_auc": _iv(-0.02, -0.03, -0.01),
                        "margin_roc_auc_within_genres": _iv(0.01, 0.002, 0.02),
                    }
                },
            }
        },
    }


def test_margins_section_counts_every_comparison_and_lists_the_weak_ones() -> None:
    lines = report.margins_section(_results())
    text = "\n".join(lines)
    # Three comparisons per metric: two on l2r, one on the genre fold.
    assert "| ROC-AUC | 3 | 2 | 0 | 0 | 0 | 1 |" in text
    assert "| TPR at 1% FPR | 3 | 2 | 0 | 0 | 1 | 0 |" in text
    # Partial ROC-AUC: measured for one comparison only here, and ahead, so not listed below.
    assert "| partial ROC-AUC to 1% FPR | 1 | 1 | 0 | 0 | 0 | 0 |" in text
    # Within genres: the cross-genre fold only; its row shows even where no set is behind.
    assert "| ROC-AUC within genres | 1 | 1 | 0 | 0 | 0 | 0 |" in text
    rows = [line for line in lines if line.startswith("| held-out l2r") or line.startswith("| cross-genre")]
    assert len(rows) == 2  # only the two that are not clearly ahead
    assert "only:text_model | TPR at 1% FPR | -0.030 [-0.070, +0.050] | behind, unresolved | 200 (2) |" in text
    assert "cross-genre: genres Finance, Sports | tfidf_logreg | ROC-AUC | -0.020" in text
    assert text.rstrip().endswith("| behind | 100 |")  # ROC-AUC rows give the human texts, no pass count


def test_margins_section_leaves_out_a_metric_no_set_measured() -> None:
    results = _results()
    del results["cross_genre"]
    assert "within genres" not in "\n".join(report.margins_section(results)).split("|---|")[-1]


def test_margins_section_is_empty_without_baselines() -> None:
    assert report.margins_section({"l2r": {"rows": 10, "positives": 5}}) == []


def _table(n: int) -> Any:
    """A feature table of ``n`` rows with every column filled (tests set the ones they read)."""
    from detector.train import _ROW_FIELDS, FeatureTable

    return FeatureTable(**{name: [""] * n for name in _ROW_FIELDS})


def _labelled_split() -> dict[str, Any]:
    """A refitted split's entry as ``evaluate.refitted_splits`` writes it, from a small scored set."""
    import numpy as np

    from detector.evaluate import TestSet, comparison, labelled_report

    rng = np.random.default_rng(0)
    y = np.array([0] * 40 + [1] * 160)

    table = _table(200)
    table.y, table.group = list(y), [f"g{i % 40}" for i in range(200)]
    table.genre = ["Finance" if i % 2 else "Sports" for i in range(200)]
    p = np.clip(0.3 * y + rng.uniform(0, 0.7, len(y)), 0, 1)
    ts = TestSet("fold0", table, {"detector": p, "tfidf_logreg": rng.uniform(size=len(y))})
    labelled = labelled_report(ts, 0.5, 50, 0.1)
    del labelled["skipped_rows"]
    return {"genres": ["Finance", "Sports"], "threshold": 0.5, **labelled, "baselines": comparison(ts, 50)}


def test_refitted_splits_carry_every_metric_into_the_summary_and_their_section() -> None:
    split = _labelled_split()
    res = {"cross_genre": {"fold0": split}}
    row = next(line for line in report.refitted_summary_rows(res) if line.startswith("| cross-genre"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[0] == "cross-genre: genres Finance, Sports" and cells[1] == "200"
    assert cells[4].endswith("(human texts)") and cells[5].endswith("at 10% prevalence")
    text = "\n".join(report._cross_section({"cross_generator": {}, **res}))
    a = split["at_threshold"]
    assert f"(tp {a['tp']}, fp {a['fp']}, fn {a['fn']}, tn {a['tn']})" in text
    assert "The set is 20% human texts" in text and "refitted model's own, 0.500" in text
    assert "PR-AUC" in text and "at 0.1% FPR" in text


def test_summary_rows_of_an_older_report_leave_the_missing_metrics_empty() -> None:
    old = {"rows": 10, "positives": 8, "genres": ["Finance"], "roc_auc": _iv(0.9, 0.8, 0.95)}
    old["tpr_at_1pct_fpr"] = _iv(0.5, 0.4, 0.6)
    (row,) = report.refitted_summary_rows({"cross_genre": {"fold0": old}})
    assert row.endswith("| 0.500 [0.400, 0.600] | | |")


def test_pooled_genre_folds_score_each_text_once_by_its_own_fold() -> None:
    import numpy as np

    from detector.evaluate import _pooled

    table = _table(5)
    table.y, table.genre, table.group = [0, 1, 0, 1, 1], ["A", "A", "B", "B", "C"], list("ppqqr")
    fold_a = [g == "A" for g in table.genre]
    fold_bc = [g != "A" for g in table.genre]
    folds = [
        (fold_a, {"detector": np.array([0.1, 0.9])}, 0.5),
        (fold_bc, {"detector": np.array([0.2, 0.8, 0.7])}, 0.6),
    ]
    ts, thresholds = _pooled(table, folds)
    assert ts.scores["detector"].tolist() == [0.1, 0.9, 0.2, 0.8, 0.7]
    assert thresholds.tolist() == [0.5, 0.5, 0.6, 0.6, 0.6]
    assert list(ts.table.genre) == ["A", "A", "B", "B", "C"]
    ts, _ = _pooled(table, folds[:1])  # a text no fold holds is left out, not scored 0
    assert len(ts.table) == 2


def test_a_per_row_threshold_counts_each_text_at_its_own() -> None:
    import numpy as np

    from detector import metrics

    y = np.array([0, 0, 1, 1])
    s = np.array([0.55, 0.45, 0.55, 0.65])
    a = metrics.at_threshold(y, s, np.array([0.5, 0.5, 0.6, 0.6]))
    assert (a["tp"], a["fp"], a["fn"], a["tn"]) == (1, 1, 1, 1)


def test_the_pooled_split_reads_as_one_set_with_each_fold_threshold() -> None:
    split = {**_labelled_split(), "threshold": [0.5, 0.55]}
    res = {"cross_generator": {}, "cross_genre": {"pooled": split}}
    (row,) = report.refitted_summary_rows(res)
    assert row.startswith("| cross-genre: all 2 folds pooled (2 genres) | 200 |")
    assert "each text's fold model's own (0.500, 0.550)" in "\n".join(report._cross_section(res))


def test_the_model_card_names_the_worst_calibrated_unseen_genres() -> None:
    def fold(genres: list[str], ece: float, fpr: float) -> dict[str, Any]:
        return {"genres": genres, "ece_at_prior": _iv(ece, ece - 0.01, ece + 0.01), "prevalence": 0.1,
                "at_threshold": {"fpr": fpr}}  # fmt: skip

    res = {"cross_genre": {"fold0": fold(["Sports"], 0.02, 0.01), "fold1": fold(["Recipes", "Reviews"], 0.08, 0.073)}}
    res["cross_genre"]["pooled"] = fold(["Recipes", "Reviews", "Sports"], 0.5, 0.5)  # not a fold of its own
    text = report._unseen_genre_limit(res)
    assert "refitted without Recipes, Reviews, 7.3% of their human texts" in text
    assert "its ECE is 0.080 [0.070, 0.090]" in text
    assert "held-out texts" not in text  # no held-out l2r figure given
    # The fold with the most human texts above the threshold need not be the worst calibrated.
    res["cross_genre"]["fold0"] = fold(["Sports"], 0.09, 0.01)
    res["l2r"] = {"at_threshold": {"fpr": 0.004}}
    text = report._unseen_genre_limit(res)
    assert "refitted without Recipes, Reviews, 7.3% of their human texts score above the threshold" in text
    assert "(held-out texts of the genres it was trained on: 0.4%)" in text
    assert "the worst-calibrated fold is the one without Sports, ECE 0.090 [0.080, 0.100]" in text
    assert report._unseen_genre_limit({"cross_genre": {}}) == ""


def test_worst_errors_of_refitted_scores_have_no_reasons_and_a_per_row_threshold() -> None:
    import numpy as np

    from detector.evaluate import TestSet, worst_errors

    table = _table(4)
    table.y, table.ids = [0, 0, 1, 1], ["h1", "h2", "m1", "m2"]
    ts = TestSet("pooled", table, {"detector": np.array([0.55, 0.2, 0.55, 0.9])})
    errors = worst_errors(ts, {}, None, np.array([0.6, 0.6, 0.5, 0.5]))
    fp, fn = errors["false_positives"], errors["false_negatives"]
    assert [e["id"] for e in fp] == ["h1", "h2"] and not fp[0]["wrong_at_threshold"]  # 0.55 < its own 0.6
    assert [e["id"] for e in fn] == ["m1", "m2"] and not fn[0]["wrong_at_threshold"]  # 0.55 >= its own 0.5
    assert all(e["reasons"] is None for e in fp + fn)
    text = "\n".join(report._errors_section({"errors": {"cross_genre_pooled": errors}}))
    assert "cross_genre_pooled" in text and "reasons not kept for a refitted model" in text


def test_cross_genre_scorer_table_shows_the_margin_within_genres() -> None:
    import numpy as np

    from detector.evaluate import TestSet, _by, comparison

    rng = np.random.default_rng(1)
    table = _table(300)
    y = rng.integers(0, 2, 300)
    table.y, table.group = list(y), [f"g{i}" for i in range(300)]
    table.genre = ["A" if i % 2 else "B" for i in range(300)]
    ours = rng.normal(2.0 * y, 1.0)
    # The baseline orders each genre as well but lifts genre A's texts: behind only across genres.
    theirs = ours + 3.0 * np.array([g == "A" for g in table.genre])
    ts = TestSet("fold0", table, {"detector": ours, "tfidf_logreg_punct": theirs})
    rows = comparison(ts, 50, within_genres=True)
    assert rows["detector"]["roc_auc_within_genres"] == rows["tfidf_logreg_punct"]["roc_auc_within_genres"]
    assert rows["tfidf_logreg_punct"]["margin_roc_auc_within_genres"]["value"] == 0.0
    assert rows["tfidf_logreg_punct"]["margin_roc_auc"]["value"] > 0.05
    lines = report._scorer_rows(rows)
    assert lines[0].endswith("| ROC-AUC within genres | margin within genres [95% CI] |")
    assert lines[3].startswith("| tfidf_logreg_punct |") and lines[3].endswith("| +0.000 [+0.000, +0.000] |")
    # Without genres (held-out l2r, cross-generator), the table keeps its seven columns.
    plain = report._scorer_rows(comparison(ts, 50))
    assert plain[0].count("|") == 8 and "within genres" not in plain[0]
    assert rows["tfidf_logreg_punct"]["pauc_to_1pct_fpr"] is not None
    assert "margin_pauc_to_1pct_fpr" in rows["tfidf_logreg_punct"]
    # Per genre, every other scorer's ROC-AUC on the same texts.
    by = _by(ts, list(table.genre).__getitem__, every_scorer=True)
    a = np.array([g == "A" for g in table.genre])
    assert by["A"]["roc_auc_by_scorer"] == {"tfidf_logreg_punct": by["A"]["roc_auc"]}
    head = report._by_genre_lines(by, None)
    assert head[0].endswith("| tfidf_logreg_punct ROC-AUC |") and head[1].count("---:") == 6
    assert head[2].startswith(f"| A | {a.sum()} |")


def test_per_genre_rows_count_human_texts_at_their_own_threshold_with_ece() -> None:
    import numpy as np

    from detector import metrics
    from detector.evaluate import TestSet, _by

    table = _table(6)
    table.y, table.genre = [0, 0, 1, 0, 1, 1], ["A", "A", "A", "B", "B", "B"]
    p = np.array([0.7, 0.2, 0.9, 0.55, 0.6, 0.8])
    ts = TestSet("pooled", table, {"detector": p})
    rows = _by(ts, list(table.genre).__getitem__, np.array([0.5, 0.5, 0.5, 0.6, 0.6, 0.6]), 0.1)
    assert (rows["A"]["human_texts"], rows["A"]["human_above_threshold"]) == (2, 1)
    assert (rows["B"]["human_texts"], rows["B"]["human_above_threshold"]) == (1, 0)  # 0.55 is below B's 0.6
    y = np.array(table.y[:3])
    assert rows["A"]["ece_at_prior"] == metrics.ece(y, p[:3], metrics.prevalence_weights(y, 0.1))
    lines = report._by_genre_lines(rows, 0.1)
    assert lines[0].endswith("| human texts at or above the threshold | ECE at 10% prevalence |")
    assert lines[2].startswith("| A | 3 | ") and "| 1 of 2 |" in lines[2]
    # A report written before these columns existed shows them as n/a.
    old = {"A": {"rows": 3, "roc_auc": 1.0, "tpr_at_1pct_fpr": 1.0}}
    assert report._by_genre_lines(old, None)[2] == "| A | 3 | 1.000 | 1.000 | n/a | n/a |"


def test_matched_recall_flags_a_share_of_tied_scores_so_the_recall_is_the_detectors() -> None:
    import numpy as np

    from detector.evaluate import TestSet, matched_recall_fpr

    l2r_table, genuine_table = _table(10), _table(4)
    l2r_table.y, genuine_table.y = [0, 0] + [1] * 8, [0] * 4
    detector_l2r = np.array([0.1, 0.2, 0.9, 0.8, 0.7, 0.6, 0.3, 0.2, 0.1, 0.0])  # flags 4 of 8 machine texts
    l2r = TestSet(
        "l2r",
        l2r_table,
        {
            "detector": detector_l2r,
            "constant": np.zeros(10),  # every text tied: no threshold flags exactly half of them
            "filters": np.array([0, 0, 3, 2, 1, 1, 1, 1, 0, 0], dtype=float),  # ties at the threshold, 1
            "graded": np.arange(10, dtype=float),  # no ties
        },
    )
    genuine = TestSet(
        "genuine",
        genuine_table,
        {
            "detector": np.array([0.1, 0.2, 0.6, 0.3]),
            "constant": np.zeros(4),
            "filters": np.array([1, 1, 0, 0], dtype=float),
            "graded": np.array([6.0, 5.0, 2.0, 9.0]),
        },
    )
    m = matched_recall_fpr(genuine, l2r, 0.5)
    assert m["matched_recall_on_l2r"] == 0.5
    assert m["detector"] == {"threshold": 0.5, "tied_share": 1.0, "fpr": 0.25}
    # Constant: flagging every tied text would give FPR 100%; half of them is the recall, chance.
    assert m["constant"]["tied_share"] == 0.5 and m["constant"]["fpr"] == 0.5
    # Two texts above 1 and four at it: half of the four tied ones make 4 of 8.
    assert m["filters"]["threshold"] == 1.0 and m["filters"]["tied_share"] == 0.5
    assert m["filters"]["fpr"] == 0.25  # the two genuine pages at 1, each flagged at that share
    assert m["graded"] == {"threshold": 6.0, "tied_share": 1.0, "fpr": 0.5}  # the 4 top machine scores: 9..6
    text = "\n".join(report.matched_recall_lines(m, "HTML"))
    assert "| constant | 50.00% | 0.500 |" in text


def test_margins_over_near_constant_scorers_are_counted_apart() -> None:
    res = _results()
    l2r = res["baselines"]["l2r"]
    l2r["tfidf_logreg"]["modal_share"] = 0.01
    l2r["only:toc"] = {
        "modal_share": 0.97,  # 0 on nearly every plain text
        "margin_roc_auc": _iv(0.4, 0.38, 0.42),
        "margin_tpr_at_1pct_fpr": _iv(0.6, 0.5, 0.7),
    }
    text = "\n".join(report.margins_section(res))
    assert "| ROC-AUC | 4 | 3 | 0 | 0 | 0 | 1 |" in text  # still counted as ahead ...
    assert (
        "Of those ahead, 1 of the 3 ROC-AUC margins and 1 of the 3 TPR at 1% FPR margins are over a scorer "
        "that gives one value to at least 90%" in text
    )
    # ... and a report without the shares (an older run) says nothing about them
    assert "one value" not in "\n".join(report.margins_section(_results()))


def test_comparison_records_each_scorers_modal_share() -> None:
    import numpy as np

    from detector.evaluate import TestSet, comparison

    table = _table(8)
    table.y, table.group = [0, 0, 0, 0, 1, 1, 1, 1], [str(i) for i in range(8)]
    scores = {"detector": np.linspace(0, 1, 8), "flat": np.array([0, 0, 0, 0, 0, 0, 0, 1.0])}
    rows = comparison(TestSet("s", table, scores), 20)
    assert rows["detector"]["modal_share"] == 0.125 and rows["flat"]["modal_share"] == 0.875
