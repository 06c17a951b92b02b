"""Readers: turn files, folders, WARC archives and standard input into a stream of :class:`Page` records.

One input record gives exactly one ``Page``, so the output has one row per record. A record that cannot
be decoded (a JSONL line that is not JSON, a truncated WARC record) still gives one ``Page``, with
``error`` saying what went wrong; only problems with the *inputs themselves* (a path that does not exist,
an unsupported file named on the command line, a missing optional dependency) raise.

Supported inputs, chosen by file name (case-insensitive, each also gzipped with a trailing ``.gz``):

``.html`` ``.htm`` ``.xhtml``
    one page; ``html`` holds the raw bytes, the charset is left to the cleaner.
``.jsonl`` ``.ndjson``
    one page per non-blank line; each line is a JSON object with ``id``, ``url`` and either ``html``
    (raw HTML) or ``text`` (plain text, one block per line); ``html`` wins when both are given. An
    optional ``content_type`` string is kept. Other keys are ignored. A missing ``id`` becomes
    ``"<path>:<line>"``.
``.txt`` ``.md``
    one page; ``text`` is the file decoded as UTF-8 (undecodable bytes replaced). ``.md`` only when
    named explicitly: in a folder walk a ``README.md`` is documentation, not a page.
``.warc``
    one page per ``response`` record, and per ``resource`` record with an HTML content type (warcio,
    ``pip install 'detector[warc]'``). ``.warc.gz`` is read member by member by warcio itself.
folders
    walked in name order (depth first, so ``a/z.html`` comes before ``b.html``), picking the files
    above; other files are skipped with a DEBUG log.
``-``
    standard input, sniffed: ``WARC/`` starts a WARC stream, ``{`` a JSONL stream, ``<`` one HTML page,
    anything else one text page; gzipped input is decompressed first.

JSONL and WARC inputs are read record by record, so a file of any size streams in flat memory.
"""

from __future__ import annotations

import codecs
import gzip
import io
import json
import logging
import os
import stat
import sys
import zlib
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any, Literal, cast

from detector.errors import InputError, missing_extra
from detector.types import Page

LOGGER = logging.getLogger(__name__)

InputFormat = Literal["html", "jsonl", "text", "warc"]

#: The name of standard input among the inputs.
STDIN = "-"

_BASE_EXTENSIONS: dict[str, InputFormat] = {
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".txt": "text",
    ".md": "text",
    ".warc": "warc",
}
#: Every supported file extension, plain and gzipped.
SUPPORTED_EXTENSIONS: tuple[str, ...] = tuple(ext for base in _BASE_EXTENSIONS for ext in (base, base + ".gz"))
_SUPPORTED_TEXT = ", ".join(SUPPORTED_EXTENSIONS)

_HTML_TYPES = ("text/html", "application/xhtml+xml")
_GZIP_MAGIC = b"\x1f\x8b"
_UTF8_BOM = codecs.BOM_UTF8
_SNIFF_LIMIT = 1 << 20  # leading whitespace read at most while looking for the first character
_CHUNK = 1 << 16
_READ_ERRORS = (OSError, EOFError, zlib.error)  # gzip.BadGzipFile is an OSError
_JSONL_HINT = 'each line must be one JSON object with "id", "url" and "html" (raw HTML) or "text" (plain text)'


# --------------------------------------------------------------------------------------------------- formats


def _format_of(name: str) -> InputFormat | None:
    """The input format a file name stands for, or None when its extension is not supported."""
    lower = name.lower()
    if lower.endswith(".gz"):
        lower = lower[:-3]
    return _BASE_EXTENSIONS.get(os.path.splitext(lower)[1])


def sniff_format(path: str | os.PathLike[str]) -> InputFormat:
    """Return the format of an input file from its name: ``"html"``, ``"jsonl"``, ``"text"`` or ``"warc"``.

    The extension decides, case-insensitively, with an optional trailing ``.gz``; the content is not
    read (standard input, ``-``, is sniffed by content inside :func:`iter_pages` instead).

    Raises:
        InputError: the extension is not one of :data:`SUPPORTED_EXTENSIONS`.
    """
    name = os.fspath(path)
    fmt = _format_of(name)
    if fmt is None:
        raise InputError(
            f"{name}: unsupported input type; supported are {_SUPPORTED_TEXT}, a folder of such files, "
            f"or {STDIN} for standard input"
        )
    return fmt


