"""WARC input: one page per ``response`` record (and per HTML ``resource`` record), read with warcio.

The format's rules are in :mod:`detector.io.readers`. warcio reads the records; this module extends two of
its readers (see :func:`_warc_readers`) so that what warcio keeps quiet or prints to stderr becomes an error
page saying what happened: a damaged gzip member, a payload not in its declared Content-Encoding. It relies
on those readers' internals, hence the pinned warcio minor version in ``pyproject.toml``.
"""

from __future__ import annotations

import functools
import gzip
import importlib
import logging
import zlib
from collections.abc import Generator, Iterator
from typing import IO, Any, ClassVar, Literal, cast

from detector.errors import missing_extra
from detector.io.common import BIG_CHUNK, CHUNK, UTF8_BOM, brief, read_capped
from detector.types import Page

LOGGER = logging.getLogger(__name__)

_HTML_TYPES = ("text/html", "application/xhtml+xml")
_MEMBER_MAGIC = b"\x1f\x8b\x08"  # a gzip member (deflate): where each record of a .warc.gz starts
#: Compressed bytes a WARC payload decoder takes at a time: gzip inflates 1,000-fold at most, so one read of a
#: "gzip bomb" stays near 2 MB in memory, past max_bytes or not (warcio's default, 16 KB, gives 16 MB).
_PAYLOAD_BLOCK = 1 << 11


def archive_iterator() -> Any:
    """The WARC archive iterator class (warcio's, see :func:`_warc_readers`), imported on first use.

    Raises:
        ConfigError: warcio is not installed.
    """
    try:
        import warcio.archiveiterator  # noqa: F401
    except ImportError as exc:
        raise missing_extra("warcio", "warc") from exc
    return _warc_readers()[0]


class _DamagedMember(Exception):
    """A gzip member of a .warc.gz does not decompress: the record in it is lost, the next member may not be."""


class _PayloadError(Exception):
    """The HTTP payload of a WARC record cannot be decoded; the message says why and what to do."""


class _Brotli:
    """The ``brotli`` package's decompressor with the interface of zlib's that warcio's readers call (warcio's
    own hook expects the unmaintained ``brotlipy``, whose module has the same name but another interface)."""

    unused_data = b""

    def __init__(self) -> None:
        decompressor = importlib.import_module("brotli").Decompressor()
        self.decompress = getattr(decompressor, "process", None) or decompressor.decompress

    def flush(self) -> bytes:
        return b""


@functools.cache
def _warc_readers() -> tuple[Any, Any, Any]:
    """warcio's archive iterator and its two payload readers (plain and chunked), changed to say what warcio
    keeps quiet or prints to stderr: (archive class, payload reader, chunked payload reader).

    warcio reads a gzip member that fails part-way as if the record ended there (printing the zlib error to
    stderr), and passes a payload whose first block is not in its Content-Encoding on as raw bytes. Here the
    first raises :class:`_DamagedMember`, and a payload reader records the second in ``undecoded``, raising
    :class:`_PayloadError` when the data fails part-way.
    """
    from warcio.archiveiterator import ArchiveIterator
    from warcio.bufferedreaders import BufferedReader, ChunkedDataReader, DecompressingBufferedReader
    from warcio.utils import BUFF_SIZE

    class MemberReader(DecompressingBufferedReader):
        def _decompress(self, data: bytes) -> bytes:
            if self.decompressor is None or not data or self.num_read == 0:
                # the file's first block: warcio tells a plain WARC from a gzipped one by whether it decodes
                return cast(bytes, super()._decompress(data))
            try:
                return cast(bytes, self.decompressor.decompress(data))
            except zlib.error as exc:
                raise _DamagedMember(f"its gzip data does not decompress ({exc})") from exc

    class Archive(ArchiveIterator):
        def __init__(self, fileobj: IO[bytes], name: str) -> None:
            super().__init__(fileobj)
            self.reader = MemberReader(self.fh, block_size=BUFF_SIZE)
            self.name = name

        def _consume_blanklines(self) -> tuple[bytes | None, int]:
            # warcio's, with its stderr warning sent to the log
            empty_size = 0
            first_line = True
            while line := self.reader.readline():
                if line.strip() and not first_line:
                    return line, empty_size
                empty_size += len(line)
                if line.strip():
                    at = self.fh.tell() - self.reader.rem_length() - empty_size
                    LOGGER.warning(
                        "%s: the WARC record before offset %d is not followed by a blank line (is its "
                        "Content-Length wrong?); skipped the line %r",
                        self.name,
                        max(0, at),
                        line[:80],
                    )
                    self.err_count += 1
                first_line = False
            return None, empty_size

    class Payload(BufferedReader):
        DECOMPRESSORS: ClassVar[dict[str, Any]] = {**BufferedReader.DECOMPRESSORS, "br": _Brotli}
        decompressor: Any
        undecoded = False  # the bytes are not in the declared encoding at all: they are passed on raw
        fed = False  # some data decoded already

        def _decompress(self, data: bytes) -> bytes:
            if self.decompressor is None or not data:
                return data
            try:
                out = self.decompressor.decompress(data)
            except Exception as exc:
                if self.fed:
                    raise _PayloadError(
                        f"its {self.decomp_type.removesuffix('_alt')} data is damaged part-way ({brief(exc)})"
                    ) from exc
                if self.decomp_type == "deflate":  # raw deflate, without the zlib header, is seen too
                    self._init_decomp("deflate_alt")
                    return cast(bytes, self._decompress(data))
                self.decompressor = None
                self.undecoded = True
                return data
            self.fed = True
            return cast(bytes, out)

    class ChunkedPayload(Payload, ChunkedDataReader):
        pass

    return Archive, Payload, ChunkedPayload


