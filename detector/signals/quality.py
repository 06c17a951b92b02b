"""Web-text quality rules (Gopher, C4, FineWeb) as continuous values.

These are the heuristics that pre-training corpora use to drop low-quality web pages. Here every rule is
exposed as the value it thresholds (a ratio in 0..1 where possible), plus a count of rules failed per
rule set, so a model can use them as graded evidence instead of hard cuts:

* Gopher quality and repetition rules: Rae et al. 2021, "Scaling Language Models: Methods, Analysis &
  Insights from Training Gopher" (arXiv:2112.11446), App. A (MassiveText quality filters; repetition
  thresholds in Table A1); reference code datatrove ``GopherQualityFilter`` / ``GopherRepetitionFilter``.
* C4 rules: Raffel et al. 2020, "Exploring the Limits of Transfer Learning with a Unified Text-to-Text
  Transformer", §2.2; reference code tensorflow-datasets ``c4_utils.clean_page`` as ported in datatrove
  ``C4QualityFilter``.
* FineWeb rules: Penedo et al. 2024, "The FineWeb Datasets" (arXiv:2406.17557), §3 (the custom
  heuristic filters added after the C4 ones); reference code datatrove ``FineWebQualityFilter``.

A "line" is a block of the cleaned text (a paragraph, heading, list item or table row: the text is
rendered one block per line). A "paragraph" for the Gopher paragraph rules is a single block, except
that a run of consecutive list items or table rows counts as one paragraph, as it would in the
newline-separated text those rules were written for. Words are ``textutil.words``.

On the task of telling machine prose from human prose these are weak (both come as a few clean
paragraphs); they are page-quality baselines, and they catch templated, repetitive farm pages.
"""

from __future__ import annotations

import re
from itertools import filterfalse, repeat

import numpy as np

from detector.signals.base import Signal
from detector.textutil import sentences, words
from detector.types import Block, Cleaned, Evidence, SignalResult

# ----------------------------------------------------------------------------------------------------
# Thresholds
# ----------------------------------------------------------------------------------------------------

# Gopher quality filter: Rae et al. 2021, App. A ("quality filters" of MassiveText); the same values are
# the defaults of datatrove's GopherQualityFilter.
GOPHER_MIN_WORDS = 50
GOPHER_MAX_WORDS = 100_000
GOPHER_MIN_MEAN_WORD_LEN = 3.0
GOPHER_MAX_MEAN_WORD_LEN = 10.0
GOPHER_MAX_SYMBOL_WORD_RATIO = 0.1  # for the hash symbol and for the ellipsis, each
GOPHER_MAX_BULLET_LINES = 0.9
GOPHER_MAX_ELLIPSIS_LINES = 0.3
GOPHER_MIN_ALPHA_WORDS = 0.8
GOPHER_MIN_STOP_WORDS = 2
GOPHER_STOP_WORDS = ("the", "be", "to", "of", "and", "that", "have", "with")

# Gopher repetition filter: Rae et al. 2021, Table A1.
GOPHER_MAX_DUP_LINE_FRAC = 0.30
GOPHER_MAX_DUP_PARA_FRAC = 0.30
GOPHER_MAX_DUP_LINE_CHAR_FRAC = 0.20
GOPHER_MAX_DUP_PARA_CHAR_FRAC = 0.20
GOPHER_TOP_NGRAM_MAX = {2: 0.20, 3: 0.18, 4: 0.16}
GOPHER_DUP_NGRAM_MAX = {5: 0.15, 6: 0.14, 7: 0.13, 8: 0.12, 9: 0.11, 10: 0.10}

