"""The evaluation report: ``reports/eval.md``, its PNG plots, and the model card's figures.

Rendering only: every number comes from the results of ``detector.evaluate.evaluate``.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from detector.textfeatures import TOPIC_DIRECTIONS, TOPIC_SHRINK
from detector.train import TARGET_FPR

FIGURES_DIR = "figures"


def _f(x: Any, spec: str = ".3f") -> str:
    return "n/a" if x is None else format(x, spec)


def _ci(iv: dict[str, Any] | None, spec: str = ".3f") -> str:
    """``0.952 [0.946, 0.958]``."""
    if not iv or iv.get("value") is None:
        return "n/a"
    if iv.get("low") is None:
        return _f(iv["value"], spec)
    return f"{format(iv['value'], spec)} [{format(iv['low'], spec)}, {format(iv['high'], spec)}]"


def _margin(iv: dict[str, Any] | None) -> str:
    if not iv or iv.get("value") is None:
        return "n/a"
    sign = "+" if iv["value"] >= 0 else ""
    if iv.get("low") is None:
        return f"{sign}{iv['value']:.3f}"
    return f"{sign}{iv['value']:.3f} [{iv['low']:+.3f}, {iv['high']:+.3f}]"


def _split_label(name: str, key: str, split: dict[str, Any]) -> str:
    """``cross-generator: without GPT-4o``, ``cross-genre: genres Finance, Sports``, ``cross-genre: all folds``."""
    if name == "cross_generator":
        what = f"without {key}"
    elif key == "pooled":
        what = f"all {len(split['threshold'])} folds pooled ({len(split['genres'])} genres)"
    else:
        what = f"genres {', '.join(split['genres'])}"
    return f"{name.replace('_', '-')}: {what}"


def summary_table(res: dict[str, Any]) -> list[str]:
    """The headline table: one row per real set, what ``make eval`` prints."""
    g, gt, l2r = res["genuine_html"], res["genuine_text"], res["l2r"]
    lines = [
        "| set | rows | ROC-AUC [95% CI] | TPR at 1% FPR | FPR at threshold | ECE |",
        "|---|---:|---|---|---|---|",
        f"| genuine HTML pages (whole HTML path) | {g['pages']} | n/a (no positives) | n/a | {_ci(g['fpr'], '.2%')} "
        f"| {_ci(g['ece'])} |",
        f"| same pages as plain text | {gt['pages']} | n/a | n/a | {_ci(gt['fpr'], '.2%')} | {_ci(gt['ece'])} |",
        f"| human vs machine, held-out l2r | {l2r['rows']} | {_ci(l2r['roc_auc'])} | {_ci(l2r['tpr_at_1pct_fpr'])} "
        f"| {_f(l2r['at_threshold']['fpr'], '.2%')} (human texts) | {_ci(l2r['ece_at_prior'])} at "
        f"{l2r['prevalence']:.0%} prevalence |",
    ]
    return lines + refitted_summary_rows(res)


def refitted_summary_rows(res: dict[str, Any]) -> list[str]:
    """The summary's rows of the refitted splits (reports from before they had every metric leave cells empty)."""
    lines = []
    for name in ("cross_generator", "cross_genre"):
        for key, v in (res.get(name) or {}).items():
            fpr = _f(v["at_threshold"]["fpr"], ".2%") + " (human texts)" if "at_threshold" in v else ""
            ece = _ci(v["ece_at_prior"]) + f" at {v['prevalence']:.0%} prevalence" if "ece_at_prior" in v else ""
            cells = [_split_label(name, key, v), str(v["rows"]), _ci(v["roc_auc"]), _ci(v["tpr_at_1pct_fpr"]), fpr, ece]
            lines.append(" ".join(f"| {c}" if c else "|" for c in cells) + " |")
    return lines