def _archive_iterator() -> Callable[..., Any]:
    """warcio's ArchiveIterator, imported on first use.

    Raises:
        ConfigError: warcio is not installed.
    """
    try:
        from warcio.archiveiterator import ArchiveIterator
    except ImportError as exc:
        raise missing_extra("warcio", "warc") from exc
    return ArchiveIterator


# --------------------------------------------------------------------------------------------------- entry


def iter_pages(inputs: Iterable[str | os.PathLike[str]], *, recursive: bool = True) -> Iterator[Page]:
    """Stream one :class:`Page` per input record, input by input, in the order given.

    ``inputs`` are file paths, folders, or ``-`` for standard input (a single path is accepted too);
    the supported formats are listed in this module's docstring. Folders are walked in name order,
    into subfolders only when ``recursive``. A ``Page`` read from a file has ``id`` and ``source`` set
    to the path as given (joined onto the folder for files found in a folder); JSONL and WARC records
    carry their own ids.

    The inputs are checked before anything is read, so a usage error comes out before the first page.
    Records that cannot be decoded never raise: they come out as a ``Page`` with ``error`` set (and a
    WARNING when the rest of a file has to be skipped).

    Raises:
        InputError: an input does not exist, is a file with an unsupported extension, or ``-`` is
            given twice.
        ConfigError: a WARC input is given and warcio is not installed (raised while iterating when
            the WARC is only found inside a folder).
    """
    if isinstance(inputs, str | os.PathLike):
        inputs = [inputs]
    names = [os.fspath(p) for p in inputs]
    for name in names:
        _check_input(name)
    if names.count(STDIN) > 1:
        raise InputError(f"standard input ({STDIN}) can be read only once, it is given {names.count(STDIN)} times")
    return _iter_inputs(names, recursive)


def _check_input(name: str) -> None:
    """Raise InputError (or ConfigError for a WARC without warcio) for an input that cannot be read."""
    if name == STDIN:
        return
    try:
        st = os.stat(name)
    except FileNotFoundError:
        raise InputError(f"{name}: no such file or folder") from None
    except OSError as exc:
        raise InputError(f"{name}: cannot be read ({exc.strerror or exc})") from exc
    if stat.S_ISDIR(st.st_mode):
        return
    fmt = _format_of(name)
    if fmt is None:
        if stat.S_ISFIFO(st.st_mode) or stat.S_ISCHR(st.st_mode):
            return  # a pipe such as /dev/fd/63: sniffed by content, like standard input
        sniff_format(name)  # raises InputError
    if fmt == "warc":
        _archive_iterator()


def _iter_inputs(names: list[str], recursive: bool) -> Iterator[Page]:
    for name in names:
        if name == STDIN:
            yield from _iter_stream(sys.stdin.buffer, STDIN)
        elif os.path.isdir(name):
            for path, fmt in _walk(name, recursive):
                yield from _read_file(path, fmt)
        else:
            named = _format_of(name)
            if named is None:
                yield from _read_pipe(name)
            else:
                yield from _read_file(name, named)


def _walk(root: str, recursive: bool) -> Iterator[tuple[str, InputFormat]]:
    """Supported files under ``root``, depth first in name order; symlinked folders are visited once.

    Raises:
        InputError: ``root`` itself cannot be listed.
    """
    seen: set[str] = set()

    def visit(folder: str, top: bool) -> Iterator[tuple[str, InputFormat]]:
        real = os.path.realpath(folder)
        if real in seen:
            LOGGER.debug("skipping %s: folder already visited (symlink loop)", folder)
            return
        seen.add(real)
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            if top:
                raise InputError(f"{folder}: cannot list this folder ({exc.strerror or exc})") from exc
            LOGGER.warning("skipping folder %s: cannot list it (%s)", folder, exc.strerror or exc)
            return
        for entry in entries:
            path = os.path.join(folder, entry.name)
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            if is_dir:
                if recursive:
                    yield from visit(path, False)
                else:
                    LOGGER.debug("skipping folder %s: not recursive", path)
                continue
            fmt = _format_of(entry.name)
            if fmt is not None and entry.name.lower().endswith((".md", ".md.gz")):
                LOGGER.debug("skipping %s: Markdown files are read only when named explicitly", path)
            elif fmt is None:
                LOGGER.debug("skipping %s: not a supported input (%s)", path, _SUPPORTED_TEXT)
            else:
                yield path, fmt

    yield from visit(root, True)


# --------------------------------------------------------------------------------------------------- files


def _open_binary(path: str) -> IO[bytes]:
    """Open a file for reading bytes, through gzip when its name ends in ``.gz``."""
    if path.lower().endswith(".gz"):
        return cast(IO[bytes], gzip.open(path, "rb"))
    return _open_raw(path)


