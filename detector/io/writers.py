"""Writers: verdict rows (``Verdict.to_dict()``) out to JSONL, CSV or Parquet.

JSONL keeps each row as it is, nested ``reasons`` and ``signals`` included. CSV and Parquet need one flat
schema, fixed by the first row:

``id, url, status, status_reason, probability, label, reasons, model_version``
    always, in this order; ``reasons`` is the reason texts joined with ``" | "``;
extra keys
    the other scalar keys of the first row (``Verdict.extra``), in its order, each typed by its value
    there (a whole number, a fraction, true/false or text: ``cluster_size`` stays a whole number);
    keys that first appear in later rows, or whose value in the first row is a list or a dict, are
    left out with a WARNING (JSONL keeps them), as is a later value that does not fit the type;
``signals``
    last, the signal values as one JSON object string.

A missing key gives an empty cell (null in Parquet). Text that UTF-8 cannot hold (a lone surrogate: the
undecodable byte of a file name used as an id) is written as a visible escape, ``caf\\xe9.html``.
Writers are context managers: leaving the ``with`` block, by an exception too, flushes and closes the
file, so rows written so far are never lost.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import logging
import math
import numbers
import os
import sys
import time
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import IO, Any, Literal, Self

from detector.decoding import LONE_SURROGATE
from detector.errors import ConfigError, missing_extra

LOGGER = logging.getLogger(__name__)

OutputFormat = Literal["jsonl", "csv", "parquet"]

#: Output file name endings and the format each one means (matched case-insensitively).
OUTPUT_EXTENSIONS: dict[str, OutputFormat] = {
    ".jsonl": "jsonl",
    ".jsonl.gz": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
    ".csv.gz": "csv",
    ".parquet": "parquet",
}
#: The leading columns of CSV and Parquet output, in order.
FLAT_COLUMNS: tuple[str, ...] = (
    "id",
    "url",
    "status",
    "status_reason",
    "probability",
    "label",
    "reasons",
    "model_version",
)
SIGNALS_COLUMN = "signals"
#: Rows per Parquet batch (one row group each): memory stays flat whatever the number of rows.
PARQUET_BATCH_ROWS = 1_000
REASON_SEPARATOR = " | "
_FLUSH_SECONDS = 1.0

ColumnKind = Literal["string", "float", "int", "bool"]
_CORE_KINDS: dict[str, ColumnKind] = {name: ("float" if name == "probability" else "string") for name in FLAT_COLUMNS}


# --------------------------------------------------------------------------------------------------- JSON


def _json_default(obj: Any) -> Any:
    """JSON for the values ``json`` does not know: numpy scalars and arrays, sets, paths; else ``str``."""
    item = getattr(obj, "item", None)
    if callable(item) and getattr(obj, "ndim", 1) == 0:
        return item()
    tolist = getattr(obj, "tolist", None)
    if callable(tolist):
        return tolist()
    if isinstance(obj, set | frozenset):
        return sorted(obj, key=str)
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    return str(obj)


def _finite(obj: Any) -> Any:
    """A copy of ``obj`` with NaN and infinities replaced by None (JSON has no such numbers)."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, Mapping):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_finite(v) for v in obj]
    return obj


def _printable_str(text: str) -> str:
    """``text`` as valid Unicode: a lone surrogate (a file name's undecodable byte, kept by Python as
    U+DC80-U+DCFF; a ``"\\ud800"`` escape in JSON input) becomes a visible escape, ``caf\\xe9.txt``."""
    if not LONE_SURROGATE.search(text):
        return text
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a surrogate that does not stand for a byte
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


def printable(obj: Any) -> Any:
    """A copy of ``obj`` (strings, and the strings in dicts, lists and tuples) that UTF-8 can encode:
    lone surrogates written as escapes (see :func:`_printable_str`); other values as they are."""
    if isinstance(obj, str):
        return _printable_str(obj)
    if isinstance(obj, Mapping):
        return {printable(k): printable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [printable(v) for v in obj]
    return obj


def to_json(obj: Any) -> str:
    """Serialise one value as compact JSON text: non-ASCII kept, NaN and infinities written as null, lone
    surrogates (which no UTF-8 file can hold) as visible escapes."""
    try:
        text = json.dumps(obj, ensure_ascii=False, allow_nan=False, default=_json_default)
    except ValueError:  # a NaN or an infinity somewhere: rare, so the copy is made only then
        text = json.dumps(_finite(json.loads(json.dumps(obj, default=_json_default))), ensure_ascii=False)
    if LONE_SURROGATE.search(text):  # rare too: an undecodable file name as an id
        return to_json(printable(json.loads(json.dumps(obj, default=_json_default))))
    return text


# --------------------------------------------------------------------------------------------------- base


class VerdictWriter(ABC):
    """Writes verdict rows to one output; use it as a context manager, or call :meth:`close`."""

    format: OutputFormat

    def __init__(self, path: str | None) -> None:
        self.path = path  #: the output file, or None for standard output
        self.rows_written = 0
        self._closed = False

    @abstractmethod
    def write(self, row: Mapping[str, Any]) -> None:
        """Write one row (a dict shaped like ``Verdict.to_dict()``).

        Raises:
            ValueError: the writer is closed.
        """

    def close(self) -> None:
        """Flush what is buffered and close the output (standard output is flushed, not closed).

        Closing twice is harmless.
        """
        if self._closed:
            return
        self._closed = True
        self._close()

    @abstractmethod
    def _close(self) -> None: ...

    def _check_open(self) -> None:
        if self._closed:
            raise ValueError(f"write to a closed {self.format} writer ({self.path or 'stdout'})")

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.path or 'stdout'!r}, rows_written={self.rows_written})"


