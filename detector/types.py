"""The records that flow through the detector: Page in, Cleaned in the middle, Verdict out.

``read -> clean -> signals -> model -> verdict``: every stage takes one of these and returns the next,
so a crawler can stop at any stage (for example keep only the ``Cleaned`` text).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

BlockKind = Literal["heading", "paragraph", "list_item", "table_row", "quote", "code"]
SourceFormat = Literal["html", "text"]
Status = Literal["ok", "empty", "not_html", "too_large", "error"]
STATUSES: tuple[Status, ...] = ("ok", "empty", "not_html", "too_large", "error")


@dataclass(frozen=True, slots=True)
class Page:
    """One input record.

    Exactly one of ``html`` (raw bytes or str, any charset) or ``text`` (a plain-text rendering of a page,
    one block per line) is normally set. ``error`` is set by a reader that could not decode the record,
    so that the record still yields one output row with status ``error``.
    """

    id: str
    url: str | None = None
    html: str | bytes | None = None
    text: str | None = None
    source: str | None = None  # where the record was read from (file path, WARC file and offset)
    content_type: str | None = None  # the HTTP Content-Type where the input carries one (WARC)
    error: str | None = None
    #: ``html`` or ``text`` holds only the start of a longer payload: a reader stopped at its ``max_bytes``
    truncated: bool = False


@dataclass(frozen=True, slots=True)
class Block:
    """One line of the cleaned text with its role on the page.

    ``start``/``end`` are character offsets of the block in ``Cleaned.text``.
    """

    kind: BlockKind
    text: str
    start: int
    end: int
    level: int = 0  # heading level (1-6); 0 for other blocks


@dataclass(frozen=True, slots=True)
class Heading:
    level: int
    text: str


@dataclass(frozen=True, slots=True)
class Link:
    """An in-page anchor link (``href="#..."``), the raw material of tables of contents."""

    text: str
    target: str


@dataclass(frozen=True, slots=True)
class QA:
    question: str
    answer: str


@dataclass(slots=True)
class Structure:
    """Page structure read from the raw DOM before cleaning throws it away.

    For plain-text input only ``title`` and ``headings`` are filled (from the text lines); everything
    else stays empty, so signals must read the text blocks as well as this.
    """

    title: str | None = None
    headings: list[Heading] = field(default_factory=list)
    anchor_links: list[Link] = field(default_factory=list)
    toc_markers: list[str] = field(default_factory=list)  # TOC plugin containers found (css class/id)
    faq_markers: list[str] = field(default_factory=list)  # FAQ plugin containers found
    faq: list[QA] = field(default_factory=list)  # from FAQPage JSON-LD or FAQ plugin markup
    jsonld_types: list[str] = field(default_factory=list)
    meta_keywords: list[str] = field(default_factory=list)
    byline: str | None = None
    lang: str | None = None
    n_lists: int = 0
    n_list_items: int = 0
    n_tables: int = 0
    n_links: int = 0


@dataclass(slots=True)
class Cleaned:
    """A page after cleaning: main text as blocks, plus the structure read from the raw DOM."""

    text: str
    blocks: list[Block]
    structure: Structure
    source_format: SourceFormat
    url: str | None = None

    @property
    def headings(self) -> list[Block]:
        return [b for b in self.blocks if b.kind == "heading"]

    @property
    def body_blocks(self) -> list[Block]:
        """Blocks that carry running text (paragraphs and list items)."""
        return [b for b in self.blocks if b.kind in ("paragraph", "list_item", "quote")]


@dataclass(frozen=True, slots=True)
class Evidence:
    """Why a signal fired: a character span in ``Cleaned.text`` or, with ``where="dom"``, a DOM element.

    ``start``/``end`` are -1 for DOM evidence; ``text`` always holds the quoted snippet.
    """

    text: str
    start: int = -1
    end: int = -1
    where: Literal["text", "dom"] = "text"
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"text": self.text, "where": self.where}
        if self.where == "text":
            out["start"], out["end"] = self.start, self.end
        if self.note:
            out["note"] = self.note
        return out


@dataclass(frozen=True, slots=True)
class SignalResult:
    """What one signal found on one page.

    ``values`` has exactly the signal's declared keys; ``summary`` says in plain words what was found
    (empty when nothing was); ``evidence`` points at it.
    """

    values: dict[str, float]
    summary: str = ""
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True, slots=True)
class Reason:
    """One reason for a verdict: a signal, its contribution to the score, and what it saw."""

    signal: str
    weight: float
    text: str
    evidence: tuple[Evidence, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "signal": self.signal,
            "weight": round(self.weight, 4),
            "text": self.text,
            "evidence": [e.to_dict() for e in self.evidence],
        }


def report_probability(p: float) -> float:
    """``p`` to 6 significant digits of its distance from the nearer end, 0 or 1: 0.9999989 stays
    0.9999989 and 7.7e-06 stays 7.69606e-06 (6 decimals would give 0.999999 and 8e-06), so that the odds
    p / (1 - p) of an output row stay finite and close to the model's own; 0 and 1 only where the model
    itself is that sure (beyond float precision)."""
    q = min(p, 1.0 - p)
    if not q > 0.0:  # 0, 1, or NaN
        return p
    return round(p, 5 - math.floor(math.log10(q)))


@dataclass(frozen=True, slots=True)
class Verdict:
    """The detector's answer for one page. A broken page is a verdict with a status, never an exception."""

    id: str
    url: str | None
    status: Status
    reason: str = ""  # why the status is not "ok"
    probability: float | None = None
    label: str | None = None  # "farm" or "genuine" at the model's threshold; None unless status == "ok"
    reasons: tuple[Reason, ...] = ()
    signals: dict[str, float] = field(default_factory=dict)
    model_version: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self, *, with_signals: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "url": self.url,
            "status": self.status,
            "status_reason": self.reason,
            "probability": None if self.probability is None else report_probability(self.probability),
            "label": self.label,
            "reasons": [r.to_dict() for r in self.reasons],
            "model_version": self.model_version,
        }
        out.update(self.extra)
        if with_signals:
            out["signals"] = dict(self.signals)
        return out
