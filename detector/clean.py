"""Cleaning: trafilatura's main text, plus the page structure that cleaning throws away.

HTML is parsed once. The structure a content-farm template leaves (headings, in-page anchor links of a
table of contents, FAQ schema, meta keywords, plugin containers) is read from the raw tree first,
because trafilatura drops ``nav``/``aside``/``footer`` and widget markup; then trafilatura extracts the
main text from the same tree (it works on its own copy). Its ``deduplicate`` option stays off: it keeps
a process-wide cache, so a page's text would depend on which pages came before it.

The cleaned text is rendered the way the plain-text seeds are: one block per line, list items as
``- item``, table rows as ``| a | b |``, headings as bare lines. Plain-text input goes through the same
block reader, so every signal sees the same shape whatever the input format.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from typing import Any

from lxml import etree
from lxml.html import HtmlElement

from detector.types import QA, Block, BlockKind, Cleaned, Heading, Link, Structure

LOGGER = logging.getLogger(__name__)

#: Container classes/ids of the WordPress table-of-contents plugins that content farms run on
#: (Easy Table of Contents, LuckyWP, Table of Contents Plus, Rank Math, the core block).
TOC_MARKERS = (
    "ez-toc-container",
    "ez-toc",
    "lwptoc",
    "wp-block-lwptoc",
    "toc_container",
    "rank-math-toc",
    "wp-block-rank-math-toc-block",
    "wp-block-table-of-contents",
    "table-of-contents",
)
#: FAQ plugin containers (Rank Math, Yoast) as they appear in class or id attributes.
FAQ_MARKERS = (
    "rank-math-faq",
    "wp-block-rank-math-faq-block",
    "schema-faq",
    "wp-block-yoast-faq-block",
)
_MARKER_XPATH = etree.XPath(
    "//*[contains(@class, 'toc') or contains(@id, 'toc') or contains(@class, 'table-of-contents')"
    " or contains(@class, 'faq') or contains(@id, 'faq')]"
)
_READ_TAGS = ("title", "h1", "h2", "h3", "h4", "h5", "h6", "a", "script", "meta", "ul", "ol", "li", "table")
_HEADING_TAGS = frozenset(("h1", "h2", "h3", "h4", "h5", "h6"))

_LIST_MARKER = re.compile(r"^\s*(?:[-*•·▪●◦]|\d{1,3}[.)])\s+")
_SENTENCE_END = re.compile(r"[.!;,]$")

MAX_HEADING_CHARS = 200
MAX_HEADING_WORDS = 25


def _squash(text: str | None) -> str:
    """Whitespace runs to one space, ends stripped (split/join: five times faster than a regex here)."""
    return " ".join(text.split()) if text else ""


# ----------------------------------------------------------------------------------------------------
# Structure from the raw DOM
# ----------------------------------------------------------------------------------------------------


def _classes(el: HtmlElement) -> str:
    return f"{el.get('id', '')} {el.get('class', '')}".lower()


def _jsonld_objects(scripts: list[str]) -> Iterable[dict[str, object]]:
    for raw in scripts:
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError):
            continue
        stack = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                yield item
                graph = item.get("@graph")
                if isinstance(graph, list):
                    stack.extend(graph)
                main = item.get("mainEntity")
                if isinstance(main, list | dict):
                    stack.append(main)


def _jsonld_text(value: object) -> str:
    if isinstance(value, dict):
        value = value.get("text") or value.get("name") or ""
    if isinstance(value, list):
        return " ".join(_jsonld_text(v) for v in value)
    return _squash(re.sub(r"<[^>]+>", " ", str(value)))


def read_structure(tree: HtmlElement, raw_hint: str | bytes | None = None) -> Structure:
    """Read the template structure from a raw (uncleaned) HTML tree.

    ``raw_hint`` is the page source, when the caller has it: plugin containers are looked for in the tree
    only when one of their names occurs in the source, which spares most pages a full-tree search.
    """
    st = Structure()
    st.lang = (tree.get("lang") or "").strip() or None
    scripts: list[str] = []
    n_lists = n_items = n_tables = n_links = 0
    # One pass in document order over the elements read here: lxml's tag filter runs in C, so Python
    # sees only these (a few hundred per page), not the thousands of divs and spans around them.
    for el in tree.iter(*_READ_TAGS):
        tag = el.tag
        if tag == "li":
            n_items += 1
        elif tag == "a":
            n_links += 1
            href = el.get("href")
            if href is None:
                continue
            if href.startswith("#"):
                if len(href) > 1:
                    text = _squash(el.text_content())
                    if text:
                        st.anchor_links.append(Link(text=text, target=href[1:]))
            elif st.byline is None and el.get("rel") == "author":
                st.byline = _squash(el.text_content())[:200] or None
        elif tag in _HEADING_TAGS:
            text = _squash(el.text_content())
            if text:
                st.headings.append(Heading(level=int(tag[1]), text=text))
        elif tag == "ul" or tag == "ol":
            n_lists += 1
        elif tag == "table":
            n_tables += 1
        elif tag == "script":
            if el.text and el.get("type") == "application/ld+json":
                scripts.append(el.text)
        elif tag == "meta":
            name = (el.get("name") or "").lower()
            if name == "keywords":
                content = el.get("content") or ""
                st.meta_keywords.extend(k.strip() for k in re.split(r"[,;]", content) if k.strip())
            elif name == "author" and (el.get("content") or "").strip():
                st.byline = _squash(el.get("content"))[:200]
        elif tag == "title" and st.title is None:
            st.title = _squash(el.text_content()) or None
    st.n_lists, st.n_list_items, st.n_tables, st.n_links = n_lists, n_items, n_tables, n_links

    if raw_hint is None or _mentions_marker(raw_hint):
        for el in _MARKER_XPATH(tree):
            cls = _classes(el)
            for marker in TOC_MARKERS:
                if marker in cls and marker not in st.toc_markers:
                    st.toc_markers.append(marker)
            for marker in FAQ_MARKERS:
                if marker in cls and marker not in st.faq_markers:
                    st.faq_markers.append(marker)
            if "rank-math-faq" in cls or "schema-faq" in cls:
                st.faq.extend(_faq_from_plugin(el))

    for obj in _jsonld_objects(scripts):
        types = obj.get("@type")
        for t in types if isinstance(types, list) else [types]:
            if isinstance(t, str) and t not in st.jsonld_types:
                st.jsonld_types.append(t)
        if types == "Question" or (isinstance(types, list) and "Question" in types):
            q = _jsonld_text(obj.get("name"))
            a = _jsonld_text(obj.get("acceptedAnswer"))
            if q and QA(q, a) not in st.faq:
                st.faq.append(QA(q, a))

    return st


#: Substrings of every plugin marker, as they appear (lower case) in plugin markup.
def _mentions_marker(raw: str | bytes) -> bool:
    """Whether the source may hold a plugin container: cheap substring scans, no lower-casing copy.

    Every TOC_MARKERS / FAQ_MARKERS name contains "-toc", "lwptoc", "toc_container", "table-of-contents"
    or "-faq". Three scans ("toc", "-faq", "of-contents") and a look around each "toc" ("stock",
    "protocol") cost about a seventh of an XPath search of every element's class and id. A str source is
    scanned as it is (encoding it would copy the page).
    """
    if isinstance(raw, str):
        return _probe(raw, "toc", "-faq", "of-contents", "-", "lwp", "toc_container")
    return _probe(raw, b"toc", b"-faq", b"of-contents", b"-", b"lwp", b"toc_container")


def _probe(raw: Any, toc: Any, faq: Any, contents: Any, dash: Any, lwp: Any, container: Any) -> bool:
    if faq in raw or contents in raw:
        return True
    i = raw.find(toc)
    while i >= 0:
        if raw[i - 1 : i] == dash or raw[i - 3 : i] == lwp or raw.startswith(container, i):
            return True
        i = raw.find(toc, i + 3)
    return False


def _faq_from_plugin(container: HtmlElement) -> list[QA]:
    """Question/answer pairs from Rank Math or Yoast FAQ blocks."""
    out = []
    for q in container.xpath(".//*[contains(@class, 'rank-math-question') or contains(@class, 'schema-faq-question')]"):
        answer_el = q.getnext()
        if answer_el is None:
            parent = q.getparent()
            answer_el = parent.find(".//*[@class]") if parent is not None else None
        question = _squash(q.text_content())
        answer = _squash(answer_el.text_content()) if answer_el is not None else ""
        if question:
            out.append(QA(question, answer))
    return out


# ----------------------------------------------------------------------------------------------------
# Blocks
# ----------------------------------------------------------------------------------------------------


class _BlockBuilder:
    """Accumulates blocks and the joined text they index into."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.blocks: list[Block] = []
        self.pos = 0

    def add(self, kind: BlockKind, text: str, level: int = 0) -> None:
        text = text.strip()
        if not text:
            return
        if self.parts:
            self.pos += 1  # the newline between blocks
        start = self.pos
        self.parts.append(text)
        self.pos += len(text)
        self.blocks.append(Block(kind=kind, text=text, start=start, end=self.pos, level=level))

    def text(self) -> str:
        return "\n".join(self.parts)


