"""Stitched pages: two or more generated articles pasted one after another under one title.

When the first article ends (after its comment bait, its FAQ, or a leaked prompt question), a second
title-like heading appears and a new article starts with its own introduction. Four marks of the seam:

(a) a *restart*: a headline-form heading past the top of the page, standing where an article ends
    (right after another heading with no text of its own, a question line, or comment bait), with a
    full article's worth of text on both sides;
(b) more than one dateline opening ("TOKYO, JAPAN –", "WASHINGTON (Reuters) -");
(c) a topical break: the topic shift at the seam (1 minus the vocabulary cosine of the parts before and
    after it; 0 on a page without a seam), and the sharpest drop in cosine between adjacent sections
    compared with the page's usual one;
(d) a re-introduction: the second part's title and lede restate the first title and lede.

On the seed pages the stitched articles cover the same news story, so (c) barely moves there; it is
for farms that stitch unrelated texts. Headline form needs a cased script: on Chinese, Japanese or
Korean pages (a) stays 0 and only the datelines and the vocabulary values speak.
"""

from __future__ import annotations

import math
import operator
import re
from collections import Counter
from itertools import accumulate, chain

from detector.signals.base import Signal
from detector.signals.engagement import is_comment_bait
from detector.textutil import BMP_WORD_CHARS, STOPWORDS, is_bmp, words
from detector.types import Block, Cleaned, Evidence, SignalResult

# Content-word stems: the first five characters of each word of 3+, so "discussed" and "discussion"
# meet; function words are dropped by their stems afterwards (this also drops words starting with one,
# such as "underline", a small loss for a single regex pass, which is what keeps this signal fast).
_STEM_RE = re.compile(r"(\w{3,5})\w*+")
_BMP_STEM_RE = re.compile(rf"([{BMP_WORD_CHARS}]{{3,5}})[{BMP_WORD_CHARS}]*+")  # the same, written out (see is_bmp)
STOP_STEMS = frozenset(w[:5] for w in STOPWORDS if len(w) >= 3)
_NUMBERED_RE = re.compile(r"^\W*\d")

_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sept?(?:ember)?|"
    r"Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
_DATE = rf"(?:{_MONTH}\s+\d{{1,2}}(?:\s*,\s*\d{{4}})?|\d{{1,2}}\.?\s+{_MONTH}(?:\s+\d{{4}})?)"
_CAPS_PLACE = r"[A-Z][A-Z.'’]+(?:[ -][A-Z][A-Z.'’]+){0,3}"  # TOKYO, NEW YORK, ST. JOSEPH
_PLACE = r"[A-Z][a-z.'’]+(?:[ -][A-Z][a-z.'’]+){0,2}"  # Tokyo, New York
_REGION = r"[A-Z][\w.'’]*(?: [A-Z][\w.'’]*){0,2}"  # Japan, N.Y., Calif., United Arab Emirates
_AGENCY = r"\s*\([^()\n]{2,40}\)"
_DASH = r"\s*(?:[–—]|--?)\s"
#: Dateline openings of a news article, at the start of a paragraph: an upper-case place, or a place
#: with a news agency, a country/state or a date. A place alone ("Tokyo – ") is too common as a lead-in.
DATELINE_RE = re.compile(
    rf"^(?:{_CAPS_PLACE}(?:\s*,\s*{_REGION})?(?:{_AGENCY})?(?:\s*,?\s*{_DATE})?"
    rf"|{_PLACE}(?:\s*,\s*{_REGION})?{_AGENCY}(?:\s*,?\s*{_DATE})?"
    rf"|{_PLACE}\s*,\s*{_REGION}(?:\s*[–—-])?\s*,?\s*{_DATE}"
    rf"|{_PLACE}\s*,\s*{_REGION}){_DASH}"
)
# A dateline opens a paragraph of running text, not a caption or a name line.
DATELINE_MIN_WORDS = 12

# Title-like headings have 7+ words in headline case. The seeds' titles and second titles have 8-26
# words; 266 of the 440 headings on the AEB pages have fewer than 7.
TITLE_MIN_WORDS = 7
# Share of cased content words starting upper-case: 0.88-1.0 on the seeds' titles and second titles.
# Headline case alone is common (64 of the 174 AEB headings of 7+ words reach it, median 0.5), which is
# why a restart also needs its position and an article ending before it: no genuine page among the
# 1,214 AEB + trafilatura pages has one.
HEADLINE_CASE = 0.75
TOP_SHARE = 0.2  # headings in the first fifth of the text are the title and its deck
# Both sides of a seam hold an article: 150+ words. With the position rule, this removes the
# related-story headlines at the foot of genuine pages (AEB: Milan Design Week, deal roundups).
MIN_PART_WORDS = 150
LAST_SEAM = 0.85  # a seam in the last 15% of the text leaves no room for a second article
# Word-set Jaccard at which two headings are the same title (as ``textutil.same_title``).
SAME_HEADING = 0.8
# Sections shorter than this are merged into the one before for the adjacent-section cosine: below
# about 100 words two bags of words share too little for a cosine to mean anything.
MIN_SECTION_WORDS = 100
RUNNING = ("paragraph", "list_item", "quote", "table_row")
CAP = 3
KEYS = (
    "n_title_headings",
    "n_restarts",
    "n_datelines",
    "topic_shift",
    "max_section_break",
    "reintroduced",
)


