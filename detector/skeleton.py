"""Template families: pages built from the same page template with different words.

A page's **skeleton** is the sequence of its structural parts with the words changed away: one token per
block saying what kind of part it is (title, heading level and shape: question ``h2q``, numbered ``h2n``,
colon ``h2c``; a contents label and its numbered entries; a FAQ heading and its question-answer items;
"Pro Tip:" / "Did You Know?" boxes as ``coprotip`` / ``codidyouknow``; a keyword or tag block; comment and
share bait; "Label: text" lines; bylines, datelines; table rows; paragraphs), runs of one token collapsed,
plus the template parts that only the raw DOM shows (a TOC plugin, FAQ markup).

What a template fixes is its *parts*, their labels and their order; what the writer (or the language
model) fills in is the sections between them, whose number and shape change from page to page. So the
skeleton is compared on its **features** (:meth:`Skeleton.features`): the marker tokens with the
generic headings and paragraphs between them dropped, as single tokens and as ordered pairs of
neighbours, plus the literal labels the template prints ("table of contents", "keywords for seo",
"frequently asked questions"). MinHash signatures of the feature sets and LSH (:mod:`detector.dedup`)
propose pairs; a pair whose exact feature Jaccard reaches ``DEFAULT_THRESHOLD`` is joined by union-find
into a **family**, identified by its smallest member id.

Headings and paragraphs are on every page, and a byline or a "Tags:" line on most news pages: a skeleton
made of them says nothing about a template, and two unrelated news articles would share a family for
having both. A page therefore enters the families only when it carries at least ``MIN_PARTS`` distinct
template *parts* (contents, FAQ, keyword block, callout boxes, engagement bait); every other page is a
family of its own (``eligible`` False). How this was checked: on the 1,168 genuine HTML pages of the
corpus (many sites, news and blogs), no genuine page shares a family with a page of another site, nor with
any page at all at the default threshold (reports/bench_dedup.md, section 5, from
``python -m detector.bench_dedup``); tests/test_dedup.py holds it on the genuine fixture pages, and shows
the two real farm seeds (and a copy of one with its words replaced) in one family.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np

from detector.dedup import (
    BandTable,
    DuplicateInfo,
    MinHasher,
    MinHashParams,
    band_keys,
    choose_lsh_params,
    cluster_pairs,
)
from detector.errors import ConfigError
from detector.signals.callouts import _STRONG_RE as CALLOUT_STRONG_RE
from detector.signals.callouts import _WEAK_RE as CALLOUT_WEAK_RE
from detector.signals.engagement import SHARE_BAIT_RE, is_comment_bait
from detector.signals.faq import _FAQ_HEADING_RE as FAQ_HEADING_RE
from detector.signals.faq import _INLINE_QA_RE as INLINE_QA_RE
from detector.signals.seo_keywords import _SEO_LABEL_RE as SEO_LABEL_RE
from detector.signals.seo_keywords import _TAG_LABEL_RE as TAG_LABEL_RE
from detector.signals.stitched import DATELINE_RE
from detector.signals.toc import _LABEL_RE as TOC_LABEL_RE
from detector.textutil import strip_item_marker
from detector.types import Block, Cleaned

#: Bump when a token's or feature's meaning changes: signatures of different versions are not comparable.
SKELETON_VERSION = "skeleton-v1"
#: Feature-set Jaccard at which two pages share a family, measured by ``python -m detector.bench_dedup``
#: (reports/bench_dedup.md, section 5) on the 3,572 cleaned corpus pages. The two farm seeds that carry
#: the whole template (tests/fixtures/seeds/001 and 002: contents list, callouts, FAQ, comment bait, two
#: different stories) have 0.586. At 0.5 one genuine page (a German pet guide built on WordPress contents
#: and FAQ plugins) joins a synthetic farm family; at 0.55 none of the 1,168 genuine HTML pages is in a
#: family while 385 of the 1,200 synthetic farm pages are; at 0.6 the two seeds fall apart. Three real farm
#: pages are thin evidence: re-measure when more real farm templates are at hand.
DEFAULT_THRESHOLD = 0.55
#: Distinct template parts a page needs to enter the families (same report). With 2: 2 of the 1,168
#: genuine HTML pages, 576 of the 1,200 synthetic farm pages and 5 of the 1,200 synthetic controls (which
#: carry a genuine contents list and FAQ) are eligible; with 1: 35 genuine pages; with 3: no genuine page
#: and 179 farm pages. Without the rule, 71,340 of the 359,858 pairs of genuine pages of different sites
#: reach the threshold: their skeletons are headings and paragraphs.
MIN_PARTS = 2
#: The template part of each strong marker token (callout tokens ``co*`` are the part "callouts").
PART_OF: MappingProxyType[str, str] = MappingProxyType(
    {
        "toclabel": "contents",
        "tocentry": "contents",
        "domtoc": "contents",
        "faqhead": "faq",
        "faqqa": "faq",
        "domfaq": "faq",
        "kwseo": "keywords",
        "bait": "engagement",
        "share": "engagement",
    }
)
#: Markers that also occur on ordinary pages: they shape the features but do not make a page eligible.
WEAK_MARKERS = frozenset({"kwtags", "byline", "dateline", "labelled", "label", "tablesep", "title"})
#: Callout labels that open genuine paragraphs too ("Note:", "Tip:"): the weak list of signals/callouts.py.
WEAK_CALLOUTS = frozenset(
    {
        "conote",
        "cotip",
        "coimportant",
        "coremember",
        "cokeypoint",
        "cobottomline",
        "coquicknote",
        "coheadsup",
        "cotakeaway",
        "coinanutshell",
        "cocasestudy",
    }
)
_CALLOUT_PREFIX = "co"

_NUMBERED_RE = re.compile(r"^\s*(?:[-*•]\s+)?(?:\d{1,3}[.):]|step \d+|#\d+)\s", re.IGNORECASE)
_BYLINE_RE = re.compile(r"^(?:by|von|par|por|di)\s+[^\W\d][^|•·]{1,60}(?:[|•·]|$)", re.IGNORECASE)
# "Denuclearization: A central theme ...": a short label, a colon, then running text.
_LABELLED_RE = re.compile(r"^(?:\*\*)?[^\W\d][^:.!?]{1,50}(?:\*\*)?:\s+\S")
_TABLE_SEP_RE = re.compile(r"^\|[\s:|-]+\|$")
_NOT_LETTER_RE = re.compile(r"[^a-z]+")
MAX_LABEL_CHARS = 200  # a label line is short; a paragraph that happens to start "Keywords:" is text


def _slug(label: str) -> str:
    return _NOT_LETTER_RE.sub("", label.lower())[:24]


def _callout(text: str) -> str | None:
    m = CALLOUT_STRONG_RE.match(text) or CALLOUT_WEAK_RE.match(text)
    return _CALLOUT_PREFIX + _slug(m.group(1)) if m else None


def _label(text: str) -> str | None:
    """The literal label of a template line ("table of contents", "keywords for seo"), or None."""
    if len(text) > MAX_LABEL_CHARS:
        return None
    for regex in (TOC_LABEL_RE, FAQ_HEADING_RE):
        m = regex.match(text)
        if m:
            return _slug(text[: m.end()])
    m = SEO_LABEL_RE.match(text)
    if m:
        return _slug(m.group(1))
    m = TAG_LABEL_RE.match(text)
    if m:
        return _slug(text.split(":")[0].split("：")[0])
    return None


def _heading_token(block: Block, first: bool) -> str:
    text = block.text.strip()
    if TOC_LABEL_RE.match(text):
        return "toclabel"
    if FAQ_HEADING_RE.match(text):
        return "faqhead"
    callout = _callout(text)
    if callout:
        return callout
    if SEO_LABEL_RE.match(text):
        return "kwseo"
    if first:
        return "title"
    token = f"h{min(max(block.level, 1), 6)}"
    if text.endswith(("?", "？")):
        return token + "q"
    if _NUMBERED_RE.match(text):
        return token + "n"
    if text.endswith((":", "：")):
        return token + "c"
    return token


def _block_token(block: Block, in_toc: bool, in_faq: bool) -> str:
    text = block.text.strip()
    if block.kind == "table_row":
        return "tablesep" if _TABLE_SEP_RE.match(text) else "tr"
    if block.kind in ("quote", "code"):
        return block.kind
    callout = _callout(text)
    if callout:
        return callout
    if len(text) <= MAX_LABEL_CHARS or block.kind == "list_item":
        if SEO_LABEL_RE.match(text):
            return "kwseo"
        if TAG_LABEL_RE.match(text):
            return "kwtags"
    if is_comment_bait(text):
        return "bait"
    low = text.lower()
    if ("share" in low or "spread" in low or "like" in low) and SHARE_BAIT_RE.search(text):
        return "share"
    if len(text) < 120:
        if TOC_LABEL_RE.match(text):
            return "toclabel"
        if FAQ_HEADING_RE.match(text):
            return "faqhead"
    if block.kind == "list_item":
        item = strip_item_marker(text)
        if in_toc and _NUMBERED_RE.match(text):
            return "tocentry"
        if in_faq and INLINE_QA_RE.match(item):
            return "faqqa"
        return "labelled" if _LABELLED_RE.match(item) else "li"
    if len(text) < 120 and _BYLINE_RE.match(text):
        return "byline"
    if DATELINE_RE.match(text):
        return "dateline"
    if in_faq and INLINE_QA_RE.match(text):
        return "faqqa"
    if _LABELLED_RE.match(text):
        return "labelled"
    if text.endswith((":", "：")) and len(text.split()) <= 8:
        return "label"
    if text.endswith(("?", "？")) and len(text.split()) <= 40:
        return "pq"
    return "p"


def is_marker(token: str) -> bool:
    """Whether a skeleton token is a template marker (strong or weak) rather than a generic block."""
    return token in PART_OF or token in WEAK_MARKERS or token.startswith(_CALLOUT_PREFIX)


def part_of(token: str) -> str | None:
    """The template part a token makes a page eligible with ("contents", "faq", "callouts", ...), or None."""
    if token in PART_OF:
        return PART_OF[token]
    if token.startswith(_CALLOUT_PREFIX) and token not in WEAK_CALLOUTS and token != "code":
        return "callouts"
    return None


@dataclass(frozen=True, slots=True)
class Skeleton:
    """A page's skeleton: its tokens (runs collapsed) and the template labels it prints."""

    tokens: tuple[str, ...]
    labels: tuple[str, ...]

    @property
    def text(self) -> str:
        """The tokens as one line, for display and for the report."""
        return " ".join(self.tokens)

    @property
    def parts(self) -> frozenset[str]:
        """The distinct template parts (what :data:`MIN_PARTS` counts)."""
        return frozenset(p for p in (part_of(t) for t in self.tokens) if p is not None)

    @property
    def markers(self) -> tuple[str, ...]:
        """The marker tokens in order, generic blocks between them dropped, runs collapsed."""
        out: list[str] = []
        for t in self.tokens:
            if is_marker(t) and (not out or out[-1] != t):
                out.append(t)
        return tuple(out)

    def features(self) -> set[str]:
        """What families compare: marker tokens, ordered neighbour pairs of them, and the labels."""
        marks = self.markers
        feats = set(marks)
        feats.update(f"{a}>{b}" for a, b in itertools.pairwise(marks))
        feats.update(f"label:{label}" for label in self.labels)
        return feats


