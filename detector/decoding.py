"""Bytes to text the way browsers read a page, and content that is no page at all.

* :func:`declared_codec`: the charset a page declares, in the WHATWG order (BOM, HTTP ``Content-Type``,
  ``<meta>`` in the head), each label read as browsers read it (ISO-8859-1 is windows-1252);
  :func:`decode_html` decodes with it, or leaves an undeclared page to trafilatura's detection;
* :func:`binary_content`: why content is an image, a PDF, an archive or other binary data (its magic
  number, NUL bytes, control characters), so that it is reported as such and never scored as text;
* :func:`without_surrogates`: text given as str with lone surrogates made valid.
"""

from __future__ import annotations

import codecs
import re

#: A lone surrogate: no character of any text, and one that UTF-8 cannot encode.
LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def without_surrogates(text: str) -> str:
    """``text`` with each lone surrogate (a ``"\\ud800"`` escape in JSON input; no character of any page)
    replaced by U+FFFD, as a decoder replaces an invalid byte: UTF-8 cannot encode one."""
    return LONE_SURROGATE.sub("\ufffd", text) if LONE_SURROGATE.search(text) else text


# ----------------------------------------------------------------------------------------------------
# Binary content
# ----------------------------------------------------------------------------------------------------

#: Magic numbers, matched at the start of the content read as Latin-1 (bytes) or as text. Where a magic
#: number has a non-ASCII byte next to ASCII ones, U+FFFD stands for it too: a PNG decoded as UTF-8 with
#: replacement (as a reader does for a page it takes for text) still starts with "\ufffdPNG".
_MAGIC = tuple(
    (re.compile(pattern, re.DOTALL), what)
    for pattern, what in (
        ("[\x89\ufffd]PNG\r\n\x1a\n", "a PNG image"),
        ("\xff\xd8\xff", "a JPEG image"),
        ("GIF8[79]a", "a GIF image"),
        ("RIFF.{4}WEBP", "a WebP image"),
        ("II\\*\x00|MM\x00\\*", "a TIFF image"),
        ("\x00.{3}ftyp", "an MP4, QuickTime, HEIC or AVIF file"),
        ("RIFF.{4}(?:WAVE|AVI )", "a WAV or AVI file"),
        ("ID3[\x02-\x04]", "an MP3 file"),
        ("OggS\x00", "an Ogg audio or video file"),
        ("fLaC[\x00\x80]", "a FLAC file"),
        ("\x1aE[\xdf\ufffd]", "a Matroska or WebM video"),
        ("%PDF-", "a PDF document"),
        ("%!PS-Adobe", "a PostScript document"),
        ("PK\x03\x04|PK\x05\x06", "a ZIP archive (or a file built on one: an Office document, EPUB, JAR)"),
        ("\x1f[\x8b\ufffd]", "gzip-compressed data"),
        ("BZh[1-9]1AY&SY", "bzip2-compressed data"),
        ("[\xfd\ufffd]7zXZ\x00", "xz-compressed data"),
        ("[(]\xb5/\xfd", "zstd-compressed data"),
        ("7z\xbc\xaf'\x1c", "a 7-Zip archive"),
        ("Rar!\x1a\x07", "a RAR archive"),
        ("wOF[F2]", "a web font"),
        ("\x7fELF", "an executable"),
        ("SQLite format 3\x00", "an SQLite database"),
    )
)
#: C0 control characters other than whitespace, and DEL: not one in the first 4 KB of any text or HTML page
#: of the corpus (24,000 rows) or the seeds, about one byte in ten of compressed or random binary data.
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f]")
BINARY_HEAD = 4096