def _cosine(a: Counter[str], b: Counter[str], norm_a: float, norm_b: float) -> float:
    if not norm_a or not norm_b:
        return 0.0
    if len(a) > len(b):
        a, b = b, a
    return sum([a[k] * b[k] for k in a.keys() & b.keys()]) / (norm_a * norm_b)


def _norm(bag: Counter[str]) -> float:
    values = list(bag.values())
    return math.sqrt(sum(map(operator.mul, values, values)))


def _bag(token_lists: list[list[str]]) -> Counter[str]:
    bag = Counter(chain.from_iterable(token_lists))
    for k in STOP_STEMS & bag.keys():
        dict.__delitem__(bag, k)  # Counter.__delitem__ is Python code, several times slower
    return bag


def _bag_and_norm(token_lists: list[list[str]]) -> tuple[Counter[str], float]:
    bag = _bag(token_lists)
    return bag, _norm(bag)


def _section_stems(text: str, blocks: list[Block], firsts: list[int]) -> list[list[str]]:
    """The content-word stems of each section, the section starting at block ``firsts[j]``."""
    ends = [blocks[j].start for j in firsts[1:]] + [len(text)]
    lowered = text.lower()
    if len(lowered) == len(text):
        stem_re = _BMP_STEM_RE if is_bmp(lowered) else _STEM_RE
        return [stem_re.findall(lowered, blocks[a].start, z) for a, z in zip(firsts, ends, strict=True)]
    # lower() changed the length (a dotted capital I): lower-case after the match instead
    return [
        " ".join(_STEM_RE.findall(text, blocks[a].start, z)).lower().split() for a, z in zip(firsts, ends, strict=True)
    ]


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def _headline_case(text: str) -> float:
    cased = [w for w in words(text) if w.lower() not in STOPWORDS and w[0].upper() != w[0].lower()]
    if len(cased) < 3 or sum(w.isupper() for w in cased) * 2 > len(cased):
        return 0.0  # too few cased words, or an all-caps line (a label, a banner)
    return sum(w[0].isupper() for w in cased) / len(cased)


def _title_form(b: Block) -> bool:
    text = b.text.rstrip()
    if text.count(" ") + 1 < TITLE_MIN_WORDS or text.endswith((":", "?", "：", "？")):
        return False
    if _NUMBERED_RE.match(text):
        return False  # a numbered list entry ("3. Make a plate")
    n = len(words(text))
    return TITLE_MIN_WORDS <= n <= 40 and _headline_case(text) >= HEADLINE_CASE


def _ends_article(prev: Block, cand: Block, html: bool) -> bool:
    """Whether the block before a title-like heading is where an article stops."""
    text = prev.text.rstrip()
    if prev.kind == "heading":
        # A heading ending in ":" introduces what follows; a title-like heading heads the section that
        # this one subdivides; in HTML a deeper heading level is a subheading too.
        if text.endswith((":", "：")) or (html and cand.level > prev.level):
            return False
        return not _title_form(prev)
    if text.endswith(("?", "？")):
        return True
    return is_comment_bait(text)


def _is_dateline(b: Block) -> bool:
    head = b.text[:90]
    if "–" not in head and "—" not in head and " -" not in head:
        return False  # cheap test first: every dateline form has a dash
    m = DATELINE_RE.match(b.text)
    return m is not None and len(words(b.text[m.end() :])) >= DATELINE_MIN_WORDS


def _datelines(blocks: list[Block], run_before: list[int]) -> list[Block]:
    """The paragraphs that open an article with a dateline.

    A run of "NAME – description" paragraphs is a list of entries, not article openings (a dateline
    paragraph right after another one is skipped); two openings closer than an article's length are one
    article.
    """
    found = [i for i, b in enumerate(blocks) if b.kind == "paragraph" and _is_dateline(b)]
    datelines: list[Block] = []
    last_dateline = -MIN_PART_WORDS
    for k, i in enumerate(found):
        after_dateline = k > 0 and found[k - 1] == i - 1
        if not after_dateline and run_before[i] - last_dateline >= MIN_PART_WORDS:
            datelines.append(blocks[i])
            last_dateline = run_before[i]
    return datelines


