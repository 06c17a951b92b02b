"""Machine-writing style: the habits that separate language-model prose from human prose.

Computed on the running text only (``doc.body_blocks``: paragraphs, list items and quotes; headings and
table rows are left out, list markers stripped). Every value is length-robust: a mean, a share, a
coefficient of variation, a moving-window ratio, or a rate per 1,000 words whose word count is floored
(``MIN_RATE_WORDS``) so that a one-line snippet cannot reach extreme rates.

* Sentence length and burstiness. Language-model text is more uniform in sentence length than human
  text: the "burstiness" cue of GPTZero (Tian & Cui 2023). Burstiness here is the coefficient of
  variation of sentence lengths in words. A text of one sentence cannot show it and gets the value of
  ordinary human prose (``UNMEASURED``), not 0.
* Vocabulary richness: MATTR, the moving-average type-token ratio (Covington & McFall 2010, "Cutting the
  Gordian knot: the moving-average type-token ratio", J. Quantitative Linguistics 17(2)) over 100-word
  windows; raw type-token ratio falls with length and would encode page length.
* Compression ratio: zlib-compressed bytes over raw bytes of the first 5,000 characters (a cheap
  redundancy measure; the cap bounds its cost and, above 5,000 characters, its length dependence).
* Vocabulary and phrasing that chat models favour, per 1,000 words, as two values: single words, and
  multiword phrases. Sources are given with each list below.
* Punctuation and register rates: em/en dashes, semicolons, exclamation marks, parentheses, quotation
  marks, number tokens, first-person singular pronouns and contractions (markers of the involved,
  personal register of blogs and reviews), sentences opening with a connective ("Additionally",
  "Moreover", ...), and sentences carrying a comma-led present participial clause (", highlighting the
  importance of ..."), which instruction-tuned models use two to five times as often as humans (Reinhart
  et al. 2025, "Do LLMs write like humans? Variation in grammatical and rhetorical styles", PNAS 122(8),
  arXiv:2410.16107).

The lexical values are English. ``english_share`` (the share of words that are common English function
words) tells a model when they mean nothing: on German, French, Korean or Chinese pages it is near 0,
and so are the lexical rates.

Tried and not kept: a word-frequency profile against a general pre-2022 English corpus (the shares of a
text's words in Zipf-frequency bins of ``wordfreq`` 3.1's "best" English list, the share it does not list,
the mean, spread and low percentiles of the Zipf values, over tokens, types and content words alone: 16
values). On the nine validation splits of ``detector.validate_text`` it scored 0.63-0.75 ROC-AUC alone,
and stacked beside the text model's logit (and beside the logit and these signals) it raised the mean
ROC-AUC on none of the nine (0.9208 against 0.9247 with the logit alone; folds of genres and of pairs
within the validation rows): which words a text picks, by their frequency, the word n-grams already carry.
It would have cost a 57 MB dependency. Nor kept: the two shares of sentences divided by at least five
sentences (as the rates' word count is floored), so that one sentence with one clause is not a share of 1.0:
the whole model refitted on four of those splits moved ROC-AUC by -0.002 to +0.001 and TPR at 1% FPR by
-0.041 to +0.002. Nor kept: log(1 + rate) for the ten rates per 1,000 words, which are heavy-tailed: the page
model on the nine splits of ``make validate-page`` scored mean ROC-AUC 0.9360 and TPR at 1% FPR 0.586 against
0.9372 and 0.597. Nor six more values of the prose's make, on the same splits: the mean word length and its
coefficient of variation, the share of words of eight letters or more, commas per sentence, the share of a
sentence's content words the sentence before it used, and how many kinds of punctuation mark occur. Each alone
beside the family moved the mean ROC-AUC by -0.0006 to 0.0000 and TPR by -0.010 to +0.000, all six together
0.9362 and 0.590: what they measure, the text model's n-grams and function-word models already read.
"""

from __future__ import annotations

import math
import re
import zlib
from bisect import bisect_right
from collections import Counter
from itertools import accumulate, repeat

import numpy as np