# C4: Raffel et al. 2020, §2.2, and tfds c4_utils (datatrove C4QualityFilter defaults).
C4_END_PUNCT = (".", "?", "!", '"', "'", "”", "’")  # the paper's ! . " ?, plus the code's ' (and curly forms)
C4_MIN_WORDS_PER_LINE = 3
C4_MIN_SENTENCES = 5
C4_MAX_WORD_LEN = 1000
C4_POLICY = (
    "terms of use",
    "privacy policy",
    "cookie policy",
    "uses cookies",
    "use of cookies",
    "use cookies",
)
_C4_PREFILTER = (
    "avascript", "AVASCRIPT", "orem", "OREM", "ookie", "OOKIE",
    "acy polic", "acy Polic", "ACY POLIC", "erms of", "erms Of", "ERMS OF",
)  # fmt: skip
# The same lower-cased: a phrase in the text is in the lower-cased text lower-cased, so a lower-cased text
# without these five has none of the twelve.
_C4_PREFILTER_LOWER = tuple(dict.fromkeys(p.lower() for p in _C4_PREFILTER))
C4_CITATION_RE = re.compile(r"\[\d*\]|\[edit\]|\[citation needed\]", re.IGNORECASE)

# FineWeb: Penedo et al. 2024, §3 (custom heuristic filters); datatrove FineWebQualityFilter defaults.
FINEWEB_STOP_CHARS = (".", "'", '"', "!", "?", "”", "’")  # the code's . ' " ! ?, plus curly quotes
FINEWEB_MAX_LINE_PUNCT = 0.12  # flag when the share of lines ending in punctuation is <= 0.12
FINEWEB_SHORT_LINE_CHARS = 30
FINEWEB_MAX_SHORT_LINES = 0.67  # flag when the share of lines of <= 30 chars is >= 0.67
# The paper states 0.1 for the duplicated-line character share; datatrove's FineWebQualityFilter
# defaults to 0.01. We follow the paper.
FINEWEB_MAX_DUP_LINE_CHARS = 0.1
FINEWEB_MAX_NEWLINE_WORDS = 0.3  # flag when newlines / words > 0.3

# Display and bounding only (not model thresholds): the mean word length is clipped so that scripts
# written without spaces (one "word" per clause) cannot produce huge values.
MAX_MEAN_WORD_LEN = 30.0
MAX_EVIDENCE = 5
MAX_SNIPPET = 200
_EVIDENCE_ORDER = {
    "lorem ipsum": 0,
    "curly bracket": 1,
    "javascript line": 2,
    "cookie/policy line": 3,
    "duplicate line": 4,
    "no terminal punctuation": 5,
}

_BULLETS = ("•", "-", "*", "·", "▪", "●", "◦", "‣", "➢", "►")
# A space-separated token with a letter in it (a word character that is neither digit nor underscore).
_LETTERED_RE = re.compile(r"[^ ]*[^\W\d_][^ ]*")
_PRIME = np.uint64(0x100000001B3)  # FNV-64 prime, for rolling n-gram hashes (wrapping uint64 arithmetic)
# N-gram keys pack 44 hash bits above a 20-bit word position; the n-gram rules read at most the first
# 2**20 - 1 words (Gopher drops pages over 100,000 words anyway).
_MAX_NGRAM_WORDS = (1 << 20) - 1
_MIN_DUP_N = min(GOPHER_DUP_NGRAM_MAX)
# The stop words as they appear in text: lower case, capitalised, upper case.
_STOP_HASHES = np.sort(
    np.array(
        [hash(f(w)) for w in GOPHER_STOP_WORDS for f in (str.lower, str.capitalize, str.upper)],
        dtype=np.int64,
    ).view(np.uint64)
)
_SENTINELS = np.random.default_rng(0).integers(1, 2**63, size=10, dtype=np.int64).view(np.uint64)
_POS_BITS = np.uint64((1 << 20) - 1)
_HASH_BITS = ~_POS_BITS

