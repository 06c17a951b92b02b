"""Chatbot artifacts: what a chat model's answer leaves behind when it is pasted into a page unedited.

The kinds follow the PAN'24 organisers' list of "typical generation artifacts" seen in LLM-generated
news (github.com/pan-webis-de/pan24-generative-ai-authorship-verification @
5bc8b212efb9daa1d0be9e3c2aa7dcbb2c962b6e, ``typical-generation-artifacts.txt``, Apache-2.0), turned
into patterns and grouped:

- assistant phrasing: "Sure! Here is ...", "Here's your article", "As an AI language model",
  "I hope this article helps", "I'd be happy to", "In this article, I will", "// end of output //";
- markdown left in the text: ``**bold**``, ``## heading``, ``---`` rules, ``*emphasis*``, ``[text](url)``;
- prompt-structure labels: "meta description:", "Title:", "Headline:", "Dateline:", "Introduction:",
  "Conclusion:", "Paragraph 2:", "Additional resources:", "Word count:", "Header image:" ...;
- roman-numeral sections: "I. Introduction", "II. Background";
- placeholders: "[Your Name]", "[insert quote]", "[Date]", "[Paragraph 3]", "[End of article]";
- knowledge-cutoff hedges: "as of my last update", "my knowledge cutoff";
- summing-up openers: a paragraph starting "In conclusion," / "In summary,".

Items of the PAN list that are ordinary on genuine web pages were left out: "sorry,", "I cannot",
"please note", "reporting by", "sources:", "contact:", "by:", "note:", "FOR IMMEDIATE RELEASE", "\\d+
words", "JavaScript", "key points"; and "I hope this helps", the sign-off of countless human answers on forums
and Q&A sites (in the human-vs-machine corpus only human texts, and pages built from them, end with it).
The patterns are English, as the list is.
"""

from __future__ import annotations

import bisect
import math
import re

from detector.signals.base import Signal
from detector.textutil import starting_with
from detector.types import Cleaned, Evidence, SignalResult

# Patterns anchored at the start of a block (blocks are the lines of ``Cleaned.text``).
_ASSISTANT_START = (
    r"(?:sure|certainly|absolutely|of course)[!,.]?\s+(?:here(?:'s|’s| is| are)|"
    r"i(?:'d|’d| would| can| will)|below is|this is)\b|"
    r"(?:sure|certainly)!|"
    r"(?:sure[,!]?\s+)?here(?:'s|’s| is| are)\s+(?:your|the|an?|my)\s+(?:[\w-]+\s+){0,4}?"
    r"(?:article|blog post|rewrite|rewritten|revised|reworded|rephrased|paraphrased|reformulation|version|"
    r"draft|news (?:article|story|report)|press release|text:)|"
    r"i(?:'d|’d| would) be (?:happy|glad) to\b|"
    r"(?:i(?:'m|’m| am) an? (?:ai|helpful assistant|language model)|you are a helpful assistant)\b|"
    r"in this article,? i (?:will|shall|am going to)\b"
)
_LABEL_START = (
    r"(?:meta[ -]?description|meta[ -]?title|seo[ -]?title|title|sub-?title|(?:sub-?)?headline|dateline|"
    r"introduction|conclusion|key takeaways|word count|total word count|(?:paragraph|section) \d+|"
    r"image suggestion|alt text|call to action|slug|focus keyphrase|"
    r"focus keyword|excerpt|timeline of events|additional (?:resources|details|information|quotes)|"
    r"additional key points|article body|body text|lede)\s*:"
)
_ROMAN_START = r"(?P<roman>i|ii|iii|iv|v|vi|vii|viii|ix|x|xi|xii)\.\s+\S"
# "## Heading" (a letter after the hashes: "# .tmux.conf" is a shell comment) and the "---" rule chat
# models put between sections (long rules, "___" and "***" lines are ordinary page separators).
_MARKDOWN_START = r"#{1,6} [^\W\d_]|-{3,5}\s*$"
_CONCLUSION_START = r"(?:in conclusion|in summary|to sum up|to summarize|to summarise|to conclude)\s*[,:]"
_START_RE = re.compile(
    rf"^(?:(?P<assistant>{_ASSISTANT_START})|(?P<labels>{_LABEL_START})|{_ROMAN_START}|"
    rf"(?P<markdown>{_MARKDOWN_START})|(?P<conclusion_openers>{_CONCLUSION_START}))",
    re.IGNORECASE | re.MULTILINE,
)