def skeleton(doc: Cleaned) -> Skeleton:
    """Read a cleaned page's skeleton (the DOM-only parts first, then one token per block)."""
    tokens: list[str] = []
    labels: list[str] = []
    st = doc.structure
    if st.toc_markers:
        tokens.append("domtoc")
    if st.faq_markers or "FAQPage" in st.jsonld_types:
        tokens.append("domfaq")
    in_toc = in_faq = False
    seen_heading = False
    for i, block in enumerate(doc.blocks):
        if block.kind == "heading":
            token = _heading_token(block, first=not seen_heading and i <= 1)
            seen_heading = True
            # Question-and-answer items count as FAQ only under a FAQ heading, until the next heading
            # that is not a question: a "Question? Answer" list item elsewhere is ordinary text.
            in_faq = token == "faqhead" or (in_faq and token.endswith("q"))
        else:
            token = _block_token(block, in_toc, in_faq)
            in_faq = in_faq or token == "faqhead"
        in_toc = token in ("toclabel", "tocentry") or (in_toc and token == "title")
        if token in ("toclabel", "faqhead", "kwseo", "kwtags"):
            label = _label(block.text.strip())
            if label and label not in labels:
                labels.append(label)
        if not tokens or tokens[-1] != token:
            tokens.append(token)
    return Skeleton(tokens=tuple(tokens), labels=tuple(labels))