def _is_utf8(stream: Any) -> bool:
    encoding = getattr(stream, "encoding", None) or ""
    return encoding.lower().replace("_", "-") in ("utf-8", "utf8", "utf-8-sig")


def _open_text(path: str, gz: bool, newline: str) -> IO[str]:
    """Open an output text file (UTF-8), gzipped when asked.

    Raises:
        ConfigError: the file cannot be created.
    """
    try:
        _make_parent(path)
        if gz:
            return gzip.open(path, "wt", encoding="utf-8", newline=newline)
        return open(path, "w", encoding="utf-8", newline=newline)
    except OSError as exc:
        raise ConfigError(f"cannot write the output file {path}: {exc.strerror or exc}") from exc


class _TextWriter(VerdictWriter):
    """Shared by JSONL and CSV: a text stream, flushed about once a second (every row on stdout)."""

    def __init__(self, path: str | None, *, gz: bool, newline: str) -> None:
        super().__init__(path)
        self._stdout = path is None
        self._detach = False
        self._fh: IO[str]
        if path is not None:
            self._fh = _open_text(path, gz, newline)
        elif _is_utf8(sys.stdout) or not hasattr(sys.stdout, "buffer"):
            self._fh = sys.stdout
        else:  # a console in a legacy encoding: the output is UTF-8 whatever the locale
            sys.stdout.flush()
            self._fh = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline=newline, write_through=True)
            self._detach = True
        self._last_flush = time.monotonic()

    def _row_done(self) -> None:
        """Count a row; flush about once a second, every row on standard output (for pipes)."""
        self.rows_written += 1
        now = time.monotonic()
        if self._stdout or now - self._last_flush >= _FLUSH_SECONDS:
            self._fh.flush()
            self._last_flush = now

    def _close(self) -> None:
        if not self._stdout:
            self._fh.close()
            return
        self._fh.flush()
        if self._detach:
            assert isinstance(self._fh, io.TextIOWrapper)
            self._fh.detach()  # leaves sys.stdout.buffer open


# --------------------------------------------------------------------------------------------------- JSONL


class JsonlWriter(_TextWriter):
    """One JSON object per line, each row as it is (nested reasons and signals kept)."""

    format: OutputFormat = "jsonl"

    def __init__(self, path: str | None, *, gz: bool = False) -> None:
        super().__init__(path, gz=gz, newline="\n")

    def write(self, row: Mapping[str, Any]) -> None:
        """Write one row as one line of JSON.

        Raises:
            ValueError: the writer is closed.
        """
        self._check_open()
        self._fh.write(to_json(row) + "\n")
        self._row_done()


# --------------------------------------------------------------------------------------------------- flat


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | bool | numbers.Real)


def _kind_of(value: Any) -> ColumnKind:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, numbers.Integral):
        return "int"
    if isinstance(value, numbers.Real):
        return "float"
    return "string"


def _reasons_text(value: Any) -> str | None:
    """The reason texts joined with ``" | "`` (the signal name where a reason has no text)."""
    if value is None or isinstance(value, str):
        return value
    if not isinstance(value, Sequence):
        return str(value)
    parts = []
    for reason in value:
        if isinstance(reason, Mapping):
            parts.append(str(reason.get("text") or reason.get("signal") or ""))
        else:
            parts.append(str(reason))
    return REASON_SEPARATOR.join(parts)


