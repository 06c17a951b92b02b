"""The detector: ``read -> clean -> signals -> model -> verdict`` for one page or a stream of pages.

>>> from detector import Detector
>>> d = Detector.load()
>>> v = d.score("<html><body><p>...</p></body></html>", url="https://example.org/a")
>>> v.status, v.label, v.probability

Every input yields exactly one :class:`~detector.types.Verdict`. A page that cannot be scored (empty,
not HTML, too large, broken) is a verdict with that status and a reason; no per-page exception escapes.
"""

from __future__ import annotations

import logging
import math
import numbers
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from lxml import etree

from detector.clean import clean_text, clean_tree
from detector.decoding import (
    BINARY_HEAD,
    UTF16,
    binary_content,
    bom_codec,
    declared_codec,
    decode_html,
    without_surrogates,
)
from detector.errors import ConfigError
from detector.features import FEATURE_NAMES, annotate, feature_set_version, feature_vector, model_text
from detector.model import TEXT_FEATURE, PageModel, default_model_dir
from detector.signals import REGISTRY
from detector.textutil import count_words
from detector.types import Cleaned, Page, Reason, SignalResult, Status, Verdict

LOGGER = logging.getLogger(__name__)

#: Larger inputs are refused with status ``too_large``: a 10 MB HTML page is a dump, not an article, and
#: lxml/trafilatura time grows with it (the largest genuine page in our evaluation sets is about 1.6 MB).
DEFAULT_MAX_BYTES = 10_000_000
#: Fewer words than this in the main text is no article: "Home About", "Loading...", a cookie notice. Every
#: signal's rates floor their denominators far above it, so such a page could only score the prior.
DEFAULT_MIN_WORDS = 10
_HTML_CONTENT_TYPES = ("text/html", "application/xhtml", "text/xml", "application/xml", "text/plain")
#: A start tag of an element that HTML pages open with or are made of, or a doctype or comment: what tells
#: an HTML page from plain text or binary data in its first 4 KB. Pages can open with kilobytes of inline
#: ``<style>`` or ``<script>`` before any other tag (a genuine laweekly.com capture has 5 KB of CSS first).
_HTML_TAG = re.compile(
    rb"<(?:!doctype|!--|(?:html|head|body|meta|title|link|base|style|script|noscript|template|div|p|span|a|"
    rb"article|section|header|footer|nav|main|aside|table|ul|ol|li|h[1-6]|img|form|iframe|br|svg|pre)[\s/>])",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class DetectorConfig:
    """Settings shared by the library and the command line.

    ``min_words``: a page whose main text has fewer words gets status ``empty`` (nothing to judge: a menu
    that trafilatura's fallback picked up, a stub); a Han or kana character counts as a word
    (:func:`detector.textutil.count_words`). ``fast`` is trafilatura's fast mode (no fallback
    extractors): on article-extraction-benchmark it lost no accuracy and runs about 1.4x faster.
    ``top_reasons`` caps the reasons per verdict; ``min_reason`` is the smallest contribution (in log-odds)
    a signal needs to be named as a reason.
    """

    max_bytes: int = DEFAULT_MAX_BYTES
    min_words: int = DEFAULT_MIN_WORDS
    fast: bool = True
    top_reasons: int = 4
    min_reason: float = 0.25
    threshold: float | None = None  # None: the model's own threshold

    def __post_init__(self) -> None:
        """Refuse settings of the wrong type or range at once, not as an error verdict on every page.

        Raises:
            ConfigError: a setting that is not a number of the right kind, or out of its range.
        """
        whole = (
            ("max_bytes", 1, "a positive number of bytes"),
            ("min_words", 0, "a number of words, 0 or more"),
            ("top_reasons", 0, "a number of reasons, 0 or more"),
        )
        for name, least, what in whole:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < least:
                raise ConfigError(f"{name} must be {what}, not {value!r}")
        if not isinstance(self.fast, bool):
            raise ConfigError(f"fast must be True or False, not {self.fast!r}")
        if not _is_number(self.min_reason) or not self.min_reason >= 0:
            raise ConfigError(f"min_reason must be a number of log-odds, 0 or more, not {self.min_reason!r}")
        t = self.threshold
        if t is not None and (not _is_number(t) or not 0.0 <= t <= 1.0):
            raise ConfigError(f"threshold must be a probability from 0 to 1 (None: the model's own), not {t!r}")


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)


def _looks_like_html(data: bytes) -> bool:
    return _HTML_TAG.search(data[:4096]) is not None