def render_markdown(res: dict[str, Any], gate_lines: list[str]) -> str:
    t = res["threshold"]
    lines = [
        "# Evaluation",
        "",
        f"Model `{res['model_version']}`, threshold {t:.3f}, probabilities calibrated for a "
        f"{res['calibration_prior']:.0%} share of content-farm pages; corpus sha256 `{res['corpus_sha256'][:16]}`. "
        f"Held-out rows only (split `test`). Intervals: 95% cluster bootstrap ({res['bootstrap_rounds']} rounds; "
        "an l2r pair, or a page with its text rendering, is one cluster; percentile intervals, not bias-corrected: "
        "ECE, which the bootstrap's resampling raises, can sit below its own interval); the false-positive rate "
        "of genuine pages carries an exact binomial (Clopper-Pearson) interval instead, as a bootstrap of 0 false "
        "positives is always 0. TPR at 0.1% FPR on a set of fewer than 1,000 human texts allows no false "
        "positive: it is the TPR above the highest-scoring human text. Partial ROC-AUC to 1% FPR (in the "
        "comparisons) is the standardised area under the ROC curve over false-positive rates 0 to 1% (McClish; "
        "scikit-learn's `roc_auc_score(max_fpr=0.01)`): 0.5 at chance, 1 perfect; it reads the region TPR at 1% "
        "FPR reads from the whole curve there, not from the one threshold the most machine-like 1% of the human "
        "texts set. PR-AUC is at each set's own class mix "
        "(its chance level is the set's machine share), not reweighted. Synthetic pages are reported apart "
        "and never in a real figure."
        + (" **Fast run**: no baselines, ablation or refitted splits." if res["fast"] else ""),
        "",
        "## Summary",
        "",
        *summary_table(res),
        "",
        "## Gate",
        "",
        *gate_lines,
        "",
    ]
    if "baselines" in res:
        lines += margins_section(res)
    lines += _genuine_section(res)
    lines += _l2r_section(res)
    if "baselines" in res:
        lines += _baselines_section(res)
    if "cross_generator" in res:
        lines += _cross_section(res)
    lines += _template_section(res)
    if "near_duplicates" in res:
        lines += _dedup_section(res["near_duplicates"])
    lines += _errors_section(res)
    if res.get("plots"):
        lines += ["## Plots", ""]
        lines += [f"![{name}]({path})" for name, path in res["plots"].items()]
        lines.append("")
    return "\n".join(lines) + "\n"


#: How a paired margin's 95% interval reads, in the order the report counts them.
MARGIN_VERDICTS = ("ahead", "ahead, unresolved", "level", "behind, unresolved", "behind")


def margin_verdict(iv: dict[str, Any]) -> str:
    """``ahead`` / ``behind`` when the interval excludes 0; ``unresolved`` (by the point estimate's side) when
    it spans 0, which is what a difference of a few texts looks like; ``level`` when the point estimate is
    exactly 0 (the two scorers tie on the set)."""
    if iv.get("low") is not None and iv["low"] > 0:
        return "ahead"
    if iv.get("high") is not None and iv["high"] < 0:
        return "behind"
    if iv["value"] == 0:
        return "level"
    return "ahead, unresolved" if iv["value"] > 0 else "behind, unresolved"


#: The margins counted in "Margins at a glance", by their key in the results and their name in the report.
MARGIN_METRICS = {
    "roc_auc": "ROC-AUC",
    "tpr_at_1pct_fpr": "TPR at 1% FPR",
    "pauc_to_1pct_fpr": "partial ROC-AUC to 1% FPR",
    "roc_auc_within_genres": "ROC-AUC within genres",
}


#: A scorer that gives one value to at least this share of a set's texts barely ranks them: a margin over it
#: says the scorer has nothing to say on the set, not that the detector beats something that ranks.
NEAR_CONSTANT_SHARE = 0.9


def _near_constant(row: dict[str, Any]) -> bool:
    share = row.get("modal_share")
    return share is not None and share >= NEAR_CONSTANT_SHARE


def _comparisons(res: dict[str, Any]) -> list[tuple[str, int | None, str, str, dict[str, Any]]]:
    """(set, its human texts, scorer, metric, margin) for every margin the run measured on a real set;
    the margin carries ``near_constant`` (the scorer gives most of the set one value)."""
    sets: list[tuple[str, int | None, dict[str, Any]]] = []
    if "l2r" in res.get("baselines", {}):
        sets.append(("held-out l2r", res["l2r"]["rows"] - res["l2r"]["positives"], res["baselines"]["l2r"]))
    for name in ("cross_generator", "cross_genre"):
        for key, v in (res.get(name) or {}).items():
            humans = v["rows"] - v["positives"] if "positives" in v else None
            sets.append((_split_label(name, key, v), humans, v["baselines"]))
    out = []
    for label, humans, table in sets:
        for scorer, row in table.items():
            for metric in MARGIN_METRICS:
                iv = row.get(f"margin_{metric}")
                if iv and iv.get("value") is not None:
                    out.append((label, humans, scorer, metric, {**iv, "near_constant": _near_constant(row)}))
    return out