@dataclass(frozen=True, slots=True)
class FamilyInfo:
    """One page's template family: ``family_id`` is the smallest member id, ``family_size`` its size.

    A page with fewer than ``MIN_PARTS`` template parts is its own family (``eligible`` False, size 1).
    """

    id: str
    family_id: str
    family_size: int
    nearest_id: str | None
    nearest_similarity: float
    eligible: bool
    skeleton: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "family_id": self.family_id,
            "family_size": self.family_size,
            "family_nearest_id": self.nearest_id,
            "family_nearest_similarity": round(self.nearest_similarity, 6),
            "skeleton": self.skeleton,
        }


def skeleton_params(num_perm: int = 128, seed: int = 1) -> MinHashParams:
    """MinHash parameters of skeleton signatures (features are hashed whole; shingle size is unused)."""
    return MinHashParams(num_perm=num_perm, seed=seed)


def template_families(
    ids: Sequence[str],
    docs: Sequence[Cleaned],
    *,
    threshold: float = DEFAULT_THRESHOLD,
    min_parts: int = MIN_PARTS,
    recall: float = 0.95,
    params: MinHashParams | None = None,
) -> list[FamilyInfo]:
    """Template families of cleaned pages, one :class:`FamilyInfo` per id, in input order; the result does
    not depend on the input order (family ids are smallest member ids, ties broken by id).

    Pages with identical feature sets are grouped first (similarity 1.0 to the group's smallest id). The
    groups' MinHash signatures go through LSH tuned for ``recall`` at ``threshold``; each candidate pair is
    then verified on the *exact* Jaccard of the two feature sets (they are small: 5-30 features), which
    removes the estimate's noise (sd 0.044 at J = 0.5 with 128 permutations) from the family boundary.

    Raises:
        ValueError: on a repeated id or when ids and docs differ in length.
        ConfigError: on a threshold, recall or min_parts out of range.
    """
    if len(ids) != len(docs):
        raise ValueError(f"{len(ids)} ids but {len(docs)} pages")
    return families_of_skeletons(
        ids, [skeleton(doc) for doc in docs], threshold=threshold, min_parts=min_parts, recall=recall, params=params
    )