def binary_content(head: str) -> str | None:
    """Why the start of the content (bytes read as Latin-1, or text) is binary, or None if it is not.

    A known magic number, a NUL in the first 2 KB, or over 1% of control characters that with U+FFFD make
    up over 5% of it. Text in any language or charset is not binary, not even one decoded in the wrong
    charset (U+FFFD for every letter, but no control characters).
    """
    for magic, what in _MAGIC:
        if magic.match(head):
            return f"the content is {what}, not a page"
    if "\x00" in head[:2048]:
        return "the content is binary (it has NUL bytes in its first 2 KB)"
    sample = head[:BINARY_HEAD]
    n_control = len(_CONTROL.findall(sample))
    n_replaced = sample.count("\ufffd")
    if n_control > 0.01 * len(sample) and n_control + n_replaced > 0.05 * len(sample):
        return (
            f"the content is binary, or text decoded from binary: {n_control} control and {n_replaced} "
            f"replacement characters in its first {len(sample):,}"
        )
    return None


# ----------------------------------------------------------------------------------------------------
# Charsets
# ----------------------------------------------------------------------------------------------------

#: WHATWG encoding labels (https://encoding.spec.whatwg.org/#names-and-labels) that Python reads as another
#: encoding or does not know: browsers read ISO-8859-1 and ASCII as windows-1252, GB2312 as GBK (GB18030
#: decodes it), Shift_JIS and EUC-KR as Microsoft's supersets.
_WHATWG_LABELS = {
    label: codec
    for codec, labels in (
        (
            "cp1252",
            "ascii us-ascii ansi_x3.4-1968 iso-8859-1 iso8859-1 iso88591 iso_8859-1 iso_8859-1:1987 latin1 l1"
            " cp819 ibm819 iso-ir-100 csisolatin1 x-cp1252 x-user-defined",
        ),
        (
            "cp1254",
            "iso-8859-9 iso8859-9 iso88599 iso_8859-9 iso_8859-9:1989 latin5 l5 iso-ir-148 csisolatin5 x-cp1254",
        ),
        ("cp874", "tis-620 iso-8859-11 iso8859-11 iso885911 windows-874 dos-874"),
        (
            "gb18030",
            "gb2312 gbk x-gbk chinese csgb2312 gb_2312 gb_2312-80 iso-ir-58 csiso58gb231280 cp936 ms936 windows-936",
        ),
        ("big5hkscs", "big5 big5-hkscs cn-big5 csbig5 x-x-big5"),
        ("cp932", "shift_jis shift-jis sjis ms_kanji x-sjis csshiftjis windows-31j ms932"),
        (
            "cp949",
            "euc-kr ks_c_5601-1987 ks_c_5601-1989 ksc5601 ksc_5601 korean cseuckr csksc56011987 iso-ir-149 windows-949",
        ),
        ("iso8859-8", "iso-8859-8-i csiso88598i logical"),
        ("koi8-r", "koi koi8 koi8_r cskoi8r"),
        ("koi8-u", "koi8-ru"),
        ("mac-cyrillic", "x-mac-cyrillic x-mac-ukrainian"),
        ("mac-roman", "mac x-mac-roman csmacintosh"),
        ("utf-16-le", "utf-16 unicode ucs-2 csunicode iso-10646-ucs-2 unicodefeff"),
        ("utf-16-be", "unicodefffe"),
        ("utf-8", "unicode-1-1-utf-8 unicode11utf8 unicode20utf8 x-unicode20utf8"),
    )
    for label in labels.split()
}
_WEB_CODEC_NAMES = (
    "utf-8 utf-16-le utf-16-be cp866 koi8-r koi8-u mac-roman mac-cyrillic cp874 gb18030 big5hkscs euc_jp iso2022_jp"
    " cp932 cp949 iso8859-2 iso8859-3 iso8859-4 iso8859-5 iso8859-6 iso8859-7 iso8859-8 iso8859-10 iso8859-13"
    " iso8859-14 iso8859-15 iso8859-16 cp1250 cp1251 cp1252 cp1253 cp1254 cp1255 cp1256 cp1257 cp1258"
)
#: The WHATWG encodings, as Python names them: a label naming anything else (utf-7, base64, a typo) is ignored.
_WEB_CODECS = frozenset(_WEB_CODEC_NAMES.split())
UTF16 = ("utf-16-le", "utf-16-be")
_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))
_HTTP_CHARSET = re.compile(r"""charset\s*=\s*["']?([^"';\s,]+)""", re.IGNORECASE)
_CONTENT_CHARSET = re.compile(rb"""charset\s*=\s*["']?([^"';\s>]+)""", re.IGNORECASE)
#: What the <meta> prescan steps over (comments, script and style contents: a "<meta" in a script's string is
#: no element) or stops at (the end of the head).
_PRESCAN = re.compile(rb"<!--|<(script|style)[\s>]|<meta[\s/]([^>]{0,4096})>|<body[\s>]|</head\s*>", re.IGNORECASE)
_PRESCAN_END = {
    b"<!--": re.compile(rb"-->"),
    b"script": re.compile(rb"</script", re.I),
    b"style": re.compile(rb"</style", re.I),
}
_ATTRIBUTE = re.compile(rb"""([^\s/=>]+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s>]+))?""")


