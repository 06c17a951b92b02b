"""Readers: turn files, folders, WARC archives and standard input into a stream of :class:`Page` records.

One input record gives exactly one ``Page``, so the output has one row per record. A record that cannot
be decoded (a JSONL line that is not JSON, a truncated WARC record) still gives one ``Page``, with
``error`` saying what went wrong; only problems with the *inputs themselves* (a path that does not exist,
an unsupported file named on the command line, a missing optional dependency) raise.

Supported inputs, chosen by file name (case-insensitive, each also gzipped with a trailing ``.gz``; a
gzipped file is recognised by its content too, whatever its name):

``.html`` ``.htm`` ``.xhtml``
    one page; ``html`` holds the raw bytes, the charset is left to the cleaner.
``.jsonl`` ``.ndjson``
    one page per non-blank line; each line is a JSON object with ``id``, ``url`` and either ``html``
    (raw HTML) or ``text`` (plain text, one block per line); ``html`` wins when both are given. An
    optional ``content_type`` string is kept. Other keys are ignored. A missing ``id`` becomes
    ``"<path>:<line>"``, and so does an ``id`` that is an object, array or boolean (with a WARNING); a
    number becomes its JSON text. A ``url`` that is not a string is ignored (with a WARNING).
``.txt`` ``.md``
    one page; ``text`` is the file decoded as UTF-8 (undecodable bytes replaced). ``.md`` only when
    named explicitly: in a folder walk a ``README.md`` is documentation, not a page.
``.warc``
    one page per ``response`` record, and per ``resource`` record with an HTML content type (warcio,
    ``pip install 'detector[warc]'``). ``.warc.gz`` is read member by member by warcio itself; a corrupt
    member costs its own record only (reading resumes at the next member that starts a record), and a
    WARC gzipped as one whole file is read through gzip. A payload whose ``Content-Encoding`` cannot be
    undone (``br`` without the ``brotli`` package, an unknown encoding, bytes that are not in the
    encoding declared) is an error page saying so.
folders
    walked in name order (depth first, so ``a/z.html`` comes before ``b.html``), picking the files
    above; other files are skipped with a DEBUG log each and one WARNING per walk counting them; named
    pipes, sockets and devices in a folder are skipped with a WARNING (they could block the run).
``-``
    standard input, sniffed: ``WARC/`` starts a WARC stream, ``{`` a JSONL stream, ``<`` one HTML page,
    anything else one text page; gzipped input is decompressed first, except a WARC.gz written record by
    record (its first member one whole record), which warcio reads member by member as it does a file: a
    corrupt member then costs its own record only, reading going on at the next member that starts a
    record, as long as the corrupt member starts within the last ``STDIN_WINDOW`` bytes read (16 MiB;
    the stream holds at most twice that in memory); past that, it costs the rest of the stream, never the
    records before it.

JSONL and WARC inputs are read record by record, so a file of any size streams in flat memory. With
``max_bytes``, one record is never read whole past that size either: a payload (an HTML or text file, a
WARC record's decoded payload, a JSONL line) longer than ``max_bytes`` keeps only its first
``max_bytes + 1`` bytes (characters for text), the rest is skipped unread, so that the pipeline, given the
same ``max_bytes``, marks it ``too_large``.
"""

from __future__ import annotations

import codecs
import gzip
import io
import logging
import os
import re
import stat
import sys
import zlib
from collections.abc import Collection, Iterable, Iterator
from typing import IO, Any, Literal, cast

from detector.errors import InputError
from detector.io.common import BIG_CHUNK, CHUNK, READ_ERRORS, UTF8_BOM, brief, read_capped
from detector.io.jsonl import iter_jsonl
from detector.io.warc import archive_iterator, iter_warc
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

_GZIP_MAGIC = b"\x1f\x8b"
_SNIFF_LIMIT = 1 << 20  # leading whitespace read at most while looking for the first character
_MEMBER_LIMIT = 1 << 24  # decompressed bytes of a stream's first gzip member read at most to tell its kind
_SKIPPED_EXAMPLES = 3  # unsupported file names quoted in a folder walk's warning


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


# --------------------------------------------------------------------------------------------------- entry


