"""Prompt leaks: long question headings that nothing on the page answers.

Farm pipelines ask a language model to write an article "answering" an analytical question, then paste
the question in as a heading. The text under it is a different article: another title follows at once,
or a section that shares almost no words with the question. Genuine question headings (FAQ entries,
explainers, interviews) are followed by their answer.

A candidate is a heading ending in a question mark, or a one-sentence question line standing next to a
heading (plain-text renderings turn questions longer than 25 words into paragraphs; questions inside
running text are interviews and rhetoric). It must be long (``MIN_WORDS``); short ones ("Why now?") are
ordinary subheads. Question detection relies on the
question mark only, so it works in any script that uses one; the reader-address filter and the
"second clause" pattern of analytical questions are English-only.
"""

from __future__ import annotations

import re

from detector.signals.base import Signal
from detector.textutil import STOPWORDS, same_title, strip_item_marker, words
from detector.types import Block, Cleaned, Evidence, SignalResult

_QUESTION_END = ("?", "？", "؟")
# One sentence: no sentence end before the final question mark ("U.S." and "Dr." are not ends).
_INNER_END_RE = re.compile(r"[^\W\d_]{3}[.!]\s|[?？]\s|[。！？]|(?:\.\.\.|…)\s*[A-ZÀ-Ý]")
# A heading starts with a word (or an opening quote / inverted question mark), not a date or a handle.
_STARTS_WITH_WORD_RE = re.compile(r"^[\"“‘'¿(]?[^\W\d_]")
# "Related: ...?", "Q: ...?", "Lesetipp: ...?", "À lire aussi » ...?": a short label before a colon marks a
# teaser link or an interview turn, not a heading of this page. Of the 41 question lines of 6+ words
# followed directly by a heading on the 1,214 AEB + trafilatura genuine pages, 11 had such a label.
_LABEL_RE = re.compile(r"^\W*[^\W\d][^:：?»|]{0,40}(?:[:：]|»|\|)\s")
# Questions put to the reader are comment bait (the engagement signal), not a leaked prompt.
_READER_RE = re.compile(r"\b(?:you|your|yours|yourself)\b", re.IGNORECASE)
# The "analytical question" form of generation prompts: two clauses, the second a new question.
_SECOND_CLAUSE_RE = re.compile(
    r"[,;]\s*(?:and|or|but)\s+(?:how|what|why|which|who|whom|whose|when|where|to what extent|"
    r"in what ways?)\b",
    re.IGNORECASE,
)
_LETTERS_RE = re.compile(r"[^\W\d_]{3,}")

# Questions of 8+ words. The 367 question headings of the AEB + trafilatura genuine pages have a median
# of 7 words (42% have 8+); the leaked prompt questions in the seeds have 16-25 words.
MIN_WORDS = 8
# An analytical question without a second clause is a very long single-sentence question: 20+ words
# for 13 of the 503 genuine question headings, items and lines next to a heading (2.6%).
ANALYTICAL_WORDS = 20
MIN_CLAUSE_WORDS = 12
# The answer zone: the first 150 words under the question.
ANSWER_WORDS = 150
SHORT_ANSWER = 30
# Share of the question's content words found in the answer zone below which the question is not
# answered. On the genuine pages FAQ answers share 0.14-0.9 of their question's words and interview
# answers 0-0.5 (interview questions mostly address "you" and are skipped); with the cut at 0.1 and
# 4+ content words required, no genuine page of the 1,214 has such a question.
MIN_OVERLAP = 0.1
MIN_CONTENT_WORDS = 4
CAP = 3
KEYS = (
    "n_question_headings",
    "n_unanswered",
    "unanswered_share",
    "followed_by_heading",
    "max_question_words",
    "analytical",
)


def _stems(text: str) -> set[str]:
    """Content-word stems (first five letters), case-folded: "discussed" and "discussion" meet."""
    return {w[:5] for w in _LETTERS_RE.findall(text.lower()) if w not in STOPWORDS}


def _is_question(text: str) -> bool:
    if not text.endswith(_QUESTION_END) or _LABEL_RE.match(text) or not _STARTS_WITH_WORD_RE.match(text):
        return False
    return not _INNER_END_RE.search(text[:-1])


def _next_to_heading(blocks: list[Block], i: int) -> bool:
    before = i > 0 and blocks[i - 1].kind == "heading"
    return before or (i + 1 < len(blocks) and blocks[i + 1].kind == "heading")