def _group_hints(hints: tuple[str, ...], parts: tuple[str, ...]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The hints grouped under the first of ``parts`` that they contain (a hint that contains none of them is
    a group of its own). A text without a group's part has none of its hints: one scan rules them all out."""
    groups: dict[str, list[str]] = {}
    for hint in hints:
        groups.setdefault(next((p for p in parts if p in hint), hint), []).append(hint)
    return tuple((part, tuple(group)) for part, group in groups.items())


def _any_hint(lowered: str, groups: tuple[tuple[str, tuple[str, ...]], ...]) -> bool:
    """Whether ``lowered`` contains one of the grouped hints."""
    return any(part in lowered and any(h in lowered for h in hints) for part, hints in groups)


# Patterns found anywhere, each behind a cheap substring test on the lower-cased text.
_ASSISTANT_ANY_RE = re.compile(
    starting_with(
        "afilt/",
        r"\bas an ai(?: language model| model| assistant)?\b|\bas a (?:large )?language model\b|"
        r"\bi hope this article helps\b|\blet me know if you(?:'d| would)? (?:like|need|want)\b|"
        r"\bfeel free to (?:ask|modify|adjust|edit|let me know)\b|"
        r"//\s*(?:start|begin(?:ning)?|end) of (?:the )?output\s*//|"
        r"\b(?:this|the) (?:article|story|text|piece) (?:is|was) (?:a work of fiction|fictional|"
        r"entirely fictional|ai[- ]generated|generated by (?:an )?ai)\b",
    ),
    re.IGNORECASE,
)
_ASSISTANT_HINTS = (
    *("as an ai", "as a language model", "as a large language model"),
    *("let me know if you", "hope this article helps", "feel free to", "of output", "of the output"),
    *("fiction", "ai-generated", "ai generated", "generated by ai", "generated by an ai"),
)
_ASSISTANT_HINT_GROUPS = _group_hints(_ASSISTANT_HINTS, ("language model", "hope this", "output", "generated"))
_CUTOFF_RE = re.compile(
    starting_with(
        "amui",
        r"\bas of my (?:last|latest|most recent) (?:knowledge )?(?:update|training|cutoff|cut-off)\b|"
        r"\bmy (?:knowledge|training)(?: data)? (?:cutoff|cut-off)\b|\bas of my knowledge\b|"
        r"\bup to my last (?:update|training)\b|\bi (?:do not|don't|don’t) have (?:access to )?real-time\b|"
        r"\bi (?:cannot|can't|can’t|am unable to) browse\b",
    ),
    re.IGNORECASE,
)
_CUTOFF_HINTS = ("as of my", "my knowledge", "my training", "my last", "real-time", "browse")
_CUTOFF_HINT_GROUPS = _group_hints(_CUTOFF_HINTS, ("my ",))
# "[Your Name]", "[insert quote here]", or a bare field name in brackets. Not "[source]" or "[link]"
# (citation links) and not "[email protected]" (a CDN's e-mail obfuscation).
_PLACEHOLDER_RE = re.compile(
    r"\[(?:your|insert|add) [^\]\n]{1,40}\]|"
    r"\[(?:(?:full |first |last |author |company |media |contact |client |brand |product )?name|date|company|"
    r"organi[sz]ation|city|location|e-?mail|phone(?: number)?|website|url|placeholder|paragraph \d+|"
    r"end of (?:the )?article|quote|title|address|job title|position)\]",
    re.IGNORECASE,
)
# Bold, emphasis of two or more words (one starred word, "*lol*", is forum style), [text](url) links.
# Every alternative starts with a literal "*" or "[", which lets the regex engine skip to those characters;
# so the emphasis test for what precedes its "*" is a lookbehind placed after it: (?<![*\w]\*) right after
# a "*" says the same as (?<![*\w]) right before it.
_MARKDOWN_ANY_RE = re.compile(
    r"\*\*[^*\s](?:[^*\n]{0,78}[^*\s])?\*\*|"
    r"\*(?<![*\w]\*)[^*\s][^*\n]{0,60} [^*\n]{0,60}(?<=[^\s*])\*(?![*\w])|"
    r"\[[^\]\n]{1,80}\]\((?:https?://|/)[^)\s]+\)"
)

ROMAN_MAX_WORDS = 10
HEADING_MAX_WORDS = 15  # a "# ..." line longer than this is code or a comment, not a heading
CAP = 3  # per kind: three leftovers of one kind say all there is to say
TOTAL_CAP = 8
KINDS = (
    "assistant",
    "markdown",
    "labels",
    "roman_sections",
    "placeholders",
    "cutoff_hedges",
    "conclusion_openers",
)
KEYS = (*KINDS, "total")
_NOTES = {
    "assistant": "assistant phrasing",
    "markdown": "markdown",
    "labels": "prompt-structure label",
    "roman_sections": "roman-numeral section",
    "placeholders": "placeholder",
    "cutoff_hedges": "knowledge-cutoff hedge",
    "conclusion_openers": "summing-up opener",
}


def _line_start_matches(text: str) -> list[re.Match[str]]:
    """What ``_START_RE.finditer(text)`` finds, tried at the line starts only.

    Every alternative of the pattern is anchored at a line start (``^`` in MULTILINE mode) and consumes
    at least one character, so matching at each line start not inside an earlier match finds the same
    matches, without the regex engine stepping through every other position of the text.
    """
    found: list[re.Match[str]] = []
    pos = end = 0
    while pos < len(text):
        if pos >= end:
            m = _START_RE.match(text, pos)
            if m:
                found.append(m)
                end = m.end()
        newline = text.find("\n", pos)
        if newline < 0:
            break
        pos = newline + 1
    return found


def compute(doc: Cleaned) -> SignalResult:
    text = doc.text
    found: dict[str, list[tuple[int, int]]] = {k: [] for k in KINDS}
    if not text:
        return SignalResult(values=dict.fromkeys(KEYS, 0.0))
    # Line-start patterns must start a block that is not code or a table row.
    starts = [b.start for b in doc.blocks]
    kinds = [b.kind for b in doc.blocks]

    def block_kind(pos: int) -> str:
        k = bisect.bisect_right(starts, pos) - 1
        return kinds[k] if k >= 0 else ""

    romans: dict[str, tuple[int, int]] = {}
    for m in _line_start_matches(text):
        if block_kind(m.start()) in ("code", "table_row"):
            continue
        line_end = text.find("\n", m.start())
        line_end = len(text) if line_end < 0 else line_end
        span = (m.start(), max(m.end(), min(line_end, m.start() + 120)))
        if m.group("roman"):
            # A section heading "II. Background", not a numbered paragraph of a ruling or a bare "I.".
            if 1 <= text[m.end() - 1 : span[1]].count(" ") + 1 <= ROMAN_MAX_WORDS and span[1] == line_end:
                romans.setdefault(m.group("roman").lower(), span)
            continue
        if m.group("markdown") and text[m.start() : line_end].count(" ") >= HEADING_MAX_WORDS:
            continue
        kind = next(k for k in ("assistant", "labels", "markdown", "conclusion_openers") if m.group(k))
        found[kind].append(span)
    # "I." alone is a list or an initial; a section outline has "I." and "II.".
    if "i" in romans and "ii" in romans:
        found["roman_sections"] = sorted(romans.values())

    lowered = text.lower()
    if _any_hint(lowered, _ASSISTANT_HINT_GROUPS):
        found["assistant"].extend(m.span() for m in _ASSISTANT_ANY_RE.finditer(text))
    if _any_hint(lowered, _CUTOFF_HINT_GROUPS):
        found["cutoff_hedges"].extend(m.span() for m in _CUTOFF_RE.finditer(text))
    if "[" in text:
        found["placeholders"].extend(m.span() for m in _PLACEHOLDER_RE.finditer(text))
    if "*" in text or "](" in text:
        found["markdown"].extend(
            m.span() for m in _MARKDOWN_ANY_RE.finditer(text) if block_kind(m.start()) not in ("code", "table_row")
        )

    counts = {k: len(v) for k, v in found.items()}
    values = {k: min(counts[k], CAP) / CAP for k in KINDS}
    total = sum(counts.values())
    values["total"] = min(math.log1p(total) / math.log1p(TOTAL_CAP), 1.0)
    if not total:
        return SignalResult(values=values)
    parts = []
    evidence: list[Evidence] = []
    for kind in KINDS:
        spans = sorted(found[kind])
        if not spans:
            continue
        a, z = spans[0]
        snippet = text[a:z].strip()
        parts.append(f'{len(spans)} {_NOTES[kind]}{"s" if len(spans) > 1 else ""} ("{snippet[:80]}")')
        evidence.append(Evidence(text=snippet[:200], start=a, end=z, note=_NOTES[kind]))
    summary = "chatbot leftovers: " + "; ".join(parts)
    return SignalResult(values=values, summary=summary, evidence=tuple(evidence[:5]))


SIGNAL = Signal(
    name="artifacts",
    version=2,
    keys=KEYS,
    description="chatbot leftovers: assistant phrasing, markdown, prompt labels, placeholders, cutoff hedges",
    compute=compute,
)
