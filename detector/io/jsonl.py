"""JSONL input: one page per non-blank line, each a JSON object with ``id``, ``url`` and ``html`` or ``text``.

The format's rules are in :mod:`detector.io.readers`. A line that is not what it should be gives an error
page saying what is wrong with it, in JSON's words; a line longer than ``max_bytes`` is not read whole.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from typing import IO, Any

from detector.io.common import CHUNK, MESSAGE_CHARS, READ_ERRORS, UTF8_BOM, brief
from detector.types import Page

LOGGER = logging.getLogger(__name__)

_JSONL_HINT = 'each line must be one JSON object with "id", "url" and "html" (raw HTML) or "text" (plain text)'


def _jsonl_lines(fh: IO[bytes], max_bytes: int | None) -> Iterator[tuple[bytes, bool]]:
    """The lines of a stream, each with whether it is longer than ``max_bytes`` (line end not counted);
    of such a line only the first ``max_bytes + 1`` bytes are read, the rest is skipped."""
    if max_bytes is None:
        for line in fh:
            yield line, False
        return
    limit = max_bytes + 2  # the longest line kept whole, with its "\r\n"
    while line := fh.readline(limit):
        if len(line) < limit or line.endswith(b"\n"):  # the whole line
            yield line, len(line.removesuffix(b"\n").removesuffix(b"\r")) > max_bytes
            continue
        while (rest := fh.readline(CHUNK)) and not rest.endswith(b"\n"):
            pass
        yield line[: max_bytes + 1], True


def iter_jsonl(fh: IO[bytes], name: str, max_bytes: int | None = None) -> Iterator[Page]:
    """One page per non-blank line; a read failure (truncated gzip) gives one error page and stops."""
    lineno = 0
    try:
        for lineno, (raw, too_long) in enumerate(_jsonl_lines(fh, max_bytes), 1):
            if lineno == 1 and raw.startswith(UTF8_BOM):
                raw = raw[len(UTF8_BOM) :]
            if too_long:
                yield _long_jsonl_page(raw, name, lineno)
            elif raw.strip():
                yield _jsonl_page(raw, name, lineno)
    except READ_ERRORS as exc:
        where = f"{name}:{lineno + 1}"
        done = f"past line {lineno}" if lineno else "its first line"
        LOGGER.warning("%s: stopped reading at line %d: %s", name, lineno + 1, brief(exc))
        yield Page(
            id=where,
            source=where,
            error=f"{name}: cannot read {done} ({brief(exc)}); "
            "the file is truncated or corrupt, the lines after it were not read",
        )


def _json_type(value: Any) -> str:
    """The JSON name of a parsed JSON value's type."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _json_text(value: Any) -> str:
    """A parsed JSON value written back as JSON, cut to ``MESSAGE_CHARS`` characters (for messages)."""
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= MESSAGE_CHARS else text[:MESSAGE_CHARS] + "..."


def _record_id(value: Any, where: str) -> str:
    """The page id of a JSONL record's ``id``: a string as it is, a number as its JSON text; a missing,
    empty or null id, and (with a WARNING) an object, array or boolean, give the line's ``path:line``."""
    if isinstance(value, str) and value:
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return json.dumps(value)
    if value is not None and value != "":
        LOGGER.warning(
            '%s: "id" is a JSON %s (%s), not a string or number; the record is given the id %s instead',
            where,
            _json_type(value),
            _json_text(value),
            where,
        )
    return where


def _record_url(value: Any, where: str) -> str | None:
    """A JSONL record's ``url``: a non-empty string, else None (with a WARNING when it is not a string)."""
    if isinstance(value, str):
        return value or None
    if value is not None:
        LOGGER.warning(
            '%s: "url" is a JSON %s (%s), not a string; it is ignored', where, _json_type(value), _json_text(value)
        )
    return None


def _jsonl_page(raw: bytes, name: str, lineno: int) -> Page:
    """The page of one JSONL line, or an error page saying what is wrong with the line."""
    where = f"{name}:{lineno}"
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError:
        LOGGER.debug("%s: line is not valid UTF-8, undecodable bytes replaced", where)
        line = raw.decode("utf-8", errors="replace")
    try:
        obj = json.loads(line.rstrip("\r\n"))  # without its end, a line cut inside a string says so
    except json.JSONDecodeError as exc:
        msg = exc.msg.removesuffix(" at")  # "Invalid control character at", "Unterminated string starting at"
        hint = _JSONL_HINT
        if b"\x00" in raw:  # every other byte NUL: UTF-16 (Windows' "Unicode")
            hint = "the file looks UTF-16 encoded: JSONL must be UTF-8 (re-save it as UTF-8)"
        return Page(
            id=where,
            source=where,
            error=f"{name} line {lineno}: not valid JSON ({msg} at column {exc.colno}); {hint}",
        )
    if not isinstance(obj, dict):
        return Page(
            id=where,
            source=where,
            error=f"{name} line {lineno}: the line is a JSON {_json_type(obj)}, not an object; {_JSONL_HINT}",
        )
    page_id = _record_id(obj.get("id"), where)
    url = _record_url(obj.get("url"), where)
    ctype = obj.get("content_type")
    ctype = ctype if isinstance(ctype, str) and ctype else None
    html, text = obj.get("html"), obj.get("text")
    for key, value in (("html", html), ("text", text)):
        if value is not None and not isinstance(value, str):
            return Page(
                id=page_id,
                url=url,
                source=where,
                error=f'{name} line {lineno}: "{key}" must be a string, not a JSON {_json_type(value)}',
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


_JSON_SPACE = re.compile(r"[ \t\r\n]*")


def _after_space(text: str, pos: int) -> int:
    """Where the JSON white space from ``pos`` on ends."""
    match = _JSON_SPACE.match(text, pos)
    return match.end() if match else pos


def _leading_fields(head: str) -> dict[str, Any]:
    """The complete members at the start of a JSON object whose text is cut short: the ``id`` and ``url``
    of a line too long to be read whole, when they come before the page."""
    decoder = json.JSONDecoder()
    fields: dict[str, Any] = {}
    pos = _after_space(head, 0)
    if not head.startswith("{", pos):
        return fields
    while True:
        try:
            key, pos = decoder.raw_decode(head, _after_space(head, pos + 1))
            pos = _after_space(head, pos)
            if not isinstance(key, str) or not head.startswith(":", pos):
                return fields
            value, pos = decoder.raw_decode(head, _after_space(head, pos + 1))
        except json.JSONDecodeError:
            return fields
        pos = _after_space(head, pos)
        if not head.startswith((",", "}"), pos):  # a number cut short parses, but is not followed by these
            return fields
        fields[key] = value
        if head.startswith("}", pos):
            return fields


def _long_jsonl_page(head: bytes, name: str, lineno: int) -> Page:
    """The page of a JSONL line longer than ``max_bytes``: its ``html`` is the first ``max_bytes + 1`` bytes
    of the line (so that the pipeline marks it too_large); ``id`` and ``url`` are kept when they come first."""
    where = f"{name}:{lineno}"
    fields = _leading_fields(head.decode("utf-8", errors="replace"))
    LOGGER.debug("%s: line longer than max_bytes, read no further than %d bytes", where, len(head))
    return Page(
        id=_record_id(fields.get("id"), where),
        url=_record_url(fields.get("url"), where),
        html=head,
        source=where,
        truncated=True,
    )