def margins_section(res: dict[str, Any]) -> list[str]:
    """Every paired margin of the detector over a baseline or ablation on a real set, counted by how its
    interval reads, and the ones not clearly ahead listed with the number of human texts behind them."""
    comps = _comparisons(res)
    if not comps:
        return []
    lines = [
        "## Margins at a glance",
        "",
        "The detector's paired margin over every baseline and ablation on every real test set (the tables "
        "below), counted by its 95% interval: **ahead** or **behind** when the interval excludes 0, "
        "**unresolved** when it spans 0 (split by the side of the point estimate; **level** when that is exactly 0). "
        "*ROC-AUC within genres* (cross-genre sets only) counts the (machine, human) pairs of one genre: it tells "
        "a shortfall in ordering a genre's texts from an offset between genres.",
        "",
        "| metric | comparisons | " + " | ".join(MARGIN_VERDICTS) + " |",
        "|---|---:|" + "---:|" * len(MARGIN_VERDICTS),
    ]
    for metric, name in MARGIN_METRICS.items():
        verdicts = [margin_verdict(iv) for _, _, _, m, iv in comps if m == metric]
        if not verdicts:
            continue
        counts = " | ".join(str(verdicts.count(v)) for v in MARGIN_VERDICTS)
        lines.append(f"| {name} | {len(verdicts)} | {counts} |")
    ahead = [(m, iv["near_constant"]) for _, _, _, m, iv in comps if margin_verdict(iv) == "ahead"]
    flat, total = Counter(m for m, near in ahead if near), Counter(m for m, _ in ahead)
    if flat:
        per_metric = [f"{flat[m]} of the {total[m]} {name} margins" for m, name in MARGIN_METRICS.items() if flat[m]]
        listed = per_metric[0] if len(per_metric) == 1 else ", ".join(per_metric[:-1]) + " and " + per_metric[-1]
        lines += [
            "",
            f"Of those ahead, {listed} are over a scorer that gives one value to at least "
            f"{NEAR_CONSTANT_SHARE:.0%} of the set's texts (a template signal family on plain texts, which "
            "carry no template): they show that family has nothing to say there, not a lead over a scorer "
            "that ranks.",
        ]
    rest = [c for c in comps if margin_verdict(c[4]) != "ahead"]
    if rest:
        lines += [
            "",
            "Not clearly ahead, with the set's human texts (for TPR at 1% FPR, in brackets, how many of them "
            "the threshold may pass: the few texts such a margin rests on):",
            "",
            "| set | scorer | metric | margin [95% CI] | reads | human texts |",
            "|---|---|---|---|---|---:|",
        ]
        for label, humans, scorer, metric, iv in rest:
            allowed = "n/a" if humans is None else str(humans)
            if humans is not None and metric == "tpr_at_1pct_fpr":
                allowed += f" ({humans // 100})"
            lines.append(
                f"| {label} | {scorer} | {MARGIN_METRICS[metric]} | {_margin(iv)} | {margin_verdict(iv)} | {allowed} |"
            )
    return [*lines, ""]


def _genuine_section(res: dict[str, Any]) -> list[str]:
    lines = ["## Genuine pages", ""]
    for key, title in (("genuine_html", "whole HTML path"), ("genuine_text", "as plain-text renderings")):
        g = res[key]
        lines += [
            f"**{title}**: {g['pages']} pages, {g['false_positives']} false positives, FPR {_ci(g['fpr'], '.2%')}, "
            f"mean probability {_f(g['mean_probability'])}, ECE {_ci(g['ece'])}, Brier {_f(g['brier'], '.4f')}"
            + (f"; rows that could not be scored: {g['skipped_rows']}" if g["skipped_rows"] else "")
            + ".",
            "",
        ]
    lines += [
        "By source and language (groups of fewer than 5 pages are not listed):",
        "",
        "| HTML pages by group | pages | false positives | FPR |",
        "|---|---:|---:|---:|",
    ]
    lines += [
        f"| {k} | {v['pages']} | {v['false_positives']} | {v['fpr']:.2%} |"
        for k, v in res["genuine_html"]["by_group"].items()
    ]
    return [*lines, ""]


