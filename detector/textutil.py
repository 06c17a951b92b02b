"""Small text helpers shared by the signals: words, sentences, normalisation. No state, no I/O."""

from __future__ import annotations

import re
import unicodedata

WORD_RE = re.compile(r"\w+(?:[’'\-]\w+)*", re.UNICODE)
# A sentence ends at . ! ? (or CJK full stops) followed by space and a capital/quote/digit, or at a line end.
SENTENCE_SPLIT_RE = re.compile(r"(?<=[.!?。！？])[\"”’)]*\s+(?=[\"“‘(]?[A-ZÀ-ÖØ-Þ0-9\u0400-\u042F])|\n+")
_QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-"})


def words(text: str) -> list[str]:
    """Word tokens (letters, digits, inner apostrophes and hyphens), in order, case kept."""
    return WORD_RE.findall(text)


def sentences(text: str) -> list[str]:
    """Sentences, split on terminal punctuation followed by a capital, and on line breaks."""
    return [s.strip() for s in SENTENCE_SPLIT_RE.split(text) if s and s.strip()]


def normalize(text: str) -> str:
    """Lower-case, NFKC, typographic quotes and dashes folded to ASCII: for comparing strings."""
    return unicodedata.normalize("NFKC", text).translate(_QUOTES).lower()


def content_words(text: str) -> set[str]:
    """Lower-cased words of 3+ letters that are not among the most common English function words."""
    return {w for w in (t.lower() for t in words(normalize(text))) if len(w) > 2 and w not in STOPWORDS}


#: A short English function-word list (the Gopher "stop word" rule uses a subset of these).
_STOPWORD_TEXT = """
a an the and or but if then so of to in on at by for with from as into about over after before under
    between through during without within is are was were be been being am do does did doing have has
    had having it its this that these those there here he she they we you i me him her them us my your
    his our their what which who whom whose when where why how not no nor all any both each few more
    most other some such only own same than too very can will just should would could may might must
    shall also
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())


_ITEM_MARKER_RE = re.compile(r"^\s*(?:[-*•·▪●◦]\s+)?(?:\d{1,3}[.)]\s+)?")


def strip_item_marker(line: str) -> str:
    """``"- 3. Title"`` -> ``"Title"``: the text of a list item without its bullet and numbering."""
    return _ITEM_MARKER_RE.sub("", line, count=1).strip()


def overlap(a: set[str], b: set[str]) -> float:
    """Containment of ``a`` in ``b``: the share of a's words that b also has (0 when a is empty)."""
    return len(a & b) / len(a) if a else 0.0


TitleKey = tuple[str, frozenset[str]]
_NON_WORD_RE = re.compile(r"\W+")


def title_key(text: str) -> TitleKey:
    """What :func:`same_title` compares, computed once per string: the folded text and its words."""
    folded = _NON_WORD_RE.sub(" ", normalize(strip_item_marker(text))).strip()
    return folded, frozenset(folded.split())


def same_key(a: TitleKey, b: TitleKey) -> bool:
    """:func:`same_title` on precomputed keys: equal, or word sets with Jaccard >= 0.8."""
    if not a[0] or not b[0]:
        return False
    if a[0] == b[0]:
        return True
    wa, wb = a[1], b[1]
    return len(wa & wb) >= 0.8 * len(wa | wb)


def same_title(a: str, b: str) -> bool:
    """Whether two headings/entries name the same thing, ignoring case, quotes, numbering and punctuation."""
    return same_key(title_key(a), title_key(b))
