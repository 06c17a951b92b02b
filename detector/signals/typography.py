"""Typographic slips of spun and post-processed text.

Farm pipelines run generated text through rewriters and find-and-replace passes that leave marks an
editor or a CMS rarely leaves: a missing space after punctuation between two words
("Saturday,signaling", "dialog.The"), a sentence or heading that starts in lower case on a page that is
otherwise cased normally ("political Shifts and ...", "president Lee's upcoming ..."), the same name
capitalised two ways on one page ("North Korea" and "North korea"), a wrong apostrophe ("Korea‘s").

Everything here needs a cased Latin script: the patterns only count when the letters on both sides are
Latin, so Chinese, Japanese, Korean, Cyrillic... pages score 0 (CJK puts no space after punctuation by
design). Rates are per 1,000 words with a floor of ``MIN_WORDS`` words in the denominator, so one slip
on a short page does not read as a high rate.

Measured on the 1,214 genuine AEB + trafilatura pages: a comma squeezed between two words occurs on 24
pages (18 of them once), against 3-8 times on each farm seed; "word.Word" occurs on 114 genuine pages
(mostly German, and often where extraction joined two elements), so the two are separate values.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from itertools import pairwise

from detector.signals.base import Signal
from detector.textutil import STOPWORDS
from detector.types import Cleaned, Evidence, SignalResult

_L = "A-Za-zÀ-ÖØ-öø-ÿ"  # Latin letters
_LOWER = "a-zß-öø-ÿ"
_UPPER = "A-ZÀ-ÖØ-Þ"
_LATIN = frozenset(chr(c) for c in [*range(65, 91), *range(97, 123), *range(0xC0, 0x100)] if chr(c).isalpha())
_LOWER_CHARS = frozenset(c for c in _LATIN if c.islower())
_MID_SENTENCE = _LOWER_CHARS | {",", ";"}  # what stands before "<space>Word" inside a sentence

# Punctuation directly followed by a Latin letter; the letter before it is checked in Python (a pattern
# that starts with a character class is several times faster than one that starts with a lookbehind).
_SQUEEZED_RE = re.compile(rf"[,;.!?](?=[{_L}])")
_WORD_LEFT_RE = re.compile(rf"[{_L}]+$")
_WORD_RIGHT_RE = re.compile(rf"[{_L}]+")
_TITLE_WORD_RE = re.compile(rf"[{_UPPER}][{_LOWER}]+$")  # "The", not "PhantomJS" or "USA"
# URLs, e-mail addresses, paths, handles, file names: punctuation between letters is normal there.
_URLISH_RE = re.compile(
    r"[/@=_\\#:]|www|\.(?:com|org|net|gov|edu|io|co|de|fr|uk|html?|php|jpe?g|png|pdf|js|py)\b", re.IGNORECASE
)
# A paragraph starting with a lower-case word.
_LOWER_START_RE = re.compile(rf"^[\"“‘']?([{_LOWER}][{_L}]*)([^\s]*)")
# A sentence inside a block starting lower case after a full stop: "... in June. we would like".
_INNER_LOWER_RE = re.compile(rf"\. +[{_LOWER}]{{2,}}\b")  # the word before is checked in Python
_WORD_END_RE = re.compile(rf"(?<![{_L}])[{_L}]{{4,}}$")
# Words of 4+ letters that end with a full stop inside a sentence (English, German, French, Spanish);
# shorter words before ". lower" are not read at all, as most abbreviations are short ("etc.", "bzw.").
_ABBREVIATIONS = frozenset(
    {"approx", "incl", "excl", "resp", "inkl", "evtl", "bzgl", "bspw", "zzgl", "ibid", "dept", "govt"}
    | {"misc", "chap", "mins", "sept", "pág", "núm", "corp", "prof", "univ", "abbr", "publ", "trans"}
)
# German polite pronouns are capitalised by rule ("Ihre Tochter" = your daughter, "ihre Tochter" = her
# daughter): a change of meaning, not a slip.
_CASE_BY_MEANING = frozenset(
    {"sie", "ihr", "ihre", "ihrer", "ihres", "ihren", "ihrem", "ihnen", "du", "dein", "deine", "deiner"}
    | {"deinen", "deinem", "euch", "euer", "eure"}
)
# Capitalised words after a space; runs of them are names ("Prime Minister Shigeru Ishiba").
_RUN_RE = re.compile(rf" [{_UPPER}][{_LOWER}]+(?: [{_UPPER}][{_LOWER}]+)*")
# The runs of two or more of them. The pattern differs from _RUN_RE only in needing a second word: where
# _RUN_RE finds a one-word run this one fails, and no match can start inside that word (every match
# starts with a space), so both resume at the same place and this one finds exactly _RUN_RE's runs of
# two or more words. Pages hold a few of these against a hundred or more one-word runs.
_MULTI_RUN_RE = re.compile(rf" [{_UPPER}][{_LOWER}]+(?: [{_UPPER}][{_LOWER}]+)+")
# An apostrophe-like mark followed by a letter; the letter before it is checked in Python.
_APOSTROPHE_RE = re.compile(rf"['’‘](?=[{_L}])")

_SENTENCE_ENDS = (".", "!", "?", ".”", '."', "…")
MIN_WORDS = 300  # denominator floor of the rates: one slip on a 100-word page is not 10 per 1,000
RATE_CAP = 20.0  # per 1,000 words; the seeds reach 2-5 comma slips and 2-3 full-stop slips per 1,000
TOKEN_WINDOW = 100  # characters: a URL or an e-mail address longer than this is read in part
MIN_APOSTROPHES = 4  # below this a mix of curly and straight apostrophes says nothing
# A name counts as flipped when the word written in the wrong case is capitalised mid-sentence in at
# least two different names or on its own ("Korea" in "South Korea", "North Korea", "Korea-Japan").
# German adjective + noun pairs ("künstliche Intelligenz") then stay out: the adjective is capitalised
# only inside that one term.
MIN_CONTEXTS = 2
MIN_NAME_COUNT = 2  # a name is established on the page by two correct mid-sentence spellings
KEYS = (
    "missing_space_rate",
    "comma_space_rate",
    "lowercase_heading_share",
    "lowercase_sentence_start_rate",
    "name_case_flip_rate",
    "quote_mix",
    "bad_apostrophe_rate",
)


def _rate(count: int, n_words: int) -> float:
    return min(1000.0 * count / max(n_words, MIN_WORDS), RATE_CAP)


def _missing_spaces(text: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Spans of "word.Word" and of "word,word" slips; decimals, abbreviations and URLs left out."""
    full_stops: list[tuple[int, int]] = []
    commas: list[tuple[int, int]] = []
    for m in _SQUEEZED_RE.finditer(text):
        i = m.start()
        if not i or text[i - 1] not in _LATIN:
            continue
        punct = text[i]
        left_m = _WORD_LEFT_RE.search(text, max(0, i - 40), i)
        right_m = _WORD_RIGHT_RE.match(text, i + 1)
        if left_m is None or right_m is None:
            continue
        left, right = left_m.group(), right_m.group()
        # The rules on the words come before the URL test (every test only rejects, so their order does
        # not matter): they reject most marks, as in "jane.doe.mp@parliament.uk", at less cost.
        if punct in ",;":
            if len(left) < 2 or (len(right) < 2 and right not in ("a", "A", "I")):
                continue  # "x,y", "a,b,c": coordinates and variable lists
            found = commas
        else:
            # "dialog.The", "Japan.The", "legen?Christoph": a sentence glued to the next. After an
            # abbreviation a word glued on ("U.S.cooperation") is a slip too; "U.S", "Ph.D", "co.uk" are not.
            abbrev = len(left) == 1 and left_m.start() > 0 and text[left_m.start() - 1] == "."
            if _TITLE_WORD_RE.match(right):
                ok = len(left) >= 2 or (abbrev and len(right) >= 3)
            else:
                ok = punct == "." and abbrev and right.islower() and len(right) >= 3
            if not ok:
                continue
            found = full_stops
        if not _in_url(text, i):
            found.append((left_m.start(), right_m.end()))
    return full_stops, commas