class FlatSchema:
    """The fixed columns of CSV and Parquet output, and how a row maps onto them."""

    def __init__(self, extras: Sequence[tuple[str, ColumnKind]] = ()) -> None:
        self.extras = tuple(extras)
        self.columns: tuple[str, ...] = (*FLAT_COLUMNS, *(name for name, _ in self.extras), SIGNALS_COLUMN)
        self.kinds: dict[str, ColumnKind] = {**_CORE_KINDS, **dict(self.extras), SIGNALS_COLUMN: "string"}
        self._warned: set[str] = set()

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> FlatSchema:
        """The schema fixed by the first row: the core columns, its extra scalar keys, then signals."""
        extras: list[tuple[str, ColumnKind]] = []
        dropped: list[str] = []
        for key, value in row.items():
            name = str(key)
            if name in _CORE_KINDS or name == SIGNALS_COLUMN:
                continue
            if _is_scalar(value):
                extras.append((name, _kind_of(value)))
            else:
                dropped.append(name)
        schema = cls(extras)
        if dropped:
            schema._warned.update(dropped)
            LOGGER.warning(
                "keys %s hold lists or dicts and are not written to a flat output; use JSONL to keep them",
                ", ".join(dropped),
            )
        return schema

    def flatten(self, row: Mapping[str, Any]) -> list[Any]:
        """The row's values in column order: strings, floats, bools or None."""
        unknown = [str(k) for k in row if str(k) not in self.kinds and str(k) not in self._warned]
        if unknown:
            self._warned.update(unknown)
            LOGGER.warning(
                "keys %s are not in the output columns (fixed by the first row) and are left out",
                ", ".join(unknown),
            )
        out: list[Any] = []
        for name in self.columns:
            value = row.get(name)
            if name == "reasons":
                text = _reasons_text(value)
                out.append(None if text is None else _printable_str(text))
            elif name == SIGNALS_COLUMN:
                out.append(None if value is None or isinstance(value, str) else to_json(value))
            else:
                out.append(self._cell(name, value))
        return out

    def _cell(self, name: str, value: Any) -> Any:
        if value is None:
            return None
        kind = self.kinds[name]
        if kind == "float":
            try:
                return float(value)
            except (TypeError, ValueError):
                self._warn_type(name, value, "a number")
                return None
        if kind == "int":
            if isinstance(value, numbers.Integral) or (isinstance(value, float) and value.is_integer()):
                return int(value)
            self._warn_type(name, value, "a whole number")
            return None
        if kind == "bool":
            if isinstance(value, bool | numbers.Real):
                return bool(value)
            self._warn_type(name, value, "true or false")
            return None
        if isinstance(value, str):
            return _printable_str(value)
        if isinstance(value, bool):
            return "true" if value else "false"
        if _is_scalar(value):
            return str(value)
        return to_json(value)

    def _warn_type(self, name: str, value: Any, expected: str) -> None:
        key = f"type:{name}"
        if key not in self._warned:
            self._warned.add(key)
            LOGGER.warning("column %s expects %s, got %r: written as empty", name, expected, value)


# --------------------------------------------------------------------------------------------------- CSV


class CsvWriter(_TextWriter):
    """CSV with a header row; the columns are fixed by the first row (see the module docstring)."""

    format: OutputFormat = "csv"

    def __init__(self, path: str | None, *, gz: bool = False) -> None:
        super().__init__(path, gz=gz, newline="")
        self._csv = csv.writer(self._fh)
        self.schema: FlatSchema | None = None

    def write(self, row: Mapping[str, Any]) -> None:
        """Write one row; the first row also writes the header.

        Raises:
            ValueError: the writer is closed.
        """
        self._check_open()
        if self.schema is None:
            self.schema = FlatSchema.from_row(row)
            self._csv.writerow(self.schema.columns)
        values = ["" if v is None else v for v in self.schema.flatten(row)]
        self._csv.writerow(values)
        self._row_done()

    def _close(self) -> None:
        if self.schema is None:  # no rows: still a valid CSV, with the header
            self.schema = FlatSchema()
            self._csv.writerow(self.schema.columns)
        super()._close()


# --------------------------------------------------------------------------------------------------- Parquet


def _import_pyarrow() -> tuple[Any, Any]:
    """pyarrow and pyarrow.parquet, imported on first use.

    Raises:
        ConfigError: pyarrow is not installed.
    """
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError as exc:
        raise missing_extra("pyarrow", "parquet") from exc
    return pyarrow, pyarrow.parquet


def _make_parent(path: str) -> None:
    """Create the output file's folder when it is missing (``-o out/verdicts.jsonl`` on a fresh clone)."""
    parent = os.path.dirname(path)
    if parent:
        os.makedirs(parent, exist_ok=True)


def _create_binary(path: str) -> IO[bytes]:
    _make_parent(path)
    return open(path, "wb")


