"""FAQ padding: a question-and-answer block whose answers only restate the body.

Product pages and help centres carry real FAQs with new information. The farm template appends one to
lengthen the page: its answers are sentences of the article said again, and sometimes the block is a
bare "Frequently Asked Questions" heading with nothing under it. Read from the text (a FAQ heading
followed by questions and answers, as lines ``- Question? Answer`` or question + paragraph) and from
the DOM (``FAQPage`` JSON-LD, Rank Math / Yoast FAQ blocks).
"""

from __future__ import annotations

import math
import re

from detector.signals.base import Signal
from detector.signals.engagement import is_comment_bait
from detector.textutil import content_words, overlap, strip_item_marker
from detector.types import QA, Block, Cleaned, Evidence, SignalResult

_FAQ_HEADING_RE = re.compile(
    r"^(?:frequently asked questions|faqs?|common questions|people also ask|questions and answers|q\s*&\s*a|"
    r"your questions answered|häufig gestellte fragen|häufige fragen|foire aux questions|questions fréquentes|"
    r"preguntas frecuentes|domande frequenti|veelgestelde vragen|perguntas frequentes|"
    r"자주 묻는 질문|常见问题|よくある質問)"
    r"\b",
    re.IGNORECASE,
)
_INLINE_QA_RE = re.compile(r"^(.{10,300}?\?)\s+(\S.*)$")
# An answer whose content words are >= 70% words the body already used says nothing new. Measured on the
# seeds' FAQ answers (0.67-1.0 against their bodies) and on answers that bring new facts (< 0.5).
RESTATE_MIN = 0.7
KEYS = ("has_faq", "pairs", "restated_share", "mean_restatement", "empty_faq", "jsonld", "plugin")


def _faq_pairs(blocks: list[Block], start: int) -> list[tuple[QA, Block]]:
    """Q/A pairs after a FAQ heading: inline ``Question? Answer`` items, or question line + next block."""
    pairs: list[tuple[QA, Block]] = []
    i = start
    while i < len(blocks):
        b = blocks[i]
        text = strip_item_marker(b.text)
        if is_comment_bait(text):
            break
        inline = _INLINE_QA_RE.match(text)
        if inline and b.kind in ("list_item", "paragraph"):
            pairs.append((QA(inline.group(1), inline.group(2)), b))
            i += 1
            continue
        if text.endswith("?") and i + 1 < len(blocks) and blocks[i + 1].kind in ("paragraph", "list_item"):
            answer = strip_item_marker(blocks[i + 1].text)
            if not answer.endswith("?"):
                pairs.append((QA(text, answer), b))
                i += 2
                continue
        break
    return pairs


def compute(doc: Cleaned) -> SignalResult:
    st = doc.structure
    values = dict.fromkeys(KEYS, 0.0)
    values["jsonld"] = float("FAQPage" in st.jsonld_types)
    values["plugin"] = float(bool(st.faq_markers))
    evidence: list[Evidence] = []
    blocks = doc.blocks

    heading_idx = next((i for i, b in enumerate(blocks) if len(b.text) < 120 and _FAQ_HEADING_RE.match(b.text)), None)
    pairs: list[QA] = []
    faq_blocks: set[int] = set()
    if heading_idx is not None:
        found = _faq_pairs(blocks, heading_idx + 1)
        pairs = [qa for qa, _ in found]
        faq_blocks = {b.start for _, b in found}
        h = blocks[heading_idx]
        end = found[-1][1].end if found else h.end
        evidence.append(Evidence(text=doc.text[h.start : end][:300], start=h.start, end=end))
    if not pairs and st.faq:
        pairs = st.faq
        evidence.append(Evidence(text=pairs[0].question[:200], where="dom", note="FAQ markup"))
    if heading_idx is None and not pairs:
        return SignalResult(values=values)

    body_vocab: set[str] = set()
    for b in doc.body_blocks:
        if b.start not in faq_blocks:
            body_vocab |= content_words(b.text)
    scores = []
    for qa in pairs:
        answer = content_words(qa.answer)
        if len(answer) >= 3:
            scores.append(overlap(answer, body_vocab))
    restated = sum(s >= RESTATE_MIN for s in scores)
    values["has_faq"] = 1.0
    values["pairs"] = min(math.log1p(len(pairs)) / math.log1p(10), 1.0)
    values["restated_share"] = restated / len(scores) if scores else 0.0
    values["mean_restatement"] = sum(scores) / len(scores) if scores else 0.0
    values["empty_faq"] = float(heading_idx is not None and not pairs)
    if values["empty_faq"]:
        summary = "a FAQ heading with no questions under it"
    else:
        summary = f"a FAQ block of {len(pairs)} questions; {restated} of {len(scores)} answers restate the body"
    return SignalResult(values=values, summary=summary, evidence=tuple(evidence))


SIGNAL = Signal(
    name="faq",
    version=1,
    keys=KEYS,
    description="FAQ blocks whose answers restate the body",
    compute=compute,
)
