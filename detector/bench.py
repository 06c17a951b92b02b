"""Speed and memory, side by side in one run: ``python -m detector.bench`` (``make bench``).

On the same real HTML pages (the corpus's genuine pages), in one process, alternating in rounds so that
machine noise hits both equally:

* **reference**: trafilatura alone, ``bare_extraction`` from the raw page with the settings the
  detector uses (fast mode, deduplicate off, no comments, tables kept);
* **detector**: ``Detector.score`` from the raw page: parse, structure, trafilatura, signals, model.

Reports pages/second (one core) of each and their ratio, the detector's time per stage, and memory:
the peak Python heap while scoring the first and the whole set (flat means the second is no larger).
Writes ``reports/bench.md`` and ``reports/bench.json``.
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import platform
import statistics
import sys
import time
import tracemalloc
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from detector.clean import TRAFILATURA_SETTINGS as CLEAN_SETTINGS
from detector.clean import _render_body, extract_main, read_structure
from detector.dataset import default_corpus_dir, load_rows
from detector.decoding import BINARY_HEAD, binary_content, declared_codec, decode_html
from detector.features import feature_vector, model_text
from detector.pipeline import _TOO_DEEP, Detector
from detector.signals import REGISTRY
from detector.types import Cleaned, Page

REPORTS = Path(__file__).resolve().parents[1] / "reports"
TRAFILATURA_SETTINGS: dict[str, Any] = {"fast": True, **CLEAN_SETTINGS}


def load_pages(n: int) -> list[bytes]:
    """The first ``n`` genuine HTML pages of the corpus (both splits), as raw UTF-8 bytes."""
    pages = []
    for row in load_rows(default_corpus_dir(), files=["html.jsonl.gz"]):
        pages.append(row["html"].encode("utf-8"))
        if len(pages) >= n:
            break
    return pages


def run_reference(pages: list[bytes]) -> float:
    from trafilatura import bare_extraction

    start = time.perf_counter()
    for html in pages:
        bare_extraction(html, **TRAFILATURA_SETTINGS)
    return time.perf_counter() - start


def run_detector(detector: Detector, pages: list[bytes]) -> float:
    """``score_many``, the path ``detector score`` takes, on one core."""
    start = time.perf_counter()
    for _ in detector.score_many(Page(id=str(i), html=html) for i, html in enumerate(pages)):
        pass
    return time.perf_counter() - start


def stage_times(detector: Detector, pages: list[bytes]) -> dict[str, float]:
    """Seconds per stage over all pages, the detector's path taken apart."""
    from trafilatura.utils import load_html

    t: dict[str, float] = defaultdict(float)
    rows: list[list[float]] = []
    texts: list[str] = []
    for html in pages:
        d0 = time.perf_counter()
        codec = declared_codec(html, None)
        binary_content(html[:BINARY_HEAD].decode("latin-1"))
        decoded = decode_html(html, codec)
        binary_content(decoded[:BINARY_HEAD])
        t0 = time.perf_counter()
        tree = load_html(decoded)
        _TOO_DEEP(tree)
        t1 = time.perf_counter()
        t["decode (charset, binary check)"] += t0 - d0
        structure = read_structure(tree, html)
        t2 = time.perf_counter()
        body = extract_main(tree, fast=True)
        t3 = time.perf_counter()
        text, blocks = _render_body(body) if body is not None else ("", [])
        cleaned = Cleaned(text=text, blocks=blocks, structure=structure, source_format="html")
        t4 = time.perf_counter()
        t["parse (lxml via trafilatura.load_html, depth check)"] += t1 - t0
        t["structure from raw DOM"] += t2 - t1
        t["trafilatura extraction"] += t3 - t2
        t["render blocks"] += t4 - t3
        if not text:
            continue
        results = {}
        for signal in REGISTRY:
            s0 = time.perf_counter()
            results[signal.name] = signal(cleaned)
            t[f"signal {signal.tag}"] += time.perf_counter() - s0
        rows.append(feature_vector(results))
        texts.append(model_text(cleaned))
    # The model scores pages in batches, as score_many does.
    m0 = time.perf_counter()
    for i in range(0, len(rows), 32):
        X = detector.model.full_matrix(np.array(rows[i : i + 32]), texts[i : i + 32])
        detector.model.probability(X)
    t["model (text model + page model, batches of 32)"] += time.perf_counter() - m0
    return dict(t)