def _in_url(text: str, i: int) -> bool:
    """Whether the whitespace-delimited token around offset ``i`` looks like a URL, an address or a path.

    The token is looked for within a bounded window so that a page without spaces stays linear.
    """
    lo = max(0, i - TOKEN_WINDOW)
    tok_start = max(text.rfind(" ", lo, i), text.rfind("\n", lo, i), lo - 1) + 1
    hi = min(len(text), i + TOKEN_WINDOW)
    ends = [e for e in (text.find(" ", i, hi), text.find("\n", i, hi)) if e >= 0]
    return _URLISH_RE.search(text, tok_start, min(ends) if ends else hi) is not None


def _lowercase_start(text: str) -> bool:
    """Starts with a lower-case word that is not a brand ("iPhone"), a URL or a handle."""
    m = _LOWER_START_RE.match(text)
    if m is None:
        return False
    word, rest = m.group(1), m.group(2)
    if word != word.lower():
        return False  # "iPhone", "eBay", "macOS"
    # "crates.io is", "https://...", "pic.twitter.com/...", "e.g." are not sentence starts.
    return not rest or (rest[0] in "-,;:!?)’'\"”" and not rest.startswith("://"))


def _lowercase_heading(text: str) -> bool:
    """A content word in lower case before capitalised ones ("political Shifts and ...").

    Short first words are left out: "vom Krimiblogger", "de Gaulle", "von Weizsäcker" are right as written.
    """
    first = text.split(" ", 1)[0]
    if len(first) < 4 or first.lower() in STOPWORDS or not _lowercase_start(text):
        return False
    return any(w[:1].isupper() for w in text.split()[1:])