def clean_page(page: Page, config: DetectorConfig) -> Cleaned | tuple[Status, str]:
    """The cleaned page, or ``(status, reason)`` when it cannot be cleaned (empty, not HTML, too large)."""
    if page.error:
        return "error", page.error
    if page.truncated:  # a reader stopped at its max_bytes: the page's true size is not known
        held = len(page.html if page.html is not None else page.text or "")
        return "too_large", f"page of more than {max(held - 1, 0):,} bytes (max_bytes): not read further"
    if page.html is not None:
        if not isinstance(page.html, str | bytes):
            return "error", f"the page's html is {type(page.html).__name__}, not str or bytes"
        return _clean_html(page, config)
    if page.text is not None:
        if not isinstance(page.text, str):
            return "error", f"the page's text is {type(page.text).__name__}, not str"
        if len(page.text) > config.max_bytes:
            return (
                "too_large",
                f"text of {len(page.text):,} characters exceeds max_bytes={config.max_bytes:,}",
            )
        binary = binary_content(page.text[:BINARY_HEAD])
        if binary:
            return "not_html", binary
        return _enough_text(clean_text(without_surrogates(page.text), url=page.url), config)
    return "empty", "the record has neither html nor text"


def _enough_text(doc: Cleaned, config: DetectorConfig) -> Cleaned | tuple[Status, str]:
    if not doc.text:
        return "empty", "no main text found" if doc.source_format == "html" else "the text is empty"
    n_words = count_words(doc.text)
    if n_words < config.min_words:
        return "empty", f"the main text has {n_words} word(s), fewer than min_words={config.min_words}"
    return doc


#: libxml2 stops parsing (a fatal "Excessive depth in document" error) at an element 256 deep and drops the
#: rest of the page: a tree that deep was most probably cut there.
_MAX_DEPTH = 256
_TOO_DEEP = etree.XPath("boolean(" + "/*" * _MAX_DEPTH + ")")
_TOO_DEEP_REASON = (
    f"the document is nested too deeply: the HTML parser (libxml2) stops reading it at an element "
    f"{_MAX_DEPTH} levels deep"
)


def _clean_html(page: Page, config: DetectorConfig) -> Cleaned | tuple[Status, str]:
    from trafilatura.utils import fromstring_bytes, load_html

    html = page.html
    assert html is not None
    size = len(html)
    if size == 0 or (isinstance(html, str) and html.isspace()):
        return "empty", "the page is empty"
    if size > config.max_bytes:
        unit = "characters" if isinstance(html, str) else "bytes"  # a str page is measured in characters
        return "too_large", f"page of {size:,} {unit} exceeds max_bytes={config.max_bytes:,}"
    ctype = (page.content_type or "").split(";")[0].strip().lower()
    if ctype and not ctype.startswith(_HTML_CONTENT_TYPES):
        return "not_html", f"content type {ctype!r} is not HTML"
    if isinstance(html, bytes):
        codec = declared_codec(html, page.content_type)
        # The bytes themselves, before a charset guess makes text of them (UTF-16's NULs are its text's).
        binary = None if codec in UTF16 else binary_content(html[:BINARY_HEAD].decode("latin-1"))
        if binary:
            return "not_html", binary
        text = decode_html(html, codec)
    else:
        text = without_surrogates(html)
    binary = binary_content(text[:BINARY_HEAD])
    if binary:
        return "not_html", binary
    head = text[:4096].encode("utf-8", "surrogatepass")  # sniffed from the head only, not encoded whole
    if not _looks_like_html(head):
        if ctype == "text/plain" or (not ctype and b"<" not in head[:512]):
            return _enough_text(clean_text(text, url=page.url), config)
        return "not_html", "the content does not look like HTML (no HTML tags in the first 4 KB)"
    tree = load_html(text)
    if tree is None:
        # trafilatura refuses a tree of fewer than two elements: one the parser gave up on is an error
        parsed = fromstring_bytes(text)
        if parsed is not None and _TOO_DEEP(parsed):
            return "error", _TOO_DEEP_REASON
        return "not_html", "the content could not be parsed as HTML"
    if _TOO_DEEP(tree):
        return "error", _TOO_DEEP_REASON
    return _enough_text(clean_tree(tree, url=page.url, fast=config.fast, raw_hint=text), config)


