"""Readers and writers on real inputs: the fixture pages and seeds, packed as WARC, JSONL and folders."""

from __future__ import annotations

import gzip
import io
import json
import logging
import math
import os
import random
import struct
import sys
import threading
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from detector.errors import ConfigError, DetectorError, InputError
from detector.io import (
    FLAT_COLUMNS,
    SUPPORTED_EXTENSIONS,
    iter_pages,
    open_writer,
    output_format,
    readers,
    sniff_format,
    warc,
)
from detector.io.writers import PARQUET_BATCH_ROWS
from detector.types import Evidence, Page, Reason, Verdict

FIXTURES = Path(__file__).parent / "fixtures"
PAGES = sorted((FIXTURES / "pages").glob("*.html.gz"))
SEEDS = sorted((FIXTURES / "seeds").glob("*.txt"))
RECORDS_JSONL = FIXTURES / "io" / "records.jsonl"


def _html(path: Path) -> bytes:
    return gzip.decompress(path.read_bytes())


def _png() -> bytes:
    """A real 1x1 PNG image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


def _chunked(data: bytes, size: int = 4096) -> bytes:
    parts = [b"%x\r\n%s\r\n" % (len(data[i : i + size]), data[i : i + size]) for i in range(0, len(data), size)]
    return b"".join(parts) + b"0\r\n\r\n"


def _http(status: str, headers: list[tuple[str, str]]) -> StatusAndHeaders:
    return StatusAndHeaders(status, headers, protocol="HTTP/1.1")


def build_warc(path: Path, *, gz: bool) -> list[dict[str, Any]]:
    """Write a WARC like a crawler's and return what each page record must read back as, in order.

    Besides one HTML response per fixture page: a warcinfo, a request before every response, a
    metadata record and a text/plain resource (none of them pages), an image/png response, a
    chunked and gzip-encoded HTML response, and an HTML resource record.
    """
    expected: list[dict[str, Any]] = []
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=gz)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "detector tests"}))

        def response(url: str, body: bytes, headers: list[tuple[str, str]], decoded: bytes, ctype: str) -> None:
            request = writer.create_warc_record(
                url,
                "request",
                payload=io.BytesIO(b""),
                http_headers=StatusAndHeaders("GET / HTTP/1.1", [("Host", "news.example")], is_http_request=True),
            )
            writer.write_record(request)
            record = writer.create_warc_record(
                url, "response", payload=io.BytesIO(body), http_headers=_http("200 OK", headers)
            )
            writer.write_record(record)
            rid = record.rec_headers.get_header("WARC-Record-ID")
            expected.append({"id": rid, "url": url, "html": decoded, "content_type": ctype})

        for page in PAGES:
            body = _html(page)
            ctype = "text/html; charset=utf-8"
            response(f"https://news.example/{page.name[:-3]}", body, [("Content-Type", ctype)], body, ctype)

        writer.write_record(
            writer.create_warc_record(
                "https://news.example/",
                "metadata",
                payload=io.BytesIO(b"fetchTimeMs: 120\r\n"),
                warc_content_type="application/warc-fields",
            )
        )
        png = _png()
        response("https://news.example/logo.png", png, [("Content-Type", "image/png")], png, "image/png")

        seed_html = _html(PAGES[-1])
        encoded = _chunked(gzip.compress(seed_html))
        headers = [
            ("Content-Type", "text/html"),
            ("Content-Encoding", "gzip"),
            ("Transfer-Encoding", "chunked"),
        ]
        response("https://news.example/encoded", encoded, headers, seed_html, "text/html")

        writer.write_record(
            writer.create_warc_record(
                "file:///notes.txt",
                "resource",
                payload=io.BytesIO(SEEDS[0].read_bytes()),
                warc_content_type="text/plain",
            )
        )
        resource = writer.create_warc_record(
            "file:///saved.html",
            "resource",
            payload=io.BytesIO(_html(PAGES[0])),
            warc_content_type="text/html",
        )
        writer.write_record(resource)
        expected.append(
            {
                "id": resource.rec_headers.get_header("WARC-Record-ID"),
                "url": "file:///saved.html",
                "html": _html(PAGES[0]),
                "content_type": "text/html",
            }
        )
    return expected


def _record_start(path: Path, offset: int, gz: bool) -> bytes:
    """The first bytes of the WARC record at ``offset``."""
    data = path.read_bytes()[offset:]
    if gz:
        data = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data, 64)
    return data[:9]


# --------------------------------------------------------------------------------------------------- formats


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("a.html", "html"),
        ("A.HTM", "html"),
        ("x/page.xhtml.gz", "html"),
        ("r.jsonl", "jsonl"),
        ("r.jsonl.gz", "jsonl"),
        ("r.ndjson", "jsonl"),
        ("notes.txt", "text"),
        ("notes.txt.gz", "text"),
        ("README.md", "text"),
        ("crawl.warc", "warc"),
        ("CC-MAIN-2024.warc.gz", "warc"),
    ],
)
def test_sniff_format_by_extension(name: str, fmt: str) -> None:
    assert sniff_format(name) == fmt
    assert sniff_format(Path(name)) == fmt


@pytest.mark.parametrize("name", ["page.pdf", "data.json", "archive.gz", "noext", "x.html.bz2"])
def test_sniff_format_unsupported(name: str) -> None:
    with pytest.raises(InputError, match=r"\.warc\.gz") as err:
        sniff_format(name)
    assert name in str(err.value)


def test_supported_extensions_listed() -> None:
    assert {".html", ".htm.gz", ".jsonl", ".ndjson", ".txt", ".md", ".warc", ".warc.gz"} <= set(SUPPORTED_EXTENSIONS)


# --------------------------------------------------------------------------------------------------- files


def test_html_files_raw_bytes_and_path_as_id() -> None:
    pages = list(iter_pages([str(p) for p in PAGES]))
    assert [p.id for p in pages] == [str(p) for p in PAGES]
    for page, path in zip(pages, PAGES, strict=True):
        assert page.html == _html(path)
        assert isinstance(page.html, bytes)
        assert page.source == str(path)
        assert page.text is None and page.error is None


def test_plain_html_and_text_files(tmp_path: Path) -> None:
    (tmp_path / "page.html").write_bytes(_html(PAGES[0]))
    (tmp_path / "seed.txt").write_bytes(b"\xef\xbb\xbf" + SEEDS[0].read_bytes())
    with gzip.open(tmp_path / "seed.md.gz", "wb") as fh:
        fh.write(SEEDS[1].read_bytes())
    html, text, md = iter_pages([tmp_path / "page.html", str(tmp_path / "seed.txt"), tmp_path / "seed.md.gz"])
    assert html.html == _html(PAGES[0])
    assert text.text == SEEDS[0].read_text(encoding="utf-8")  # BOM dropped
    assert text.id == str(tmp_path / "seed.txt")
    assert md.text == SEEDS[1].read_text(encoding="utf-8")
    assert md.html is None


def test_a_single_path_is_accepted() -> None:
    (page,) = iter_pages(str(SEEDS[0]))
    assert page.text and page.text.startswith("President Lee")


def test_text_with_invalid_utf8_is_replaced(tmp_path: Path) -> None:
    path = tmp_path / "latin1.txt"
    path.write_bytes("Café crème\n".encode("latin-1"))
    (page,) = iter_pages([path])
    assert page.text == "Caf\ufffd cr\ufffdme\n"


def test_corrupt_gzip_file_gives_one_error_page(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    bad = tmp_path / "page.html.gz"
    bad.write_bytes(_html(PAGES[0])[:200])  # named .gz, but not gzipped
    cut = tmp_path / "cut.html.gz"
    cut.write_bytes(PAGES[0].read_bytes()[:500])
    with caplog.at_level(logging.WARNING, logger="detector.io.readers"):
        pages = list(iter_pages([bad, cut]))
    assert [p.id for p in pages] == [str(bad), str(cut)]
    assert all(p.error and "cannot be read" in p.error for p in pages)
    assert all(p.html is None for p in pages)
    assert len(caplog.records) == 2


def test_gzipped_content_is_found_whatever_the_name(tmp_path: Path) -> None:
    html, text = tmp_path / "page.html", tmp_path / "seed.txt"
    html.write_bytes(PAGES[0].read_bytes())  # gzipped, named without .gz
    text.write_bytes(gzip.compress(SEEDS[0].read_bytes()))
    records = tmp_path / "records.jsonl"
    records.write_bytes(gzip.compress(b'{"id": "r1", "text": "words"}\n'))
    page, seed, record = iter_pages([html, text, records])
    assert page.html == _html(PAGES[0]) and page.error is None
    assert seed.text == SEEDS[0].read_text(encoding="utf-8")
    assert record.id == "r1" and record.text == "words"


def _too_large(page: Page, max_bytes: int) -> bool:
    """Whether the pipeline, with this max_bytes, gives the page status too_large."""
    from detector.pipeline import DetectorConfig, clean_page

    result = clean_page(page, DetectorConfig(max_bytes=max_bytes))
    return isinstance(result, tuple) and result[0] == "too_large"


def _peak_bytes(read: Any) -> tuple[Any, int]:
    """What ``read()`` returns and the peak of the memory allocated while it ran."""
    import tracemalloc

    tracemalloc.start()
    try:
        out = read()
        return out, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_max_bytes_files_are_not_read_whole(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.html.gz"  # 8 MB of HTML in 8 KB of gzip
    with gzip.open(bomb, "wb") as fh:
        fh.write(b"<html><body>" + b" " * 8_000_000)
    html = min((_html(p) for p in PAGES), key=len)
    small = tmp_path / "small.html"
    small.write_bytes(html)
    pages, peak = _peak_bytes(lambda: list(iter_pages([bomb, small], max_bytes=100_000)))
    assert peak < 1_000_000
    big, ok = pages
    assert isinstance(big.html, bytes) and len(big.html) == 100_001 and big.html.startswith(b"<html><body>")
    assert _too_large(big, 100_000) and big.truncated
    assert ok.html == html and not _too_large(ok, 100_000) and not ok.truncated
    # exactly max_bytes is not too large
    (same,) = iter_pages([small], max_bytes=len(html))
    assert same.html == html


def test_max_bytes_text_counts_characters(tmp_path: Path) -> None:
    # the pipeline measures text in characters: 3-byte characters over max_bytes bytes are not too large
    path = tmp_path / "ja.txt"
    path.write_bytes(b"\xef\xbb\xbf" + "日本語".encode() * 1000)  # 9,000 bytes, 3,000 characters
    (page,) = iter_pages([path], max_bytes=5000)
    assert page.text == "日本語" * 1000 and not _too_large(page, 5000)
    (page,) = iter_pages([path], max_bytes=2000)
    assert page.text == ("日本語" * 1000)[:2001] and _too_large(page, 2000)
    with pytest.raises(ValueError, match="max_bytes"):
        iter_pages([path], max_bytes=-1)


# --------------------------------------------------------------------------------------------------- folders


def _tree(root: Path) -> None:
    (root / "b").mkdir(parents=True)
    (root / "b" / "deep").mkdir()
    (root / "b" / "page.htm").write_bytes(_html(PAGES[1]))
    (root / "b" / "deep" / "seed.txt").write_bytes(SEEDS[2].read_bytes())
    (root / "a.html.gz").write_bytes(PAGES[0].read_bytes())
    (root / "c.txt").write_bytes(SEEDS[0].read_bytes())
    (root / "B.html").write_bytes(_html(PAGES[2]))
    (root / "image.png").write_bytes(_png())
    (root / "notes.pdf").write_bytes(b"%PDF-1.4")


def test_folder_walk_is_sorted_depth_first(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    _tree(tmp_path / "in")
    root = str(tmp_path / "in")
    with caplog.at_level(logging.DEBUG, logger="detector.io.readers"):
        pages = list(iter_pages([root]))
    rel = [Path(p.id).relative_to(root).as_posix() for p in pages]
    assert rel == ["B.html", "a.html.gz", "b/deep/seed.txt", "b/page.htm", "c.txt"]
    assert pages[1].html == _html(PAGES[0])
    assert pages[2].text == SEEDS[2].read_text(encoding="utf-8")
    assert all(p.error is None for p in pages)
    skipped = [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG and "skipping" in r.message]
    assert any("image.png" in m for m in skipped) and any("notes.pdf" in m for m in skipped)
    # the same walk twice gives the same order
    assert [p.id for p in iter_pages([root])] == [p.id for p in pages]


def test_folder_walk_not_recursive(tmp_path: Path) -> None:
    _tree(tmp_path)
    rel = [Path(p.id).name for p in iter_pages([tmp_path], recursive=False)]
    assert rel == ["B.html", "a.html.gz", "c.txt"]


def test_folder_ids_are_relative_to_the_path_as_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _tree(tmp_path / "crawl")
    monkeypatch.chdir(tmp_path)
    ids = [p.id for p in iter_pages(["crawl"])]
    assert ids[0] == str(Path("crawl") / "B.html")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_folder_walk_skips_named_pipes(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "a.txt").write_bytes(SEEDS[0].read_bytes())
    fifo = tmp_path / "b.html"
    os.mkfifo(fifo)
    found: list[Page] = []

    def walk() -> None:
        found.extend(iter_pages([tmp_path]))

    with caplog.at_level(logging.WARNING, logger="detector.io.readers"):
        thread = threading.Thread(target=walk, daemon=True)
        thread.start()
        thread.join(timeout=20)
        if thread.is_alive():  # blocked opening the pipe: let it go, then fail
            with fifo.open("wb"):
                pass
            thread.join(timeout=10)
            pytest.fail("the folder walk blocked on a named pipe")
    assert [Path(p.id).name for p in found] == ["a.txt"]
    assert any("b.html" in r.getMessage() and "not a regular file" in r.getMessage() for r in caplog.records)


def test_folder_of_unsupported_files_warns_once(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    for name in ("page.php", "page.shtml", "page.html.bz2", "z.asp"):
        (tmp_path / name).write_bytes(b"<html></html>")
    with caplog.at_level(logging.WARNING, logger="detector.io.readers"):
        assert list(iter_pages([tmp_path])) == []
    (record,) = caplog.records
    message = record.getMessage()
    assert "4 file(s) skipped for an unsupported extension" in message and "no input read" in message
    assert "page.html.bz2, page.php, page.shtml, ..." in message and ".html.gz" in message and ".warc" in message
    # a folder with pages too still counts what it skipped, in one warning
    _tree(tmp_path / "mixed")
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="detector.io.readers"):
        assert len(list(iter_pages([tmp_path / "mixed"]))) == 5
    (record,) = caplog.records
    assert "2 file(s) skipped" in record.getMessage() and "no input read" not in record.getMessage()


# --------------------------------------------------------------------------------------------------- JSONL


def test_jsonl_fixture_one_page_per_record() -> None:
    pages = list(iter_pages([RECORDS_JSONL]))
    name = str(RECORDS_JSONL)
    assert [p.id for p in pages] == [
        "farm-toc",
        f"{name}:2",
        f"{name}:4",
        "wrong-key",
        f"{name}:6",
        "42",
        "both",
    ]
    ok, no_id, broken, wrong_key, array, not_str, both = pages

    assert ok.url == "https://news.example/g7-visit"
    assert isinstance(ok.html, str) and ok.html.startswith("<html>") and ok.error is None
    assert ok.source == f"{name}:1"

    assert no_id.text and no_id.text.startswith("The Significance of the Japan Trip\n")
    assert no_id.html is None and no_id.url == "https://news.example/no-id"

    assert broken.error and "line 4" in broken.error and "not valid JSON" in broken.error
    assert '"html"' in broken.error  # says what a line must hold

    assert wrong_key.error and "line 5" in wrong_key.error
    assert 'neither "html" nor "text"' in wrong_key.error and "content" in wrong_key.error
    assert wrong_key.url == "https://news.example/content"

    assert array.error and "line 6" in array.error and "not an object" in array.error
    assert not_str.error and '"html" must be a string' in not_str.error

    assert both.html == "<p>html wins</p>" and both.text is None
    assert both.content_type == "text/html; charset=utf-8"


def _write_jsonl(path: Path, records: list[dict[str, Any]]) -> None:
    data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode("utf-8")
    path.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)


def _real_records() -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = [
        {"id": p.name, "url": f"https://news.example/{p.name}", "html": _html(p).decode("utf-8", "replace")}
        for p in PAGES
    ]
    records += [{"id": s.stem, "text": s.read_text(encoding="utf-8")} for s in SEEDS]
    return records


def test_jsonl_gz_from_real_pages(tmp_path: Path) -> None:
    records = _real_records()
    path = tmp_path / "pages.jsonl.gz"
    _write_jsonl(path, records)
    pages = list(iter_pages([path]))
    assert [p.id for p in pages] == [r["id"] for r in records]
    for page, record in zip(pages, records, strict=True):
        assert page.html == record.get("html")
        assert page.text == record.get("text")
        assert page.error is None


def test_jsonl_is_streamed(tmp_path: Path) -> None:
    path = tmp_path / "pages.jsonl"
    _write_jsonl(path, _real_records())
    pages = iter_pages([path])
    first = next(pages)
    assert first.id == PAGES[0].name
    assert isinstance(pages, Iterator)


def test_truncated_jsonl_gz_keeps_the_good_lines(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    records = [{"id": s.stem, "text": s.read_text(encoding="utf-8")} for s in SEEDS] * 3
    data = gzip.compress("".join(json.dumps(r) + "\n" for r in records).encode())
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(data[: len(data) * 2 // 3])
    with caplog.at_level(logging.WARNING, logger="detector.io.readers"):
        pages = list(iter_pages([path]))
    assert 1 < len(pages) <= len(records)
    assert all(p.error is None for p in pages[:-1])
    last = pages[-1]
    assert last.error and "truncated or corrupt" in last.error
    assert any("stopped reading" in r.getMessage() for r in caplog.records)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.one_of(
            st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\n"), max_size=40),
            st.builds(json.dumps, st.dictionaries(st.sampled_from(["id", "url", "html", "text"]), st.text())),
        ),
        max_size=12,
    )
)
def test_jsonl_one_page_per_non_blank_line(tmp_path: Path, lines: list[str]) -> None:
    path = tmp_path / "fuzz.jsonl"
    path.write_bytes("\n".join(lines).encode("utf-8"))
    pages = list(iter_pages([path]))
    numbers = [n for n, line in enumerate(lines, 1) if line.encode("utf-8").strip()]
    assert [p.source for p in pages] == [f"{path}:{n}" for n in numbers]
    # every page is a record, or says why it is not
    assert all(p.error or p.html is not None or p.text is not None for p in pages)


def test_jsonl_each_non_blank_line_is_one_page(tmp_path: Path) -> None:
    lines = ["{}", "", "not json", "  ", '{"text": ""}', "[]", "null", '{"html": "<p>x</p>"}', "\t"]
    path = tmp_path / "mixed.ndjson"
    path.write_text("\n".join(lines), encoding="utf-8")
    pages = list(iter_pages([path]))
    assert [p.source for p in pages] == [f"{path}:{n}" for n in (1, 3, 5, 6, 7, 8)]
    assert [p.error is None for p in pages] == [False, False, True, False, False, True]


def test_jsonl_messages_speak_json(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    lines = [
        "null",
        "[1, 2]",
        "5",
        "true",
        '"a string"',
        '{"id": "ctl", "html": "<p>a\tb</p>"}',  # a raw tab inside a string
        '{"id": "cut", "html": "<p>unterminated',
        '{"id": "n", "html": 42}',
        '{"id": "l", "text": ["a"]}',
        '{"id": "o", "text": {"a": 1}}',
        '{"id": "b", "html": false}',
    ]
    path = tmp_path / "odd.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8")
    errors = [p.error or "" for p in iter_pages([path])]
    assert "line 1: the line is a JSON null, not an object" in errors[0]
    assert "JSON array" in errors[1] and "JSON number" in errors[2] and "JSON boolean" in errors[3]
    assert "JSON string" in errors[4]
    assert "(Invalid control character at column 28)" in errors[5]
    assert "(Unterminated string starting at column 23)" in errors[6]
    assert errors[7].endswith('"html" must be a string, not a JSON number')
    assert errors[8].endswith("not a JSON array") and errors[9].endswith("not a JSON object")
    assert errors[10].endswith("not a JSON boolean")
    assert not any(word in e for e in errors for word in ("NoneType", "list", " int", "dict", "bool,", "at at"))


def test_jsonl_ids_that_are_not_strings(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    records: list[dict[str, Any]] = [
        {"id": 12345, "url": 678, "text": "a"},
        {"id": 1.5, "text": "b"},
        {"id": {"nested": 1}, "text": "c"},
        {"id": True, "text": "d"},
        {"id": ["x"], "text": "e"},
        {"id": None, "text": "f"},
    ]
    path = tmp_path / "ids.jsonl"
    _write_jsonl(path, records)
    with caplog.at_level(logging.WARNING, logger="detector.io.readers"):
        pages = list(iter_pages([path]))
    # a number is its JSON text; an object, array or boolean is no id: the page keeps its place as path:line
    assert [p.id for p in pages] == ["12345", "1.5", f"{path}:3", f"{path}:4", f"{path}:5", f"{path}:6"]
    assert [p.text for p in pages] == ["a", "b", "c", "d", "e", "f"]  # every page is still read
    assert all(p.error is None for p in pages) and pages[0].url is None
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 4  # the url 678 and the three odd ids; a null id is just a missing one
    assert any(
        f'{path}:3: "id" is a JSON object ({{"nested": 1}})' in m and f"id {path}:3 instead" in m for m in messages
    )
    assert any('"id" is a JSON boolean (true)' in m for m in messages)
    assert any('"url" is a JSON number (678), not a string' in m for m in messages)


def test_jsonl_line_over_max_bytes_is_not_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        fh.write(json.dumps({"id": "small", "text": "x"}) + "\n")
        fh.write('{"id": "big", "url": "https://news.example/big", "text": "' + "word " * 1_000_000 + '"}\r\n')
        fh.write("\n" + json.dumps({"html": "<p>y</p>"}) + "\n")
        fh.write('{"url": "u", "id": ' + "1" * 2000 + "}\n")  # the id itself is cut short
    pages, peak = _peak_bytes(lambda: list(iter_pages([path], max_bytes=1000)))
    assert peak < 1_000_000  # the 5 MB line is never in memory
    small, big, after, cut = pages
    assert small.id == "small" and small.text == "x"
    assert big.id == "big" and big.url == "https://news.example/big" and big.source == f"{path}:2"
    assert isinstance(big.html, bytes) and len(big.html) == 1001 and big.error is None
    assert _too_large(big, 1000) and big.truncated
    assert after.id == f"{path}:4" and after.html == "<p>y</p>"  # line numbers still right
    assert cut.id == f"{path}:5" and cut.url == "u" and _too_large(cut, 1000)
    # a line of exactly max_bytes is read as usual
    line = json.dumps({"id": "edge", "text": "z" * 50})
    path.write_text(line + "\r\n" + line, encoding="utf-8")
    assert [p.text for p in iter_pages([path], max_bytes=len(line))] == ["z" * 50] * 2


# --------------------------------------------------------------------------------------------------- WARC


@pytest.mark.parametrize("gz", [False, True], ids=["warc", "warc.gz"])
def test_warc_pages(tmp_path: Path, gz: bool) -> None:
    path = tmp_path / ("crawl.warc.gz" if gz else "crawl.warc")
    expected = build_warc(path, gz=gz)
    pages = list(iter_pages([path]))
    assert len(pages) == len(expected) == len(PAGES) + 3
    for page, want in zip(pages, expected, strict=True):
        assert page.id == want["id"] and page.id.startswith("<urn:uuid:")
        assert page.url == want["url"]
        assert page.html == want["html"]
        assert page.content_type == want["content_type"]
        assert page.error is None and page.text is None
        assert page.source is not None
        where, _, offset = page.source.rpartition("@")
        assert where == str(path)
        assert _record_start(path, int(offset), gz) == b"WARC/1.0\r"
    assert pages[-3].content_type == "image/png" and pages[-3].html == _png()
    assert pages[-2].html == _html(PAGES[-1])  # chunked and gzip-encoded on the wire


@pytest.mark.parametrize("gz", [False, True], ids=["warc", "warc.gz"])
@pytest.mark.parametrize("into", [100, 3000], ids=["in-headers", "in-payload"])
def test_truncated_warc_keeps_earlier_records(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, gz: bool, into: int
) -> None:
    full = tmp_path / ("full.warc.gz" if gz else "full.warc")
    expected = build_warc(full, gz=gz)
    good = list(iter_pages([full]))
    assert good[2].source is not None
    third = int(good[2].source.rpartition("@")[2])
    cut = tmp_path / ("cut.warc.gz" if gz else "cut.warc")
    cut.write_bytes(full.read_bytes()[: third + into])
    with caplog.at_level(logging.WARNING, logger="detector.io.readers"):
        pages = list(iter_pages([cut, SEEDS[0]]))  # the next input is still read
    assert [p.id for p in pages[:2]] == [e["id"] for e in expected[:2]]
    assert [p.html for p in pages[:2]] == [e["html"] for e in expected[:2]]
    error = pages[2]
    assert error.error and str(cut) in error.error
    assert "cut short" in error.error or "truncated" in error.error
    assert error.html is None
    assert pages[3].id == str(SEEDS[0]) and len(pages) == 4
    assert any(r.levelno == logging.WARNING and str(cut) in r.getMessage() for r in caplog.records)


def test_undecodable_payload_is_one_error_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # a payload decoder that raises must cost that record only, not the rest of the file
    path = tmp_path / "crawl.warc.gz"
    expected = build_warc(path, gz=True)
    real = warc._warc_page

    def failing(record: Any, rid: str, url: str | None, source: str, *rest: Any) -> Page | None:
        if rid == expected[1]["id"]:
            raise zlib.error("Error -3 while decompressing data: invalid distance too far back")
        return real(record, rid, url, source, *rest)

    monkeypatch.setattr(warc, "_warc_page", failing)
    with caplog.at_level(logging.WARNING, logger="detector.io.readers"):
        pages = list(iter_pages([path]))
    assert [p.id for p in pages] == [e["id"] for e in expected]
    bad = pages[1]
    assert bad.url == expected[1]["url"] and bad.html is None
    assert bad.error and "cannot be decoded" in bad.error and "Content-Encoding" in bad.error
    assert [p.html for p in pages[2:]] == [e["html"] for e in expected[2:]]  # the file goes on
    assert any("cannot be decoded" in r.getMessage() for r in caplog.records)


def test_not_a_warc(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "page.warc"
    path.write_bytes(_html(PAGES[0]))
    with caplog.at_level(logging.WARNING, logger="detector.io.readers"):
        (page,) = iter_pages([path])
    assert page.error and "not a WARC record" in page.error and "is it a WARC file?" in page.error
    assert page.id == f"{path}@0"
    assert caplog.records


def test_binary_data_named_warc_gives_one_short_reason(tmp_path: Path) -> None:
    # warcio's error quotes the whole first "line" of what it read: for binary data, hundreds of bytes
    path = tmp_path / "download.warc.gz"
    data = random.Random(2).randbytes(30_000)
    assert data.index(b"\n") > 600  # a first line of 698 bytes
    path.write_bytes(data)
    (page,) = iter_pages([path])
    assert page.error and "is it a WARC file?" in page.error
    assert "more characters" in page.error and len(page.error) < 500


def test_empty_warc_has_no_pages(tmp_path: Path) -> None:
    path = tmp_path / "empty.warc.gz"
    path.write_bytes(b"")
    assert list(iter_pages([path])) == []


def test_warc_without_warcio(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "crawl.warc"
    build_warc(path, gz=False)
    monkeypatch.setitem(sys.modules, "warcio", None)
    monkeypatch.setitem(sys.modules, "warcio.archiveiterator", None)
    with pytest.raises(ConfigError, match=r"pip install 'detector\[warc\]'"):
        iter_pages([path])  # raised before anything is read
    # a WARC met in a folder raises when it is reached
    pages = iter_pages([tmp_path])
    with pytest.raises(ConfigError, match="warcio"):
        next(pages)


def _one_response(path: Path, body: bytes, headers: list[tuple[str, str]], *, gz: bool = True) -> None:
    """A WARC of one HTTP response with this body and these headers, then a plain HTML response."""
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=gz)
        for url, payload, head in (
            ("https://news.example/odd", body, headers),
            ("https://news.example/next", _html(PAGES[1]), [("Content-Type", "text/html")]),
        ):
            record = writer.create_warc_record(
                url, "response", payload=io.BytesIO(payload), http_headers=_http("200 OK", head)
            )
            writer.write_record(record)


def _damage(data: bytes) -> bytes:
    """``data`` with 200 bytes in its middle inverted."""
    mid = len(data) // 2
    return data[:mid] + bytes(b ^ 0xFF for b in data[mid : mid + 200]) + data[mid + 200 :]


def test_brotli_payload_is_decoded(tmp_path: Path) -> None:
    brotli = pytest.importorskip("brotli")
    path = tmp_path / "br.warc.gz"
    _one_response(path, brotli.compress(_html(PAGES[0])), [("Content-Type", "text/html"), ("Content-Encoding", "br")])
    odd, after = iter_pages([path])
    assert odd.error is None and odd.html == _html(PAGES[0])
    assert after.html == _html(PAGES[1])


def test_payload_encoding_that_cannot_be_undone_is_an_error_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    html = _html(PAGES[0])
    compressed = zlib.compress(html)  # stands for Brotli data: bytes that are not HTML
    cases = {
        "br": ([("Content-Type", "text/html"), ("Content-Encoding", "br")], compressed),
        "zstd": ([("Content-Type", "text/html"), ("Content-Encoding", "zstd")], compressed),
        "not-gzip": ([("Content-Type", "text/html"), ("Content-Encoding", "gzip")], _png() * 20),
        "bad-gzip": ([("Content-Type", "text/html"), ("Content-Encoding", "gzip")], _damage(gzip.compress(html))),
    }
    monkeypatch.setitem(sys.modules, "brotli", None)  # not installed
    errors = {}
    for name, (headers, body) in cases.items():
        path = tmp_path / f"{name}.warc"
        _one_response(path, body, headers, gz=False)
        odd, after = iter_pages([path])
        assert odd.html is None and odd.url == "https://news.example/odd"
        assert after.html == _html(PAGES[1])  # the file goes on
        errors[name] = odd.error or ""
    assert "Brotli-compressed (Content-Encoding: br)" in errors["br"]
    assert "pip install 'detector[warc]'" in errors["br"] and "brotli package is not installed" in errors["br"]
    assert "Content-Encoding 'zstd' is not supported (gzip, deflate and br are)" in errors["zstd"]
    assert "declared as Content-Encoding: gzip but its bytes are not gzip data" in errors["not-gzip"]
    assert "its gzip data is damaged part-way" in errors["bad-gzip"]
    assert all("cannot be decoded" in e for e in errors.values())
    assert "Error -3" not in capfd.readouterr().err  # nothing printed by warcio


def test_payload_stored_decoded_is_read_as_it_is(tmp_path: Path) -> None:
    # some crawlers store the body decoded but keep "Content-Encoding: gzip": the bytes are the page
    path = tmp_path / "decoded.warc.gz"
    _one_response(path, _html(PAGES[0]), [("Content-Type", "text/html"), ("Content-Encoding", "gzip")])
    odd, _ = iter_pages([path])
    assert odd.error is None and odd.html == _html(PAGES[0])


def test_warc_gzipped_as_one_whole_file(tmp_path: Path) -> None:
    plain = tmp_path / "crawl.warc"
    expected = build_warc(plain, gz=False)
    path = tmp_path / "whole.warc.gz"
    path.write_bytes(gzip.compress(plain.read_bytes()))
    pages = list(iter_pages([path]))
    assert [p.id for p in pages] == [e["id"] for e in expected]
    assert [p.html for p in pages] == [e["html"] for e in expected]
    data = plain.read_bytes()
    for page in pages:  # offsets are those of the decompressed WARC
        assert page.source is not None
        offset = int(page.source.rpartition("@")[2])
        assert data[offset : offset + 9] == b"WARC/1.0\r"


def _members(path: Path) -> dict[int, int]:
    """The offset and length of every record (one gzip member each) of a .warc.gz, by warcio."""
    from warcio.archiveiterator import ArchiveIterator

    with path.open("rb") as fh:
        archive = ArchiveIterator(fh)
        return {archive.get_record_offset(): archive.get_record_length() for _ in archive}


@pytest.mark.parametrize("where", ["payload", "header", "last"])
def test_corrupt_gzip_member_costs_its_record_only(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str], where: str
) -> None:
    full = tmp_path / "full.warc.gz"
    expected = build_warc(full, gz=True)
    good = [int((p.source or "").rpartition("@")[2]) for p in iter_pages([full])]
    hit = len(good) - 1 if where == "last" else 2
    start, length = good[hit], _members(full)[good[hit]]
    data = bytearray(full.read_bytes())
    data[start if where == "header" else start + length // 2] ^= 0xFF
    path = tmp_path / "damaged.warc.gz"
    path.write_bytes(bytes(data))
    with caplog.at_level(logging.WARNING, logger="detector.io.readers"):
        pages = list(iter_pages([path]))
    assert "Error -3" not in capfd.readouterr().err  # warcio printed nothing
    assert len(pages) == len(good)
    bad = pages.pop(hit)
    kept = [i for i in range(len(good)) if i != hit]
    assert [p.html for p in pages] == [expected[i]["html"] for i in kept]
    assert [p.source for p in pages] == [f"{path}@{good[i]}" for i in kept]
    assert bad.error and bad.source == f"{path}@{start}" and bad.html is None
    assert "is corrupt" in bad.error and "does not decompress" in bad.error and "cut short" not in bad.error
    if where == "last":
        assert start + length == len(data) and "no WARC record starts after it" in bad.error
    else:
        assert f"reading goes on at the next record, offset {start + length}" in bad.error
    if where == "payload":  # its headers were read: it keeps its id
        assert bad.id == expected[hit]["id"] and bad.url == expected[hit]["url"]
    assert any("corrupt" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("where", ["header", "middle"])
def test_corrupt_first_gzip_member_costs_its_record_only(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, where: str
) -> None:
    """warcio reads a file whose first block does not decompress as a plain WARC; a later member that starts
    a record shows it was a .warc.gz, and reading goes on there."""
    full = tmp_path / "full.warc.gz"
    expected = build_warc(full, gz=True)
    first = _members(full)[0]  # the warcinfo record
    data = bytearray(full.read_bytes())
    data[0 if where == "header" else first // 2] ^= 0xFF
    path = tmp_path / "damaged.warc.gz"
    path.write_bytes(bytes(data))
    with caplog.at_level(logging.WARNING, logger="detector.io.warc"):
        pages = list(iter_pages([path]))
    bad = pages.pop(0)
    assert bad.error and bad.source == f"{path}@0" and bad.html is None
    assert "is corrupt" in bad.error and f"reading goes on at the next record, offset {first}" in bad.error
    assert [p.id for p in pages] == [e["id"] for e in expected]
    assert [p.html for p in pages] == [e["html"] for e in expected]
    assert any("corrupt" in r.getMessage() for r in caplog.records)


def test_garbage_at_the_start_of_a_plain_warc_still_ends_the_file(tmp_path: Path) -> None:
    plain = tmp_path / "crawl.warc"
    build_warc(plain, gz=False)
    path = tmp_path / "damaged.warc"
    path.write_bytes(b"not a warc\r\n" + plain.read_bytes()[20:])
    pages = list(iter_pages([path]))
    assert len(pages) == 1 and pages[0].error and "unreadable WARC data at offset 0" in pages[0].error


def test_wrong_content_length_is_logged_not_printed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    plain = tmp_path / "crawl.warc"
    expected = build_warc(plain, gz=False)
    data = plain.read_bytes()
    at = data.index(b"Content-Length: ") + len(b"Content-Length: ")  # the warcinfo record's, 3 bytes short
    end = data.index(b"\r\n", at)
    plain.write_bytes(data[:at] + str(int(data[at:end]) - 3).encode() + data[end:])
    with caplog.at_level(logging.WARNING, logger="detector.io.readers"):
        pages = list(iter_pages([plain]))
    assert [p.id for p in pages] == [e["id"] for e in expected]
    assert "WARNING" not in capfd.readouterr().err
    assert any("not followed by a blank line" in r.getMessage() for r in caplog.records)


def test_warc_record_over_max_bytes_is_not_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "big.warc.gz"
    body = b"<html><body>" + b"<p>word</p>" * 2_000_000  # 22 MB, in 43 KB of gzip
    _one_response(path, gzip.compress(body), [("Content-Type", "text/html"), ("Content-Encoding", "gzip")])
    pages, peak = _peak_bytes(lambda: list(iter_pages([path], max_bytes=500_000)))
    assert peak < 5_000_000  # what one block of compressed bytes inflates to, not the payload
    big, after = pages
    assert big.html == body[:500_001] and big.url == "https://news.example/odd" and _too_large(big, 500_000)
    assert big.truncated and not after.truncated
    assert after.html == _html(PAGES[1])


# --------------------------------------------------------------------------------------------------- stdin


def _stdin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzipped"])
def test_stdin_warc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, gz: bool) -> None:
    path = tmp_path / ("crawl.warc.gz" if gz else "crawl.warc")
    expected = build_warc(path, gz=gz)
    _stdin(monkeypatch, path.read_bytes())
    pages = list(iter_pages(["-"]))
    assert [p.id for p in pages] == [e["id"] for e in expected]
    assert [p.html for p in pages] == [e["html"] for e in expected]
    assert all(p.source and p.source.startswith("-@") for p in pages)
    if not gz:  # offsets in a plain stream are byte offsets of the input
        data = path.read_bytes()
        for page in pages:
            assert page.source is not None
            offset = int(page.source[2:])
            assert data[offset : offset + 9] == b"WARC/1.0\r"


def _damaged_stdin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hit: int) -> tuple[list[dict[str, Any]], int, int]:
    """A WARC.gz with record ``hit``'s gzip member corrupt, on standard input: (the records, the corrupt
    member's offset, its length)."""
    full = tmp_path / "full.warc.gz"
    expected = build_warc(full, gz=True)
    good = [int((p.source or "").rpartition("@")[2]) for p in iter_pages([full])]
    start, length = good[hit], _members(full)[good[hit]]
    data = bytearray(full.read_bytes())
    data[start + length // 2] ^= 0xFF
    _stdin(monkeypatch, bytes(data))
    return expected, start, length


def test_rewindable_stream_seeks_within_its_window_only() -> None:
    data = random.Random(7).randbytes(300_000)
    stream = readers._Rewindable(io.BufferedReader(io.BytesIO(data)), window=10_000)
    assert stream.seekable() and stream.read(50_000) == data[:50_000]
    assert stream.seek(45_000) == 45_000 and stream.read(100) == data[45_000:45_100]  # back, within the window
    assert stream.seek(200_000) == 200_000 and stream.tell() == 200_000  # forward: read on to get there
    assert stream.read(5) == data[200_000:200_005]
    stream.seek(-1_000, io.SEEK_CUR)
    assert stream.read(1_000) == data[199_005:200_005]
    with pytest.raises(OSError, match="no longer held"):
        stream.seek(100)  # long let go: the stream held at most twice its window
    assert stream.window_missed
    with pytest.raises(OSError, match="from its end"):
        stream.seek(0, io.SEEK_END)
    stream.seek(299_990)
    assert stream.read() == data[299_990:] and stream.read(10) == b""


def test_stdin_warc_gz_corrupt_member_costs_its_record_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On standard input, as in a file, a corrupt member costs its own record: the stream keeps its last
    bytes, so reading goes back to the member and on at the next one that starts a record."""
    hit = 2
    expected, start, length = _damaged_stdin(tmp_path, monkeypatch, hit)
    pages = list(iter_pages(["-"]))
    bad = pages.pop(hit)
    assert bad.source == f"-@{start}" and bad.id == expected[hit]["id"]
    assert (
        bad.error
        and "is corrupt" in bad.error
        and f"reading goes on at the next record, offset {start + length}" in bad.error
    )
    assert [p.html for p in pages] == [e["html"] for i, e in enumerate(expected) if i != hit]
    assert not any(p.error for p in pages)


def test_stdin_warc_gz_corrupt_member_beyond_the_window_ends_the_stream(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where the corrupt member is no longer held, the records before it are kept and the error says how to
    read on past it."""
    monkeypatch.setattr(readers, "STDIN_WINDOW", 4096)  # smaller than a record's member
    hit = 2
    expected, start, _ = _damaged_stdin(tmp_path, monkeypatch, hit)
    pages = list(iter_pages(["-"]))
    assert [p.html for p in pages[:hit]] == [e["html"] for e in expected[:hit]]
    bad = pages[hit]
    assert len(pages) == hit + 1 and bad.source == f"-@{start}" and bad.id == expected[hit]["id"]
    assert bad.error and "is corrupt" in bad.error and "give the file by name" in bad.error


def test_stdin_warc_gzipped_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A WARC gzipped as one whole file (not record by record) is read through gzip on a stream too."""
    plain = tmp_path / "crawl.warc"
    expected = build_warc(plain, gz=False)
    _stdin(monkeypatch, gzip.compress(plain.read_bytes()))
    pages = list(iter_pages(["-"]))
    assert [p.html for p in pages] == [e["html"] for e in expected] and not any(p.error for p in pages)


def test_stdin_jsonl(monkeypatch: pytest.MonkeyPatch) -> None:
    _stdin(monkeypatch, b"\n  " + RECORDS_JSONL.read_bytes())
    pages = list(iter_pages(["-"]))
    assert len(pages) == 7
    assert pages[0].id == "farm-toc"
    assert pages[1].id == "-:3"  # no id: stdin and line number (the input starts with a blank line)
    assert pages[2].error and "line 5" in pages[2].error


def test_stdin_html_gzipped(monkeypatch: pytest.MonkeyPatch) -> None:
    _stdin(monkeypatch, PAGES[0].read_bytes())
    (page,) = iter_pages(["-"])
    assert page.id == "-" and page.html == _html(PAGES[0])


def test_stdin_html_and_text(monkeypatch: pytest.MonkeyPatch) -> None:
    html = b"\n\n   " + _html(PAGES[3])
    _stdin(monkeypatch, html)
    (page,) = iter_pages(["-"])
    assert page.id == "-" and page.html == html and page.text is None

    _stdin(monkeypatch, SEEDS[3].read_bytes())
    (page,) = iter_pages(["-"])
    assert page.id == "-" and page.text == SEEDS[3].read_text(encoding="utf-8") and page.html is None


def test_stdin_long_leading_whitespace(monkeypatch: pytest.MonkeyPatch) -> None:
    _stdin(monkeypatch, b" " * 200_000 + b'{"id": "x", "text": "late"}\n')
    (page,) = iter_pages(["-"])
    assert page.id == "x" and page.text == "late"


def test_stdin_empty(monkeypatch: pytest.MonkeyPatch) -> None:
    _stdin(monkeypatch, b"")
    assert list(iter_pages(["-"])) == [Page(id="-", text="", source="-")]


def test_stdin_with_files(monkeypatch: pytest.MonkeyPatch) -> None:
    _stdin(monkeypatch, b"plain text")
    ids = [p.id for p in iter_pages([SEEDS[0], "-", SEEDS[1]])]
    assert ids == [str(SEEDS[0]), "-", str(SEEDS[1])]


def test_stdin_max_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    _stdin(monkeypatch, gzip.compress(b"<html>" + b" " * 100_000))
    (page,) = iter_pages(["-"], max_bytes=1000)
    assert page.html == b"<html>" + b" " * 995
    _stdin(monkeypatch, b'{"id": "a", "text": "' + b"w" * 5000 + b'"}\n{"id": "b", "text": "short"}\n')
    assert [(p.id, p.text) for p in iter_pages(["-"], max_bytes=1000)] == [("a", None), ("b", "short")]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_named_pipe_is_sniffed(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    data = RECORDS_JSONL.read_bytes()

    def feed() -> None:
        with fifo.open("wb") as fh:
            fh.write(data)

    thread = threading.Thread(target=feed)
    thread.start()
    try:
        pages = list(iter_pages([fifo]))
    finally:
        thread.join(timeout=10)
    assert len(pages) == 7 and pages[0].id == "farm-toc" and pages[1].id == f"{fifo}:2"


# ------------------------------------------------------------------------------------------- usage errors


def test_missing_path_is_an_input_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.html"
    with pytest.raises(InputError, match=r"nope\.html") as err:
        iter_pages([SEEDS[0], missing])  # raised at the call, before any page
    assert isinstance(err.value, DetectorError)
    assert "no such file" in str(err.value)


def test_unsupported_explicit_file_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "report.pdf"
    path.write_bytes(b"%PDF-1.4")
    with pytest.raises(InputError, match=r"report\.pdf.*\.html.*\.jsonl.*\.warc"):
        iter_pages([path])


def test_stdin_twice_is_an_input_error() -> None:
    with pytest.raises(InputError, match="only once"):
        iter_pages(["-", "-"])


# --------------------------------------------------------------------------------------------------- writers


def _row(i: int) -> dict[str, Any]:
    ok = i % 5 != 4
    verdict = Verdict(
        id=f"page-{i:05d}",
        url=f"https://news.example/{i}" if i % 7 else None,
        status="ok" if ok else "empty",
        reason="" if ok else "no main text",
        probability=(i % 100) / 100 if ok else None,
        label=("farm" if i % 2 else "genuine") if ok else None,
        reasons=(
            Reason("toc", 1.25, "a table of contents lists 7 questions", (Evidence("Table of Contents", 0, 17),)),
            Reason("faq", 0.5, "FAQ schema – „Was ist…?“", (Evidence("FAQPage", where="dom"),)),
        )
        if ok
        else (),
        signals={"toc.n_entries": float(i % 9), "faq.n_questions": 0.5},
        model_version="lr-2024.1",
        extra={"lang": "de" if i % 3 else "en", "n_words": i * 10, "sampled": bool(i % 2)},
    )
    return verdict.to_dict()


ROWS = 2_500


def _write(path: Path, rows: list[dict[str, Any]]) -> None:
    with open_writer(str(path)) as out:
        for row in rows:
            out.write(row)
        assert out.rows_written == len(rows)


def test_jsonl_round_trip(tmp_path: Path) -> None:
    rows = [_row(i) for i in range(ROWS)]
    for name in ("v.jsonl", "v.jsonl.gz"):
        path = tmp_path / name
        _write(path, rows)
        frame = pd.read_json(path, lines=True, dtype=False)
        assert len(frame) == ROWS
        assert list(frame.columns) == list(rows[0])
        opener = gzip.open if name.endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8") as fh:
            back = [json.loads(line) for line in fh]
        assert back == rows  # nested reasons and signals kept as they are
    assert "„Was ist…?“" in (tmp_path / "v.jsonl").read_text(encoding="utf-8")  # ensure_ascii=False


def _flat_columns() -> list[str]:
    return [*FLAT_COLUMNS, "lang", "n_words", "sampled", "signals"]


def test_csv_round_trip(tmp_path: Path) -> None:
    rows = [_row(i) for i in range(ROWS)]
    path = tmp_path / "v.csv"
    _write(path, rows)
    frame = pd.read_csv(path, keep_default_na=False, dtype=str)
    assert len(frame) == ROWS
    assert list(frame.columns) == _flat_columns()
    first = frame.iloc[1]
    assert first["id"] == "page-00001"
    assert first["reasons"] == "a table of contents lists 7 questions | FAQ schema – „Was ist…?“"
    assert float(first["probability"]) == 0.01
    assert json.loads(first["signals"]) == rows[1]["signals"]
    empty = frame.iloc[4]
    assert empty["status"] == "empty" and empty["probability"] == "" and empty["reasons"] == ""
    assert frame.iloc[7]["url"] == ""  # None -> empty cell


def test_parquet_round_trip_in_batches(tmp_path: Path) -> None:
    rows = [_row(i) for i in range(ROWS)]
    path = tmp_path / "v.parquet"
    _write(path, rows)
    parquet = pq.ParquetFile(path)
    assert parquet.metadata.num_rows == ROWS
    assert parquet.metadata.num_row_groups == math.ceil(ROWS / PARQUET_BATCH_ROWS) == 3
    schema = parquet.schema_arrow
    assert schema.names == _flat_columns()
    types = {name: str(schema.field(name).type) for name in schema.names}
    assert types["probability"] == "double" and types["n_words"] == "int64"  # a whole number stays one
    assert types["sampled"] == "bool"
    assert {types[n] for n in ("id", "url", "status", "reasons", "lang", "signals")} == {"string"}

    frame = pd.read_parquet(path)
    assert len(frame) == ROWS
    assert frame["id"].tolist() == [r["id"] for r in rows]
    assert frame["probability"].iloc[3] == pytest.approx(0.03)
    assert pd.isna(frame["probability"].iloc[4]) and pd.isna(frame["url"].iloc[7])
    assert frame["n_words"].iloc[2499] == 24_990.0
    assert json.loads(frame["signals"].iloc[8]) == {"toc.n_entries": 8.0, "faq.n_questions": 0.5}
    assert frame["reasons"].iloc[0].split(" | ")[0] == "a table of contents lists 7 questions"


@pytest.mark.parametrize("name", ["v.jsonl", "v.csv", "v.parquet"])
def test_writers_flush_when_the_block_fails(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    with pytest.raises(RuntimeError, match="scoring failed"), open_writer(path) as out:
        for i in range(1_500):
            out.write(_row(i))
        raise RuntimeError("scoring failed")
    reader = {
        "v.jsonl": lambda p: pd.read_json(p, lines=True),
        "v.csv": pd.read_csv,
        "v.parquet": pd.read_parquet,
    }
    assert len(reader[name](path)) == 1_500


@pytest.mark.parametrize("name", ["v.jsonl", "v.csv", "v.parquet"])
def test_writers_with_no_rows(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    with open_writer(path):
        pass
    if name == "v.jsonl":
        assert path.read_bytes() == b""
    elif name == "v.csv":
        assert path.read_text().strip().split(",") == [*FLAT_COLUMNS, "signals"]
    else:
        assert pq.ParquetFile(path).schema_arrow.names == [*FLAT_COLUMNS, "signals"]


def test_flat_schema_is_fixed_by_the_first_row(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    first = {"id": "a", "status": "ok", "probability": 0.5, "lang": "en", "tags": ["x"], "signals": {}}
    later = {"id": "b", "status": "ok", "probability": "n/a", "lang": 3, "late_key": 1, "url": "u"}
    path = tmp_path / "v.parquet"
    with caplog.at_level(logging.WARNING, logger="detector.io.writers"), open_writer(path) as out:
        out.write(first)
        out.write(later)
        out.write(later)
    frame = pd.read_parquet(path)
    assert list(frame.columns) == [*FLAT_COLUMNS, "lang", "signals"]
    assert frame["lang"].tolist() == ["en", "3", "3"]
    assert frame["probability"].iloc[0] == 0.5 and pd.isna(frame["probability"].iloc[1])
    assert frame["signals"].iloc[0] == "{}" and pd.isna(frame["signals"].iloc[1])
    messages = " ".join(r.getMessage() for r in caplog.records)
    assert "tags" in messages and "late_key" in messages and "probability" in messages
    assert len(caplog.records) == 3  # each problem is said once


def test_jsonl_nan_is_null(tmp_path: Path) -> None:
    path = tmp_path / "v.jsonl"
    with open_writer(path) as out:
        out.write({"id": "a", "probability": float("nan"), "signals": {"x": float("inf"), "y": 1.0}})
    assert json.loads(path.read_text()) == {"id": "a", "probability": None, "signals": {"x": None, "y": 1.0}}


def test_stdout_jsonl(capsys: pytest.CaptureFixture[str]) -> None:
    for target in (None, "-"):
        with open_writer(target) as out:
            out.write(_row(1))
            out.write(_row(2))
        lines = capsys.readouterr().out.splitlines()
        assert [json.loads(line)["id"] for line in lines] == ["page-00001", "page-00002"]
    assert not sys.stdout.closed


def test_stdout_csv(capsys: pytest.CaptureFixture[str]) -> None:
    with open_writer("-", fmt="csv") as out:
        out.write(_row(1))
    header, row = capsys.readouterr().out.splitlines()
    assert header.split(",")[:3] == ["id", "url", "status"]
    assert row.startswith("page-00001,")


def test_format_option_wins_over_extension(tmp_path: Path) -> None:
    path = tmp_path / "verdicts.out"
    with open_writer(path, fmt="csv") as out:
        out.write(_row(0))
    assert path.read_text().startswith("id,url,")
    assert output_format("x.JSONL.GZ") == "jsonl" and output_format(None) == "jsonl"


@pytest.mark.parametrize("name", ["v.xlsx", "v.json", "verdicts", "v.parquet.gz"])
def test_unknown_output_extension(tmp_path: Path, name: str) -> None:
    with pytest.raises(ConfigError, match=r"\.parquet"):
        open_writer(tmp_path / name)
    assert not (tmp_path / name).exists()


def test_bad_output_options(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown output format"):
        open_writer(tmp_path / "v.csv", fmt="xml")
    with pytest.raises(ConfigError, match="file path"):
        open_writer("-", fmt="parquet")
    (tmp_path / "a-file").write_text("x")
    with pytest.raises(ConfigError, match="cannot write"):
        open_writer(tmp_path / "a-file" / "v.jsonl")  # its folder would be a file


@pytest.mark.parametrize("name", ["v.jsonl", "v.csv", "v.parquet"])
def test_missing_output_folder_is_created(tmp_path: Path, name: str) -> None:
    path = tmp_path / "new" / "deeper" / name
    with open_writer(path) as out:
        out.write(_row(0))
    assert path.stat().st_size > 0


def test_write_after_close(tmp_path: Path) -> None:
    out = open_writer(tmp_path / "v.jsonl")
    out.close()
    out.close()  # harmless
    with pytest.raises(ValueError, match="closed"):
        out.write(_row(0))


def test_parquet_without_pyarrow(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    with pytest.raises(ConfigError, match=r"pip install 'detector\[parquet\]'"):
        open_writer(tmp_path / "v.parquet")


def test_a_utf16_jsonl_file_says_it_is_utf16(tmp_path: Path) -> None:
    path = tmp_path / "win.jsonl"
    path.write_bytes('{"id": "a", "text": "some words"}\r\n'.encode("utf-16"))
    pages = list(iter_pages([path]))
    assert pages and all(p.error and "UTF-16" in p.error for p in pages)
