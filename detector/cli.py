"""The ``detector`` command: ``detector score INPUT... -o OUT``.

The only place that configures logging and parses arguments. Exit codes: 0 when the run finished
(whatever the pages' statuses), 2 for usage errors (a bad option, an unreadable input path), 3 when the
model cannot be loaded, 1 for any other fatal error.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from detector.errors import ConfigError, DetectorError, InputError, ModelLoadError
from detector.types import Page, Verdict

LOGGER = logging.getLogger("detector")
BATCH = 16  # pages sent to a worker at a time
IN_FLIGHT_PER_WORKER = 4  # batches queued per worker: bounds memory whatever the input length


# ----------------------------------------------------------------------------------------------------
# Parallel scoring with bounded memory
# ----------------------------------------------------------------------------------------------------

_WORKER_DETECTOR: Any = None


def _init_worker(model: str | None, config: dict[str, Any]) -> None:
    global _WORKER_DETECTOR
    from detector.pipeline import Detector

    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
    _WORKER_DETECTOR = Detector.load(model, **config)


def _score_batch_in_worker(pages: list[Page]) -> list[Verdict]:
    return list(_WORKER_DETECTOR.score_many(pages, batch_size=len(pages)))


def _batches(pages: Iterable[Page], size: int) -> Iterator[list[Page]]:
    batch: list[Page] = []
    for page in pages:
        batch.append(page)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def score_stream(
    pages: Iterable[Page], *, model: str | None, config: dict[str, Any], workers: int
) -> Iterator[Verdict]:
    """Verdicts in input order; with ``workers > 1`` at most ``workers * 4`` batches are in flight."""
    if workers <= 1:
        from detector.pipeline import Detector

        yield from Detector.load(model, **config).score_many(pages)
        return
    window: list[Future[list[Verdict]]] = []
    with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=(model, config)) as pool:
        for batch in _batches(pages, BATCH):
            window.append(pool.submit(_score_batch_in_worker, batch))
            if len(window) >= workers * IN_FLIGHT_PER_WORKER:
                yield from window.pop(0).result()
        for future in window:
            yield from future.result()


# ----------------------------------------------------------------------------------------------------
# Commands
# ----------------------------------------------------------------------------------------------------


def _progress(verdicts: Iterator[Verdict], enabled: bool) -> Iterator[Verdict]:
    if not enabled:
        yield from verdicts
        return
    try:
        from tqdm import tqdm
    except ImportError:
        yield from verdicts
        return
    with tqdm(unit=" pages", file=sys.stderr, dynamic_ncols=True) as bar:
        for v in verdicts:
            bar.update(1)
            yield v


def _summary(statuses: Counter[str], labels: Counter[str]) -> str:
    total = sum(statuses.values())
    parts = [f"{total} records"]
    parts.append("status: " + ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())))
    if labels:
        parts.append("label: " + ", ".join(f"{k} {v}" for k, v in sorted(labels.items())))
    return "; ".join(parts)


def cmd_score(args: argparse.Namespace) -> int:
    from detector.io import iter_pages, open_writer

    config: dict[str, Any] = {"fast": not args.precise}
    if args.threshold is not None:
        config["threshold"] = args.threshold
    if args.max_bytes is not None:
        config["max_bytes"] = args.max_bytes
    pages = iter_pages(args.inputs)
    statuses: Counter[str] = Counter()
    labels: Counter[str] = Counter()
    show_progress = not args.no_progress and sys.stderr.isatty()
    verdicts = score_stream(pages, model=args.model, config=config, workers=args.workers)
    with open_writer(args.output) as writer:
        for verdict in _progress(verdicts, show_progress):
            statuses[verdict.status] += 1
            if verdict.label:
                labels[verdict.label] += 1
            writer.write(verdict.to_dict(with_signals=args.signals))
    print(_summary(statuses, labels), file=sys.stderr)
    return 0


def cmd_explain(args: argparse.Namespace) -> int:
    from detector.io import iter_pages
    from detector.pipeline import Detector

    detector = Detector.load(args.model, fast=not args.precise)
    for verdict in detector.score_many(iter_pages(args.inputs)):
        print(format_verdict(verdict, detector.threshold))
    return 0


def format_verdict(v: Verdict, threshold: float) -> str:
    """A verdict as a few lines of plain words, for people reading a terminal."""
    if v.status != "ok":
        return f"{v.id}\n  {v.status}: {v.reason}\n"
    assert v.probability is not None
    lines = [
        f"{v.id}",
        f"  {v.label.upper() if v.label else '?'}  p={v.probability:.3f}  (threshold {threshold:.3f})",
    ]
    if not v.reasons:
        lines.append("  no content-farm evidence found")
    for r in v.reasons:
        lines.append(f"  + {r.text}  [{r.signal}, +{r.weight:.2f}]")
    return "\n".join(lines) + "\n"


def cmd_signals(args: argparse.Namespace) -> int:
    from detector.signals import REGISTRY

    for s in REGISTRY:
        print(f"{s.tag:<20} {s.description}")
        for k in s.keys:
            print(f"    {s.name}.{k}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="detector", description="Explainable content-farm page detector.")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)")
    sub = parser.add_subparsers(dest="command", required=True)

    inputs_help = (
        "HTML files (.html, .htm, also .gz), folders of them, .jsonl records (id, url, html or text), "
        ".txt pages, WARC/WARC.gz files, or - for stdin"
    )
    score = sub.add_parser("score", help="score pages and write one row per input record")
    score.add_argument("inputs", nargs="+", help=inputs_help)
    score.add_argument(
        "-o", "--output", default=None, help="output .jsonl, .csv or .parquet (default: JSONL on stdout)"
    )
    score.add_argument("--workers", type=int, default=1, help="parallel worker processes (default 1)")
    score.add_argument("--model", default=None, help="model folder (default: the shipped models/default)")
    score.add_argument("--threshold", type=float, default=None, help="label threshold (default: the model's)")
    score.add_argument("--max-bytes", type=int, default=None, help="pages larger than this get status too_large")
    score.add_argument("--signals", action="store_true", help="include every signal value in the output rows")
    score.add_argument("--precise", action="store_true", help="trafilatura with its fallback extractors (slower)")
    score.add_argument("--no-progress", action="store_true", help="no progress bar")
    score.set_defaults(func=cmd_score)

    explain = sub.add_parser("explain", help="print verdicts and reasons in plain words")
    explain.add_argument("inputs", nargs="+", help=inputs_help)
    explain.add_argument("--model", default=None, help="model folder (default: the shipped models/default)")
    explain.add_argument("--precise", action="store_true", help="trafilatura with its fallback extractors (slower)")
    explain.set_defaults(func=cmd_explain)

    signals = sub.add_parser("signals", help="list the signals and their values")
    signals.set_defaults(func=cmd_signals)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, format="detector: %(levelname)s: %(message)s", stream=sys.stderr)
    if args.verbose < 2:
        logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
    if getattr(args, "workers", 1) < 1:
        parser.error("--workers must be at least 1")
    if getattr(args, "threshold", None) is not None and not 0.0 <= args.threshold <= 1.0:
        parser.error("--threshold must be between 0 and 1")
    try:
        return int(args.func(args))
    except (InputError, ConfigError) as exc:
        print(f"detector: error: {exc}", file=sys.stderr)
        return 2
    except ModelLoadError as exc:
        print(f"detector: cannot load the model: {exc}", file=sys.stderr)
        return 3
    except DetectorError as exc:
        print(f"detector: error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # The reader of stdout went away (``detector score ... | head``): not an error of ours.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("detector: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
