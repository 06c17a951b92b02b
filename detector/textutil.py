"""Small text helpers shared by the signals: words, sentences, normalisation. No state, no I/O."""

from __future__ import annotations

import re
import unicodedata


def bmp_classes(*char_patterns: str) -> tuple[str, ...]:
    r"""For each one-character pattern (such as ``r"\w"``), the characters up to U+FFFF that it matches,
    written out as the inside of a character class, from this Python's own Unicode data.

    The regex engine tests a written-out class with a table lookup, where ``\w`` and the like cost one to
    three Unicode property lookups per character: patterns on such classes run 20-45% faster. Characters
    above U+FFFF are left out (the engine would test those one range at a time), so a pattern built on
    these classes is only for text that has none: see :func:`is_bmp`. (Building and compiling the classes
    adds some 10-25 ms to the import of the signals, once per process.)
    """
    bmp = "".join(map(chr, range(0x10000)))
    return tuple(
        "".join(f"\\u{m.start():04x}-\\u{m.end() - 1:04x}" for m in re.finditer(f"(?:{p})+", bmp))
        for p in char_patterns
    )


def is_bmp(text: str) -> bool:
    """Whether no character of ``text`` is above U+FFFF (then each takes two bytes in UTF-16)."""
    return len(text.encode("utf-16-le", "surrogatepass")) == 2 * len(text)


#: The characters up to U+FFFF of ``\w`` and of ``[^\W\d_]`` (letters), for patterns on :func:`is_bmp` text.
BMP_WORD_CHARS, BMP_LETTERS = bmp_classes(r"\w", r"[^\W\d_]")
# Possessive quantifiers: no character of [’'-] is a word character, so backtracking into a run could never
# let the pattern match differently; ++ only spares the regex engine the bookkeeping (about 10% faster).
WORD_RE = re.compile(r"\w++(?:[’'\-]\w++)*+", re.UNICODE)
_BMP_WORD_RE = re.compile(rf"[{BMP_WORD_CHARS}]++(?:[’'\-][{BMP_WORD_CHARS}]++)*+")  # WORD_RE, written out
# A sentence ends at . ! ? (or CJK full stops) followed by space and a capital/quote/digit, or at a line end.
SENTENCE_SPLIT_RE = re.compile(r"(?<=[.!?。！？])[\"”’)]*\s+(?=[\"“‘(]?[A-ZÀ-ÖØ-Þ0-9\u0400-\u042F])|\n+")
# The same split points, found about four times faster: a pattern that starts with a character class lets
# the regex engine skip to the characters that can start a match, where a leading lookbehind is tried at
# every position. Each match starts one character earlier, at the terminal punctuation (then the rest is
# SENTENCE_SPLIT_RE's first branch) or at the first newline of a run (then it is the rest of the run), and
# captures that character: sentences() puts it back at the end of the piece before, as SENTENCE_SPLIT_RE
# keeps the punctuation there, and a newline is stripped there with the other whitespace.
_SENTENCE_BREAK_RE = re.compile(r"([.!?。！？\n])(?:(?<=\n)\n*|[\"”’)]*\s+(?=[\"“‘(]?[A-ZÀ-ÖØ-Þ0-9\u0400-\u042F]))")
_QUOTE_FOLDS = (("’", "'"), ("‘", "'"), ("“", '"'), ("”", '"'), ("–", "-"), ("—", "-"))


def starting_with(first: str, pattern: str) -> str:
    """``pattern``, whose every alternative starts with one of the characters ``first``, behind a lookahead
    for them: the regex engine then rejects any other position with one test instead of trying each
    alternative there (two to three times faster), and the matches stay the same. With IGNORECASE the
    class folds case as the alternatives' first letters do."""
    return f"(?=[{first}])(?:{pattern})"


def words(text: str) -> list[str]:
    """Word tokens (letters, digits, inner apostrophes and hyphens), in order, case kept."""
    return (_BMP_WORD_RE if is_bmp(text) else WORD_RE).findall(text)


#: Han ideographs (with the compatibility block) and kana, and the half-width katakana: the scripts written
#: without spaces between words, where each character counts as one word, as word processors count them.
_UNSPACED_CHAR_RE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f]")


def count_words(text: str) -> int:
    """How many words ``text`` has: its whitespace-separated tokens, where each Han or kana character counts
    as a word of its own (Chinese and Japanese put no spaces between words: the 370 characters of a Japanese
    news article are 4 tokens between spaces)."""
    if text.isascii():
        return len(text.split())
    unspaced = len(_UNSPACED_CHAR_RE.findall(text))
    return unspaced + len(_UNSPACED_CHAR_RE.sub(" ", text).split()) if unspaced else len(text.split())


def sentences(text: str) -> list[str]:
    """Sentences, split on terminal punctuation followed by a capital, and on line breaks."""
    # parts = [piece, mark, piece, mark, ..., piece]: each piece with the mark after it is one candidate.
    parts = _SENTENCE_BREAK_RE.split(text)
    pieces = map(str.__add__, parts[0:-1:2], parts[1::2])
    out = [s for s in map(str.strip, pieces) if s]
    last = parts[-1].strip()
    if last:
        out.append(last)
    return out


def normalize(text: str) -> str:
    """Lower-case, NFKC, typographic quotes and dashes folded to ASCII: for comparing strings."""
    if text.isascii():  # (a constant-time test) NFKC and the folds leave ASCII text as it is
        return text.lower()
    return _fold_quotes(unicodedata.normalize("NFKC", text)).lower()


def _fold_quotes(text: str) -> str:
    """Typographic quotes and dashes to ASCII, as ``str.translate`` would do it, but one ``str.replace`` for
    each mark present is many times faster than a translation table. (The replacements are ASCII, so no
    replacement makes a mark that a later one would replace.)"""
    for mark, plain in _QUOTE_FOLDS:
        if mark in text:
            text = text.replace(mark, plain)
    return text


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
    na, nb = len(wa), len(wb)
    # The shared words are at most the smaller set and the union at least the larger one, so sets of very
    # different sizes, and disjoint sets, fail without building an intersection or a union.
    if min(na, nb) < 0.8 * max(na, nb) or wa.isdisjoint(wb):
        return False
    shared = len(wa & wb)
    return shared >= 0.8 * (na + nb - shared)  # na + nb - shared: the size of the union


def same_title(a: str, b: str) -> bool:
    """Whether two headings/entries name the same thing, ignoring case, quotes, numbering and punctuation."""
    return same_key(title_key(a), title_key(b))