def iter_pages(
    inputs: Iterable[str | os.PathLike[str]],
    *,
    recursive: bool = True,
    max_bytes: int | None = None,
    skip: Collection[str] = (),
) -> Iterator[Page]:
    """Stream one :class:`Page` per input record, input by input, in the order given.

    ``inputs`` are file paths, folders, or ``-`` for standard input (a single path is accepted too);
    the supported formats are listed in this module's docstring. Folders are walked in name order,
    into subfolders only when ``recursive``. A ``Page`` read from a file has ``id`` and ``source`` set
    to the path as given (joined onto the folder for files found in a folder); JSONL and WARC records
    carry their own ids.

    ``max_bytes`` (None: no limit) bounds the memory one record takes: a payload longer than that is
    not read whole, its ``Page`` holds only the first ``max_bytes + 1`` bytes (characters for text), so
    that a :class:`~detector.pipeline.Detector` with the same ``max_bytes`` gives it status
    ``too_large``. Pass the Detector's ``max_bytes``.

    ``skip`` holds files a folder walk passes over (compared by real path): a run's own output files, which
    would otherwise be read back as input while they are written.

    The inputs are checked before anything is read, so a usage error comes out before the first page.
    Records that cannot be decoded never raise: they come out as a ``Page`` with ``error`` set (and a
    WARNING when the rest of a file has to be skipped).

    Raises:
        InputError: an input does not exist, is a file with an unsupported extension, or ``-`` is
            given twice.
        ConfigError: a WARC input is given and warcio is not installed (raised while iterating when
            the WARC is only found inside a folder).
        ValueError: ``max_bytes`` is negative.
    """
    if isinstance(inputs, str | os.PathLike):
        inputs = [inputs]
    names = [os.fspath(p) for p in inputs]
    if max_bytes is not None and max_bytes < 0:
        raise ValueError(f"max_bytes must be 0 or more (or None for no limit), not {max_bytes}")
    for name in names:
        _check_input(name)
    if names.count(STDIN) > 1:
        raise InputError(f"standard input ({STDIN}) can be read only once, it is given {names.count(STDIN)} times")
    return _iter_inputs(names, recursive, max_bytes, frozenset(os.path.realpath(p) for p in skip))


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
        archive_iterator()


def _iter_inputs(names: list[str], recursive: bool, max_bytes: int | None, skip: frozenset[str]) -> Iterator[Page]:
    for name in names:
        if name == STDIN:
            yield from _iter_stream(sys.stdin.buffer, STDIN, max_bytes)
        elif os.path.isdir(name):
            for path, fmt in _walk(name, recursive):
                if skip and os.path.realpath(path) in skip:
                    LOGGER.info("skipping %s: it is an output of this run", path)
                    continue
                yield from _read_file(path, fmt, max_bytes)
        else:
            yield from _read_file(name, _format_of(name), max_bytes)


def _walk(root: str, recursive: bool) -> Iterator[tuple[str, InputFormat]]:
    """Supported files under ``root``, depth first in name order; symlinked folders are visited once.

    Files with another extension are skipped (one WARNING at the end counts them), and so are named
    pipes, sockets and devices whatever their name (a WARNING each): reading one could wait forever.

    Raises:
        InputError: ``root`` itself cannot be listed.
    """
    seen: set[str] = set()
    unsupported: list[str] = []
    found = 0

    def visit(folder: str, top: bool) -> Iterator[tuple[str, InputFormat]]:
        nonlocal found
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
            if fmt is None:
                LOGGER.debug("skipping %s: not a supported input (%s)", path, _SUPPORTED_TEXT)
                unsupported.append(os.path.relpath(path, root))
            elif entry.name.lower().endswith((".md", ".md.gz")):
                LOGGER.debug("skipping %s: Markdown files are read only when named explicitly", path)
            elif not _is_regular(entry):
                LOGGER.warning(
                    "skipping %s: not a regular file (a named pipe, socket or device), which could block "
                    "the run; name it on the command line to read it",
                    path,
                )
            else:
                found += 1
                yield path, fmt

    yield from visit(root, True)
    if unsupported:
        examples = ", ".join(unsupported[:_SKIPPED_EXAMPLES]) + (
            ", ..." if len(unsupported) > _SKIPPED_EXAMPLES else ""
        )
        LOGGER.warning(
            "%s: %s%d file(s) skipped for an unsupported extension (%s); supported are %s",
            root,
            "" if found else "no input read, ",
            len(unsupported),
            examples,
            _SUPPORTED_TEXT,
        )


def _is_regular(entry: os.DirEntry[str]) -> bool:
    """Whether a folder entry is a regular file (through symlinks); True when it cannot be told (a broken
    link, a file just deleted): reading it then gives its own error page."""
    try:
        return stat.S_ISREG(entry.stat().st_mode)
    except OSError:
        return True


# --------------------------------------------------------------------------------------------------- files


