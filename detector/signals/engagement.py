"""Engagement bait: "Share your thoughts in the comments below!", "Don't forget to share this article!".

Generated pages end the article with a line asking readers to comment or to pass the article on, often
with questions put to the reader ("How do you envision the future of ...?"). Genuine pages carry share
buttons and "Join us on social!" / "Follow us" / "Subscribe to our newsletter" chrome, which is a
different thing: it is about the site, not this article, and sits in every page of the site, farm or
not. So three values, kept apart:

* ``comment_bait``: a line asking readers to comment on this article;
* ``share_bait``: a sentence asking readers to share this article ("share this post with ...",
  "if you found this helpful, please share it");
* ``share_chrome``: follow / join / subscribe lines about the site (seed 004's "Join us on social!"):
  reported, and for a model to learn that it says nothing.
"""

from __future__ import annotations

import re

from detector.signals.base import Signal
from detector.textutil import starting_with
from detector.types import Cleaned, Evidence, SignalResult

COMMENT_BAIT_RE = re.compile(
    starting_with(
        "stldpaicwj",
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
    ),
    re.IGNORECASE,
)
SHARE_BAIT_RE = re.compile(
    starting_with(
        "spdlc",
        r"\b(?:share (?:this|it) (?:article|story|post|page|guide)?\s*(?:with|on|if)\b|"
        r"(?:please|do) share (?:it|this)\b|"
        r"don'?t forget to (?:share|like)\b|like and share\b|click the share button|spread the word\b|"
        r"share (?:it|this(?: (?:article|story|post))?) (?:with (?:your )?(?:friends|others|someone)|on social media))",
    ),
    re.IGNORECASE,
)
_CHROME_RE = re.compile(
    starting_with(
        "fjcls",
        r"\b(?:(?:follow|join|find|connect with|like) us on\b|join us on social|follow us\b|"
        r"subscribe to (?:our|the) (?:newsletter|channel|podcast|feed)|sign up for (?:our|the) newsletter)",
    ),
    re.IGNORECASE,
)
#: Every branch of COMMENT_BAIT_RE contains one of these: a substring test first keeps the pattern, which
#: is slow on long paragraphs, off almost every block.
BAIT_WORDS = (
    "comment",
    "thought",
    "take",
    "opinion",
    "view",
    "think",
    "conversation",
    "discussion",
    "love to hear",
    "sound off",
    "perspective",
    "insight",
    "experience",
)
MAX_BAIT_CHARS = 600  # bait is a line of its own; a long paragraph mentioning comments is reporting


def is_comment_bait(text: str) -> bool:
    """Whether a block asks readers to comment ("Share your thoughts in the comments below!")."""
    return len(text) <= MAX_BAIT_CHARS and _asks_to_comment(text, text.lower())


def _asks_to_comment(text: str, low: str) -> bool:
    """:func:`is_comment_bait` for a block of at most ``MAX_BAIT_CHARS``, lower-cased as ``low``."""
    return any(w in low for w in BAIT_WORDS) and COMMENT_BAIT_RE.search(text) is not None


# A question put to the reader: addresses "you"/"your" and ends with a question mark.
_READER_QUESTION_RE = re.compile(r"[^.!?\n]*\byou(?:r)?\b[^.!?\n]*\?", re.IGNORECASE)
MAX_CHROME_CHARS = 200  # site chrome is a short line; a paragraph that mentions following is text
CAP = 3
KEYS = ("comment_bait", "share_bait", "share_chrome", "reader_questions", "bait_before_end")


def compute(doc: Cleaned) -> SignalResult:
    comment: list[tuple[int, int, str]] = []
    share: list[tuple[int, int, str]] = []
    chrome = 0
    reader_q = 0
    bait_at: list[int] = []  # block numbers of the bait lines
    for i, b in enumerate(doc.blocks):
        if b.kind in ("table_row", "code") or len(b.text) > MAX_BAIT_CHARS:
            continue
        low = b.text.lower()
        bait = False
        if _asks_to_comment(b.text, low):
            comment.append((b.start, b.end, b.text))
            bait = True
        elif ("share" in low or "spread" in low or "like" in low) and SHARE_BAIT_RE.search(b.text):
            share.append((b.start, b.end, b.text))
            bait = True
        if bait:
            bait_at.append(i)
        elif len(b.text) <= MAX_CHROME_CHARS and ("us" in low or "subscribe" in low or "sign up" in low):
            chrome += bool(_CHROME_RE.search(b.text))
        if (
            b.kind == "paragraph"
            and len(b.text) < 300
            and "?" in b.text
            and "you" in low
            and (_READER_QUESTION_RE.search(b.text))
        ):
            reader_q += 1
    # Bait in the middle of a page means a second article follows it (stitched pages).
    bait_before_end = False
    if bait_at:  # (the last paragraph is looked for only on a page with bait)
        last_body = max((i for i, b in enumerate(doc.blocks) if b.kind == "paragraph"), default=-1)
        bait_before_end = bait_at[0] < last_body - 2
    values = {
        "comment_bait": min(len(comment), CAP) / CAP,
        "share_bait": min(len(share), CAP) / CAP,
        "share_chrome": min(chrome, CAP) / CAP,
        "reader_questions": min(reader_q, CAP) / CAP,
        "bait_before_end": float(bait_before_end),
    }
    if not comment and not share:
        return SignalResult(values=values)
    found = comment + share
    evidence = tuple(Evidence(text=t[:200], start=s, end=e) for s, e, t in sorted(found)[:3])
    first = comment[0] if comment else share[0]
    verb = "to comment" if comment else "to share the article"
    summary = f'asks readers {verb}: "{first[2][:120]}"'
    if comment and share:
        summary += f" (and {len(share)} line(s) asking them to share it)"
    if bait_before_end:
        summary += " (and more article follows it)"
    return SignalResult(values=values, summary=summary, evidence=evidence)


SIGNAL = Signal(
    name="engagement",
    version=2,
    keys=KEYS,
    description="'Share your thoughts below' comment bait and 'share this article' bait",
    compute=compute,
)