from detector.signals.base import Signal
from detector.textutil import STOPWORDS, sentences, strip_item_marker, words
from detector.types import Cleaned, Evidence, SignalResult

MATTR_WINDOW = 100  # the window is the measure's free parameter; 100 words fits paragraph-length web text
COMPRESS_CHARS = 5000
ZLIB_LEVEL = 1  # the fastest level: half the cost of the default 6, ratios within about 0.03 of it
MIN_RATE_WORDS = 100  # rates per 1,000 words divide by at least this many words
#: Below this many sentences a summary gives counts ("1 in 2 sentences"), not a share ("50% of sentences").
FEW_SENTENCES = 5
MAX_RATE = 1000.0
MAX_SENT_LEN = 100.0  # words; a "sentence" longer than this is an unsegmented block (CJK, lists)
MAX_EVIDENCE = 5
# Reporting threshold only (the summary, not a model input): about seven times the rate in human text of
# the l2r corpus (Hao et al. 2024, arXiv:2408.04237; 0.3 per 1,000 words, against 2.0 in GPT-4o rewrites).
REPORT_LLM_RATE = 2.0
# Likewise for the clause and connective shares: about three times the GPT-4o mean there (participial
# clauses 0.07 of sentences against 0.02 in human text; opening connectives 0.04 against 0.01).
REPORT_PARTICIPLE_SHARE = 0.2
REPORT_TRANSITION_SHARE = 0.15
# The value of a sentence statistic that the text cannot measure: the mean sentence length without a
# sentence, and its coefficient of variation with fewer than two. A single sentence has no length
# variation, and 0 there would be the most uniform, most machine-like value, so a one-line human text would
# count as machine-written for its sentence count alone. It gets the value of ordinary human prose instead,
# from the human texts of 300+ words in the training corpus (l2r human texts: mean 24.1 words, variation
# 0.47; genuine web pages: 18.4 and 0.58), rounded between the two.
UNMEASURED = {"sent_len_mean": 20.0, "sent_len_cv": 0.5}

# --- Vocabulary chat models favour ------------------------------------------------------------------
# Word forms, matched on lower-cased word tokens. Sources:
#  [L1] Liang et al. 2024, "Monitoring AI-Modified Content at Scale" (arXiv:2403.07183), Fig. 1:
#       adjectives whose frequency in ICLR 2024 peer reviews jumped (commendable, innovative, meticulous,
#       intricate, notable, versatile); the paper's appendix lists the top 100.
#  [L2] Liang et al. 2024, "Mapping the Increasing Use of LLMs in Scientific Papers" (arXiv:2404.01268):
#       realm, intricate, showcasing, pivotal.
#  [K]  Kobak et al. 2024, "Delving into ChatGPT usage in academic writing through excess vocabulary"
#       (arXiv:2406.07016): excess style words of 2024 abstracts such as delves, showcasing, underscores,
#       crucial, comprehensive, enhancing, notably.
#  [J]  Juzek & Ward 2025, "Why Does ChatGPT 'Delve' So Much?" (arXiv:2412.11385): focal words such as
#       delve, intricate, underscore.
#  [P]  Stock vocabulary of chat-model web copy, widely reported by editors and practitioners but not
#       measured in the studies above (the rest of the list). Weaker evidence; kept because content farms
#       lean on it. On the l2r corpus (Hao et al. 2024, arXiv:2408.04237; 21 genres, human texts and their
#       GPT-4o rewrites) every word below with more than ten uses is more frequent in the rewrites.
# Very frequent words from [K] (potential, within, across, particularly, findings, insights) and from [L1]
# (innovative, notable) are left out: news prose uses them at high rates on its own.
_LLM_WORD_STEMS: dict[str, tuple[str, ...]] = {
    "delve": ("delve", "delves", "delved", "delving"),  # [K][J]
    "underscore": ("underscore", "underscores", "underscored", "underscoring"),  # [K][J]
    "showcase": ("showcase", "showcases", "showcased", "showcasing"),  # [K][L2]
    "pivotal": ("pivotal",),  # [L2]
    "crucial": ("crucial", "crucially"),  # [K]
    "intricate": ("intricate", "intricately", "intricacies", "intricacy"),  # [L1][L2][J]
    "meticulous": ("meticulous", "meticulously"),  # [L1]
    "commendable": ("commendable",),  # [L1]
    "versatile": ("versatile", "versatility"),  # [L1]
    "realm": ("realm", "realms"),  # [L2]
    "comprehensive": ("comprehensive",),  # [K]
    "enhance": ("enhance", "enhances", "enhanced", "enhancing"),  # [K]
    "notably": ("notably",),  # [K]
    "noteworthy": ("noteworthy",),  # [P]
    "invaluable": ("invaluable",),  # [P]
    "foster": ("foster", "fosters", "fostered", "fostering"),  # [P]
    "garner": ("garner", "garners", "garnered", "garnering"),  # [P]
    "boast": ("boasts", "boasting"),  # [P]
    "tapestry": ("tapestry", "tapestries"),  # [P]
    "multifaceted": ("multifaceted",),  # [P]
    "navigate": ("navigate", "navigates", "navigating"),  # [P]
    "testament": ("testament",),  # [P]
    "seamless": ("seamless", "seamlessly"),  # [P]
    "robust": ("robust",),  # [P]
    "bolster": ("bolster", "bolsters", "bolstered", "bolstering"),  # [P]
    "vibrant": ("vibrant",),  # [P]
    "landscape": ("landscape", "landscapes"),  # [P]
    "elevate": ("elevate", "elevates", "elevating"),  # [P]
    "embark": ("embark", "embarks", "embarking"),  # [P]
    "unparalleled": ("unparalleled",),  # [P]
    "transformative": ("transformative",),  # [P]
    "nuanced": ("nuanced",),  # [P]
    "paramount": ("paramount",),  # [P]
}
LLM_WORDS: frozenset[str] = frozenset(f for forms in _LLM_WORD_STEMS.values() for f in forms)