def _labelled_lines(r: dict[str, Any], what: str) -> list[str]:
    """The metrics of a set with both classes (``evaluate.labelled_report``), in two sentences."""
    a = r["at_threshold"]
    ap = r["at_threshold_at_prior"]
    share = 1.0 - r["positives"] / r["rows"] if r["rows"] else 0.0
    skipped = (
        f"; rows that could not be scored (fewer words than min_words): {r['skipped_rows']}"
        if r.get("skipped_rows")
        else ""
    )
    return [
        f"{r['rows']} texts ({r['positives']} {what}); ROC-AUC {_ci(r['roc_auc'])}, PR-AUC "
        f"{_f(r['pr_auc'])}, TPR at 1% FPR {_ci(r['tpr_at_1pct_fpr'])}, at 0.1% FPR {_ci(r['tpr_at_0.1pct_fpr'])}"
        f"{skipped}.",
        "",
        f"At the threshold: precision {_f(a['precision'])}, recall {_f(a['recall'])}, F1 {_f(a['f1'])} "
        f"(tp {a['tp']}, fp {a['fp']}, fn {a['fn']}, tn {a['tn']}). The set is {share:.0%} human texts; "
        f"reweighted to the model's stated {r['prevalence']:.0%} prevalence: precision {_f(ap['precision'])}, "
        f"ECE {_ci(r['ece_at_prior'])}, Brier {_f(r['brier_at_prior'], '.4f')} (unweighted ECE "
        f"{_f(r['ece_raw'])}: the probabilities are not calibrated for the set's own mix, nor claim to be).",
    ]


def _by_genre_lines(by_genre: dict[str, Any], prevalence: float | None) -> list[str]:
    """Per genre: ranking, and where the evaluation kept them, human texts at the threshold, ECE and the
    other scorers' ROC-AUC on the same texts."""
    at = f"at {prevalence:.0%} prevalence" if prevalence is not None else "at the stated prevalence"
    others = sorted({name for v in by_genre.values() for name in v.get("roc_auc_by_scorer", {})})
    lines = [
        f"| genre | texts | ROC-AUC | TPR at 1% FPR | human texts at or above the threshold | ECE {at} |"
        + "".join(f" {name} ROC-AUC |" for name in others),
        "|---|---:|---:|---:|---:|---:|" + "---:|" * len(others),
    ]
    for k, v in by_genre.items():
        above = f"{v['human_above_threshold']} of {v['human_texts']}" if "human_texts" in v else "n/a"
        theirs = v.get("roc_auc_by_scorer", {})
        lines.append(
            f"| {k} | {v['rows']} | {_f(v['roc_auc'])} | {_f(v['tpr_at_1pct_fpr'])} | {above} | "
            f"{_f(v.get('ece_at_prior'))} |" + "".join(f" {_f(theirs.get(name))} |" for name in others)
        )
    return lines


def _l2r_section(res: dict[str, Any]) -> list[str]:
    r = res["l2r"]
    lines = [
        "## Human vs machine text (held-out l2r pairs)",
        "",
        *_labelled_lines(r, "machine rewrites"),
        "",
        *_by_genre_lines(r["by_genre"], r.get("prevalence")),
    ]
    lines += ["", "| generator (vs its human texts) | texts | ROC-AUC | TPR at 1% FPR |", "|---|---:|---:|---:|"]
    lines += [
        f"| {k} | {v['rows']} | {_f(v['roc_auc'])} | {_f(v['tpr_at_1pct_fpr'])} |" for k, v in r["by_generator"].items()
    ]
    return [*lines, ""]