def _is_analytical(text: str, n_words: int) -> bool:
    if n_words >= ANALYTICAL_WORDS:
        return True
    return n_words >= MIN_CLAUSE_WORDS and bool(_SECOND_CLAUSE_RE.search(text))


def _answer_zone(blocks: list[Block], i: int) -> str:
    """The text under block ``i``, cut to ``ANSWER_WORDS`` words.

    It runs to the next heading, or on through subheadings while it holds fewer than ``SHORT_ANSWER``
    words: "Wie lange ...?" answered by "Auch hier muss man unterscheiden." and two subsections.
    """
    parts: list[str] = []
    n = 0
    for b in blocks[i + 1 :]:
        if b.kind == "heading" and n >= SHORT_ANSWER:
            break
        if b.kind == "code":
            continue
        parts.append(b.text)
        n += b.text.count(" ") + 1
        if n >= ANSWER_WORDS:
            break
    return " ".join(" ".join(parts).split()[:ANSWER_WORDS])


def _quote(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def compute(doc: Cleaned) -> SignalResult:
    blocks = doc.blocks
    n_questions = 0
    max_words = 0
    analytical: list[Block] = []
    unanswered: list[tuple[Block, str]] = []
    bare = 0
    for i, b in enumerate(blocks):
        if b.kind not in ("heading", "paragraph", "list_item"):
            continue
        text = strip_item_marker(b.text) if b.kind == "list_item" else b.text
        if not text.endswith(_QUESTION_END) or not _is_question(text):
            continue
        n_words = len(words(text))
        if n_words < MIN_WORDS:
            continue
        if b.kind == "paragraph" and not _next_to_heading(blocks, i):
            continue  # a question inside running text (interviews, rhetoric), not a line acting as a heading
        reader = bool(_READER_RE.search(text))
        new = not any(same_title(text, a.text) for a in analytical)
        if not reader and _is_analytical(text, n_words) and new:
            analytical.append(b)
        if b.kind == "list_item":
            continue  # a listed question (a contents entry) has no text of its own under it
        n_questions += 1
        max_words = max(max_words, n_words)
        if reader:
            continue
        nxt = blocks[i + 1] if i + 1 < len(blocks) else None
        if nxt is None or nxt.kind == "heading":
            bare += 1
            why = "ends the page"
            if nxt is not None:
                why = f'is followed directly by another heading ("{_quote(nxt.text, 80)}")'
            unanswered.append((b, why))
            continue
        question = _stems(text)
        if len(question) < MIN_CONTENT_WORDS:
            continue
        answer = _stems(_answer_zone(blocks, i))
        shared = len(question & answer)
        if shared / len(question) < MIN_OVERLAP:
            why = f"is not answered by the text under it ({shared} of {len(question)} words shared)"
            unanswered.append((b, why))

    values = {
        "n_question_headings": min(n_questions, CAP) / CAP,
        "n_unanswered": min(len(unanswered), CAP) / CAP,
        "unanswered_share": len(unanswered) / n_questions if n_questions else 0.0,
        "followed_by_heading": min(bare, CAP) / CAP,
        "max_question_words": min(max_words, 40) / 40,
        "analytical": min(len(analytical), CAP) / CAP,
    }
    if not unanswered and not analytical:
        return SignalResult(values=values)
    evidence: list[Evidence] = []
    if unanswered:
        b, why = unanswered[0]
        summary = f'question heading "{_quote(b.text)}" {why}'
        if len(unanswered) > 1:
            summary += f"; {len(unanswered) - 1} more unanswered question heading(s)"
        evidence.extend(Evidence(text=u.text[:200], start=u.start, end=u.end) for u, _ in unanswered[:3])
    else:
        summary = f'analytical prompt-style question "{_quote(strip_item_marker(analytical[0].text))}"'
    seen = {e.start for e in evidence}
    evidence.extend(
        Evidence(text=a.text[:200], start=a.start, end=a.end, note="analytical question")
        for a in analytical[:2]
        if a.start not in seen
    )
    return SignalResult(values=values, summary=summary, evidence=tuple(evidence[:5]))


SIGNAL = Signal(
    name="prompt_leak",
    version=1,
    keys=KEYS,
    description="long question headings from a generation prompt that the text under them does not answer",
    compute=compute,
)