KEYS = (
    "gopher_word_count_ok",
    "gopher_mean_word_len",
    "gopher_hash_ratio",
    "gopher_ellipsis_ratio",
    "gopher_bullet_line_frac",
    "gopher_ellipsis_line_frac",
    "gopher_alpha_word_frac",
    "gopher_stopword_frac",
    "gopher_dup_line_frac",
    "gopher_dup_para_frac",
    "gopher_top2gram_frac",
    "gopher_top3gram_frac",
    "gopher_top4gram_frac",
    "gopher_dup5gram_frac",
    "gopher_dup6gram_frac",
    "gopher_dup7gram_frac",
    "gopher_dup8gram_frac",
    "gopher_dup9gram_frac",
    "gopher_dup10gram_frac",
    "c4_terminal_punct_frac",
    "c4_short_line_frac",
    "c4_kept_char_frac",
    "c4_javascript_line_frac",
    "c4_policy_line_frac",
    "c4_lorem_ipsum",
    "c4_curly_brace",
    "fineweb_line_punct_frac",
    "fineweb_short_line_frac",
    "fineweb_dup_line_char_frac",
    "fineweb_newline_word_ratio",
    "gopher_fail",
    "c4_fail",
    "fineweb_fail",
)


def _clip01(x: float) -> float:
    return 0.0 if x != x or x < 0.0 else (1.0 if x > 1.0 else float(x))  # x != x: NaN


# ----------------------------------------------------------------------------------------------------
# Repetition
# ----------------------------------------------------------------------------------------------------


def _count_ending(lines: list[str], suffixes: tuple[str, ...]) -> int:
    """How many of ``lines`` end with one of ``suffixes`` (counted in C, without a Python-level loop)."""
    return sum(map(str.endswith, lines, repeat(suffixes)))


def _duplicates(items: list[str]) -> tuple[int, int, list[int]]:
    """Gopher's ``find_duplicates``: count and total length of the non-first copies, and their indices."""
    if len(set(items)) == len(items):  # no duplicates, the usual case: settled by one set built in C
        return 0, 0, []
    seen: set[str] = set()
    n_dup = chars = 0
    where: list[int] = []
    for i, item in enumerate(items):
        if item in seen:
            n_dup += 1
            chars += len(item)
            where.append(i)
        else:
            seen.add(item)
    return n_dup, chars, where


def _ngram_stats(x: np.ndarray, lens: np.ndarray) -> tuple[dict[int, float], dict[int, float], tuple[int, int] | None]:
    """Gopher n-gram repetition from word hashes ``x`` and word lengths ``lens`` (each plus one separator):
    the character share of the most common n-gram (n = 2..4) and the character share covered by the
    repeated occurrences of n-grams (n = 5..10, each character counted once).

    Level by level on rolling hashes: an n-gram can only repeat where its (n-1)-gram prefix repeats, so
    each level looks only at the positions whose prefix occurs more than once. Equal n-grams are found
    by sorting a packed key, the hash's high bits above the word position: one plain sort orders each
    group by position, so a group's first member is the first occurrence. Shares are of the characters
    of the word sequence, so they stay in 0..1. Also returns (position, n) of the most common 2..4-gram
    when it occurs at least twice.
    """
    top: dict[int, float] = dict.fromkeys(GOPHER_TOP_NGRAM_MAX, 0.0)
    dup: dict[int, float] = dict.fromkeys(GOPHER_DUP_NGRAM_MAX, 0.0)
    n_words = len(x)
    if n_words < 4:
        return top, dup, None
    # Ten distinct sentinels after the last word: an n-gram that runs off the end then never repeats.
    xp = np.concatenate((x, _SENTINELS))
    cum = np.concatenate(([0], np.cumsum(lens)))
    total = float(cum[-1])
    last_dup = np.zeros(n_words, dtype=np.int64)  # the largest n at which the n-gram here is a repeat
    best: tuple[float, int, int] | None = None
    pos = np.arange(n_words, dtype=np.uint64)  # positions whose (n-1)-gram repeats, and those hashes
    hc = x
    for n in range(2, 11):
        hc = hc * _PRIME + xp[pos.astype(np.intp) + (n - 1)]
        keys = np.sort((hc & _HASH_BITS) | pos)
        hk = keys & _HASH_BITS
        same = hk[1:] == hk[:-1]
        if not same.any():
            break
        later = np.concatenate(([False], same))  # equal to the previous key: a repeat of an earlier n-gram
        member = later | np.concatenate((same, [False]))
        pos = keys & _POS_BITS
        if n in top:
            # The most common n-gram; among equally common ones the longest, then the earliest, so that
            # the choice does not depend on hash order.
            heads = np.flatnonzero(~later)
            sizes = np.concatenate((heads[1:], [len(keys)])) - heads
            most = sizes.max()
            tied = heads[sizes == most]
            firsts = pos[tied].astype(np.int64)
            gram_chars = cum[firsts + n] - cum[firsts]
            k = int(np.argmax(gram_chars * (n_words + 1) - firsts))
            top[n] = _clip01(float(gram_chars[k]) * int(most) / total)
            if best is None or top[n] > best[0]:
                best = (top[n], int(firsts[k]), n)
        if n >= _MIN_DUP_N:
            last_dup[pos[later].astype(np.intp)] = n
        pos, hc = pos[member], hk[member]
    repeats = np.flatnonzero(last_dup)
    if len(repeats):
        reach = last_dup[repeats]
        for n in dup:
            starts = repeats[reach >= n]
            if not len(starts):
                break
            opened = np.bincount(starts, minlength=n_words + 1)
            closed = np.bincount(starts + n, minlength=n_words + 1)
            dup[n] = _clip01(float(lens[np.cumsum(opened - closed)[:n_words] > 0].sum()) / total)
    return top, dup, (best[1], best[2]) if best else None


