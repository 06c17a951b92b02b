"""Generated tables of contents: a contents list whose entries merely repeat the page's own headings.

Read from the text (a "Table of Contents" label followed by a list, or a list near the top whose entries
are the headings that follow: the seeds' numbered ``- 1. Title`` lists) and from the raw DOM (in-page
``href="#..."`` links whose texts are the page's headings; WordPress TOC plugin containers).

A table of contents alone is normal on wikis and long guides. What the farm template adds, and what the
values below expose, is a list that repeats the page title itself as its first entry, lists question
headings copied from a prompt, and spans more than one article.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from itertools import repeat

from detector.signals.base import Signal
from detector.textutil import TitleKey, normalize, same_key, strip_item_marker, title_key
from detector.types import Block, Cleaned, Evidence, SignalResult

#: Labels that introduce a contents list, in the languages of our genuine pages (en, de, fr, es, it, nl,
#: pt, pl) plus Chinese/Japanese/Korean.
_LABEL_RE = re.compile(
    r"^(?:table of contents|contents|in this (?:article|post|guide)|jump to|on this page|what'?s inside|"
    r"quick links|article contents|inhaltsverzeichnis|inhalt|sommaire|table des matières|índice|"
    r"contenido|indice|inhoud|spis treści|目次|目录|목차)\s*[:：]?$",
    re.IGNORECASE,
)
_NUMBERED_RE = re.compile(r"^\s*(?:[-*•]\s+)?\d{1,3}[.)]\s")
MIN_ENTRIES = 3  # two links are navigation; three or more headings listed in order are a contents list
KEYS = (
    "has_toc",
    "entries",
    "heading_match_share",
    "heading_coverage",
    "has_label",
    "plugin",
    "numbered_share",
    "first_is_title",
    "question_entries",
)


def _matches(key: TitleKey, keys: list[TitleKey]) -> bool:
    return any(map(same_key, repeat(key), keys))


def _enough_matches(entries: Iterable[TitleKey], n_entries: int, keys: list[TitleKey], needed: int) -> bool:
    """Whether at least ``needed`` of the ``n_entries`` entries match one of ``keys``.

    Stops as soon as the answer is known: most lists are not contents lists, and a few misses decide it.
    """
    hits = 0
    for seen, entry in enumerate(entries, 1):
        hits += _matches(entry, keys)
        if hits >= needed:
            return True
        if hits + n_entries - seen < needed:
            return False
    return False


def _text_toc(doc: Cleaned) -> tuple[list[Block], bool]:
    """The first run of list items that is introduced by a contents label, or that lists later headings."""
    blocks = doc.blocks
    keys: dict[int, TitleKey] = {}

    def key(i: int) -> TitleKey:
        if i not in keys:
            keys[i] = title_key(blocks[i].text)
        return keys[i]

    for i, block in enumerate(blocks):
        labelled = block.kind in ("heading", "paragraph") and bool(_LABEL_RE.match(block.text))
        start = i + 1 if labelled else i
        if not labelled and (block.kind != "list_item" or (i > 0 and blocks[i - 1].kind == "list_item")):
            continue
        run: list[Block] = []
        for b in blocks[start:]:
            if b.kind != "list_item":
                break
            run.append(b)
        if len(run) < MIN_ENTRIES:
            continue
        if labelled:
            return run, True
        end = start + len(run)
        later = [key(j) for j in range(end, len(blocks)) if blocks[j].kind == "heading"]
        if _enough_matches((key(j) for j in range(start, end)), len(run), later, max(MIN_ENTRIES, len(run) // 2)):
            return run, False
    return [], False


def compute(doc: Cleaned) -> SignalResult:
    st = doc.structure
    entries, labelled = _text_toc(doc)
    entry_texts = [strip_item_marker(b.text) for b in entries]
    headings = [b.text for b in doc.blocks if b.kind == "heading"]
    evidence: list[Evidence] = []
    source = "text"
    # (The anchors kept are some of the page's anchor links: with fewer links than MIN_ENTRIES there are
    # not enough of them whatever they say, and the headings' keys are not worth computing.)
    if len(entry_texts) < MIN_ENTRIES and doc.source_format == "html" and len(st.anchor_links) >= MIN_ENTRIES:
        # The text has no contents list (cleaning dropped the widget): read it from the DOM's anchors.
        dom_keys = [title_key(h.text) for h in st.headings]
        anchors = [a.text for a in st.anchor_links if _matches(title_key(a.text), dom_keys)]
        if len(anchors) >= MIN_ENTRIES:
            entry_texts, headings, source = anchors, [h.text for h in st.headings], "dom"
    n = len(entry_texts)
    if n < MIN_ENTRIES:
        return SignalResult(values=dict.fromkeys(KEYS, 0.0) | {"plugin": float(bool(st.toc_markers))})

    # Headings after the contents list, excluding the list's own label.
    body_keys = [title_key(h) for h in headings if not _LABEL_RE.match(h)]
    entry_keys = [title_key(e) for e in entry_texts]
    matched = [e for e in entry_keys if _matches(e, body_keys)]
    covered = [h for h in body_keys if _matches(h, entry_keys)]
    title = st.title or (headings[0] if headings else "")
    first_is_title = bool(title) and same_key(
        entry_keys[0], title_key(normalize(title).split(" - ")[0].split(" | ")[0])
    )
    questions = sum(e.rstrip().endswith(("?", "？")) for e in entry_texts)
    numbered = sum(bool(_NUMBERED_RE.match(b.text)) for b in entries) / len(entries) if entries else 0.0

    if source == "text":
        first, last = entries[0], entries[-1]
        evidence.append(Evidence(text=doc.text[first.start : last.end][:300], start=first.start, end=last.end))
    else:
        evidence.append(Evidence(text="; ".join(entry_texts[:8])[:300], where="dom", note="in-page anchor links"))
    parts = [f"a contents list of {n} entries repeats {len(matched)} of the page's headings"]
    if first_is_title:
        parts.append("its first entry is the page title itself")
    if questions:
        parts.append(f"{questions} entries are questions")
    if st.toc_markers:
        parts.append(f"TOC plugin markup ({', '.join(st.toc_markers[:2])})")
    values = {
        "has_toc": 1.0,
        "entries": math.log1p(n),
        "heading_match_share": len(matched) / n,
        "heading_coverage": len(covered) / len(body_keys) if body_keys else 0.0,
        "has_label": float(labelled),
        "plugin": float(bool(st.toc_markers)),
        "numbered_share": numbered,
        "first_is_title": float(first_is_title),
        "question_entries": min(questions, 5) / 5,
    }
    return SignalResult(values=values, summary="; ".join(parts), evidence=tuple(evidence))


SIGNAL = Signal(
    name="toc",
    version=1,
    keys=KEYS,
    description="generated table of contents repeating the page's own headings",
    compute=compute,
)