def _open_raw(path: str) -> IO[bytes]:
    return open(path, "rb")


def _read_file(path: str, fmt: InputFormat) -> Iterator[Page]:
    """The pages of one file of a known format; an unreadable file gives one error page."""
    if fmt == "jsonl":
        try:
            fh = _open_binary(path)
        except OSError as exc:
            yield _unreadable(path, exc)
            return
        with fh:
            yield from _iter_jsonl(fh, path)
    elif fmt == "warc":
        try:
            # warcio detects and reads gzip members itself, so the file is opened raw
            fh = _open_raw(path)
        except OSError as exc:
            yield _unreadable(path, exc)
            return
        with fh:
            yield from _iter_warc(fh, path)
    else:
        try:
            with _open_binary(path) as fh:
                data = fh.read()
        except _READ_ERRORS as exc:
            yield _unreadable(path, exc)
            return
        yield _single_page(path, data, fmt)


def _read_pipe(path: str) -> Iterator[Page]:
    """A named pipe or character device given without a known extension: sniffed by content."""
    try:
        fh = _open_raw(path)
    except OSError as exc:
        yield _unreadable(path, exc)
        return
    with fh:
        yield from _iter_stream(fh, path)


#: Characters of a reader library's error message kept in a page's reason: warcio quotes the whole first line
#: of what it could not parse, which for binary data is hundreds of bytes of mojibake.
_MESSAGE_CHARS = 200


def _brief(exc: BaseException) -> str:
    """``Type: message``, the message cut to ``_MESSAGE_CHARS`` characters."""
    text = str(exc)
    if len(text) > _MESSAGE_CHARS:
        text = f"{text[:_MESSAGE_CHARS]}... ({len(text) - _MESSAGE_CHARS} more characters)"
    return f"{type(exc).__name__}: {text}"


def _unreadable(path: str, exc: BaseException) -> Page:
    LOGGER.warning("cannot read %s: %s", path, _brief(exc))
    return Page(
        id=path,
        source=path,
        error=f"{path}: cannot be read ({_brief(exc)}); check that the file is complete "
        "and, if its name ends in .gz, that it is gzipped",
    )


def _single_page(name: str, data: bytes, fmt: InputFormat) -> Page:
    if fmt == "html":
        return Page(id=name, html=data, source=name)
    return Page(id=name, text=_decode_text(data), source=name)


def _decode_text(data: bytes) -> str:
    if data.startswith(_UTF8_BOM):
        data = data[len(_UTF8_BOM) :]
    return data.decode("utf-8", errors="replace")


# --------------------------------------------------------------------------------------------------- JSONL


def _iter_jsonl(fh: IO[bytes], name: str) -> Iterator[Page]:
    """One page per non-blank line; a read failure (truncated gzip) gives one error page and stops."""
    lineno = 0
    try:
        for lineno, raw in enumerate(fh, 1):
            if lineno == 1 and raw.startswith(_UTF8_BOM):
                raw = raw[len(_UTF8_BOM) :]
            if raw.strip():
                yield _jsonl_page(raw, name, lineno)
    except _READ_ERRORS as exc:
        where = f"{name}:{lineno + 1}"
        LOGGER.warning("%s: stopped reading after line %d: %s", name, lineno, _brief(exc))
        yield Page(
            id=where,
            source=where,
            error=f"{name}: cannot read past line {lineno} ({_brief(exc)}); "
            "the file is truncated or corrupt, the lines after it were not read",
        )


def _jsonl_page(raw: bytes, name: str, lineno: int) -> Page:
    """The page of one JSONL line, or an error page saying what is wrong with the line."""
    where = f"{name}:{lineno}"
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError:
        LOGGER.debug("%s: line is not valid UTF-8, undecodable bytes replaced", where)
        line = raw.decode("utf-8", errors="replace")
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        return Page(
            id=where,
            source=where,
            error=f"{name} line {lineno}: not valid JSON ({exc.msg} at column {exc.colno}); {_JSONL_HINT}",
        )
    if not isinstance(obj, dict):
        return Page(
            id=where,
            source=where,
            error=f"{name} line {lineno}: a JSON {type(obj).__name__}, not an object; {_JSONL_HINT}",
        )
    rid = obj.get("id")
    page_id = where if rid is None or rid == "" else str(rid)
    url = obj.get("url")
    url = None if url is None or url == "" else str(url)
    ctype = obj.get("content_type")
    ctype = ctype if isinstance(ctype, str) and ctype else None
    html, text = obj.get("html"), obj.get("text")
    for key, value in (("html", html), ("text", text)):
        if value is not None and not isinstance(value, str):
            return Page(
                id=page_id,
                url=url,
                source=where,
                error=f'{name} line {lineno}: "{key}" must be a string, not a JSON {type(value).__name__}',
            )
    if html is None and text is None:
        keys = ", ".join(sorted(map(str, obj))[:10]) or "none"
        return Page(
            id=page_id,
            url=url,
            source=where,
            error=f'{name} line {lineno}: the record has neither "html" nor "text" (its keys: {keys}); '
            'give the page as "html" (raw HTML) or "text" (plain text, one block per line)',
        )
    if html is not None:
        return Page(id=page_id, url=url, html=html, source=where, content_type=ctype)
    return Page(id=page_id, url=url, text=text, source=where, content_type=ctype)