def _paragraphs(blocks: list[Block]) -> list[list[Block]]:
    """Blocks grouped into paragraphs: a run of list items or of table rows is one paragraph."""
    out: list[list[Block]] = []
    for b in blocks:
        if out and b.kind in ("list_item", "table_row") and out[-1][-1].kind == b.kind:
            out[-1].append(b)
        else:
            out.append([b])
    return out


# ----------------------------------------------------------------------------------------------------
# Signal
# ----------------------------------------------------------------------------------------------------


def compute(doc: Cleaned) -> SignalResult:
    values = dict.fromkeys(KEYS, 0.0)
    text = doc.text
    blocks = doc.blocks
    lines = [b.text for b in blocks]
    n_lines = len(lines)
    ws = words(text)
    n_words = len(ws)
    # Word hashes and lengths (plus one separator), shared by the stop-word and n-gram rules.
    x = np.fromiter(map(hash, ws[:_MAX_NGRAM_WORDS]), dtype=np.int64, count=min(n_words, _MAX_NGRAM_WORDS))
    x = x.view(np.uint64)
    lens = np.fromiter(map(len, ws), dtype=np.int64, count=n_words) + 1
    notes: list[str] = []
    flagged: list[tuple[Block, str]] = []  # (line, why) for evidence

    # --- Gopher quality ------------------------------------------------------------------------------
    gopher_fails: list[str] = []
    values["gopher_word_count_ok"] = float(GOPHER_MIN_WORDS <= n_words <= GOPHER_MAX_WORDS)
    if not values["gopher_word_count_ok"]:
        gopher_fails.append(f"{n_words:,} words (needs {GOPHER_MIN_WORDS} to {GOPHER_MAX_WORDS:,})")
    if n_words:
        mean_len = float(lens.sum()) / n_words - 1.0
        values["gopher_mean_word_len"] = min(mean_len, MAX_MEAN_WORD_LEN)
        if not GOPHER_MIN_MEAN_WORD_LEN <= mean_len <= GOPHER_MAX_MEAN_WORD_LEN:
            gopher_fails.append(f"mean word length {mean_len:.1f} (needs 3 to 10)")
        values["gopher_hash_ratio"] = _clip01(text.count("#") / n_words)
        values["gopher_ellipsis_ratio"] = _clip01((text.count("...") + text.count("…")) / n_words)
        for key, what in (("gopher_hash_ratio", "'#'"), ("gopher_ellipsis_ratio", "ellipses")):
            if values[key] > GOPHER_MAX_SYMBOL_WORD_RATIO:
                gopher_fails.append(f"{what} per word {values[key]:.2f} (> {GOPHER_MAX_SYMBOL_WORD_RATIO})")
        # A word "has an alphabetic character"; only the few words that are not all letters need a look.
        rest = " ".join(filterfalse(str.isalpha, ws))
        n_nonalpha = rest.count(" ") + 1 - len(_LETTERED_RE.findall(rest)) if rest else 0
        values["gopher_alpha_word_frac"] = 1.0 - n_nonalpha / n_words
        if values["gopher_alpha_word_frac"] < GOPHER_MIN_ALPHA_WORDS:
            gopher_fails.append(f"only {values['gopher_alpha_word_frac']:.0%} of words have a letter")
        # Equal hashes are equal words (64-bit hashes of one process); _STOP_HASHES is sorted.
        at = np.minimum(np.searchsorted(_STOP_HASHES, x), len(_STOP_HASHES) - 1)
        n_stop = int(np.count_nonzero(_STOP_HASHES[at] == x))
        values["gopher_stopword_frac"] = _clip01(n_stop / n_words)
    else:
        n_stop = 0
        values["gopher_alpha_word_frac"] = 0.0
    if n_stop < GOPHER_MIN_STOP_WORDS:
        gopher_fails.append(f"{n_stop} of the 8 English stop words (needs {GOPHER_MIN_STOP_WORDS})")
    if n_lines:
        n_bullet = sum(b.kind == "list_item" or b.text.startswith(_BULLETS) for b in blocks)
        n_ellipsis = _count_ending(lines, ("...", "…"))
        values["gopher_bullet_line_frac"] = n_bullet / n_lines
        values["gopher_ellipsis_line_frac"] = n_ellipsis / n_lines
        if values["gopher_bullet_line_frac"] > GOPHER_MAX_BULLET_LINES:
            gopher_fails.append(f"{values['gopher_bullet_line_frac']:.0%} of lines are bullets")
        if values["gopher_ellipsis_line_frac"] > GOPHER_MAX_ELLIPSIS_LINES:
            gopher_fails.append(f"{values['gopher_ellipsis_line_frac']:.0%} of lines end in an ellipsis")

    # --- Gopher repetition ---------------------------------------------------------------------------
    text_chars = max(len(text), 1)
    n_dup_lines, dup_line_chars, dup_line_idx = _duplicates(lines)
    groups = _paragraphs(blocks)
    if len(groups) == n_lines:  # no run of list items or table rows: the paragraphs are the lines
        paras, n_dup_paras, dup_para_chars = lines, n_dup_lines, dup_line_chars
    else:
        paras = [g[0].text if len(g) == 1 else "\n".join([b.text for b in g]) for g in groups]
        n_dup_paras, dup_para_chars, _ = _duplicates(paras)
    if n_lines:
        values["gopher_dup_line_frac"] = n_dup_lines / n_lines
        values["gopher_dup_para_frac"] = n_dup_paras / len(paras)
    rep_checks = (
        (values["gopher_dup_line_frac"], GOPHER_MAX_DUP_LINE_FRAC, "duplicate lines"),
        (values["gopher_dup_para_frac"], GOPHER_MAX_DUP_PARA_FRAC, "duplicate paragraphs"),
        (dup_line_chars / text_chars, GOPHER_MAX_DUP_LINE_CHAR_FRAC, "characters in duplicate lines"),
        (dup_para_chars / text_chars, GOPHER_MAX_DUP_PARA_CHAR_FRAC, "characters in duplicate paragraphs"),
    )
    for value, limit, what in rep_checks:
        if value > limit:
            gopher_fails.append(f"{value:.0%} {what} (> {limit:.0%})")
    top, dup, best = _ngram_stats(x, lens[: len(x)])
    for n, limit in GOPHER_TOP_NGRAM_MAX.items():
        values[f"gopher_top{n}gram_frac"] = top[n]
        if top[n] > limit:
            gopher_fails.append(f"the top {n}-gram covers {top[n]:.0%} of characters (> {limit:.0%})")
    for n, limit in GOPHER_DUP_NGRAM_MAX.items():
        values[f"gopher_dup{n}gram_frac"] = dup[n]
        if dup[n] > limit:
            gopher_fails.append(f"repeated {n}-grams cover {dup[n]:.0%} of characters (> {limit:.0%})")
    values["gopher_fail"] = float(len(gopher_fails))
    for i in dup_line_idx[:2]:
        flagged.append((blocks[i], "duplicate line"))

    # --- C4 ------------------------------------------------------------------------------------------
    c4_fails: list[str] = []
    n_punct = n_short = n_js = n_policy = kept_chars = 0
    kept: list[str] = []
    lorem = curly = False
    no_punct: list[Block] = []
    # The C4 phrases are looked for only on pages with the phrases' tails in their usual spellings (a
    # superset of the pages that contain them). Five scans of the lower-cased page rule out most pages,
    # faster than twelve scans of the page for the spellings.
    lowered = text.lower()
    prefiltered = any(p in lowered for p in _C4_PREFILTER_LOWER) and any(p in text for p in _C4_PREFILTER)
    lower_text = lowered if prefiltered else ""
    scan_js = "javascript" in lower_text
    scan_policy = any(p in lower_text for p in C4_POLICY)
    scan_lorem = "lorem ipsum" in lower_text
    for b in blocks:
        line = b.text
        if "[" in line:
            line = C4_CITATION_RE.sub("", line).rstrip()
        ends = line.endswith(C4_END_PUNCT) and not line.endswith("...")
        short = len(line.split(None, C4_MIN_WORDS_PER_LINE)) < C4_MIN_WORDS_PER_LINE
        n_punct += ends
        n_short += short
        js = policy = False
        if scan_js or scan_policy:
            lower = line.lower()
            js = scan_js and "javascript" in lower
            policy = scan_policy and any(p in lower for p in C4_POLICY)
            n_js += js
            n_policy += policy
            if js or policy:
                flagged.append((b, "javascript line" if js else "cookie/policy line"))
        if not ends and b.kind != "heading":
            no_punct.append(b)
        # tfds c4_utils.clean_page: the page-level checks (lorem ipsum, curly bracket) run on the lines
        # that pass the line filters; javascript and policy lines are then dropped.
        if not ends or short or (len(line) > C4_MAX_WORD_LEN and max(map(len, line.split())) > C4_MAX_WORD_LEN):
            continue
        if scan_lorem and "lorem ipsum" in line.lower():
            lorem = True
            flagged.append((b, "lorem ipsum"))
        if "{" in line:
            curly = True
            flagged.append((b, "curly bracket"))
        if js or policy:
            continue
        kept_chars += len(line)
        kept.append(line)
    if n_lines:
        values["c4_terminal_punct_frac"] = n_punct / n_lines
        values["c4_short_line_frac"] = n_short / n_lines
        values["c4_javascript_line_frac"] = n_js / n_lines
        values["c4_policy_line_frac"] = n_policy / n_lines
        values["c4_kept_char_frac"] = _clip01(kept_chars / max(sum(map(len, lines)), 1))
    values["c4_lorem_ipsum"] = float(lorem)
    values["c4_curly_brace"] = float(curly)
    if lorem:
        c4_fails.append('"lorem ipsum" placeholder text')
    if curly:
        c4_fails.append("a curly bracket in the text")
    # A kept line ends in terminal punctuation, so it holds at least one sentence: with five kept lines the
    # minimum is met without splitting any.
    kept_sentences = len(kept) if len(kept) >= C4_MIN_SENTENCES else sum(len(sentences(k)) for k in kept)
    if kept_sentences < C4_MIN_SENTENCES:
        what = "sentence" if kept_sentences == 1 else "sentences"
        c4_fails.append(f"{kept_sentences} {what} in kept lines (needs {C4_MIN_SENTENCES})")
    values["c4_fail"] = float(len(c4_fails))
    no_punct_share = 1.0 - values["c4_terminal_punct_frac"]
    if n_lines >= 5 and no_punct_share >= 0.5:  # reporting threshold only: a majority of lines
        notes.append(
            f"{no_punct_share:.0%} of lines end without terminal punctuation "
            "(C4 keeps only lines ending in . ! ? or a quote)"
        )
        flagged.extend((b, "no terminal punctuation") for b in no_punct[:2])

    # --- FineWeb -------------------------------------------------------------------------------------
    fw_fails: list[str] = []
    if n_lines:
        values["fineweb_line_punct_frac"] = _count_ending(lines, FINEWEB_STOP_CHARS) / n_lines
        values["fineweb_short_line_frac"] = sum(len(line) <= FINEWEB_SHORT_LINE_CHARS for line in lines) / n_lines
        values["fineweb_dup_line_char_frac"] = _clip01(dup_line_chars / max(sum(map(len, lines)), 1))
        # datatrove divides by nltk tokens (punctuation included); words here exclude punctuation.
        values["fineweb_newline_word_ratio"] = _clip01(text.count("\n") / max(n_words, 1))
        if values["fineweb_line_punct_frac"] <= FINEWEB_MAX_LINE_PUNCT:
            fw_fails.append(f"only {values['fineweb_line_punct_frac']:.0%} of lines end in punctuation")
        if values["fineweb_short_line_frac"] >= FINEWEB_MAX_SHORT_LINES:
            fw_fails.append(f"{values['fineweb_short_line_frac']:.0%} of lines are 30 characters or shorter")
        if values["fineweb_dup_line_char_frac"] >= FINEWEB_MAX_DUP_LINE_CHARS:
            fw_fails.append(f"{values['fineweb_dup_line_char_frac']:.0%} of characters in duplicate lines")
        if values["fineweb_newline_word_ratio"] > FINEWEB_MAX_NEWLINE_WORDS:
            fw_fails.append(f"{values['fineweb_newline_word_ratio']:.2f} line breaks per word")
    values["fineweb_fail"] = float(len(fw_fails))

    # --- Summary and evidence ------------------------------------------------------------------------
    if n_words == 0:
        return SignalResult(values=values, summary="no text to check" if not text.strip() else "no words")
    for name, fails in (("Gopher", gopher_fails), ("C4", c4_fails), ("FineWeb", fw_fails)):
        if fails:
            rules = "rules" if len(fails) > 1 else "rule"
            notes.append(f"fails {len(fails)} {name} {rules}: " + "; ".join(fails[:3]))
    evidence: list[Evidence] = []
    # One line of each kind first (in order of weight), then more of them while there is room.
    ranked = sorted(flagged, key=lambda item: _EVIDENCE_ORDER.get(item[1], len(_EVIDENCE_ORDER)))
    firsts: dict[str, tuple[Block, str]] = {}
    for item in ranked:
        firsts.setdefault(item[1], item)
    seen: set[int] = set()
    for b, why in [*firsts.values(), *ranked]:
        if len(evidence) >= MAX_EVIDENCE - 1:
            break
        if b.start in seen:
            continue
        seen.add(b.start)
        snippet = b.text[:MAX_SNIPPET]  # a long line is quoted from its start
        evidence.append(Evidence(text=snippet, start=b.start, end=b.start + len(snippet), note=why))
    if best is not None and values[f"gopher_top{best[1]}gram_frac"] > GOPHER_TOP_NGRAM_MAX[best[1]]:
        gram = r"\W+".join(map(re.escape, ws[best[0] : best[0] + best[1]]))
        m = re.search(rf"(?<!\w){gram}(?!\w)", text)
        if m:
            note = f"most repeated {best[1]}-gram"
            evidence.append(Evidence(text=m.group(0), start=m.start(), end=m.end(), note=note))
    return SignalResult(values=values, summary="; ".join(notes), evidence=tuple(evidence))


SIGNAL = Signal(
    name="quality",
    version=1,
    keys=KEYS,
    description=(
        "Gopher, C4 and FineWeb web-text quality rules as continuous values (word statistics, line "
        "punctuation and length, duplicate lines and n-grams, boilerplate lines) and counts of rules failed"
    ),
    compute=compute,
)