def _quote(text: str, limit: int = 100) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def compute(doc: Cleaned) -> SignalResult:
    blocks = doc.blocks
    n_chars = max(len(doc.text), 1)
    html = doc.source_format == "html"
    if not blocks:
        return SignalResult(values=dict.fromkeys(KEYS, 0.0))

    # Running-text words before each block (run_before[-1]: after the last one), and datelines.
    run_before = list(accumulate((b.text.count(" ") + 1 if b.kind in RUNNING else 0 for b in blocks), initial=0))
    total_words = run_before[-1]
    datelines = _datelines(blocks, run_before)
    heading_idx = [i for i, b in enumerate(blocks) if b.kind == "heading"]

    # (a) title-like headings and restarts.
    title_like: list[int] = []
    restarts: list[int] = []
    seen: list[set[str]] = []  # word sets of the headings before the current one
    for i in heading_idx:
        b = blocks[i]
        mine = set(b.text.lower().split())
        pos = b.start / n_chars
        if pos >= TOP_SHARE and _title_form(b) and not any(_jaccard(mine, w) >= SAME_HEADING for w in seen):
            # (a repeated title is a caption or a sticky header, not a new title)
            title_like.append(i)
            before, after = run_before[i], total_words - run_before[i]
            if pos <= LAST_SEAM and min(before, after) >= MIN_PART_WORDS and _ends_article(blocks[i - 1], b, html):
                restarts.append(i)
        seen.append(mine)

    # The seam to compare the parts at: the first restart, else the heading nearest the middle.
    split: int | None = restarts[0] if restarts else None
    if split is None:
        middle = total_words / 2
        candidates = [i for i in heading_idx if min(run_before[i], total_words - run_before[i]) >= MIN_PART_WORDS]
        split = min(candidates, key=lambda i: abs(run_before[i] - middle), default=None)

    # (c) sections: spans of the text from one heading to the next, merged up to a minimum length, with
    # a forced break at the seam. One regex pass over each span gives its stems.
    firsts: list[int] = [0]
    for i in heading_idx:
        if i and (i == split or run_before[i] - run_before[firsts[-1]] >= MIN_SECTION_WORDS):
            firsts.append(i)
    if len(firsts) > 1 and total_words - run_before[firsts[-1]] < MIN_SECTION_WORDS and firsts[-1] != split:
        firsts.pop()
    max_break = 0.0
    topic_shift = 0.0  # 1 - vocabulary cosine of the parts before and after the seam; 0 without a seam
    # One section (most pages) leaves nothing to compare: no adjacent pair, and no seam, since a seam
    # always starts a section of its own and is never block 0. The stems are then not read at all.
    if len(firsts) > 1:
        tokens = _section_stems(doc.text, blocks, firsts)
        bags = [_bag([t]) for t in tokens]
        norms = [_norm(bag) for bag in bags]
        adjacent = [_cosine(bags[j], bags[j + 1], norms[j], norms[j + 1]) for j in range(len(bags) - 1)]
        if len(adjacent) >= 2:
            usual = sorted(adjacent)[len(adjacent) // 2]
            max_break = max(0.0, usual - min(adjacent))
        if split is not None and split in firsts:
            k = firsts.index(split)
            # A part of one section is that section's bag (the same counts), so it is not counted again.
            head, head_norm = (bags[0], norms[0]) if k == 1 else _bag_and_norm(tokens[:k])
            tail, tail_norm = (bags[-1], norms[-1]) if k == len(bags) - 1 else _bag_and_norm(tokens[k:])
            topic_shift = 1.0 - _cosine(head, tail, head_norm, tail_norm)

    # (d) the second part restating the first part's title and lede.
    reintroduced = 0.0
    if restarts:
        r = restarts[0]
        top = [b for b in blocks[:r] if b.kind == "heading" and b.start / n_chars < TOP_SHARE]
        title = max(top, key=lambda b: len(b.text), default=None)
        lede = next((b for b in blocks[:r] if b.kind == "paragraph" and b.text.count(" ") >= 19), None)
        lede2 = next((b for b in blocks[r + 1 :] if b.kind == "paragraph" and b.text.count(" ") >= 19), None)
        first = set(_STEM_RE.findall(" ".join(b.text for b in (title, lede) if b is not None).lower()))
        second = set(_STEM_RE.findall((blocks[r].text + " " + (lede2.text if lede2 else "")).lower()))
        second -= STOP_STEMS
        if second:
            reintroduced = len(first & second) / len(second)

    values = {
        "n_title_headings": min(len(title_like), CAP) / CAP,
        "n_restarts": min(len(restarts), 2) / 2,
        "n_datelines": min(len(datelines), CAP) / CAP,
        "topic_shift": topic_shift,
        "max_section_break": max_break,
        "reintroduced": reintroduced,
    }
    found: list[str] = []
    evidence: list[Evidence] = []
    for i in restarts[:3]:
        b = blocks[i]
        pct = round(100 * b.start / n_chars)
        prev = _quote(blocks[i - 1].text, 80)
        found.append(f'a second article starts at "{_quote(b.text)}" ({pct}% into the page, after "{prev}")')
        evidence.append(Evidence(text=b.text[:200], start=b.start, end=b.end, note="restart"))
    if len(datelines) > 1:
        shown = "; ".join(f'"{_quote(b.text, 40)}"' for b in datelines[:3])
        found.append(f"{len(datelines)} dateline openings ({shown})")
        evidence.extend(Evidence(text=b.text[:200], start=b.start, end=b.end, note="dateline") for b in datelines[:2])
    if not found:
        return SignalResult(values=values)
    return SignalResult(values=values, summary="; ".join(found), evidence=tuple(evidence[:5]))


SIGNAL = Signal(
    name="stitched",
    version=2,
    keys=KEYS,
    description="several generated articles stitched into one page: a second title, a second dateline",
    compute=compute,
)