def families_of_skeletons(
    ids: Sequence[str],
    skeletons: Sequence[Skeleton],
    *,
    threshold: float = DEFAULT_THRESHOLD,
    min_parts: int = MIN_PARTS,
    recall: float = 0.95,
    params: MinHashParams | None = None,
) -> list[FamilyInfo]:
    """:func:`template_families` from skeletons already read (what a streaming run keeps of each page).

    Raises:
        ValueError: on a repeated id or when ids and skeletons differ in length.
        ConfigError: on a threshold, recall or min_parts out of range.
    """
    if len(ids) != len(skeletons):
        raise ValueError(f"{len(ids)} ids but {len(skeletons)} skeletons")
    if min_parts < 1:
        raise ConfigError(f"min_parts {min_parts} must be at least 1: a page with no template part has no template")
    params = params if params is not None else skeleton_params()
    lsh = choose_lsh_params(params.num_perm, threshold, recall)
    rank = {doc_id: r for r, doc_id in enumerate(sorted(ids))}
    if len(rank) != len(ids):
        raise ValueError("document ids repeat")
    eligible = [len(s.parts) >= min_parts for s in skeletons]
    groups: dict[frozenset[str], list[int]] = {}
    for i in sorted(range(len(ids)), key=lambda k: rank[ids[k]]):
        if eligible[i]:
            groups.setdefault(frozenset(skeletons[i].features()), []).append(i)
    reps = [members[0] for members in groups.values()]
    pairs: list[tuple[int, int]] = [(m[0], other) for m in groups.values() for other in m[1:]]
    sims: list[float] = [1.0] * len(pairs)
    if len(reps) >= 2:
        feats = [skeletons[i].features() for i in reps]
        sigs = MinHasher(params).signatures_of_sets(feats)
        for a, b in BandTable.build(band_keys(sigs, lsh)).candidate_pairs().tolist():
            jaccard = len(feats[a] & feats[b]) / len(feats[a] | feats[b])
            if jaccard >= threshold:
                pairs.append((reps[a], reps[b]))
                sims.append(jaccard)
    dups: list[DuplicateInfo] = cluster_pairs(
        ids, np.asarray(pairs, dtype=np.int64).reshape(-1, 2), np.asarray(sims, dtype=np.float64)
    )
    return [
        FamilyInfo(
            id=d.id,
            family_id=d.cluster_id,
            family_size=d.cluster_size,
            nearest_id=d.nearest_id,
            nearest_similarity=d.nearest_similarity,
            eligible=ok,
            skeleton=s.text,
        )
        for d, ok, s in zip(dups, eligible, skeletons, strict=True)
    ]


__all__ = [
    "DEFAULT_THRESHOLD",
    "MIN_PARTS",
    "PART_OF",
    "SKELETON_VERSION",
    "WEAK_CALLOUTS",
    "WEAK_MARKERS",
    "FamilyInfo",
    "Skeleton",
    "families_of_skeletons",
    "is_marker",
    "part_of",
    "skeleton",
    "skeleton_params",
    "template_families",
]