def _scorer_rows(table: dict[str, Any]) -> list[str]:
    """Each scorer's figures and the detector's margins; where the set was scored within genres as well
    (``roc_auc_within_genres``), those two columns beside."""
    within = any("roc_auc_within_genres" in v for v in table.values())
    lines = [
        "| scorer | ROC-AUC | TPR at 1% FPR | detector's margin, ROC-AUC [95% CI] | margin, TPR at 1% FPR [95% CI] |"
        " partial ROC-AUC to 1% FPR | margin [95% CI] |"
        + (" ROC-AUC within genres | margin within genres [95% CI] |" if within else ""),
        "|---|---:|---:|---|---|---:|---|" + ("---:|---|" if within else ""),
    ]
    ablation = sorted(k for k in table if k.startswith("only:"))
    order = ["detector", "tfidf_logreg_punct", "tfidf_logreg", "quality_rules", *ablation]
    for name in [n for n in order if n in table]:
        v = table[name]
        extra = (
            f" {_f(v.get('roc_auc_within_genres'))} | {_margin(v.get('margin_roc_auc_within_genres'))} |"
            if within
            else ""
        )
        lines.append(
            f"| {name} | {_f(v['roc_auc'])} | {_f(v['tpr_at_1pct_fpr'])} | {_margin(v.get('margin_roc_auc'))} "
            f"| {_margin(v.get('margin_tpr_at_1pct_fpr'))} | {_f(v.get('pauc_to_1pct_fpr'))} "
            f"| {_margin(v.get('margin_pauc_to_1pct_fpr'))} |" + extra
        )
    return lines


def _baselines_section(res: dict[str, Any]) -> list[str]:
    b = res["baselines"]
    lines = [
        "## Baselines, same rows",
        "",
        "`tfidf_logreg`: TF-IDF word 1-2-grams + logistic regression on the text model's training rows "
        "(scikit-learn's default tokens); `tfidf_logreg_punct`: the same with punctuation marks and "
        "one-letter words kept as tokens, as the detector's text model reads them; "
        "`quality_rules`: datatrove's Gopher, Gopher-repetition, C4 and FineWeb filters, score = filters failed; "
        "`only:<family>`: the detector's own training with that signal family alone.",
        "",
        "**Held-out l2r**",
        "",
        *_scorer_rows(b["l2r"]),
        "",
    ]
    for key, title in (("genuine_html_at_matched_recall", "HTML"), ("genuine_text_at_matched_recall", "text")):
        lines += matched_recall_lines(b[key], title)
    return lines


def matched_recall_lines(m: dict[str, Any], title: str) -> list[str]:
    """The table of each scorer's FPR on genuine pages at the detector's recall on l2r."""
    return [
        f"**Genuine pages ({title}) at matched recall**: each scorer's FPR at the threshold where it flags "
        f"{m['matched_recall_on_l2r']:.1%} of the held-out machine texts, as the detector does at its own. "
        "Where a scorer's texts tie at that threshold, it flags the share of the tied texts that makes its "
        "recall exactly that (*tied share*), and the FPR is that rule's expected FPR: a scorer that is 0 on "
        "most texts comes out near the recall itself, chance.",
        "",
        "| scorer | FPR on genuine pages | tied share |",
        "|---|---:|---:|",
        *(
            f"| {k} | {_f(v['fpr'], '.2%')} | {_f(v.get('tied_share'), '.3f')} |"
            for k, v in m.items()
            if isinstance(v, dict)
        ),
        "",
    ]


def _cross_section(res: dict[str, Any]) -> list[str]:
    lines = [
        "## Cross-generator and cross-genre splits (refitted)",
        "",
        "Cross-generator: the model and the TF-IDF baseline trained without one generator's rewrites (and the "
        "synthetic pages made of them), tested on that generator against the held-out human texts: the figure "
        "for the next model that ships. Cross-genre: trained without a quarter of the genres, tested on them; "
        "pooled, every held-out text scored by the fold model that never saw its genre, as one set. "
        "On the cross-genre sets, *ROC-AUC within genres* counts only the (machine, human) pairs of the same "
        "genre: where it is ahead and the plain ROC-AUC is not, the shortfall is in how one genre's human texts "
        "score against another genre's machine texts (an offset between genres), not in ordering the texts "
        "of a genre.",
        "",
    ]
    for name in ("cross_generator", "cross_genre"):
        for key, v in res[name].items():
            lines += [f"**{_split_label(name, key, v)}** ({v['rows']} texts)", ""]
            if "at_threshold" in v:  # reports written before the refitted splits had every metric lack these
                t = v["threshold"]
                own = (
                    f"each text's fold model's own ({', '.join(f'{x:.3f}' for x in t)}),"
                    if isinstance(t, list)
                    else f"the refitted model's own, {t:.3f},"
                )
                lines += [
                    *_labelled_lines(v, "machine rewrites"),
                    f"The threshold is {own} set by the shipped model's rule (the {1 - TARGET_FPR:.3f} quantile of "
                    "its genuine training pages' out-of-fold probabilities, but at least 0.5).",
                    "",
                ]
            lines += [*_scorer_rows(v["baselines"]), ""]
            if v.get("by_genre"):
                lines += [*_by_genre_lines(v["by_genre"], v.get("prevalence")), ""]
    return lines


