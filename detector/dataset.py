"""Read the project's corpus: the gzip'd JSON-lines files committed in ``corpus/``.

Each row carries ``id``, ``label`` (1 = machine-generated / content farm, 0 = genuine human), ``source``,
``license``, ``attribution``, ``split`` ("train", "test" or "reference"), ``format`` ("text" or "html"),
``synthetic`` and the content in ``text`` or ``html``; see ``corpus/DATASHEET.md`` for the rest.
Rows are streamed, so a caller that only needs one split or one file never holds the whole corpus.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from .types import Page

#: The data files, in the order ``load_rows`` reads them by default.
DATA_FILES: tuple[str, ...] = (
    "l2r.jsonl.gz",
    "html.jsonl.gz",
    "seeds.jsonl.gz",
    "synthetic.jsonl.gz",
    "dedup.jsonl.gz",
)
SPLITS: tuple[str, ...] = ("train", "test", "reference")

_HOW_TO_BUILD = (
    "the corpus files are committed in corpus/; to rebuild them run `python corpus/build.py` "
    "(it needs the raw sources in ../shared/corpus), or `python corpus/synthesize.py` "
    "for synthetic.jsonl.gz alone"
)


def default_corpus_dir() -> Path:
    """The repository's ``corpus/`` folder."""
    return Path(__file__).resolve().parents[1] / "corpus"


def _resolve(corpus_dir: Path | str | None) -> Path:
    return default_corpus_dir() if corpus_dir is None else Path(corpus_dir)


def _file_name(name: str) -> str:
    """``"l2r"`` and ``"l2r.jsonl.gz"`` both name ``l2r.jsonl.gz``."""
    return name if name.endswith(".jsonl.gz") else f"{name}.jsonl.gz"


def _require(path: Path) -> Path:
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: {_HOW_TO_BUILD}")
    return path


def load_rows(
    corpus_dir: Path | str | None = None,
    *,
    files: Sequence[str] | None = None,
    split: str | None = None,
) -> Iterator[dict[str, Any]]:
    """Stream the rows of the corpus files, in file order then row order.

    ``corpus_dir`` defaults to the repository's ``corpus/``. ``files`` picks data files by name
    (``"l2r"`` or ``"l2r.jsonl.gz"``; default: all of :data:`DATA_FILES`); ``split`` keeps only rows of
    that split. Raises ``FileNotFoundError`` (saying how to build it) when a requested file is missing,
    before any row is yielded, and ``ValueError`` for an unknown split.
    """
    if split is not None and split not in SPLITS:
        raise ValueError(f"unknown split {split!r}: expected one of {', '.join(SPLITS)}")
    root = _resolve(corpus_dir)
    paths = [_require(root / _file_name(name)) for name in (files if files is not None else DATA_FILES)]
    return _iter_rows(paths, split)


def _iter_rows(paths: Sequence[Path], split: str | None) -> Iterator[dict[str, Any]]:
    for path in paths:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            for line in fh:
                if not line.strip():
                    continue
                row: dict[str, Any] = json.loads(line)
                if split is None or row.get("split") == split:
                    yield row


def row_to_page(row: dict[str, Any]) -> Page:
    """The detector's input record for one corpus row (HTML rows give ``html``, text rows ``text``)."""
    html = row.get("html")
    return Page(
        id=str(row["id"]),
        url=row.get("url"),
        html=html,
        text=None if html is not None else row.get("text"),
        source=row.get("source"),
    )


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def corpus_hash(corpus_dir: Path | str | None = None) -> str:
    """One checksum for the corpus, for model cards: sha256 over the data files' sha256s (sorted).

    Covers every ``*.jsonl.gz`` file in the folder; raises ``FileNotFoundError`` when there is none.
    """
    root = _resolve(corpus_dir)
    paths = sorted(root.glob("*.jsonl.gz"))
    if not paths:
        raise FileNotFoundError(f"no *.jsonl.gz corpus files in {root}: {_HOW_TO_BUILD}")
    digests = sorted(_sha256_file(p) for p in paths)
    return hashlib.sha256("\n".join(digests).encode("ascii")).hexdigest()