# Multiword phrases, matched on the lower-cased words joined by single spaces, with a space at both ends
# (punctuation dropped, apostrophes folded to '); each pattern starts with a literal so the regex engine
# can scan for it, and names the words of which one must occur on the page for it to be run at all.
# Source: [P], stock phrases of chat-model web copy (several are the usual settings of the [K]/[L] words:
# "plays a crucial role", "a testament to"). On l2r they occur about three times as often in the GPT-4o
# rewrites as in the human texts.
_PHRASES: tuple[tuple[str, str], ...] = (
    ("note remember", r" it(?:'s| is) (?:important|crucial|essential) to (?:note|remember)(?= )"),
    ("noting", r" it(?:'s| is) worth noting(?= )"),
    ("conclusion", r" in conclusion(?= )"),
    ("summary", r" in summary(?= )"),
    ("role", r" play(?:s|ed|ing)? an? (?:crucial|pivotal|vital|key|significant|central) role(?= )"),
    ("today's", r" in today's (?:fast-paced|digital|ever-changing|ever-evolving|modern|rapidly)(?= )"),
    ("testament", r" a testament to(?= )"),
    ("ever-evolving", r" ever-evolving(?= )"),
    ("ever-changing", r" ever-changing(?= )"),
    ("pave paves paved paving", r" pav(?:e|es|ed|ing) the way(?= )"),
    ("complexities", r" navigat(?:e|es|ing) (?:the )?complexities(?= )"),
    ("myriad", r" a myriad of(?= )"),
    ("plethora", r" a plethora of(?= )"),
    ("array", r" a (?:wide|diverse|vast|rich) array of(?= )"),
    ("only", r" not only (?:\S+ ){1,8}?but also(?= )"),
    ("journey", r" embark(?:s|ed|ing)? on (?:a|an|the|this|your) (?:\S+ )?journey(?= )"),
    ("unlock unlocks unlocking", r" unlock(?:s|ing)? (?:the|their|its|your) (?:full )?potential(?= )"),
    ("harness harnesses harnessing", r" harness(?:es|ing)? the power of(?= )"),
    ("you're", r" whether you're(?= )"),
    ("dive", r" a deep dive(?= )"),
    ("dive", r" dive (?:deeper )?into(?= )"),
    ("further", r" look no further(?= )"),
    ("forefront", r" at the forefront of(?= )"),
    ("game-changer", r" a game-changer(?= )"),
)
_PHRASE_RES: tuple[tuple[tuple[str, ...], re.Pattern[str]], ...] = tuple(
    (tuple(a.split()), re.compile(p)) for a, p in _PHRASES
)
_PHRASE_ANCHORS = frozenset(a for anchors, _ in _PHRASE_RES for a in anchors)