def _template_section(res: dict[str, Any]) -> list[str]:
    lines = [
        "## Template cases",
        "",
        "**Synthetic template pages** (synthetic: not a real-world figure)",
        "",
        "| format | pages | ROC-AUC | TPR at threshold | FPR at threshold |",
        "|---|---:|---:|---:|---:|",
    ]
    for fmt, v in res["synthetic"].items():
        a = v["at_threshold"]
        lines.append(
            f"| {fmt} | {v['rows']} | {_ci(v['roc_auc'])} | {_f(a['recall'], '.1%')} | {_f(a['fpr'], '.1%')} |"
        )
    lines += [
        "",
        "**Reference seeds**",
        "",
        "| seed | label | probability | predicted | reasons |",
        "|---|---|---:|---|---|",
    ]
    for sd in res["seeds"]:
        reasons = "; ".join(sd["reasons"][:4]).replace("|", "/")
        label = "farm" if sd["label"] else "genuine"
        lines.append(f"| {sd['id']} | {label} | {_f(sd['probability'])} | {sd['predicted']} | {reasons} |")
    return [*lines, ""]


def _dedup_section(nd: dict[str, Any]) -> list[str]:
    ex, ed, pa = nd["exact_copies_l2r"], nd["edited_copies"], nd["paraphrases_l2r"]
    ident = ex["byte-identical"]
    rewrite = ex["another rewrite of the same human text"]
    curves = nd["s_curve"]
    lines = [
        "## Near-duplicates",
        "",
        f"MinHash of word 5-gram shingles, {nd['num_perm']} permutations, LSH {curves['ours']['bands']} bands x "
        f"{curves['ours']['rows']} rows (datasketch would pick {curves['datasketch']['bands']} x "
        f"{curves['datasketch']['rows']}), candidates verified at exact Jaccard (of the two shingle-hash sets) "
        f">= {nd['threshold']}. "
        "A pair counts as found when both pages land in one cluster; precision is over every pair a cluster "
        "puts together, judged by its exact Jaccard.",
        "",
        f"- **Exact copies in l2r** (TravelTourism = TechnicalWriting, pooled with all {ex['pool']} texts): "
        f"{ident['pairs']} byte-identical pairs, recall {_f(ident['recall_at_or_above_threshold'])}, precision "
        f"{_f(ex['precision']['precision'])} over {ex['precision']['reported_pairs']} reported pairs; "
        f"{rewrite['pairs']} pairs of two GPT-3-Turbo rewrites of the same human text (paraphrases): "
        f"{sum(v['merged'] for v in rewrite['by_band'].values())} merged.",
        f"- **Edited copies of {ed['articles']} real articles** (held-out genuine pages, random word edits): recall "
        f"{_f(ed['recall_at_or_above_threshold'])} for pairs at Jaccard >= {nd['threshold']}, precision "
        f"{_f(ed['precision']['precision'])} over {ed['precision']['reported_pairs']} reported pairs.",
        f"- **Human texts and their LLM rewrites** (held-out l2r): {pa['merged']} of {pa['pairs']} pairs merged "
        f"({_f(pa['share_merged'], '.2%')}).",
        "",
        "| exact Jaccard of the pair (edited copies) | pairs | merged | share |",
        "|---|---:|---:|---:|",
    ]
    lines += [f"| {k} | {v['pairs']} | {v['merged']} | {v['share_merged']:.1%} |" for k, v in ed["by_band"].items()]
    return [*lines, ""]


