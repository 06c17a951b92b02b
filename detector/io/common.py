"""What the readers share: reads bounded by ``max_bytes``, and library error messages cut short."""

from __future__ import annotations

import codecs
import zlib
from typing import Any, cast

CHUNK = 1 << 16
BIG_CHUNK = 1 << 20  # reads of a payload up to max_bytes
READ_ERRORS = (OSError, EOFError, zlib.error)  # gzip.BadGzipFile is an OSError
UTF8_BOM = codecs.BOM_UTF8

#: Characters of a reader library's error message kept in a page's reason: warcio quotes the whole first line
#: of what it could not parse, which for binary data is hundreds of bytes of mojibake.
MESSAGE_CHARS = 200


def brief(exc: BaseException) -> str:
    """``Type: message``, the message cut to ``MESSAGE_CHARS`` characters."""
    text = str(exc)
    if len(text) > MESSAGE_CHARS:
        text = f"{text[:MESSAGE_CHARS]}... ({len(text) - MESSAGE_CHARS} more characters)"
    return f"{type(exc).__name__}: {text}"


def read_capped(stream: Any, max_bytes: int | None) -> bytes:
    """All of a stream, or only its first ``max_bytes + 1`` bytes when it is longer (the rest left unread)."""
    if max_bytes is None:
        return cast(bytes, stream.read())
    parts: list[bytes] = []
    left = max_bytes + 1
    while left > 0:
        chunk = stream.read(min(left, BIG_CHUNK))
        if not chunk:
            break
        parts.append(chunk)
        left -= len(chunk)
    return b"".join(parts)