def _inside(pos: int, spans: list[tuple[int, int]], starts: list[int]) -> bool:
    k = bisect.bisect_right(starts, pos) - 1
    return k >= 0 and pos < spans[k][1]


def _runs(text: str, spans: list[tuple[int, int]], pattern: re.Pattern[str]) -> list[str]:
    """The runs of capitalised words that ``pattern`` finds in ``spans`` mid-sentence, without the space."""
    runs: list[str] = []
    for lo, hi in spans:
        if hi - lo < 3:
            continue
        for m in pattern.finditer(text, lo, hi):
            start = m.start()
            if not start or text[start - 1] not in _MID_SENTENCE:
                continue
            runs.append(m.group()[1:])
    return runs


def _name_flips(text: str, skip: list[tuple[int, int]]) -> dict[str, tuple[int, str]]:
    """Two-word names written Title Title mid-sentence and also with one word in lower case.

    ``skip`` holds sorted spans not to read (headings: headline case capitalises every word). Only names
    written correctly at least ``MIN_NAME_COUNT`` times are checked. Returns
    ``{lower-case name: (offset, the flipped spelling)}``.
    """
    skip_starts = [a for a, _ in skip]
    spans = list(zip([0, *(z for _, z in skip)], [*(a for a, _ in skip), len(text)], strict=True))
    pairs = Counter(f"{p} {q}" for run in _runs(text, spans, _MULTI_RUN_RE) for p, q in pairwise(run.split(" ")))
    names = {
        title: title.lower()
        for title, n in pairs.items()
        if n >= MIN_NAME_COUNT and not any(w in STOPWORDS or w in _CASE_BY_MEANING for w in title.lower().split(" "))
    }
    flips: dict[str, tuple[int, str]] = {}
    if not names:
        return flips
    lowered = text.lower()
    if len(lowered) != len(text):
        return flips  # lower() changed the length (a dotted capital I): offsets would not line up
    lowered_runs: list[str] | None = None
    for title, name in names.items():
        pos = lowered.find(name)
        while pos >= 1:
            end = pos + len(name)
            if text.startswith(title, pos):
                pos = lowered.find(name, end)
                continue
            a, z = text[pos:end].split(" ")
            wrong = ""
            if a[0].isupper() and z[0].islower():
                wrong = z.lower()  # "North korea"
            elif a[0].islower() and z[0].isupper():
                wrong = a  # "north Korea", "president Trump"
            # (A flipped spelling counts anywhere outside headings: "Prime minister" at a sentence start
            # is as wrong as mid-sentence.)
            word_start = text[pos - 1] not in _LATIN
            word_end = end == len(text) or text[end] not in _LATIN
            if wrong and word_start and word_end and not _inside(pos, skip, skip_starts):
                if lowered_runs is None:  # all runs, one-word ones too: read only when a flip is found
                    lowered_runs = [r.lower() for r in _runs(text, spans, _RUN_RE)]
                contexts = {r for r in lowered_runs if wrong in r and wrong in r.split(" ")}
                if len(contexts) >= MIN_CONTEXTS:
                    flips[name] = (pos, f"{a} {z}")
                    break
            pos = lowered.find(name, end)
    return flips