def _open_raw(path: str) -> IO[bytes]:
    return open(path, "rb")


def _gunzipped(raw: IO[bytes], name: str) -> IO[bytes]:
    """``raw`` read through gzip when the name ends in ``.gz`` or the content starts with the gzip magic,
    else ``raw`` itself. Closing the result leaves ``raw`` open."""
    peek = getattr(raw, "peek", None)
    head = peek(len(_GZIP_MAGIC))[: len(_GZIP_MAGIC)] if peek is not None else b""
    if name.lower().endswith(".gz") or head == _GZIP_MAGIC:
        return cast(IO[bytes], gzip.GzipFile(fileobj=raw, mode="rb"))
    return raw


def _read_file(path: str, fmt: InputFormat | None, max_bytes: int | None) -> Iterator[Page]:
    """The pages of one file; ``fmt`` None (a named pipe or device given without a known extension): told
    by its content. An unreadable file gives one error page."""
    try:
        raw = _open_raw(path)
    except OSError as exc:
        yield _unreadable(path, exc)
        return
    with raw:
        if fmt is None:
            yield from _iter_stream(raw, path, max_bytes)
            return
        if fmt == "warc":  # warcio detects and reads gzip members itself, so the file is given raw
            yield from iter_warc(raw, path, max_bytes)
            return
        try:
            fh = _gunzipped(raw, path)
            page = None if fmt == "jsonl" else _read_single(fh, path, fmt, max_bytes)
        except READ_ERRORS as exc:
            yield _unreadable(path, exc)
            return
        if page is None:
            yield from iter_jsonl(fh, path, max_bytes)
        else:
            yield page


def _unreadable(path: str, exc: BaseException) -> Page:
    LOGGER.warning("cannot read %s: %s", path, brief(exc))
    return Page(
        id=path,
        source=path,
        error=f"{path}: cannot be read ({brief(exc)}); check that the file is complete "
        "and, if its name ends in .gz, that it is gzipped",
    )