def looks_like_heading(line: str, next_line: str | None) -> bool:
    """Whether a plain-text line reads as a heading: short, not a sentence, followed by more text."""
    if next_line is None or len(line) > MAX_HEADING_CHARS or len(line.split()) > MAX_HEADING_WORDS:
        return False
    if not line[:1].isalnum() and line[:1] not in "\"'“‘¿¡(":
        return False
    if _SENTENCE_END.search(line) or line.endswith("..."):
        return False
    # A line with a sentence boundary inside is running text, not a heading.
    return not re.search(r"[a-z]{2}[.!?] [A-Z]", line)


def _line_kind(line: str) -> BlockKind | None:
    if line.startswith("|") and line.endswith("|"):
        return "table_row"
    if _LIST_MARKER.match(line):
        return "list_item"
    if line.startswith(">"):
        return "quote"
    return None


def blocks_from_text(text: str) -> tuple[str, list[Block]]:
    """Split a plain-text rendering of a page into blocks, one per non-empty line."""
    lines = [_squash(line) for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    lines = [line for line in lines if line]
    builder = _BlockBuilder()
    for i, line in enumerate(lines):
        kind = _line_kind(line)
        if kind is not None:
            builder.add(kind, line)
            continue
        nxt = lines[i + 1] if i + 1 < len(lines) else None
        if i == 0 and nxt is not None and looks_like_heading(line, nxt):
            builder.add("heading", line, level=1)
        elif looks_like_heading(line, nxt):
            builder.add("heading", line, level=2)
        else:
            builder.add("paragraph", line)
    return builder.text(), builder.blocks


def _render_body(body: etree._Element) -> tuple[str, list[Block]]:
    """Blocks from trafilatura's cleaned body tree (``head``, ``p``, ``list/item``, ``table/row/cell``)."""
    builder = _BlockBuilder()

    def walk(el: etree._Element) -> None:
        for child in el:
            tag = child.tag
            if not isinstance(tag, str):
                continue
            if tag == "head":
                rend = child.get("rend", "h2")
                level = int(rend[1]) if len(rend) == 2 and rend[1].isdigit() else 2
                builder.add("heading", _squash("".join(child.itertext())), level=level)
            elif tag == "list":
                for item in child.iter("item"):
                    text = _squash("".join(item.itertext()))
                    if text:
                        builder.add("list_item", f"- {text}")
            elif tag == "table":
                for row in child.iter("row"):
                    cells = [_squash("".join(c.itertext())) for c in row.iter("cell")]
                    if any(cells):
                        builder.add("table_row", "| " + " | ".join(cells) + " |")
            elif tag == "quote":
                builder.add("quote", _squash("".join(child.itertext())))
            elif tag == "code":
                builder.add("code", "".join(child.itertext()))
            elif tag in ("p", "lb"):
                text = _squash("".join(child.itertext()))
                if text:
                    builder.add("paragraph", text)
            elif len(child):
                walk(child)
            else:
                builder.add("paragraph", _squash("".join(child.itertext())))
            if child.tail and child.tail.strip() and tag not in ("list", "table"):
                builder.add("paragraph", _squash(child.tail))

    walk(body)
    return builder.text(), builder.blocks


# ----------------------------------------------------------------------------------------------------
# Entry points
# ----------------------------------------------------------------------------------------------------


def clean_text(text: str, url: str | None = None) -> Cleaned:
    """Clean a plain-text rendering of a page: blocks from its lines, title and headings from them."""
    joined, blocks = blocks_from_text(text)
    headings = [Heading(b.level, b.text) for b in blocks if b.kind == "heading"]
    title = blocks[0].text if blocks and blocks[0].kind == "heading" else None
    structure = Structure(title=title, headings=headings)
    structure.n_list_items = sum(b.kind == "list_item" for b in blocks)
    structure.n_tables = int(any(b.kind == "table_row" for b in blocks))
    return Cleaned(text=joined, blocks=blocks, structure=structure, source_format="text", url=url)


#: trafilatura settings of the cleaning step, shared with the benchmark's trafilatura-alone reference.
TRAFILATURA_SETTINGS: dict[str, bool] = {
    "deduplicate": False,  # its cache is process-wide: a page's text would depend on the pages before it
    "include_comments": False,
    "include_tables": True,
    "with_metadata": False,
}


def extract_main(tree: HtmlElement, url: str | None = None, *, fast: bool = True) -> etree._Element | None:
    """trafilatura's main-text tree (``body`` of ``head``/``p``/``list``/``table`` elements), or None.

    **The tree is consumed**: trafilatura prunes it in place. ``bare_extraction`` given a tree first copies
    it (about 7% of its time on our pages) and serialises a text we do not use, so this runs the same
    extraction sequence on the tree itself, with the same acceptance checks, and falls back to
    ``bare_extraction`` where this trafilatura lacks that sequence. ``tests/test_clean.py`` holds the two
    paths to the same output on real pages.
    """
    try:
        from trafilatura.core import trafilatura_sequence
        from trafilatura.settings import Extractor
    except ImportError:  # pragma: no cover - another trafilatura release
        return _extract_main_public(tree, url, fast=fast)
    options = Extractor(
        fast=fast,
        comments=TRAFILATURA_SETTINGS["include_comments"],
        tables=TRAFILATURA_SETTINGS["include_tables"],
        dedup=TRAFILATURA_SETTINGS["deduplicate"],
        with_metadata=TRAFILATURA_SETTINGS["with_metadata"],
        url=url,
    )
    try:
        body, text, _, comments = trafilatura_sequence(tree, options, url)
    except (TypeError, ValueError):
        return None
    # bare_extraction's acceptance checks, in its order.
    if options.max_tree_size and len(body) > options.max_tree_size:
        etree.strip_tags(body, "hi")
        if len(body) > options.max_tree_size:
            return None
    if len(text) < options.min_output_size and len(comments) < options.min_output_comm_size:
        return None
    return body


def _extract_main_public(tree: HtmlElement, url: str | None, *, fast: bool) -> etree._Element | None:
    """The same through trafilatura's public API (which copies the tree first)."""
    from trafilatura import bare_extraction

    doc = bare_extraction(
        tree,
        url=url,
        fast=fast,
        deduplicate=TRAFILATURA_SETTINGS["deduplicate"],
        include_comments=TRAFILATURA_SETTINGS["include_comments"],
        include_tables=TRAFILATURA_SETTINGS["include_tables"],
        with_metadata=TRAFILATURA_SETTINGS["with_metadata"],
    )
    return getattr(doc, "body", None)


def clean_tree(
    tree: HtmlElement, url: str | None = None, *, fast: bool = True, raw_hint: str | bytes | None = None
) -> Cleaned:
    """Clean a parsed HTML tree: structure from the raw tree, then trafilatura's main text.

    The tree is consumed (see :func:`extract_main`). ``raw_hint`` is the page source the tree was parsed
    from, when at hand (see :func:`read_structure`).
    """
    structure = read_structure(tree, raw_hint)
    body = extract_main(tree, url, fast=fast)
    text, blocks = _render_body(body) if body is not None else ("", [])
    if structure.title is None and blocks and blocks[0].kind == "heading":
        structure.title = blocks[0].text
    return Cleaned(text=text, blocks=blocks, structure=structure, source_format="html", url=url)