def _errors_section(res: dict[str, Any]) -> list[str]:
    lines = ["## Worst errors", ""]
    for set_name, e in res["errors"].items():
        for kind in ("false_positives", "false_negatives"):
            items = e[kind]
            if not items:
                continue
            lines += [
                f"**{set_name}: highest-scoring {kind.replace('_', ' ')}**"
                if kind == "false_positives"
                else f"**{set_name}: lowest-scoring positives (false negatives)**",
                "",
            ]
            for it in items:
                mark = "" if it["wrong_at_threshold"] else " (on the right side of the threshold)"
                if it["reasons"] is None:
                    reasons = "reasons not kept for a refitted model"
                else:
                    reasons = "; ".join(it["reasons"][:3]) or "no reason above the reporting floor"
                lines.append(
                    f"- `{it['id']}` ({it['format']}{', ' + it['generator'] if it['generator'] else ''}) "
                    f'p={it["probability"]:.3f}{mark}: {reasons}. "{it["snippet"][:180]}…"'
                )
            lines.append("")
    return lines


# ----------------------------------------------------------------------------------------------------
# Plots
# ----------------------------------------------------------------------------------------------------


def plot_curves(curves: dict[str, dict[str, tuple[np.ndarray, np.ndarray]]], out_dir: Path) -> dict[str, str]:
    """ROC and precision-recall curves per set: ``{set: {scorer: (y, score)}}``. Returns name -> path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import precision_recall_curve, roc_curve

    out_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, str] = {}
    for set_name, scorers in curves.items():
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.6))
        for name, (y, s) in scorers.items():
            if len(np.unique(y)) < 2:
                continue
            fpr, tpr, _ = roc_curve(y, s)
            prec, rec, _ = precision_recall_curve(y, s)
            style = {"linewidth": 2.4 if name == "detector" else 1.2}
            ax1.plot(fpr, tpr, label=name, **style)
            ax2.plot(rec, prec, label=name, **style)
        ax1.set_xscale("log")
        ax1.set_xlim(1e-3, 1)
        ax1.axvline(0.01, color="grey", linestyle=":", linewidth=1)
        ax1.set(xlabel="false-positive rate (log)", ylabel="true-positive rate", title=f"ROC, {set_name}")
        ax2.set(xlabel="recall", ylabel="precision", title=f"precision-recall, {set_name}")
        for ax in (ax1, ax2):
            ax.grid(alpha=0.3)
        ax1.legend(fontsize=7, loc="lower right")
        fig.tight_layout()
        slug = "".join(c if c.isalnum() else "_" for c in set_name.split(" (")[0]).strip("_")
        path = out_dir / f"curves_{slug}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written[f"ROC and PR, {set_name}"] = f"{FIGURES_DIR}/{path.name}"
    return written


def plot_reliability(diagrams: dict[str, list[tuple[float, float, float]]], out_dir: Path) -> dict[str, str]:
    """Reliability diagram: per set, observed rate against mean probability per bin (marker size = weight)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(5.4, 5))
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1, label="perfect calibration")
    for name, bins in diagrams.items():
        if not bins:
            continue
        mp, obs, share = (np.array(v) for v in zip(*bins, strict=True))
        ax.plot(mp, obs, marker="o", linewidth=1.2, label=name)
        ax.scatter(mp, obs, s=20 + 400 * share, alpha=0.3)
    ax.set(xlabel="mean predicted probability", ylabel="observed share of farm / machine", xlim=(0, 1), ylim=(0, 1))
    ax.set_title("reliability")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    path = out_dir / "reliability.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return {"reliability diagram": f"{FIGURES_DIR}/{path.name}"}


# ----------------------------------------------------------------------------------------------------
# Model card
# ----------------------------------------------------------------------------------------------------


def _text_model_value(params: dict[str, Any], key: str, part: str | None = None) -> str:
    """A saved model's text-model setting (of its language models when ``part`` is "lm"), as a number."""
    values = (params.get("text_model") or {}).get(part, {}) if part else params.get("text_model")
    return f"{(values or {}).get(key, 0):g}"


