"""A run's output files: refused before any work when writing them would destroy an input, and the small
tables (site view, template families) a run writes beside its rows."""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Sequence
from typing import Any

from detector.errors import ConfigError, DetectorError
from detector.io.writers import printable, to_json

_TABLE_EXTENSIONS = (".csv", ".parquet", ".jsonl", ".json")


def _check_table_path(path: str) -> None:
    """Raise ConfigError unless ``path`` names a table :func:`write_table` can write."""
    if os.path.splitext(path)[1].lower() not in _TABLE_EXTENSIONS:
        raise ConfigError(f"cannot write {path}: use a .jsonl, .csv or .parquet file name")


def check_outputs(output: str | None, tables: Sequence[str], inputs: Sequence[str]) -> list[str]:
    """Refuse, before any work, outputs that cannot be written or would overwrite an input; return the output
    files (which a folder walk then passes over: an output inside an input folder is not read back).

    ``output`` is the rows' file (None or ``-``: standard output), ``tables`` the site and family tables
    asked for (empty names are none), ``inputs`` the run's inputs as given.

    Raises:
        ConfigError: a table name with an unknown extension, an output that is also an input, or two
            outputs that are the same file.
    """
    named = [t for t in tables if t]
    for table in named:
        _check_table_path(table)
    outputs: dict[str, str] = {}
    for path in [output, *named]:
        if not path or path == "-":
            continue
        real = os.path.realpath(path)
        if real in outputs:
            raise ConfigError(f"{outputs[real]} and {path} are the same file: give each output its own name")
        outputs[real] = path
    existing = {key for p in outputs.values() if (key := _file_key(p)) is not None}
    for name in inputs:
        if name == "-":
            continue
        if os.path.realpath(name) in outputs or (os.path.isfile(name) and _file_key(name) in existing):
            raise ConfigError(
                f"{name} is both an input and an output: writing the output would destroy the input before it "
                "is read; write the output to another file"
            )
        if os.path.isdir(name):
            for path in outputs.values():
                if _inside(path, name) and _an_input_file(path):
                    raise ConfigError(
                        f"{path} is an input too (a file in the input folder {name} that is not an earlier output "
                        "of this command): writing the output would destroy it; write the output elsewhere"
                    )
    return list(outputs.values())


def _file_key(path: str) -> tuple[int, int] | None:
    """(device, inode) of an existing file, so that a hard link is the same file; None when there is none."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def _inside(path: str, folder: str) -> bool:
    real, root = os.path.realpath(path), os.path.realpath(folder)
    return os.path.commonpath([real, root]) == root


def _an_input_file(path: str) -> bool:
    """Whether an existing output file in an input folder is page data the walk reads, not an earlier output
    of this command. Of the output formats only JSONL is also an input; a JSONL file whose first row is not
    a verdict row (``status``, ``status_reason``) or a site or family table row is somebody's data."""
    if not os.path.isfile(path) or not path.lower().endswith((".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz")):
        return False
    try:
        with gzip.open(path, "rb") if path.lower().endswith(".gz") else open(path, "rb") as fh:
            head = fh.readline(1 << 20)
        row = json.loads(head) if head.strip() else None
    except (OSError, EOFError, ValueError):
        return True
    if row is None:  # an empty file: nothing to lose
        return False
    return not (isinstance(row, dict) and ({"status", "status_reason"} <= row.keys() or "farm_share" in row))


def write_table(rows: list[dict[str, Any]], path: str, columns: Sequence[str]) -> None:
    """A small table (the site view, the families) as .jsonl, .csv or .parquet, by the path's extension.

    ``columns`` are the table's columns, in order: a table with no rows still has them (a header).

    Raises:
        ConfigError: an unknown extension, or the Parquet writer is not installed.
        DetectorError: the file cannot be written (a full disk, no permission): the run's rows are written
            already, so it is a failure of the run, not of its arguments.
    """
    import pandas as pd

    _check_table_path(path)
    frame = pd.DataFrame([printable(row) for row in rows], columns=list(columns))
    suffix = os.path.splitext(path)[1].lower()
    try:
        if os.path.dirname(path):
            os.makedirs(os.path.dirname(path), exist_ok=True)
        if suffix == ".csv":
            frame.to_csv(path, index=False)
        elif suffix == ".parquet":
            frame.to_parquet(path, index=False)
        else:  # one JSON object per line, no line at all for no rows (pandas writes a lone newline)
            with open(path, "w", encoding="utf-8") as fh:
                fh.writelines(to_json(row) + "\n" for row in printable(rows))
    except ImportError as exc:
        raise ConfigError(f"cannot write {path}: {exc}") from exc
    except OSError as exc:
        raise DetectorError(f"cannot write {path}: {exc.strerror or exc}") from exc