class Detector:
    """Scores pages with a trained model. Create it with :meth:`load`; it is cheap to share across threads."""

    def __init__(self, model: PageModel, config: DetectorConfig | None = None) -> None:
        self.model = model
        self.config = config or DetectorConfig()
        self.threshold = self.config.threshold if self.config.threshold is not None else model.threshold

    @classmethod
    def load(cls, path: str | Path | None = None, **config: Any) -> Detector:
        """Load a model (default: the one shipped in ``models/default``).

        Raises:
            ModelLoadError: the model is missing, unreadable, or built for another feature set.
            ConfigError: a setting of the wrong type or out of its range (see :class:`DetectorConfig`).
            TypeError: an unknown configuration keyword.
        """
        model = PageModel.load(path or default_model_dir(), expected_feature_set=feature_set_version())
        return cls(model, DetectorConfig(**config))

    # ------------------------------------------------------------------------------------------------
    def clean(self, page: Page) -> Cleaned | tuple[Status, str]:
        """The cleaned page, or ``(status, reason)`` when it cannot be cleaned."""
        return clean_page(page, self.config)

    def signals(self, doc: Cleaned) -> dict[str, SignalResult]:
        """Every registered signal's result on a cleaned page."""
        return annotate(doc)

    # ------------------------------------------------------------------------------------------------
    def score(
        self,
        content: str | bytes | Page,
        *,
        url: str | None = None,
        id: str | None = None,
        format: str | None = None,
    ) -> Verdict:
        """Score one page: raw HTML (str or bytes, any charset), plain text, or a :class:`Page`.

        ``format`` is ``"html"`` or ``"text"``; by default a str or bytes is HTML when it has HTML tags
        near its start, otherwise text (bytes that are binary, an image or a PDF, stay bytes and get
        status ``not_html``).

        Any page gives a verdict; an argument of the wrong kind is a programming error and raises
        (:meth:`score_many`, which reads streams, gives such an item an ``error`` verdict instead).

        Raises:
            TypeError: ``content`` is not a str, bytes or :class:`Page` (``None``, a number).
            ValueError: ``format`` is neither ``"html"``, ``"text"`` nor None.
        """
        if not isinstance(content, str | bytes | Page):
            raise TypeError(f"score() takes {_ACCEPTED}, not {type(content).__name__}")
        page = content if isinstance(content, Page) else _to_page(content, url=url, id=id, format=format)
        return self._score_batch([page])[0][0]

    def score_many(
        self, pages: Iterable[Page | str | bytes | dict[str, Any]], batch_size: int = 32
    ) -> Iterator[Verdict]:
        """Score a stream of pages lazily, one verdict per page, in input order.

        Never raises on an item: one of another type (``None``, a number) gets an ``error`` verdict that
        says which item it was, as does a page whose ``html`` or ``text`` is of another type, and the
        stream goes on. A dict's ``id`` defaults (when missing or None) to the item's position counted
        from 0; its ``text`` may be bytes, read as UTF-8 (or UTF-16 with a BOM; invalid bytes replaced).
        """
        for verdict, _ in self.score_many_with_docs(pages, batch_size):
            yield verdict

    def score_many_with_docs(
        self, pages: Iterable[Page | str | bytes | dict[str, Any]], batch_size: int = 32
    ) -> Iterator[tuple[Verdict, Cleaned | None]]:
        """:meth:`score_many`, each verdict with the cleaned page it was scored on (None if it was not).

        For a stage that needs the text after scoring (near-duplicates) without cleaning the page twice.
        """
        batch: list[Page] = []
        for i, item in enumerate(pages):
            batch.append(_coerce(item, i))
            if len(batch) >= batch_size:
                yield from self._score_batch(batch)
                batch = []
        if batch:
            yield from self._score_batch(batch)

    def _score_batch(self, pages: list[Page]) -> list[tuple[Verdict, Cleaned | None]]:
        verdicts: list[Verdict | None] = [None] * len(pages)
        cleaned_docs: list[Cleaned | None] = [None] * len(pages)
        docs: list[tuple[int, Cleaned, dict[str, SignalResult]]] = []
        for i, page in enumerate(pages):
            try:
                cleaned = self.clean(page)
                if isinstance(cleaned, tuple):
                    verdicts[i] = self._status_verdict(page, *cleaned)
                    continue
                cleaned_docs[i] = cleaned
                docs.append((i, cleaned, self.signals(cleaned)))
            except Exception as exc:  # a broken page must become a verdict, never stop the stream
                LOGGER.warning("page %s failed: %s: %s", page.id, type(exc).__name__, exc)
                verdicts[i] = self._status_verdict(page, "error", f"{type(exc).__name__}: {exc}")
        if docs:
            try:
                rows = np.array([feature_vector(r) for _, _, r in docs], dtype=np.float64)
                X = self.model.full_matrix(rows, [model_text(d) for _, d, _ in docs])
                probs = self.model.probability(X)
                contribs = self.model.contributions(X)
                for (i, _doc, results), p, c, row, x in zip(docs, probs, contribs, rows, X, strict=True):
                    values = dict(zip(FEATURE_NAMES, row.tolist(), strict=True))
                    if self.model.text_model is not None:
                        values[TEXT_FEATURE] = float(x[-1])
                    verdicts[i] = self._verdict(pages[i], float(p), c, values, results)
            except Exception as exc:
                LOGGER.warning("model failed on a batch: %s: %s", type(exc).__name__, exc)
                for i, _, _ in docs:
                    verdicts[i] = self._status_verdict(pages[i], "error", f"{type(exc).__name__}: {exc}")
        return [(v, doc) for v, doc in zip(verdicts, cleaned_docs, strict=True) if v is not None]

    def _status_verdict(self, page: Page, status: Status, reason: str) -> Verdict:
        return Verdict(id=page.id, url=page.url, status=status, reason=reason, model_version=self.model.version)

    def _verdict(
        self,
        page: Page,
        prob: float,
        contrib: np.ndarray,
        values: dict[str, float],
        results: dict[str, SignalResult],
    ) -> Verdict:
        names = self.model.feature_names
        per_signal: dict[str, float] = {}
        for name, c in zip(names, contrib, strict=True):
            per_signal[name.split(".")[0]] = per_signal.get(name.split(".")[0], 0.0) + float(c)
        reasons: list[Reason] = []
        for signal_name, weight in sorted(per_signal.items(), key=lambda kv: -kv[1]):
            if weight < self.config.min_reason or len(reasons) >= self.config.top_reasons:
                break
            reasons.append(self._reason(signal_name, weight, results))
        return Verdict(
            id=page.id,
            url=page.url,
            status="ok",
            probability=prob,
            label="farm" if prob >= self.threshold else "genuine",
            reasons=tuple(reasons),
            signals=values,
            model_version=self.model.version,
        )

    def _reason(self, signal_name: str, weight: float, results: dict[str, SignalResult]) -> Reason:
        if signal_name == TEXT_FEATURE.split(".")[0]:
            text = "word choice, phrasing and sentence construction typical of machine-written text (text model)"
            return Reason(signal=signal_name, weight=weight, text=text)
        result = results.get(signal_name)
        signal = next(s for s in REGISTRY if s.name == signal_name)
        text = result.summary if result and result.summary else f"{signal.description} (values point that way)"
        return Reason(signal=signal.tag, weight=weight, text=text, evidence=result.evidence[:3] if result else ())