def write_model_card(model_dir: Path, res: dict[str, Any]) -> None:
    """Put the headline figures into ``model.json``'s card and write ``MODEL_CARD.md`` beside it."""
    params = json.loads((model_dir / "model.json").read_text(encoding="utf-8"))
    params["card"]["metrics"] = res["figures"]
    (model_dir / "model.json").write_text(json.dumps(params, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    card = params["card"]
    td = card["training_data"]
    evidence, lm_weight = _text_model_value(params, "evidence_words"), _text_model_value(params, "weight", "lm")
    lm_order, lm_tokens = _text_model_value(params, "order", "lm"), _text_model_value(params, "max_tokens", "lm")
    lines = [
        f"# Model card: `{card['model_version']}`",
        "",
        "What it is: a logistic regression over the detector's named signals and the logit of a text model "
        "(logistic regression over IDF-weighted hashed word 1-2-grams, byte 3-4-grams and function-word "
        "1-4-grams of the page's prose; the logit weighed by n / (n + "
        f"{evidence}) for n words of prose, so that a few words count for little; its weights "
        f"along the {TOPIC_DIRECTIONS} main axes of the training pairs' topics cut by {TOPIC_SHRINK:.0%} after "
        "the fit, so that a page's topic moves its score less; plus "
        f"{lm_weight} times the mean per-token log-likelihood ratio of machine and human function-word "
        f"{lm_order}-gram language models over the same topic-free token sequence, its first {lm_tokens} tokens), "
        "in two parts: the style values (each a piecewise-linear function of the value through knots at its "
        "training quantiles) and the text model's logit weigh both ways, learnt from the human/machine text pairs "
        "alone; the content-farm template signals are one-sided evidence, fitted on top on every row with weights "
        "of at least 0, so a template signal that finds nothing adds nothing; "
        "with Platt scaling for calibration. Saved as JSON + NumPy arrays loaded with `allow_pickle=False`: loading "
        "never executes code. A package with another feature set, text featurization or choice of prose refuses to "
        "load it.",
        "",
        f"- feature set: `{card['feature_set']}`",
        f"- threshold: {card['threshold']} ({card['threshold_rule']})",
        f"- calibration: {card['calibration']}",
        f"- training data: corpus sha256 `{td['corpus_sha256']}`, split `{td['split']}` of {', '.join(td['files'])}; "
        f"{td['variants']} scored rows (genuine HTML pages also as text renderings)",
        f"- seed {card['seed']}; hyperparameters {card['hyperparameters']}",
        f"- libraries: {', '.join(f'{k} {v}' for k, v in card['libraries'].items())}",
        "",
        "## Headline figures (held-out split; the whole report is reports/eval.md)",
        "",
        *summary_table(res),
        "",
        "| figure | value |",
        "|---|---:|",
        *[f"| {k} | {_f(v, '.4f')} |" for k, v in res["figures"].items()],
        "",
        "## Intended use and limits",
        "",
        "Scores crawled pages for content-farm material (machine-written text, SEO template parts). Trained on "
        "English machine text (l2r: four generators of 2024) and real genuine pages (mostly German and English); "
        "the template signals were learned from synthetic pages, as no labelled HTML of real farms is public. "
        "Probabilities assume one farm page in ten; see the calibration line for other prevalences. Style "
        "evidence alone is weak on translated or non-native English, so such pages can score above genuine "
        "native prose." + _unseen_genre_limit(res),
        "",
    ]
    (model_dir / "MODEL_CARD.md").write_text("\n".join(lines), encoding="utf-8")


def _unseen_genre_limit(res: dict[str, Any]) -> str:
    """What the cross-genre folds say about genres the model never saw ('' without one): the fold with the
    most human texts above the threshold, and the worst-calibrated one."""
    folds = [v for k, v in (res.get("cross_genre") or {}).items() if k != "pooled" and "ece_at_prior" in v]
    if not folds:
        return ""
    most = max(folds, key=lambda v: v["at_threshold"]["fpr"])
    worst = max(folds, key=lambda v: v["ece_at_prior"]["value"])
    seen = (res.get("l2r") or {}).get("at_threshold", {}).get("fpr")
    against = f" (held-out texts of the genres it was trained on: {_f(seen, '.1%')})" if seen is not None else ""
    calibration = (
        "its ECE is"
        if worst is most
        else f"the worst-calibrated fold is the one without {', '.join(worst['genres'])}, ECE"
    )
    return (
        " Human texts of a genre absent from its training data score higher: refitted without "
        f"{', '.join(most['genres'])}, {_f(most['at_threshold']['fpr'], '.1%')} of their human texts score above "
        f"the threshold{against}; {calibration} {_ci(worst['ece_at_prior'])} at {worst['prevalence']:.0%} "
        "prevalence (reports/eval.md, cross-genre splits)."
    )
