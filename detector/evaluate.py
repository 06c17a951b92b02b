"""Evaluating a trained model on the corpus's held-out rows: ``python -m detector.evaluate`` (``make eval``).

Each test set is reported on its own, never mixed:

* **genuine pages**: held-out genuine HTML pages (trafilatura-eval, article-extraction-benchmark) through
  the whole HTML path, and the same pages as plain-text renderings: the false-positive rate at the
  shipped threshold, per source, per format and per language;
* **human vs machine**: held-out l2r pairs: ROC-AUC per genre and per generator;
* **synthetic template pages**: reported apart, never counted in a real figure;
* **reference seeds**: the probability and reasons of each seed page.

Writes ``reports/eval.md`` and ``reports/eval.json`` and records the headline figures in the model card.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from detector.dataset import corpus_hash, default_corpus_dir, load_rows, row_to_page
from detector.model import PageModel, default_model_dir
from detector.pipeline import Detector
from detector.train import FeatureTable, featurize

LOGGER = logging.getLogger(__name__)
REPORTS = Path(__file__).resolve().parents[1] / "reports"


def _auc(y: np.ndarray, p: np.ndarray) -> float | None:
    from sklearn.metrics import roc_auc_score

    if len(set(y.tolist())) < 2:
        return None
    return float(roc_auc_score(y, p))


def _probabilities(model: PageModel, table: FeatureTable) -> np.ndarray:
    X, _ = table.arrays()
    return model.probability(model.full_matrix(X, table.texts))


def _lang_of(row: dict[str, Any]) -> str:
    return str(row.get("lang") or "und").split("-")[0].lower()


def evaluate(model_dir: Path, corpus_dir: Path, *, workers: int = 1) -> dict[str, Any]:
    model = PageModel.load(model_dir)
    t = model.threshold
    out: dict[str, Any] = {
        "model_version": model.version,
        "threshold": t,
        "corpus_sha256": corpus_hash(corpus_dir),
    }

    # Genuine pages, HTML path and text renderings apart.
    html_rows = list(load_rows(corpus_dir, files=["html.jsonl.gz"], split="test"))
    lang = {str(r["id"]): _lang_of(r) for r in html_rows}
    table = featurize(html_rows, workers=workers)
    p = _probabilities(model, table)
    genuine: dict[str, Any] = {"skipped_rows": dict(table.skipped)}
    for fmt in ("html", "text"):
        mask = np.array([f == fmt for f in table.fmt])
        genuine[fmt] = {"pages": int(mask.sum()), "false_positives": int((p[mask] >= t).sum())}
        genuine[fmt]["fpr"] = genuine[fmt]["false_positives"] / max(1, int(mask.sum()))
    by: dict[str, list[float]] = defaultdict(list)
    for i, prob in enumerate(p):
        if table.fmt[i] == "html":
            by[f"source={table.source[i]}"].append(prob)
            by[f"lang={lang.get(table.ids[i], 'und')}"].append(prob)
    genuine["html_by_group"] = {
        k: {"pages": len(v), "fpr": float(np.mean(np.array(v) >= t))} for k, v in sorted(by.items()) if len(v) >= 5
    }
    worst = np.argsort(-p)[:10]
    genuine["highest"] = [
        {"id": table.ids[i], "format": table.fmt[i], "probability": round(float(p[i]), 4)} for i in worst
    ]
    out["genuine_pages"] = genuine

    # Human vs machine (l2r), per genre and generator.
    l2r_rows = list(load_rows(corpus_dir, files=["l2r.jsonl.gz"], split="test"))
    table = featurize(l2r_rows, workers=workers)
    p = _probabilities(model, table)
    y = np.asarray(table.y)
    l2r: dict[str, Any] = {"texts": len(y), "roc_auc": _auc(y, p)}
    human = y == 0
    l2r["fpr_human_at_threshold"] = float(np.mean(p[human] >= t)) if human.any() else None
    l2r["tpr_machine_at_threshold"] = float(np.mean(p[~human] >= t)) if (~human).any() else None
    genres = sorted(set(table.genre))
    l2r["by_genre"] = {}
    for g in genres:
        m = np.array([x == g for x in table.genre])
        l2r["by_genre"][g] = {"texts": int(m.sum()), "roc_auc": _auc(y[m], p[m])}
    l2r["by_generator"] = {}
    for gen in sorted(set(table.generator) - {"human"}):
        m = np.array([x in (gen, "human") for x in table.generator])
        l2r["by_generator"][gen] = {"roc_auc": _auc(y[m], p[m])}
    out["human_vs_machine"] = l2r

    # Synthetic template pages: reported apart.
    syn_rows = list(load_rows(corpus_dir, files=["synthetic.jsonl.gz"], split="test"))
    table = featurize(syn_rows, workers=workers)
    p = _probabilities(model, table)
    y = np.asarray(table.y)
    syn: dict[str, Any] = {"pages": len(y), "roc_auc": _auc(y, p)}
    for fmt in ("html", "text"):
        m = np.array([f == fmt for f in table.fmt])
        syn[fmt] = {
            "pages": int(m.sum()),
            "roc_auc": _auc(y[m], p[m]),
            "tpr": float(np.mean(p[m & (y == 1)] >= t)) if (m & (y == 1)).any() else None,
            "fpr": float(np.mean(p[m & (y == 0)] >= t)) if (m & (y == 0)).any() else None,
        }
    out["synthetic_template_pages"] = syn

    # Reference seeds, with reasons.
    detector = Detector(model)
    seeds = []
    for row in load_rows(corpus_dir, files=["seeds.jsonl.gz"]):
        v = detector.score(row_to_page(row))
        seeds.append(
            {
                "id": row["id"],
                "label": row["label"],
                "probability": v.probability,
                "predicted": v.label,
                "reasons": [r.text for r in v.reasons],
            }
        )
    out["seeds"] = seeds
    return out


def render_markdown(res: dict[str, Any]) -> str:
    t = res["threshold"]
    g = res["genuine_pages"]
    lines = [
        "# Evaluation",
        "",
        f"Model `{res['model_version']}`, threshold {t:.3f}, corpus sha256 `{res['corpus_sha256'][:16]}`.",
        "Held-out rows only (split `test`); synthetic pages are reported apart and never in a real figure.",
        "",
        "## Genuine pages (false positives at the shipped threshold)",
        "",
        "| set | pages | false positives | FPR |",
        "|---|---:|---:|---:|",
    ]
    for fmt, name in (
        ("html", "genuine HTML, whole HTML path"),
        ("text", "same pages as plain-text renderings"),
    ):
        lines.append(f"| {name} | {g[fmt]['pages']} | {g[fmt]['false_positives']} | {g[fmt]['fpr']:.2%} |")
    lines += ["", "| HTML pages by group | pages | FPR |", "|---|---:|---:|"]
    lines += [f"| {k} | {v['pages']} | {v['fpr']:.2%} |" for k, v in g["html_by_group"].items()]
    hm = res["human_vs_machine"]
    lines += [
        "",
        "## Human vs machine text (held-out l2r pairs)",
        "",
        f"ROC-AUC overall {hm['roc_auc']:.3f} on {hm['texts']} texts; at the threshold: "
        f"{hm['tpr_machine_at_threshold']:.1%} of machine texts flagged, "
        f"{hm['fpr_human_at_threshold']:.1%} of human texts.",
        "",
        "| genre | texts | ROC-AUC |",
        "|---|---:|---:|",
    ]
    lines += [f"| {k} | {v['texts']} | {v['roc_auc']:.3f} |" for k, v in hm["by_genre"].items()]
    lines += ["", "| generator (vs human) | ROC-AUC |", "|---|---:|"]
    lines += [f"| {k} | {v['roc_auc']:.3f} |" for k, v in hm["by_generator"].items()]
    s = res["synthetic_template_pages"]
    lines += [
        "",
        "## Synthetic template pages (synthetic: not a real-world figure)",
        "",
        "| format | pages | ROC-AUC | TPR | FPR |",
        "|---|---:|---:|---:|---:|",
    ]
    for fmt in ("html", "text"):
        v = s[fmt]
        lines.append(f"| {fmt} | {v['pages']} | {_f(v['roc_auc'])} | {_f(v['tpr'], '.1%')} | {_f(v['fpr'], '.1%')} |")
    lines += [
        "",
        "## Reference seeds",
        "",
        "| seed | label | probability | predicted | top reasons |",
        "|---|---|---:|---|---|",
    ]
    for sd in res["seeds"]:
        reasons = "; ".join(sd["reasons"][:3]).replace("|", "/")
        lines.append(
            f"| {sd['id']} | {'farm' if sd['label'] else 'genuine'} | {_f(sd['probability'])} "
            f"| {sd['predicted']} | {reasons} |"
        )
    return "\n".join(lines) + "\n"


def _f(x: float | None, spec: str = ".3f") -> str:
    return "n/a" if x is None else format(x, spec)


def headline(res: dict[str, Any]) -> dict[str, Any]:
    """The figures recorded in the model card."""
    return {
        "genuine_html_fpr": res["genuine_pages"]["html"]["fpr"],
        "genuine_text_rendering_fpr": res["genuine_pages"]["text"]["fpr"],
        "l2r_roc_auc": res["human_vs_machine"]["roc_auc"],
        "l2r_roc_auc_by_genre": {k: v["roc_auc"] for k, v in res["human_vs_machine"]["by_genre"].items()},
        "synthetic_roc_auc": res["synthetic_template_pages"]["roc_auc"],
        "seeds": {s["id"]: s["probability"] for s in res["seeds"]},
    }


def write_model_card(model_dir: Path, res: dict[str, Any]) -> None:
    """Add the headline figures to ``model.json``'s card and write ``MODEL_CARD.md`` beside it."""
    params = json.loads((model_dir / "model.json").read_text(encoding="utf-8"))
    params["card"]["metrics"] = headline(res)
    (model_dir / "model.json").write_text(json.dumps(params, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    card = params["card"]
    lines = [
        f"# Model card: `{card['model_version']}`",
        "",
        "Logistic regression over the detector's named signals plus a hashed word n-gram text model, "
        "isotonic calibration. Saved as JSON + NumPy arrays (loading never executes code).",
        "",
        f"- feature set: `{card['feature_set']}`",
        f"- threshold: {card['threshold']} ({card['threshold_rule']})",
        f"- calibration: {card['calibration']}",
        f"- training data: corpus sha256 `{card['training_data']['corpus_sha256']}`, split `train`, "
        f"{card['training_data']['variants']} rows/variants",
        f"- seed: {card['seed']}; hyperparameters: {card['hyperparameters']}",
        f"- libraries: {', '.join(f'{k} {v}' for k, v in card['libraries'].items())}",
        "",
        "## Evaluation (held-out split; see reports/eval.md)",
        "",
        render_markdown(res).split("\n", 2)[2],
    ]
    (model_dir / "MODEL_CARD.md").write_text("\n".join(lines), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m detector.evaluate", description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=default_corpus_dir())
    parser.add_argument("--model", type=Path, default=default_model_dir())
    parser.add_argument("--reports", type=Path, default=REPORTS)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--update-card", action="store_true", help="write the figures into the model card")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", stream=sys.stderr)
    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
    res = evaluate(args.model, args.corpus, workers=args.workers)
    args.reports.mkdir(parents=True, exist_ok=True)
    md = render_markdown(res)
    (args.reports / "eval.md").write_text(md, encoding="utf-8")
    (args.reports / "eval.json").write_text(json.dumps(res, indent=1) + "\n", encoding="utf-8")
    if args.update_card:
        write_model_card(args.model, res)
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