def _codec(label: str | bytes) -> str | None:
    """The Python codec a browser would decode an encoding label with, or None for no web encoding."""
    name = (label.decode("ascii", "replace") if isinstance(label, bytes) else label).strip().lower()
    name = _WHATWG_LABELS.get(name, name)
    try:
        name = codecs.lookup(name).name
    except LookupError:
        return None
    return name if name in _WEB_CODECS else None


def _meta_charset(data: bytes) -> str | None:
    """The codec of the first ``<meta charset>`` (or ``http-equiv="Content-Type"``) in the head.

    WHATWG's prescan reads 1024 bytes, but browsers also honour a later ``<meta>`` in the head (they
    reparse when the tree builder meets it), and pages open with kilobytes of inline script or CSS: the
    whole head is scanned, as Chromium does. UTF-16 declared in a ``<meta>`` means UTF-8 (the bytes that
    spelt it are ASCII), and an unknown label is passed over.
    """
    pos = 0
    while (m := _PRESCAN.search(data, pos)) is not None:
        skip = m.group(0) if m.group(0) == b"<!--" else (m.group(1) or b"").lower()
        if skip:  # to the end of the comment, script or style (a page that never closes it has no <meta>)
            end = _PRESCAN_END[skip].search(data, m.end())
            if end is None:
                return None
            pos = end.end()
            continue
        if m.group(2) is None:
            return None  # <body> or </head>
        pos = m.end()
        attrs = {k.lower(): v.strip(b"\"'") for k, v in _ATTRIBUTE.findall(m.group(2))}
        label = attrs.get(b"charset")
        if label is None and attrs.get(b"http-equiv", b"").lower() == b"content-type":
            found = _CONTENT_CHARSET.search(attrs.get(b"content", b""))
            label = found.group(1) if found else None
        codec = _codec(label) if label else None
        if codec is not None:
            return "utf-8" if codec in UTF16 else codec
    return None


def bom_codec(data: bytes) -> str | None:
    return next((codec for bom, codec in _BOMS if data.startswith(bom)), None)


def declared_codec(data: bytes, content_type: str | None) -> str | None:
    """The codec a browser decodes the page with before it guesses: BOM, HTTP charset, ``<meta>`` charset.

    The WHATWG order (https://html.spec.whatwg.org/#determining-the-character-encoding). None: the page
    declares none, and trafilatura's detection decides (see :func:`decode_html`).
    """
    found = _HTTP_CHARSET.search(content_type or "")
    return bom_codec(data) or (_codec(found.group(1)) if found else None) or _meta_charset(data)


def decode_html(data: bytes, codec: str | None) -> str:
    """The page's text: decoded with its declared codec, invalid bytes replaced as browsers do, or else as
    trafilatura's ``load_html`` decodes bytes (UTF-8 if valid, then charset_normalizer's guesses).

    trafilatura itself never reads a BOM, the HTTP header or a ``<meta>``: charset_normalizer only finds a
    declaration in the first 8 KB, so it is given the text decoded here.
    """
    if codec is None:
        from trafilatura.utils import decode_file

        return decode_file(data)
    if bom_codec(data) == codec:
        data = data[3:] if codec == "utf-8" else data[2:]
    return data.decode(codec, "replace")