def _read_text(stream: IO[bytes], max_bytes: int | None) -> str:
    """A stream decoded as UTF-8 (a BOM dropped, undecodable bytes replaced); only its first
    ``max_bytes + 1`` characters when it is longer (the rest left unread)."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="replace")
    if max_bytes is None:
        return cast(str, decoder.decode(stream.read(), final=True))
    parts: list[str] = []
    size = 0
    while size <= max_bytes:
        chunk = stream.read(BIG_CHUNK)
        parts.append(decoder.decode(chunk, final=not chunk))
        size += len(parts[-1])
        if not chunk:
            break
    return "".join(parts)[: max_bytes + 1]


def _read_single(stream: IO[bytes], name: str, fmt: InputFormat, max_bytes: int | None) -> Page:
    data: str | bytes = read_capped(stream, max_bytes) if fmt == "html" else _read_text(stream, max_bytes)
    cut = max_bytes is not None and len(data) > max_bytes
    if isinstance(data, bytes):
        return Page(id=name, html=data, source=name, truncated=cut)
    return Page(id=name, text=data, source=name, truncated=cut)


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


class _Rewindable(io.RawIOBase):
    """A stream made seekable within the last ``window`` bytes read from it: what reading on past a corrupt
    gzip member of a WARC.gz on standard input needs (going back to the member's start and searching forward
    for the next record), in bounded memory. A seek further back raises ``OSError`` and sets
    ``window_missed``; so does a seek from the end, which a stream cannot tell, without setting it."""

    def __init__(self, stream: IO[bytes], window: int) -> None:
        self._read = getattr(stream, "read1", stream.read)
        self._window = window
        self._buf = bytearray()  # the bytes from offset self._base to the furthest read so far
        self._base = 0
        self._pos = 0
        self.window_missed = False

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def _fill(self, upto: int, keep: int) -> None:
        """Read on until the buffer reaches offset ``upto`` or the stream ends, in reads of at most
        ``BIG_CHUNK``; past twice the window, bytes are let go from the front, never those of the window
        before offset ``keep``, the position the reader is left at."""
        while self._base + len(self._buf) < upto:
            more = self._read(min(BIG_CHUNK, max(CHUNK, upto - self._base - len(self._buf))))
            if not more:
                break
            self._buf += more
            if len(self._buf) > 2 * self._window:
                cut = max(0, min(len(self._buf) - self._window, keep - self._window - self._base))
                del self._buf[:cut]
                self._base += cut

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_CUR:
            offset += self._pos
        elif whence != io.SEEK_SET:
            raise OSError("a stream cannot seek from its end")
        if offset < self._base:
            self.window_missed = True
            raise OSError(f"offset {offset} is no longer held: a stream keeps only its last {self._window} bytes")
        self._fill(offset, keep=offset)
        self._pos = offset
        return offset

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        if self._pos >= self._base + len(self._buf):
            self._fill(self._pos + len(view), keep=self._pos)
        if self._pos < self._base:
            raise OSError(f"offset {self._pos} is no longer held: a stream keeps only its last {self._window} bytes")
        start = self._pos - self._base
        n = max(0, min(len(view), len(self._buf) - start))
        view[:n] = self._buf[start : start + n]
        self._pos += n
        return n


#: Bytes of a WARC.gz on standard input held back, so that reading can go on past a corrupt member: the
#: member must lie within them (a record's member is far smaller on any real crawl).
STDIN_WINDOW = 16 << 20


def _peek(stream: IO[bytes]) -> tuple[bytes, IO[bytes]]:
    """Read the start of a stream (past leading white space, enough to tell the format) and return it
    with a stream that starts again from the beginning."""
    read = getattr(stream, "read1", stream.read)
    head = b""
    while len(head) < _SNIFF_LIMIT:
        more = read(CHUNK)
        if not more:
            break
        head += more
        if len(head.lstrip(b" \t\r\n\f\v" + UTF8_BOM)) >= len(b"WARC/"):
            break
    return head, io.BufferedReader(_Prefixed(head, stream), buffer_size=CHUNK)


def _peek_gzipped(stream: IO[bytes]) -> tuple[bytes, bool, IO[bytes]]:
    """The first gzip member of a stream, decompressed (as far as ``_SNIFF_LIMIT`` compressed bytes and
    ``_MEMBER_LIMIT`` decompressed ones go), whether it is whole, and the stream from its beginning, still
    compressed."""
    read = getattr(stream, "read1", stream.read)
    inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
    raw, member = b"", b""
    while len(raw) < _SNIFF_LIMIT and not inflate.eof and len(member) < _MEMBER_LIMIT:
        more = read(CHUNK)
        if not more:
            break
        raw += more
        try:
            member += inflate.decompress(inflate.unconsumed_tail + more, _MEMBER_LIMIT - len(member))
        except zlib.error:
            break
    return member, inflate.eof, io.BufferedReader(_Prefixed(raw, stream), buffer_size=CHUNK)


def _one_record(member: bytes) -> bool:
    """Whether decompressed data is one whole WARC record and nothing more."""
    end = member.find(b"\r\n\r\n")
    length = re.search(rb"(?im)^content-length:[ \t]*(\d+)[ \t]*\r?$", member[:end]) if end >= 0 else None
    return length is not None and not member[end + 4 + int(length.group(1)) :].strip()


def _sniff_bytes(head: bytes) -> InputFormat:
    """The format of a stream from its first bytes."""
    start = head[len(UTF8_BOM) :] if head.startswith(UTF8_BOM) else head
    start = start.lstrip()
    if start.startswith(b"WARC/"):
        return "warc"
    if start.startswith(b"{"):
        return "jsonl"
    if start.startswith(b"<"):
        return "html"
    return "text"


def _iter_stream(stream: IO[bytes], name: str, max_bytes: int | None = None) -> Iterator[Page]:
    """Pages of a stream whose format is told by its content (standard input, pipes)."""
    try:
        head, stream = _peek(stream)
        if head.startswith(_GZIP_MAGIC):
            member, whole, stream = _peek_gzipped(stream)
            if _sniff_bytes(member) == "warc" and whole and _one_record(member):
                # A WARC.gz written record by record goes to warcio raw, as a file does: it reads the members
                # one by one, and the stream, seekable within its last STDIN_WINDOW bytes, lets a corrupt
                # member cost its own record only, as in a file. A WARC gzipped whole (or a first member too
                # large to tell) is read through gzip.
                yield from iter_warc(cast(IO[bytes], _Rewindable(stream, STDIN_WINDOW)), name, max_bytes)
                return
            head, stream = _peek(cast(IO[bytes], gzip.GzipFile(fileobj=stream, mode="rb")))
        fmt = _sniff_bytes(head)
        LOGGER.debug("%s: read as %s", name, fmt)
        if fmt == "jsonl":
            yield from iter_jsonl(stream, name, max_bytes)
            return
        if fmt == "warc":
            yield from iter_warc(stream, name, max_bytes)
            return
        page = _read_single(stream, name, fmt, max_bytes)
    except READ_ERRORS as exc:
        yield _unreadable(name, exc)
        return
    yield page