# --------------------------------------------------------------------------------------------------- WARC


def _after_unreadable(offset: int) -> str:
    """What an unreadable WARC record at ``offset`` means for the file."""
    if offset == 0:
        return "the file does not start with a WARC record: is it a WARC file?"
    return "the file is truncated or corrupt, the records after it were not read"


def _mime(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def _iter_warc(fh: IO[bytes], name: str) -> Iterator[Page]:
    """One page per response record (and per HTML resource record) of a WARC stream.

    A record that cannot be read (truncated, corrupt) gives one error page, then the rest of the file is
    skipped with a WARNING: past a framing error the record boundaries cannot be trusted.

    Raises:
        ConfigError: warcio is not installed.
    """
    archive = _archive_iterator()(fh)
    records = iter(archive)
    next_offset = 0  # where the next record starts, as far as known
    while True:
        try:
            record = next(records)
        except StopIteration:
            left = _unparsed_bytes(fh, next_offset)
            if left:
                where = f"{name}@{next_offset}"
                LOGGER.warning("%s: %d bytes after offset %d are not a complete WARC record", name, left, next_offset)
                yield Page(
                    id=where,
                    source=where,
                    error=f"{name}: the last {left} bytes (from offset {next_offset}) are not a complete "
                    "WARC record; the file was cut short",
                )
            return
        except Exception as exc:  # warcio raises many kinds on corrupt input
            where = f"{name}@{next_offset}"
            LOGGER.warning(
                "%s: unreadable WARC data after offset %d, rest of the file skipped: %s", name, next_offset, _brief(exc)
            )
            yield Page(
                id=where,
                source=where,
                error=f"{name}: unreadable WARC data at offset {next_offset} ({_brief(exc)}); "
                + _after_unreadable(next_offset),
            )
            return
        # warcio keeps the start of the record just parsed in ``offset``
        start = getattr(archive, "offset", next_offset)
        where = f"{name}@{start}"
        rid = record.rec_headers.get_header("WARC-Record-ID")
        url = record.rec_headers.get_header("WARC-Target-URI")
        page: Page | None = None
        decode_error: Exception | None = None
        try:
            if record.format != "warc":  # warcio falls back to ARC on anything else
                raise ValueError("not a WARC record: the data does not start with WARC/")
            if record.rec_headers.get_header("Content-Length") is None:
                raise ValueError("the record has no Content-Length header (its headers are cut short?)")
            try:
                page = _warc_page(record, rid or where, url, where)
            except Exception as exc:  # a bad Content-Encoding; the file is fine if the block reads to its end
                decode_error = exc
            missing = _drain(record.raw_stream)
            length = archive.get_record_length()  # reads to the end of the record
            # ``offset`` is now where the next record starts, blank lines between records included
            next_offset = getattr(archive, "offset", start + length)
        except Exception as exc:
            LOGGER.warning(
                "%s: WARC record %s unreadable, rest of the file skipped: %s", name, rid or where, _brief(exc)
            )
            yield Page(
                id=rid or where,
                url=url,
                source=where,
                error=f"{name}: the WARC record at offset {start} cannot be read ({_brief(exc)}); "
                + _after_unreadable(start),
            )
            return
        if missing:
            LOGGER.warning("%s: WARC record %s is truncated, rest of the file skipped", name, rid or where)
            yield Page(
                id=rid or where,
                url=url,
                source=where,
                error=f"{name}: the WARC record at offset {start} is truncated ({missing} bytes missing); "
                "the file was cut short",
            )
            return
        if decode_error is not None:
            LOGGER.warning("%s: the payload of WARC record %s cannot be decoded: %s", name, rid, decode_error)
            yield Page(
                id=rid or where,
                url=url,
                source=where,
                error=f"{name}: the HTTP payload of the WARC record at offset {start} cannot be decoded "
                f"({type(decode_error).__name__}: {decode_error}); its Content-Encoding does not match "
                "the bytes stored",
            )
        elif page is not None:
            yield page


def _warc_page(record: Any, rid: str, url: str | None, source: str) -> Page | None:
    """The page of one WARC record, or None for a record that is not a page (request, metadata...)."""
    rec_type = record.rec_type
    if rec_type == "response":
        if record.http_headers is not None:
            ctype = record.http_headers.get_header("Content-Type")
        else:  # a non-HTTP response (dns:, ftp:): its own block type tells what it is
            ctype = record.rec_headers.get_header("Content-Type")
    elif rec_type == "resource":
        ctype = record.rec_headers.get_header("Content-Type")
        if _mime(ctype) not in _HTML_TYPES:
            LOGGER.debug("skipping WARC resource record %s: content type %s is not HTML", rid, ctype)
            return None
    else:
        return None
    payload = record.content_stream().read()
    return Page(id=rid, url=url, html=payload, source=source, content_type=ctype)


def _unparsed_bytes(fh: IO[bytes], offset: int) -> int:
    """How many bytes of a WARC stream warcio consumed (or left) past ``offset``, the end of the last
    complete record; more than zero when the stream ends inside a record that warcio gave up on quietly."""
    try:
        end = fh.tell()
        more = fh.read(1)
    except (OSError, ValueError):
        return 0
    return max(0, end - offset) + len(more)


def _drain(stream: Any) -> int:
    """Read what is left of a record's block; return how many declared bytes never came (truncation)."""
    while stream.read(_CHUNK):
        pass
    left = getattr(stream, "limit", 0)
    return left if isinstance(left, int) and left > 0 else 0


# --------------------------------------------------------------------------------------------------- streams


class _Prefixed(io.RawIOBase):
    """A read-only stream that serves ``head`` and then the rest of ``tail`` (used to sniff pipes)."""

    def __init__(self, head: bytes, tail: IO[bytes]) -> None:
        self._head = memoryview(head)
        # read1 returns what is there without waiting for a full buffer: records on a slow pipe flow
        self._read = getattr(tail, "read1", tail.read)
        self._pos = 0  # bytes served so far, so that readers can tell offsets on a pipe

    def readable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        if self._head:
            n = min(len(view), len(self._head))
            view[:n] = self._head[:n]
            self._head = self._head[n:]
        else:
            data = self._read(len(view))
            n = len(data)
            view[:n] = data
        self._pos += n
        return n


def _peek(stream: IO[bytes]) -> tuple[bytes, IO[bytes]]:
    """Read the start of a stream (past leading white space, enough to tell the format) and return it
    with a stream that starts again from the beginning."""
    read = getattr(stream, "read1", stream.read)
    head = b""
    while len(head) < _SNIFF_LIMIT:
        more = read(_CHUNK)
        if not more:
            break
        head += more
        if len(head.lstrip(b" \t\r\n\f\v" + _UTF8_BOM)) >= len(b"WARC/"):
            break
    return head, io.BufferedReader(_Prefixed(head, stream), buffer_size=_CHUNK)


def _sniff_bytes(head: bytes) -> InputFormat:
    """The format of a stream from its first bytes."""
    start = head[len(_UTF8_BOM) :] if head.startswith(_UTF8_BOM) else head
    start = start.lstrip()
    if start.startswith(b"WARC/"):
        return "warc"
    if start.startswith(b"{"):
        return "jsonl"
    if start.startswith(b"<"):
        return "html"
    return "text"


def _iter_stream(stream: IO[bytes], name: str) -> Iterator[Page]:
    """Pages of a stream whose format is told by its content (standard input, pipes)."""
    try:
        head, stream = _peek(stream)
        if head.startswith(_GZIP_MAGIC):
            head, stream = _peek(cast(IO[bytes], gzip.GzipFile(fileobj=stream, mode="rb")))
        fmt = _sniff_bytes(head)
        LOGGER.debug("%s: read as %s", name, fmt)
        if fmt == "jsonl":
            yield from _iter_jsonl(stream, name)
            return
        if fmt == "warc":
            yield from _iter_warc(stream, name)
            return
        data = stream.read()
    except _READ_ERRORS as exc:
        yield _unreadable(name, exc)
        return
    yield _single_page(name, data, fmt)