def _after_unreadable(offset: int) -> str:
    """What an unreadable WARC record at ``offset`` means for the file."""
    if offset == 0:
        return "the file does not start with a WARC record: is it a WARC file?"
    return "the file is truncated or corrupt, the records after it were not read"


def _mime(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def _is_single_gzip(exc: Exception) -> bool:
    """Whether warcio gave up on a WARC because it is gzipped as one whole file, not record by record."""
    return type(exc).__name__ == "ArchiveLoadFailed" and "non-chunked gzip" in str(exc)


#: What follows a stretch of records (see :func:`_warc_records`).
_Then = tuple[Literal["seek", "gunzip"], int] | None


def iter_warc(fh: IO[bytes], name: str, max_bytes: int | None = None) -> Iterator[Page]:
    """One page per response record (and per HTML resource record) of a WARC stream.

    A record that cannot be read gives one error page. In a seekable .warc.gz, reading goes on at the next
    gzip member that starts a record when one member is corrupt or does not hold a readable record (the
    first one included), and a WARC gzipped as one whole file is read again through gzip. Otherwise (a
    truncated or corrupt plain WARC or stream) the rest of the file is skipped with a WARNING: past a framing
    error the record boundaries cannot be trusted.

    Raises:
        ConfigError: warcio is not installed.
    """
    stream, skip = fh, 0
    while True:
        then = yield from _warc_records(stream, name, max_bytes, skip)
        if then is None:
            return
        how, at = then
        if how == "gunzip":  # gzipped whole: read it through gzip, past the records already given
            LOGGER.info("%s is gzipped as one whole file, not record by record: reading it through gzip", name)
            fh.seek(0)
            stream, skip = cast(IO[bytes], gzip.GzipFile(fileobj=fh, mode="rb")), at
        else:
            fh.seek(at)
            stream, skip = fh, 0


def _warc_records(fh: IO[bytes], name: str, max_bytes: int | None, skip: int) -> Generator[Page, None, _Then]:
    """The pages of a WARC stream from where ``fh`` is, less its first ``skip`` records; returns what comes
    next: None at the end, ``("seek", offset)`` to read on past a corrupt gzip member, ``("gunzip",
    records_read)`` when the file turns out to be gzipped as one whole."""
    archive = archive_iterator()(fh, name)
    records = iter(archive)
    next_offset = max(0, archive.offset)  # where the next record starts, as far as known
    count = 0
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
            return None
        except _DamagedMember as exc:
            lost, resume = _damaged(fh, name, next_offset, None, None, exc)
            yield lost
            return None if resume is None else ("seek", resume)
        except Exception as exc:  # warcio raises many kinds on corrupt input
            if count and _is_single_gzip(exc) and fh.seekable() and not isinstance(fh, gzip.GzipFile):
                return ("gunzip", count)
            # A corrupt gzip member in the file's first block reaches here, not as _DamagedMember: warcio then
            # reads the file as a plain WARC.
            skipped = _skip_member(
                fh, name, next_offset, None, None, "it neither decompresses nor reads as a WARC record"
            )
            if skipped is not None:
                yield skipped[0]
                return ("seek", skipped[1])
            where = f"{name}@{next_offset}"
            LOGGER.warning(
                "%s: unreadable WARC data after offset %d, rest of the file skipped: %s", name, next_offset, brief(exc)
            )
            yield Page(
                id=where,
                source=where,
                error=f"{name}: unreadable WARC data at offset {next_offset} ({brief(exc)}); "
                + _after_unreadable(next_offset),
            )
            return None
        count += 1
        if count <= skip:  # given already, before the file was found to be gzipped whole
            continue
        # warcio keeps the start of the record just parsed in ``offset``
        start = max(0, getattr(archive, "offset", next_offset))
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
                page = _warc_page(record, rid or where, url, where, max_bytes)
            except _DamagedMember:
                raise
            except Exception as exc:  # a bad Content-Encoding; the file is fine if the block reads to its end
                decode_error = exc
            missing = _drain(record.raw_stream)
            length = archive.get_record_length()  # reads to the end of the record
            # ``offset`` is now where the next record starts, blank lines between records included
            next_offset = max(0, getattr(archive, "offset", start + length))
        except _DamagedMember as exc:
            lost, resume = _damaged(fh, name, start, rid, url, exc)
            yield lost
            return None if resume is None else ("seek", resume)
        except Exception as exc:
            skipped = _skip_member(fh, name, start, rid, url, f"it does not read as a WARC record ({brief(exc)})")
            if skipped is not None:
                yield skipped[0]
                return ("seek", skipped[1])
            LOGGER.warning(
                "%s: WARC record %s unreadable, rest of the file skipped: %s", name, rid or where, brief(exc)
            )
            yield Page(
                id=rid or where,
                url=url,
                source=where,
                error=f"{name}: the WARC record at offset {start} cannot be read ({brief(exc)}); "
                + _after_unreadable(start),
            )
            return None
        if missing:
            LOGGER.warning("%s: WARC record %s is truncated, rest of the file skipped", name, rid or where)
            yield Page(
                id=rid or where,
                url=url,
                source=where,
                error=f"{name}: the WARC record at offset {start} is truncated ({missing} bytes missing); "
                "the file was cut short",
            )
            return None
        if decode_error is not None:
            if isinstance(decode_error, _PayloadError):
                why = str(decode_error)
            else:
                why = f"{brief(decode_error)}; its Content-Encoding does not match the bytes stored"
            LOGGER.warning("%s: the payload of WARC record %s cannot be decoded: %s", name, rid or where, why)
            yield Page(
                id=rid or where,
                url=url,
                source=where,
                error=f"{name}: the HTTP payload of the WARC record at offset {start} cannot be decoded: {why}",
            )
        elif page is not None:
            yield page


def _damaged(
    fh: IO[bytes],
    name: str,
    start: int,
    rid: str | None,
    url: str | None,
    exc: Exception,
    resume: int | None = None,
) -> tuple[Page, int | None]:
    """The error page of a record whose gzip member is corrupt, and the offset of the next member that starts a
    record (None: there is none), where ``fh`` is left; ``resume``: that offset, found already."""
    where = f"{name}@{start}"
    if resume is None:
        resume = _next_member(fh, start)
    else:
        fh.seek(resume)
    if resume is None and (not _seekable(fh) or getattr(fh, "window_missed", False)):
        then = (
            "the rest of the input was not read: a stream cannot be searched that far back for the next "
            "record (give the file by name to read on past it)"
        )
    elif resume is None:
        then = "no WARC record starts after it, the rest of the file was not read"
    else:
        then = f"reading goes on at the next record, offset {resume}"
    LOGGER.warning("%s: the WARC record at offset %d is corrupt (%s); %s", name, start, exc, then)
    page = Page(
        id=rid or where,
        url=url,
        source=where,
        error=f"{name}: the WARC record at offset {start} is corrupt: {exc}; the record is lost, {then}",
    )
    return page, resume


def _skip_member(
    fh: IO[bytes], name: str, start: int, rid: str | None, url: str | None, why: str
) -> tuple[Page, int] | None:
    """For a record at ``start`` that cannot be read: when a later gzip member starts a record (so the file is a
    seekable .warc.gz, one record per member), the record's error page and that member's offset; else None
    (a plain WARC or a stream: past a framing error nothing can be trusted)."""
    later = None if isinstance(fh, gzip.GzipFile) else _next_member(fh, start)
    if later is None:
        return None
    page, _ = _damaged(fh, name, start, rid, url, _DamagedMember(why), resume=later)
    return page, later


def _seekable(fh: IO[bytes]) -> bool:
    try:
        return bool(fh.seekable())
    except (OSError, ValueError):
        return False


def _next_member(fh: IO[bytes], after: int) -> int | None:
    """The offset of the first gzip member past ``after`` that decompresses to the start of a WARC record,
    with ``fh`` left there; None when there is none, or ``fh`` cannot seek."""
    try:
        if not fh.seekable():
            return None
        pos = after + 1
        while True:
            fh.seek(pos)
            block = fh.read(BIG_CHUNK)
            found = block.find(_MEMBER_MAGIC)
            if found < 0:
                if len(block) < len(_MEMBER_MAGIC):
                    return None
                pos += len(block) - len(_MEMBER_MAGIC) + 1
                continue
            pos += found
            fh.seek(pos)
            try:
                if zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(fh.read(CHUNK), 5) == b"WARC/":
                    fh.seek(pos)
                    return pos
            except zlib.error:
                pass
            pos += 1
    except (OSError, ValueError):
        return None


def _payload_stream(record: Any) -> Any:
    """The decoded HTTP payload of a WARC record, like warcio's ``content_stream()`` but refusing an encoding
    it cannot undo instead of passing the bytes on as they are.

    Raises:
        _PayloadError: the Content-Encoding is not supported, or is ``br`` and brotli is not installed.
    """
    headers = record.http_headers
    if headers is None:
        return record.raw_stream
    declared = (headers.get_header("Content-Encoding") or "").strip().lower()
    encoding = {"": None, "identity": None, "x-gzip": "gzip"}.get(declared, declared)
    if encoding == "br":
        try:
            importlib.import_module("brotli")
        except ImportError:
            raise _PayloadError(
                "it is Brotli-compressed (Content-Encoding: br) and the brotli package is not installed; "
                "install it with: pip install 'detector[warc]' (or pip install brotli), then run again"
            ) from None
    elif encoding not in (None, "gzip", "deflate"):
        raise _PayloadError(
            f"its Content-Encoding {declared!r} is not supported (gzip, deflate and br are); the page cannot be scored"
        )
    _, payload, chunked = _warc_readers()
    if (headers.get_header("Transfer-Encoding") or "").strip().lower() == "chunked":
        return chunked(record.raw_stream, decomp_type=encoding, block_size=_PAYLOAD_BLOCK)
    if encoding:
        return payload(record.raw_stream, decomp_type=encoding, block_size=_PAYLOAD_BLOCK)
    return record.raw_stream


def _looks_like_markup(data: bytes) -> bool:
    """Whether bytes start like an HTML or XML document (after white space and a BOM)."""
    return data.lstrip(b" \t\r\n\f\v").removeprefix(UTF8_BOM).lstrip()[:1] == b"<"


def _warc_page(record: Any, rid: str, url: str | None, source: str, max_bytes: int | None = None) -> Page | None:
    """The page of one WARC record, or None for a record that is not a page (request, metadata...).

    Raises:
        _PayloadError: the payload cannot be decoded (see :func:`_payload_stream`); also when its bytes are
            not in the declared Content-Encoding, unless they are plain markup already (a crawler that
            stored the body decoded but kept the header).
    """
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
    stream = _payload_stream(record)
    payload = read_capped(stream, max_bytes)
    if getattr(stream, "undecoded", False):
        encoding = record.http_headers.get_header("Content-Encoding").strip()
        if not _looks_like_markup(payload):
            raise _PayloadError(
                f"it is declared as Content-Encoding: {encoding} but its bytes are not {encoding} data; "
                "the record is damaged or its header is wrong, the page cannot be scored"
            )
        LOGGER.debug("%s: declared Content-Encoding %s, but stored decoded already: read as it is", rid, encoding)
    cut = max_bytes is not None and len(payload) > max_bytes
    return Page(id=rid, url=url, html=payload, source=source, content_type=ctype, truncated=cut)


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
    while stream.read(CHUNK):
        pass
    left = getattr(stream, "limit", 0)
    return left if isinstance(left, int) and left > 0 else 0
