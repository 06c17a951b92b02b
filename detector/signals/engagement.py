"""Engagement bait: "Share your thoughts in the comments below!", "What do you think?".

Generated pages end the article with a line asking readers to comment, often with questions put to the
reader ("How do you envision the future of ...?"). Genuine pages carry share buttons and "Join us on
social!" chrome, which is a different thing: following a site is not commenting on an article, so
share/follow chrome is counted apart from comment bait.
"""

from __future__ import annotations

import re

from detector.signals.base import Signal
from detector.types import Cleaned, Evidence, SignalResult

COMMENT_BAIT_RE = re.compile(
    r"(?:share|tell us|let us know|leave|drop|post|add)\b[^.!?\n]{0,40}\b(?:thoughts?|views?|viewpoints?|"
    r"opinions?|experiences?|comments?|perspectives?|insights?|take)\b[^.!?\n]{0,40}\b(?:below|comments?|"
    r"section)|"
    r"\b(?:in|into) the comments?(?: section)?(?: below)?[!.]|"
    r"\bcomments? (?:below|section)\b|"
    r"\bwhat (?:are|is) your (?:thoughts?|take|opinion|view)\b|"
    r"\bwhat do you think\b|"
    r"\b(?:join|continue) the (?:conversation|discussion)\b|"
    r"\bwe(?:'d| would) love to hear\b|"
    r"\bsound off\b|"
    r"\blet us know what you think\b",
    re.IGNORECASE,
)
_SHARE_RE = re.compile(
    r"\b(?:share (?:this|it) (?:article|story|post|with)|don'?t forget to (?:share|subscribe|like|follow)|"
    r"(?:follow|join) us on|subscribe to our newsletter|like this (?:story|article)\?)",
    re.IGNORECASE,
)
#: Every branch of COMMENT_BAIT_RE contains one of these: a substring test first keeps the pattern, which
#: is slow on long paragraphs, off almost every block.
BAIT_WORDS = (
    "comment", "thought", "take", "opinion", "view", "think", "conversation", "discussion",
    "love to hear", "sound off", "perspective", "insight", "experience",
)
MAX_BAIT_CHARS = 600  # bait is a line of its own; a long paragraph mentioning comments is reporting


def is_comment_bait(text: str) -> bool:
    """Whether a block asks readers to comment ("Share your thoughts in the comments below!")."""
    if len(text) > MAX_BAIT_CHARS:
        return False
    low = text.lower()
    return any(w in low for w in BAIT_WORDS) and COMMENT_BAIT_RE.search(text) is not None


# A question put to the reader: addresses "you"/"your" and ends with a question mark.
_READER_QUESTION_RE = re.compile(r"[^.!?\n]*\byou(?:r)?\b[^.!?\n]*\?", re.IGNORECASE)
CAP = 3
KEYS = ("comment_bait", "share_chrome", "reader_questions", "bait_before_end")


def compute(doc: Cleaned) -> SignalResult:
    comment: list[tuple[int, int, str]] = []
    share = 0
    reader_q = 0
    last_body = max((i for i, b in enumerate(doc.blocks) if b.kind == "paragraph"), default=-1)
    bait_before_end = False
    for i, b in enumerate(doc.blocks):
        if b.kind in ("table_row", "code") or len(b.text) > MAX_BAIT_CHARS:
            continue
        if is_comment_bait(b.text):
            comment.append((b.start, b.end, b.text))
            # Bait in the middle of a page means a second article follows it (stitched pages).
            bait_before_end = bait_before_end or i < last_body - 2
        low = b.text.lower()
        if ("share" in low or "follow" in low or "subscribe" in low or "like this" in low or "join us" in low) and (
            _SHARE_RE.search(b.text)
        ):
            share += 1
        if b.kind == "paragraph" and len(b.text) < 300 and "?" in b.text and "you" in low and (
            _READER_QUESTION_RE.search(b.text)
        ):
            reader_q += 1
    values = {
        "comment_bait": min(len(comment), CAP) / CAP,
        "share_chrome": min(share, CAP) / CAP,
        "reader_questions": min(reader_q, CAP) / CAP,
        "bait_before_end": float(bait_before_end),
    }
    if not comment:
        return SignalResult(values=values)
    evidence = tuple(Evidence(text=t[:200], start=s, end=e) for s, e, t in comment[:3])
    summary = f'asks readers to comment: "{comment[0][2][:120]}"'
    if bait_before_end:
        summary += " (and more article follows it)"
    return SignalResult(values=values, summary=summary, evidence=evidence)


SIGNAL = Signal(
    name="engagement",
    version=1,
    keys=KEYS,
    description="'Share your thoughts below' comment bait",
    compute=compute,
)