# Sentence-opening connectives that chat models overuse ([P]; on l2r 4% of sentences in the GPT-4o rewrites
# open with one, 1% in the human texts).
_TRANSITIONS = tuple(
    f"{w}{sep}"
    for w in (
        "Additionally", "Furthermore", "Moreover", "However", "Overall", "Ultimately", "In addition",
        "Consequently", "Notably", "Importantly", "In conclusion", "In summary", "Therefore",
    )
    for sep in (",", " ")
)  # fmt: skip
# ", <verb>ing ..." after a main clause; -ing words that are not participles heading a clause are left out.
_PARTICIPLE_RE = re.compile(r",\s*(?:[a-z]+ly\s+)?([a-z]{3,}ing)\s+[\w\"“'‘(]")
_NOT_PARTICIPLE_TEXT = """according including during something nothing anything everything morning evening
thing king ring spring bring sing wing string ceiling building meeting wedding funding housing clothing
training beijing sibling darling pudding viking shilling inkling pending notwithstanding regarding
concerning"""
_NOT_PARTICIPLES = frozenset(_NOT_PARTICIPLE_TEXT.split())
# Plus the upper-case token "I"; its contractions are single word tokens.
_FIRST_PERSON = ("me", "my", "mine", "myself", "i'm", "i've", "i'd", "i'll")
_PRONOUN_S = ("it's", "that's", "there's", "here's", "what's", "he's", "she's", "who's", "where's", "let's")
_CONTRACTION_RE = re.compile(r"'(?:t|re|ve|ll|d|m) ")  # on the space-joined lower-cased words
_DASHES = ("—", "–", " -- ")
_QUOTES = ('"', "“", "”", "«", "»", "„")
# Packed sort keys (hash high bits above a 24-bit word position) for the MATTR pass.
_POS_BITS = np.uint64((1 << 24) - 1)
_HASH_BITS = ~_POS_BITS
_MAX_MATTR_WORDS = (1 << 24) - 1

KEYS = (
    "sent_len_mean",
    "sent_len_cv",
    "mattr",
    "compression_ratio",
    "llm_word_rate",
    "llm_phrase_rate",
    "dash_rate",
    "semicolon_rate",
    "exclamation_rate",
    "paren_rate",
    "quote_rate",
    "digit_rate",
    "first_person_rate",
    "contraction_rate",
    "transition_share",
    "participle_share",
    "english_share",
)


def _per_k(count: int, n_words: int) -> float:
    return min(1000.0 * count / max(n_words, MIN_RATE_WORDS), MAX_RATE)


def _mattr(tokens: list[str]) -> float:
    """Moving-average type-token ratio over windows of ``MATTR_WINDOW`` tokens (TTR when shorter).

    Vectorised: each of the n - W + 1 windows holds W tokens, and a token is a new type in a window
    unless its previous occurrence is in the window too, which happens in the windows i from
    max(0, j - W + 1) to min(prev, n - W). The count is all (window, token) pairs less those.
    """
    tokens = tokens[:_MAX_MATTR_WORDS]
    n = len(tokens)
    if n == 0:
        return 0.0
    w = min(MATTR_WINDOW, n)
    h = np.fromiter(map(hash, tokens), dtype=np.int64, count=n).view(np.uint64)
    keys = np.sort((h & _HASH_BITS) | np.arange(n, dtype=np.uint64))  # equal tokens adjacent, in text order
    hk = keys & _HASH_BITS
    at = (keys & _POS_BITS).astype(np.int64)
    same = np.flatnonzero(hk[1:] == hk[:-1])
    prev, j = at[same], at[same + 1]  # each repeated token and its previous occurrence
    pairs = (n - w + 1) * w
    shared = np.minimum(prev, n - w) - np.maximum(j - (w - 1), 0) + 1
    return (pairs - int(np.maximum(shared, 0).sum())) / pairs