def peak_memory(detector: Detector, pages: list[bytes]) -> float:
    """Peak traced Python heap (MB) while streaming ``pages`` through ``score_many`` and discarding verdicts."""
    gc.collect()
    tracemalloc.start()
    for _ in detector.score_many(Page(id=str(i), html=h) for i, h in enumerate(pages)):
        pass
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m detector.bench", description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=400, help="number of real pages (default 400)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds of reference and detector")
    parser.add_argument("--reports", type=Path, default=REPORTS)
    args = parser.parse_args(argv)
    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)

    pages = load_pages(args.pages)
    detector = Detector.load()
    kb = statistics.mean(len(p) for p in pages) / 1024
    print(f"{len(pages)} real HTML pages, mean {kb:.0f} KB; {args.rounds} alternating rounds", file=sys.stderr)
    run_reference(pages[:20])  # warm both paths up (imports, caches)
    run_detector(detector, pages[:20])
    ref_times, det_times = [], []
    for r in range(args.rounds):
        ref_times.append(run_reference(pages))
        det_times.append(run_detector(detector, pages))
        print(
            f"round {r + 1}: trafilatura {len(pages) / ref_times[-1]:.1f} pages/s, "
            f"detector {len(pages) / det_times[-1]:.1f} pages/s",
            file=sys.stderr,
        )
    ref_rate = len(pages) / statistics.median(ref_times)
    det_rate = len(pages) / statistics.median(det_times)
    stages = stage_times(detector, pages)
    total = sum(stages.values())
    half = pages[: len(pages) // 4]
    mem_quarter = peak_memory(detector, half)
    mem_all = peak_memory(detector, pages)

    res: dict[str, Any] = {
        "pages": len(pages),
        "mean_page_kb": round(kb, 1),
        "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
        "python": platform.python_version(),
        "trafilatura_pages_per_s": round(ref_rate, 1),
        "detector_pages_per_s": round(det_rate, 1),
        "ratio_detector_to_trafilatura": round(det_rate / ref_rate, 3),
        "stage_share": {k: round(v / total, 4) for k, v in sorted(stages.items(), key=lambda kv: -kv[1])},
        "signals_share": round(sum(v for k, v in stages.items() if k.startswith("signal ")) / total, 4),
        "peak_heap_mb": {
            f"first {len(half)} pages": round(mem_quarter, 1),
            f"all {len(pages)} pages": round(mem_all, 1),
        },
        "settings": TRAFILATURA_SETTINGS,
    }
    lines = [
        "# Benchmark",
        "",
        f"{res['pages']} real HTML pages (corpus genuine pages, mean {res['mean_page_kb']} KB), one core, "
        f"median of {args.rounds} alternating rounds. trafilatura settings: `{TRAFILATURA_SETTINGS}`.",
        "",
        "| path | pages/s |",
        "|---|---:|",
        f"| trafilatura `bare_extraction` alone | {res['trafilatura_pages_per_s']} |",
        f"| `detector` score (parse, structure, trafilatura, signals, model) | {res['detector_pages_per_s']} |",
        f"| **ratio detector / trafilatura** | **{res['ratio_detector_to_trafilatura']:.3f}** |",
        "",
        "## Time per stage of the detector",
        "",
        "| stage | share |",
        "|---|---:|",
        *[f"| {k} | {v:.1%} |" for k, v in res["stage_share"].items()],
        f"| (all signals together) | {res['signals_share']:.1%} |",
        "",
        "The detector's trafilatura step is the same extraction sequence as the reference, run on the tree the "
        "detector parsed once (the reference's `bare_extraction` parses the bytes itself; given a tree, it "
        "would first copy it). Cleaning = decode + parse + trafilatura extraction; every other stage is listed apart.",
        "",
        "## Memory (peak traced Python heap while streaming)",
        "",
        *[f"- {k}: {v} MB" for k, v in res["peak_heap_mb"].items()],
        "",
    ]
    args.reports.mkdir(parents=True, exist_ok=True)
    (args.reports / "bench.md").write_text("\n".join(lines), encoding="utf-8")
    (args.reports / "bench.json").write_text(json.dumps(res, indent=1) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
