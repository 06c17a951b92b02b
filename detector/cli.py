"""The ``detector`` command: ``detector score INPUT... -o OUT``.

The only place that configures logging and parses arguments. Exit codes: 0 when the run finished
(whatever the pages' statuses), 2 for usage errors (a bad option, an unreadable input path), 3 when the
model cannot be loaded, 1 for any other fatal error.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys
import tempfile
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

# One worker process scores (and sketches) batches of pages with the objects its initializer made; this is
# per-process state of the pool's workers, never touched by the parent.
_WORKER: dict[str, Any] = {}


def _init_worker(model: str | None, config: dict[str, Any], mode: str, signals: bool) -> None:
    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
    _WORKER.update(_make_scorer(model, config, mode, signals))


def _make_scorer(model: str | None, config: dict[str, Any], mode: str, signals: bool) -> dict[str, Any]:
    """What a process needs for ``mode``: "score", "score+sketch" (score, then sketch the cleaned page) or
    "sketch" (clean and sketch only, no model); ``signals``: rows carry every signal value."""
    from detector.pipeline import Detector, DetectorConfig

    out: dict[str, Any] = {"mode": mode, "signals": signals}
    if mode != "sketch":
        out["detector"] = Detector.load(model, **config)
    else:
        out["config"] = DetectorConfig(**config)
    if mode != "score":
        from detector.dedup import MinHasher

        out["hasher"] = MinHasher()
    return out


def _run_batch(scorer: dict[str, Any], pages: list[Page]) -> list[tuple[dict[str, Any], Any]]:
    """Rows (and sketches, or None) for a batch of pages, in order."""
    mode = scorer["mode"]
    with_signals = scorer.get("signals", False)
    if mode == "score":
        return [(v.to_dict(with_signals=with_signals), None) for v in scorer["detector"].score_many(pages)]
    from detector.crosspage import sketch_page

    out = []
    if mode == "score+sketch":
        for v, doc in scorer["detector"].score_many_with_docs(pages, batch_size=len(pages)):
            out.append((v.to_dict(with_signals=with_signals), sketch_page(doc, scorer["hasher"])))
        return out
    from detector.pipeline import clean_page
    from detector.types import Cleaned

    for page in pages:
        try:
            cleaned = clean_page(page, scorer["config"])
        except Exception as exc:  # a broken page is a row with a status, never the end of the run
            cleaned = ("error", f"{type(exc).__name__}: {exc}")
        doc = cleaned if isinstance(cleaned, Cleaned) else None
        status, reason = ("ok", "") if doc is not None else cleaned  # type: ignore[misc]
        row = {"id": page.id, "url": page.url, "status": status, "status_reason": reason}
        out.append((row, sketch_page(doc, scorer["hasher"])))
    return out


def _batches(pages: Iterable[Page], size: int) -> Iterator[list[Page]]:
    batch: list[Page] = []
    for page in pages:
        batch.append(page)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def row_stream(
    pages: Iterable[Page],
    *,
    model: str | None,
    config: dict[str, Any],
    workers: int,
    mode: str = "score",
    signals: bool = False,
) -> Iterator[tuple[dict[str, Any], Any]]:
    """(row, sketch) per page in input order; with ``workers > 1`` at most ``workers * 4`` batches are in flight.

    The model is loaded here, before the first page is read and in this process whatever ``workers``: a
    model that cannot be loaded raises at once, before any output is written.

    Raises:
        ModelLoadError: the model cannot be loaded.
    """
    scorer = _make_scorer(model, config, mode, signals)
    if workers <= 1:
        return _serial_rows(scorer, pages)
    return _parallel_rows(pages, (model, config, mode, signals), workers)


def _serial_rows(scorer: dict[str, Any], pages: Iterable[Page]) -> Iterator[tuple[dict[str, Any], Any]]:
    for batch in _batches(pages, BATCH):
        yield from _run_batch(scorer, batch)


def _parallel_rows(
    pages: Iterable[Page], initargs: tuple[Any, ...], workers: int
) -> Iterator[tuple[dict[str, Any], Any]]:
    window: list[Future[list[tuple[dict[str, Any], Any]]]] = []
    with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=initargs) as pool:
        for batch in _batches(pages, BATCH):
            window.append(pool.submit(_worker_batch, batch))
            if len(window) >= workers * IN_FLIGHT_PER_WORKER:
                yield from window.pop(0).result()
        for future in window:
            yield from future.result()


def _worker_batch(pages: list[Page]) -> list[tuple[dict[str, Any], Any]]:
    return _run_batch(_WORKER, pages)


# ----------------------------------------------------------------------------------------------------
# Commands
# ----------------------------------------------------------------------------------------------------


def _progress(rows: Iterator[tuple[dict[str, Any], Any]], enabled: bool) -> Iterator[tuple[dict[str, Any], Any]]:
    if not enabled:
        yield from rows
        return
    try:
        from tqdm import tqdm
    except ImportError:
        yield from rows
        return
    with tqdm(unit=" pages", file=sys.stderr, dynamic_ncols=True) as bar:
        for item in rows:
            bar.update(1)
            yield item


def _summary(statuses: Counter[str], labels: Counter[str]) -> str:
    total = sum(statuses.values())
    if not total:
        return (
            "0 records: the inputs hold no page (an empty folder, or no file of a kind `detector score --help` lists)"
        )
    parts = [f"{total} records"]
    parts.append("status: " + ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())))
    if labels:
        parts.append("label: " + ", ".join(f"{k} {v}" for k, v in sorted(labels.items())))
    return "; ".join(parts)


def _config(args: argparse.Namespace) -> dict[str, Any]:
    config: dict[str, Any] = {"fast": not args.precise}
    if getattr(args, "threshold", None) is not None:
        config["threshold"] = args.threshold
    if args.max_bytes is not None:
        config["max_bytes"] = args.max_bytes
    return config


def _write_rows(args: argparse.Namespace, mode: str) -> int:
    """Stream rows to the output; with a cross-page stage, spool them and add its columns at the end."""
    from detector.io import iter_pages, open_writer
    from detector.io.outputs import check_outputs

    tables = [t for t in (getattr(args, "sites", None), getattr(args, "families", None)) if t]
    outputs = check_outputs(args.output, tables, args.inputs)
    pages = iter_pages(args.inputs, max_bytes=_max_bytes(args), skip=outputs)
    statuses: Counter[str] = Counter()
    labels: Counter[str] = Counter()
    show_progress = not args.no_progress and sys.stderr.isatty()
    rows = row_stream(
        pages,
        model=getattr(args, "model", None),
        config=_config(args),
        workers=args.workers,
        mode=mode,
        signals=getattr(args, "signals", False),
    )
    cross = None
    if mode != "score":
        from detector.crosspage import CrossPage

        cross = CrossPage(threshold=args.similarity, max_bucket_pairs=args.bucket_pairs)
    # With a cross-page stage, clusters need every page first: rows wait in a temporary file (memory stays
    # flat), sketches in memory (about 1 KB a page) but for their shingle sets, which the stage spools to
    # a temporary file of its own; then each row is written with its cross-page columns.
    try:
        with (
            contextlib.nullcontext() if cross is None else cross,
            open_writer(args.output) as writer,
            tempfile.TemporaryFile("w+", encoding="utf-8") as spool,
        ):
            for row, sketch in _progress(rows, show_progress):
                statuses[row["status"]] += 1
                if row.get("label"):
                    labels[row["label"]] += 1
                if cross is None:
                    writer.write(row)
                else:
                    cross.add(row, sketch)
                    spool.write(json.dumps(row) + "\n")  # ASCII: a file name's undecodable bytes round-trip too
            if cross is not None:
                spool.seek(0)
                for line, extra in zip(spool, cross.finish(), strict=True):
                    writer.write(json.loads(line) | extra)
    except BrokenPipeError:
        raise  # the reader of standard output went away: main() ends quietly
    except OSError as exc:  # a full disk, most often: readers turn their own failures into rows
        target = args.output if args.output not in (None, "-") else "standard output"
        raise DetectorError(
            f"the run stopped after {sum(statuses.values())} records: {exc.strerror or exc} while writing "
            f"{target} (or the temporary files of --dedup); rows written before it may be in the output"
        ) from exc
    print(_summary(statuses, labels), file=sys.stderr)
    if cross is not None:
        _cross_outputs(args, cross)
    return 0


def _max_bytes(args: argparse.Namespace) -> int:
    """The size above which a page is too_large: the readers stop reading it there too."""
    from detector.pipeline import DEFAULT_MAX_BYTES

    return DEFAULT_MAX_BYTES if args.max_bytes is None else int(args.max_bytes)


def _cross_outputs(args: argparse.Namespace, cross: Any) -> None:
    """The site view and the template families: summary lines, and files where asked."""
    from detector.crosspage import FAMILY_COLUMNS, SITE_COLUMNS

    columns = cross.finish()
    dup_pages = sum(c["cluster_size"] > 1 for c in columns)
    clusters = len({c["cluster_id"] for c in columns if c["cluster_size"] > 1})
    families = cross.families()
    print(
        f"near-duplicates: {dup_pages} pages in {clusters} clusters (Jaccard >= {cross.threshold}); "
        f"template families: {len(families)} of 2+ pages",
        file=sys.stderr,
    )
    for fam in families[:5]:
        share = "n/a" if fam["farm_share"] is None else f"{fam['farm_share']:.0%}"
        print(
            f"  family {fam['family_id']}: {fam['pages']} pages on {fam['hosts']} hosts, farm {share}", file=sys.stderr
        )
    for target, rows, columns in ((args.sites, cross.sites(), SITE_COLUMNS), (args.families, families, FAMILY_COLUMNS)):
        if target:
            from detector.io.outputs import write_table

            write_table(rows, target, columns)


def cmd_score(args: argparse.Namespace) -> int:
    return _write_rows(args, "score+sketch" if args.dedup else "score")


def cmd_dedup(args: argparse.Namespace) -> int:
    return _write_rows(args, "sketch")


def cmd_explain(args: argparse.Namespace) -> int:
    from detector.io import iter_pages
    from detector.pipeline import Detector

    detector = Detector.load(args.model, fast=not args.precise)
    for verdict in detector.score_many(iter_pages(args.inputs, max_bytes=detector.config.max_bytes)):
        print(format_verdict(verdict, detector.threshold))
    return 0


def format_verdict(v: Verdict, threshold: float) -> str:
    """A verdict as a few lines of plain words, for people reading a terminal."""
    head = f"{v.id}  <{v.url}>" if v.url and v.url != v.id else f"{v.id}"
    if v.status != "ok":
        return f"{head}\n  {v.status}: {v.reason}\n"
    assert v.probability is not None
    lines = [
        head,
        f"  {v.label.upper() if v.label else '?'}  p={v.probability:.3f}  (threshold {threshold:.3f})",
    ]
    if not v.reasons:
        lines.append("  no content-farm evidence found")
    for r in v.reasons:
        lines.append(f"  + {r.text}  [{r.signal}, +{r.weight:.2f}]")
    return "\n".join(lines) + "\n"


def cmd_signals(args: argparse.Namespace) -> int:
    from detector.model import TEXT_FEATURE
    from detector.signals import REGISTRY

    for s in REGISTRY:
        print(f"{s.tag:<20} {s.description}")
        for k in s.keys:
            print(f"    {s.name}.{k}")
    # Not a signal but the model's own: in the rows of `score --signals` beside the signals' values.
    print(
        f"{'text_model':<20} the text model's logit on the page's prose (weighed by how much prose there is), "
        "plus its function-word language models' score"
    )
    print(f"    {TEXT_FEATURE}")
    return 0


def _cross_options(p: argparse.ArgumentParser) -> None:
    from detector.dedup import DEFAULT_THRESHOLD, MAX_BUCKET_PAIRS

    p.add_argument(
        "--similarity",
        type=float,
        default=DEFAULT_THRESHOLD,
        help=f"near-duplicate threshold, exact Jaccard of word 5-gram shingles (default {DEFAULT_THRESHOLD})",
    )
    p.add_argument(
        "--bucket-pairs",
        type=int,
        default=MAX_BUCKET_PAIRS,
        help=f"candidates per page in an LSH bucket shared by many near-copies (default {MAX_BUCKET_PAIRS}; "
        "higher finds more members of large families of near-copies, at a cost linear in it)",
    )
    p.add_argument("--sites", default=None, help="also write the per-host site view here (.jsonl, .csv, .parquet)")
    p.add_argument("--families", default=None, help="also write the template families here (.jsonl, .csv, .parquet)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="detector", description="Explainable content-farm page detector.")
    verbose_help = "more log output (-vv for debug)"
    parser.add_argument("-v", "--verbose", action="count", default=0, help=verbose_help)
    sub = parser.add_subparsers(dest="command", required=True)

    inputs_help = (
        "HTML files (.html, .htm, .xhtml), folders of them, .jsonl/.ndjson records (id, url, html or text), "
        ".txt pages (.md when named), WARC files, each also gzipped (.gz), or - for stdin"
    )
    max_bytes_help = "pages larger than this many bytes get status too_large (default 10 MB)"
    score = sub.add_parser("score", help="score pages and write one row per input record")
    score.add_argument("inputs", nargs="+", help=inputs_help)
    score.add_argument(
        "-o", "--output", default=None, help="output .jsonl, .csv or .parquet (default: JSONL on stdout)"
    )
    score.add_argument("--workers", type=int, default=1, help="parallel worker processes (default 1)")
    score.add_argument("--model", default=None, help="model folder (default: the shipped models/default)")
    score.add_argument("--threshold", type=float, default=None, help="label threshold (default: the model's)")
    score.add_argument("--max-bytes", type=int, default=None, help=max_bytes_help)
    score.add_argument("--signals", action="store_true", help="include every signal value in the output rows")
    score.add_argument("--precise", action="store_true", help="trafilatura with its fallback extractors (slower)")
    score.add_argument("--no-progress", action="store_true", help="no progress bar")
    score.add_argument(
        "--dedup", action="store_true", help="add near-duplicate clusters and template families to every row"
    )
    _cross_options(score)
    score.set_defaults(func=cmd_score, command_parser=score)

    dedup = sub.add_parser(
        "dedup", help="near-duplicate clusters and template families, one row per input record (no scoring)"
    )
    dedup.add_argument("inputs", nargs="+", help=inputs_help)
    dedup.add_argument("-o", "--output", default=None, help="output .jsonl, .csv or .parquet (default: stdout)")
    dedup.add_argument("--workers", type=int, default=1, help="parallel worker processes (default 1)")
    dedup.add_argument("--max-bytes", type=int, default=None, help=max_bytes_help)
    dedup.add_argument("--precise", action="store_true", help="trafilatura with its fallback extractors (slower)")
    dedup.add_argument("--no-progress", action="store_true", help="no progress bar")
    _cross_options(dedup)
    dedup.set_defaults(func=cmd_dedup, command_parser=dedup)

    explain = sub.add_parser("explain", help="print verdicts and reasons in plain words")
    explain.add_argument("inputs", nargs="+", help=inputs_help)
    explain.add_argument("--model", default=None, help="model folder (default: the shipped models/default)")
    explain.add_argument("--precise", action="store_true", help="trafilatura with its fallback extractors (slower)")
    explain.set_defaults(func=cmd_explain, command_parser=explain)

    signals = sub.add_parser("signals", help="list the signals and their values")
    signals.set_defaults(func=cmd_signals, command_parser=signals)
    for command in (score, dedup, explain, signals):  # -v after the command too: `detector score -v ...`
        command.add_argument("-v", "--verbose", action="count", default=argparse.SUPPRESS, help=verbose_help)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, format="detector: %(levelname)s: %(message)s", stream=sys.stderr)
    if args.verbose < 2:
        logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
    parser = getattr(args, "command_parser", parser)  # a bad value is reported with its command's usage line
    if getattr(args, "workers", 1) < 1:
        parser.error("--workers must be at least 1")
    if getattr(args, "threshold", None) is not None and not 0.0 <= args.threshold <= 1.0:
        parser.error("--threshold must be between 0 and 1")
    if getattr(args, "similarity", None) is not None and not 0.0 < args.similarity < 1.0:
        parser.error("--similarity must be above 0 and below 1 (0.99 keeps only copies that are all but exact)")
    if getattr(args, "bucket_pairs", 1) < 1:
        parser.error("--bucket-pairs must be at least 1")
    if getattr(args, "max_bytes", None) is not None and args.max_bytes < 1:
        parser.error("--max-bytes must be a positive number of bytes")
    if args.command == "score" and not args.dedup and (args.sites or args.families):
        parser.error("--sites and --families need --dedup")
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
    except OSError as exc:  # the output's disk is full, a file went away under us: no traceback for that
        where = f" ({exc.filename})" if exc.filename else ""
        print(f"detector: error: {exc.strerror or exc}{where}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