def _of_sentences(count: int, n_sentences: int) -> str:
    """ "40% of sentences", or "2 in 3 sentences" for a text of few sentences, where a share overstates."""
    if n_sentences < FEW_SENTENCES:
        return f"{count} in {n_sentences} sentence{'s' if n_sentences != 1 else ''}"
    return f"{min(count / n_sentences, 1.0):.0%} of sentences"


def compute(doc: Cleaned) -> SignalResult:
    values = dict.fromkeys(KEYS, 0.0) | UNMEASURED
    # Running text with list markers stripped: (block, its text) for the blocks that keep some text.
    pieces = [(b, strip_item_marker(b.text) if b.kind == "list_item" else b.text) for b in doc.body_blocks]
    pieces = [piece for piece in pieces if piece[1]]
    body = "\n".join([text for _, text in pieces])
    ws = words(body)
    n_words = len(ws)
    if n_words == 0:
        return SignalResult(values=values)

    def to_doc(pos: int) -> int:
        """The offset in ``doc.text`` of offset ``pos`` in ``body`` (for evidence only, so computed there)."""
        body_starts = list(accumulate([len(text) + 1 for _, text in pieces], initial=0))
        k = bisect_right(body_starts, pos) - 1
        b, text = pieces[k]
        return b.end - len(text) + pos - body_starts[k]

    # Lower-cased tokens: words contain no spaces, so join-lower-split keeps them one to one.
    joined = " " + " ".join(ws).lower().replace("’", "'") + " "
    lw = joined[1:-1].split(" ")
    counts = Counter(lw)

    # --- Sentences ------------------------------------------------------------------------------------
    sents = sentences(body)
    # Words per sentence: blocks are whitespace-squashed and sentences stripped, so spaces + 1.
    lengths = np.fromiter((s.count(" ") + 1 for s in sents), dtype=np.float64, count=len(sents))
    n_transitions = sum(map(str.startswith, sents, repeat(_TRANSITIONS)))
    if len(lengths):
        mean = float(lengths.mean())
        values["sent_len_mean"] = min(mean, MAX_SENT_LEN)
        if len(lengths) >= 2 and mean > 0:
            values["sent_len_cv"] = min(float(lengths.std()) / mean, 10.0)
        values["transition_share"] = n_transitions / len(sents)
    participles = [
        m
        for m in _PARTICIPLE_RE.finditer(body)
        if m.start() and body[m.start() - 1].isalpha() and m.group(1) not in _NOT_PARTICIPLES
    ]
    if sents:
        values["participle_share"] = min(len(participles) / len(sents), 1.0)

    # --- Vocabulary -----------------------------------------------------------------------------------
    values["mattr"] = _mattr(lw)
    raw = body[:COMPRESS_CHARS].encode("utf-8")
    values["compression_ratio"] = min(len(zlib.compress(raw, ZLIB_LEVEL)) / len(raw), 1.0) if raw else 0.0
    # Set intersections with the counted words, in C; the sums are of ints, so their order is immaterial.
    values["english_share"] = sum(map(counts.__getitem__, STOPWORDS & counts.keys())) / n_words

    word_hits = {w: counts[w] for w in LLM_WORDS & counts.keys()}
    n_word_hits = sum(word_hits.values())
    values["llm_word_rate"] = _per_k(n_word_hits, n_words)
    phrase_hits: list[str] = []
    anchors_here = _PHRASE_ANCHORS & counts.keys()  # the anchor words on the page, in one C-level pass
    for anchors, pattern in _PHRASE_RES if anchors_here else ():
        if not anchors_here.isdisjoint(anchors):
            phrase_hits.extend(m.group(0).strip() for m in pattern.finditer(joined))
    values["llm_phrase_rate"] = _per_k(len(phrase_hits), n_words)

    # --- Punctuation and register ---------------------------------------------------------------------
    values["dash_rate"] = _per_k(sum(body.count(d) for d in _DASHES), n_words)
    values["semicolon_rate"] = _per_k(body.count(";"), n_words)
    values["exclamation_rate"] = _per_k(body.count("!"), n_words)
    values["paren_rate"] = _per_k(body.count("("), n_words)
    values["quote_rate"] = _per_k(sum(body.count(q) for q in _QUOTES), n_words)
    values["digit_rate"] = _per_k(sum(map(str.isdigit, ws)), n_words)
    values["first_person_rate"] = _per_k(ws.count("I") + sum(counts[w] for w in _FIRST_PERSON), n_words)
    n_contractions = len(_CONTRACTION_RE.findall(joined)) + sum(counts[w] for w in _PRONOUN_S)
    values["contraction_rate"] = _per_k(n_contractions, n_words)

    # --- Summary and evidence -------------------------------------------------------------------------
    notes: list[str] = []
    evidence: list[Evidence] = []
    found = sorted(word_hits, key=lambda w: (-word_hits[w], w))
    quoted = [f'"{p}"' for p in dict.fromkeys(phrase_hits)] + [f'"{w}"' for w in found]
    n_hits = n_word_hits + len(phrase_hits)
    rate = values["llm_word_rate"] + values["llm_phrase_rate"]
    if n_hits >= 2 and rate >= REPORT_LLM_RATE:
        notes.append(
            f"{n_hits} uses of vocabulary chat models favour ({rate:.1f} per 1,000 words): "
            + ", ".join(quoted[:6])
            + (", ..." if len(quoted) > 6 else "")
        )
        # Find the first few hits in the text: on the lower-cased body where lower-casing keeps offsets.
        lower = body.lower()
        haystack, flags = (lower, 0) if len(lower) == len(body) else (body, re.IGNORECASE)
        for term in list(dict.fromkeys(phrase_hits))[:3] + found[:MAX_EVIDENCE]:
            if len(evidence) >= MAX_EVIDENCE - 1:
                break
            tokens = [re.escape(t).replace("'", "['’]") for t in term.split(" ")]
            finder = re.compile(r"\W+".join(tokens) + r"(?!\w)", flags)
            m = finder.search(haystack)
            while m and m.start() and haystack[m.start() - 1].isalnum():  # not inside a longer word
                m = finder.search(haystack, m.end())
            if m:
                start = to_doc(m.start())
                hit = body[m.start() : m.end()]
                note = "model-favoured wording"
                evidence.append(Evidence(text=hit, start=start, end=start + len(hit), note=note))
    if sents and values["participle_share"] >= REPORT_PARTICIPLE_SHARE and participles:
        notes.append(
            f"comma-led ', <verb>ing' clauses (e.g. \", {participles[0].group(1)} ...\"): "
            + _of_sentences(len(participles), len(sents))
        )
        m = participles[0]
        a = m.start() + 1  # the clause from its first word, after the comma and any space
        while body[a].isspace():
            a += 1
        snippet = body[a : m.end() + 40].split("\n")[0].rstrip()
        start = to_doc(a)
        end = start + len(snippet)
        evidence.append(Evidence(text=snippet, start=start, end=end, note="participial clause"))
    if len(sents) >= 3 and values["transition_share"] >= REPORT_TRANSITION_SHARE:
        of = _of_sentences(n_transitions, len(sents))
        notes.append(f"sentences opening with a connective (Additionally, Moreover, ...): {of}")
    if not math.isfinite(sum(values.values())):  # defensive: never hand NaN/inf to a model
        values = {k: (v if math.isfinite(v) else 0.0) for k, v in values.items()}
    return SignalResult(values=values, summary="; ".join(notes), evidence=tuple(evidence[:MAX_EVIDENCE]))


SIGNAL = Signal(
    name="style",
    version=2,
    keys=KEYS,
    description=(
        "Machine-writing style of the running text: sentence-length uniformity, MATTR, compressibility, "
        "rates of model-favoured words and phrases, punctuation, first person, contractions, connectives, "
        "participial clauses, and the English share that says when the lexical rates apply"
    ),
    compute=compute,
)