_ACCEPTED = "a str (HTML or plain text), bytes (HTML in any charset, or UTF-8 text) or a Page"


def _sniffs_as_html(content: str | bytes) -> bool:
    if isinstance(content, str):
        return _looks_like_html(content[:4096].encode("utf-8", "replace"))
    codec = bom_codec(content)
    if codec is not None and codec in UTF16:  # a UTF-16 page is sniffed as its text
        return _looks_like_html(content[:8192].decode(codec, "replace").encode())
    # binary bytes stay bytes too, for the pipeline to say what they are (their magic number)
    return _looks_like_html(content) or binary_content(content[:BINARY_HEAD].decode("latin-1")) is not None


def _to_page(content: str | bytes, *, url: str | None, id: str | None, format: str | None) -> Page:
    if format not in (None, "html", "text"):
        raise ValueError(f"format must be 'html' or 'text', not {format!r}")
    if format is None:
        format = "html" if _sniffs_as_html(content) else "text"
    pid = id if id is not None else (url or "-")
    if format == "html":
        return Page(id=pid, url=url, html=content)
    return Page(id=pid, url=url, text=_text_of(content) if isinstance(content, bytes) else content)


def _text_of(data: bytes) -> str:
    """Plain text given as bytes: UTF-8 (or UTF-16 with a BOM), invalid bytes replaced."""
    return decode_html(data, bom_codec(data) or "utf-8")


def _coerce(item: object, index: int) -> Page:
    """A stream item as a Page; an item that cannot be one becomes a Page with an ``error``."""
    if isinstance(item, Page):
        return item
    if isinstance(item, str | bytes):
        return _to_page(item, url=None, id=str(index), format=None)
    if isinstance(item, dict):
        text, url, ctype = item.get("text"), item.get("url"), item.get("content_type")
        return Page(
            id=str(index) if item.get("id") is None else str(item["id"]),
            url=None if url is None else str(url),
            html=item.get("html"),  # of another type: an error verdict from clean_page
            text=_text_of(text) if isinstance(text, bytes) else text,
            content_type=ctype if isinstance(ctype, str) else None,
        )
    return Page(
        id=str(index),
        error=f"item {index} of the stream (counting from 0) is {type(item).__name__}: score_many takes "
        f"{_ACCEPTED}, or a dict with id, url and html or text",
    )
