"""Keyword blocks ("Keywords for SEO:", "SEO Keywords:", "Related searches:") and keyword stuffing.

A genuine blog may end with "Tags: a, b, c"; a generated page ends with a long comma list of the search
terms it was written for, labelled for the search engine rather than the reader. Stuffing is measured
as how much of the running text the few most repeated content words take, and as repeated emphasis of
the same phrase (``*Japan-US alliance*`` five times).
"""

from __future__ import annotations

import heapq
import math
import re
from collections import Counter

from detector.signals.base import Signal
from detector.textutil import BMP_LETTERS, STOPWORDS, is_bmp, normalize
from detector.types import Cleaned, Evidence, SignalResult

#: Labels whose wording addresses search engines (strong) or readers (weak, common on genuine blogs).
_SEO_LABEL_RE = re.compile(
    r"^\s*(?:[-*]\s*)?(?:\*\*)?((?:(?:primary|secondary|related|focus|target|seo|lsi|long[- ]tail)\s+)*"
    r"(?:keywords?|key ?phrases?|search terms|related searches|focus keyphrase|seo tags)(?:\s+for\s+seo)?"
    r"|keywords? for seo|seo)(?:\*\*)?\s*[:：]\s*(.*)$",
    re.IGNORECASE,
)
_TAG_LABEL_RE = re.compile(
    r"^\s*(?:tags?|tagged|topics|schlagwörter|schlagworte|stichwörter|mots[- ]clés|étiquettes|etiquetas|"
    r"temas|tag)\s*[:：]\s*(.*)$",
    re.IGNORECASE,
)
_LETTER_WORD_RE = re.compile(r"[^\W\d_]{3,}")  # words of three or more letters
_BMP_LETTER_WORD_RE = re.compile(f"[{BMP_LETTERS}]{{3,}}")  # the same, written out (twice as fast; see is_bmp)
# (?<![*\w]\*) right after the opening "*" says what (?<![*\w]) would say before it; a pattern that starts
# with the literal "*" lets the regex engine skip to the stars instead of testing every position.
_EMPHASIS_RE = re.compile(r"\*(?<![*\w]\*)([^*\n]{3,60})\*(?![*\w])")
MIN_TERMS = 4  # "Tags: news" is chrome; four or more comma-separated terms make a keyword list
KEYS = (
    "has_seo_block",
    "has_tag_block",
    "terms",
    "terms_in_body",
    "top3_density",
    "emphasis_repeat",
    "meta_keywords",
)


def _split_terms(text: str) -> list[str]:
    return [t.strip(" .;") for t in re.split(r"[,;，、|]", text) if 1 <= len(t.strip(" .;").split()) <= 6]


def _keyword_block(doc: Cleaned) -> tuple[str, list[str], int, int] | None:
    """(kind, terms, start, end) of the first keyword block: a label line, its terms inline or next block."""
    blocks = doc.blocks
    for i, block in enumerate(blocks):
        text = block.text
        # Both label patterns need a colon (ASCII or full-width) after the label: most blocks have none.
        if len(text) > 2000 or (":" not in text and "：" not in text):
            continue
        for kind, regex in (("seo", _SEO_LABEL_RE), ("tags", _TAG_LABEL_RE)):
            m = regex.match(text)
            if not m:
                continue
            rest = (m.groups()[-1] or "").strip()
            end = block.end
            if not rest and i + 1 < len(blocks):
                rest, end = blocks[i + 1].text, blocks[i + 1].end
            terms = _split_terms(rest)
            if len(terms) >= MIN_TERMS:
                return kind, terms, block.start, end
    return None


def compute(doc: Cleaned) -> SignalResult:
    values = dict.fromkeys(KEYS, 0.0)
    evidence: list[Evidence] = []
    summary: list[str] = []
    values["meta_keywords"] = math.log1p(len(doc.structure.meta_keywords)) / math.log1p(50)

    found = _keyword_block(doc)
    body = "\n".join(b.text for b in doc.body_blocks)
    if found:
        kind, terms, start, end = found
        body_norm = normalize(body.replace(doc.text[start:end], ""))
        in_body = sum(normalize(t) in body_norm for t in terms) / len(terms)
        values["has_seo_block" if kind == "seo" else "has_tag_block"] = 1.0
        values["terms"] = min(math.log1p(len(terms)) / math.log1p(30), 1.0)
        values["terms_in_body"] = in_body
        evidence.append(Evidence(text=doc.text[start:end][:300], start=start, end=end))
        label = "a search-engine keyword block" if kind == "seo" else "a tag list"
        summary.append(f"{label} of {len(terms)} terms ({in_body:.0%} of them taken from the text)")

    low = body.lower()
    tokens = (_BMP_LETTER_WORD_RE if is_bmp(low) else _LETTER_WORD_RE).findall(low)
    counts = Counter(tokens)
    for stop in STOPWORDS & counts.keys():
        dict.__delitem__(counts, stop)  # Counter.__delitem__ is Python code, several times slower
    if sum(counts.values()) >= 50:
        # Only the three largest counts matter, not which words have them (nor how ties are ordered).
        values["top3_density"] = sum(heapq.nlargest(3, counts.values())) / len(tokens)

    emphasized: Counter[str] = Counter()
    if "*" in doc.text:  # every emphasis contains a "*": most pages need no regex pass
        emphasized = Counter(normalize(m.group(1)) for m in _EMPHASIS_RE.finditer(doc.text))
    repeats = sum(c for c in emphasized.values() if c >= 2)
    if repeats:
        values["emphasis_repeat"] = min(repeats, 20) / 20
        phrase, count = emphasized.most_common(1)[0]
        summary.append(f'the phrase "{phrase}" is emphasised {count} times')
        for m in list(_EMPHASIS_RE.finditer(doc.text))[:3]:
            evidence.append(Evidence(text=m.group(0), start=m.start(), end=m.end()))
    return SignalResult(values=values, summary="; ".join(summary), evidence=tuple(evidence))


SIGNAL = Signal(
    name="seo_keywords",
    version=1,
    keys=KEYS,
    description="'Keywords for SEO' blocks, tag lists and keyword stuffing",
    compute=compute,
)