class ParquetWriter(VerdictWriter):
    """Parquet through ``pyarrow.parquet.ParquetWriter``, one row group per :data:`PARQUET_BATCH_ROWS` rows.

    Columns are fixed by the first row (see the module docstring); ``probability`` and fractional extras
    are float64, whole-number extras (``cluster_size``) int64, booleans bool, everything else string.
    """

    format: OutputFormat = "parquet"

    def __init__(self, path: str, *, batch_rows: int = PARQUET_BATCH_ROWS) -> None:
        super().__init__(path)
        self._pa, self._pq = _import_pyarrow()
        try:
            self._fh: IO[bytes] = _create_binary(path)
        except OSError as exc:
            raise ConfigError(f"cannot write the output file {path}: {exc.strerror or exc}") from exc
        self.batch_rows = max(1, batch_rows)
        self.schema: FlatSchema | None = None
        self._arrow_schema: Any = None
        self._writer: Any = None
        self._buffer: list[list[Any]] = []

    def _types(self) -> dict[ColumnKind, Any]:
        pa = self._pa
        return {"string": pa.string(), "float": pa.float64(), "int": pa.int64(), "bool": pa.bool_()}

    def _start(self, schema: FlatSchema) -> None:
        types = self._types()
        self.schema = schema
        self._arrow_schema = self._pa.schema(
            [self._pa.field(name, types[schema.kinds[name]]) for name in schema.columns]
        )
        self._writer = self._pq.ParquetWriter(self._fh, self._arrow_schema)

    def write(self, row: Mapping[str, Any]) -> None:
        """Buffer one row; every :attr:`batch_rows` rows are written out as one row group.

        Raises:
            ValueError: the writer is closed.
        """
        self._check_open()
        if self.schema is None:
            self._start(FlatSchema.from_row(row))
        assert self.schema is not None
        self._buffer.append(self.schema.flatten(row))
        self.rows_written += 1
        if len(self._buffer) >= self.batch_rows:
            self._flush()

    def _flush(self) -> None:
        if not self._buffer:
            return
        pa = self._pa
        columns = list(zip(*self._buffer, strict=True))
        arrays = [pa.array(values, type=field.type) for values, field in zip(columns, self._arrow_schema, strict=True)]
        self._writer.write_table(pa.Table.from_arrays(arrays, schema=self._arrow_schema))
        self._buffer.clear()

    def _close(self) -> None:
        try:
            if self._writer is None:  # no rows: still a valid file, with the core columns
                self._start(FlatSchema())
            self._flush()
            self._writer.close()
        finally:
            self._fh.close()


# --------------------------------------------------------------------------------------------------- open


def output_format(path: str | None, fmt: str | None = None) -> OutputFormat:
    """The output format for ``path`` (None or ``-`` is standard output): ``fmt`` if given, else from the
    file name's extension; standard output defaults to JSONL.

    Raises:
        ConfigError: ``fmt`` is not a known format, or the extension is not one of
            :data:`OUTPUT_EXTENSIONS`.
    """
    known: tuple[OutputFormat, ...] = ("jsonl", "csv", "parquet")
    if fmt is not None:
        fmt = fmt.lower().lstrip(".")
        for name in known:
            if fmt == name:
                return name
        raise ConfigError(f"unknown output format {fmt!r}; supported are {', '.join(known)}")
    if path is None:
        return "jsonl"
    lower = path.lower()
    for ext in sorted(OUTPUT_EXTENSIONS, key=len, reverse=True):
        if lower.endswith(ext):
            return OUTPUT_EXTENSIONS[ext]
    raise ConfigError(
        f"cannot tell the output format of {path}: supported extensions are "
        f"{', '.join(OUTPUT_EXTENSIONS)} (or - for JSONL on standard output)"
    )


def open_writer(path: str | os.PathLike[str] | None, *, fmt: str | None = None) -> VerdictWriter:
    """Open a writer for verdict rows; use it as a context manager.

    The format is ``fmt`` (``"jsonl"``, ``"csv"``, ``"parquet"``) when given, else the extension of
    ``path``: ``.jsonl``, ``.jsonl.gz``, ``.ndjson``, ``.csv``, ``.csv.gz``, ``.parquet``. ``None`` or
    ``-`` writes to standard output (JSONL unless ``fmt`` says CSV). A name ending in ``.gz`` is
    gzipped (JSONL and CSV). The file is created at once, so a bad path fails before any work is done.

    Raises:
        ConfigError: unknown format or extension; Parquet asked for standard output; the file cannot
            be created; pyarrow missing for Parquet.
    """
    name = None if path is None else os.fspath(path)
    if name == "-":
        name = None
    chosen = output_format(name, fmt)
    gz = name is not None and name.lower().endswith(".gz")
    if chosen == "jsonl":
        return JsonlWriter(name, gz=gz)
    if chosen == "csv":
        return CsvWriter(name, gz=gz)
    if name is None:
        raise ConfigError("Parquet output needs a file path (for example out.parquet), not standard output")
    if gz:
        raise ConfigError(f"{name}: Parquet is compressed inside the file; drop the .gz")
    return ParquetWriter(name)