def _quote(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def compute(doc: Cleaned) -> SignalResult:
    text = doc.text
    values = dict.fromkeys(KEYS, 0.0)
    if not text:
        return SignalResult(values=values)
    counts: dict[str, int] = {}  # what the rates count; they are computed at the end
    evidence: list[Evidence] = []
    found: list[str] = []
    code = [(b.start, b.end) for b in doc.blocks if b.kind == "code"]

    # Missing spaces.
    full_stops, commas = _missing_spaces(text)
    if code:
        full_stops = [s for s in full_stops if not any(a <= s[0] < z for a, z in code)]
        commas = [s for s in commas if not any(a <= s[0] < z for a, z in code)]
    counts["missing_space_rate"] = len(full_stops)
    counts["comma_space_rate"] = len(commas)
    slips = sorted(commas + full_stops)
    if slips:
        shown = ", ".join(f'"{text[a:z]}"' for a, z in slips[:3])
        found.append(f"{len(slips)} missing space(s) after punctuation ({shown})")
        evidence.extend(Evidence(text=text[a:z], start=a, end=z, note="missing space") for a, z in slips[:2])

    # Lower-case headings and sentence starts. A heading counts when it starts lower case yet has a
    # capitalised word later (headline case with a slip), not when the whole line is lower case (style).
    headings = [b for b in doc.blocks if b.kind == "heading" and b.text.count(" ") >= 2]
    low_headings = [b for b in headings if _lowercase_heading(b.text)]
    values["lowercase_heading_share"] = len(low_headings) / len(headings) if headings else 0.0
    low_starts: list[tuple[int, int]] = []
    upper_starts = 0
    sentence_blocks: list[tuple[int, int]] = []
    for b in doc.blocks:
        if b.kind not in ("paragraph", "list_item", "quote"):
            continue
        sentence_blocks.append((b.start, b.end))
        # Bullet fragments ("- includes free shipping") start lower case by convention: only the
        # sentences inside list items are read, not their first word.
        # A paragraph that is not a whole sentence is often a fragment cut out by extraction (a caption,
        # the rest of a line after a link): only paragraphs of 8+ words ending a sentence are read.
        if b.kind != "list_item" and b.text.count(" ") >= 7 and b.text.endswith(_SENTENCE_ENDS):
            if _lowercase_start(b.text):
                low_starts.append((b.start, min(b.end, b.start + 60)))
            elif b.text[:1].isupper():
                upper_starts += 1
    block_starts = [a for a, _ in sentence_blocks]
    for m in _INNER_LOWER_RE.finditer(text):
        i = m.start()
        left = _WORD_END_RE.search(text, max(0, i - 30), i)
        if left is None or left.group().lower() in _ABBREVIATIONS:
            continue
        a = m.end() - len(m.group().lstrip(". "))
        if not _lowercase_start(text[a : a + 80]) or not _inside(i, sentence_blocks, block_starts):
            continue
        low_starts.append((a, min(len(text), a + 60)))
    low_starts.sort()
    # A page written all in lower case is a style, not a slip.
    if low_starts and len(low_starts) < max(upper_starts, 1):
        counts["lowercase_sentence_start_rate"] = len(low_starts)
        shown = ", ".join('"' + " ".join(text[a:z].split(" ")[:4]) + '…"' for a, z in low_starts[:2])
        found.append(f"{len(low_starts)} sentence(s) starting lower case ({shown})")
        a, z = low_starts[0]
        evidence.append(Evidence(text=text[a:z], start=a, end=z, note="lower-case start"))
    if low_headings:
        h = low_headings[0]
        found.append(f'{len(low_headings)} heading(s) starting lower case ("{_quote(h.text)}")')
        evidence.append(Evidence(text=h.text[:200], start=h.start, end=h.end, note="lower-case heading"))

    # Names capitalised two ways, read outside headings (headline case capitalises every word).
    flips = _name_flips(text, [(b.start, b.end) for b in doc.blocks if b.kind == "heading"])
    counts["name_case_flip_rate"] = len(flips)
    if flips:
        shown = ", ".join(f'"{w}"' for _, w in list(flips.values())[:3])
        found.append(f"{len(flips)} name(s) written in two cases ({shown})")
        pos, written = next(iter(flips.values()))
        evidence.append(Evidence(text=written, start=pos, end=pos + len(written), note="case flip"))

    # Apostrophes: curly and straight mixed, or an opening quote used as one ("Korea‘s").
    straight = curly = 0
    bad: list[int] = []
    for m in _APOSTROPHE_RE.finditer(text):
        i = m.start()
        if not i or text[i - 1] not in _LATIN:
            continue
        mark = text[i]
        if mark == "'":
            straight += 1
        elif mark == "’":
            curly += 1
        else:
            bad.append(i)
    if straight + curly >= MIN_APOSTROPHES:
        values["quote_mix"] = min(straight, curly) / (straight + curly)
    counts["bad_apostrophe_rate"] = len(bad)
    if bad:
        a, z = max(0, bad[0] - 12), min(len(text), bad[0] + 8)
        found.append(f'{len(bad)} opening quote(s) used as an apostrophe ("{text[a:z].strip()}")')
        evidence.append(Evidence(text=text[a:z], start=a, end=z, note="wrong apostrophe"))

    # The word count is read only when there is something to rate, which on most pages there is not (a
    # count of 0 rates 0.0 whatever the word count).
    if any(counts.values()):
        n_words = len(text.split())
        values.update((key, _rate(count, n_words)) for key, count in counts.items())
    if not found:
        return SignalResult(values=values)
    return SignalResult(values=values, summary="; ".join(found), evidence=tuple(evidence[:5]))


SIGNAL = Signal(
    name="typography",
    version=1,
    keys=KEYS,
    description="typographic slips of spun text: missing spaces, lower-case starts, names cased two ways",
    compute=compute,
)
