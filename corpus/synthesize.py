"""Synthetic content-farm pages and matched genuine controls, built from real l2r text.

No public labelled HTML of content-farm pages exists, so this module wraps real text in the farm
template. For every chosen l2r pair (a human text and one of its machine rewrites):

* the **positive** (label 1) puts the machine text into a page with farm parts, each drawn with some
  probability and in varied wording and markup: a generated table of contents that lists the page's own
  headings, a keyword block, FAQ padding whose answers restate the body, callout boxes, engagement bait,
  prompt-leak question headings that nothing answers, a stitched second article, typographic slips;
* the **control** (label 0) puts the paired human text into the same page skeleton (site chrome, title,
  section headings, drawn once per pair and shared) without the farm parts; sometimes with the genuine
  parts real sites have: a table of contents on a long page, a short "Tags:" line, a short FAQ whose
  answers are *not* in the body.

Both texts are cut into sentences and paragraphs by the same splitter and the same random process, so
neither paragraphing nor skeleton can be a cue: only the farm parts (and the text itself) are.
Each page is rendered either as a WordPress-like HTML page or as a plain-text rendering in the style of
the seed pages (one block per line, list items ``- item``), about half each.

Every row is marked ``synthetic: true``, ``source: "synthetic"``, and inherits the split of its l2r pair.
Run ``python corpus/synthesize.py`` to regenerate ``corpus/synthetic.jsonl.gz`` from the committed
``corpus/l2r.jsonl.gz`` (and refresh its MANIFEST entry); ``--show N`` prints N sample pages instead.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import gzip
import hashlib
import html
import io
import json
import random
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LICENSE = "CC BY 3.0 (text from l2r)"
TEMPLATE_NOTE = "page template: corpus/synthesize.py"

#: Parameters of the synthesis, recorded in MANIFEST.json.
SYNTH_PARAMS: dict[str, Any] = {
    "pairs": 1200,
    "min_sentences": 6,
    "html_share": 0.5,
    "farm_part_probability": {
        "toc": 0.6,
        "keywords": 0.45,
        "faq": 0.45,
        "callouts": 0.45,
        "bait": 0.5,
        "prompt_leak": 0.35,
        "stitched": 0.3,
        "slips": 0.35,
    },
    "min_farm_parts": 2,
    "control_part_probability": {
        "toc_if_3plus_sections": 0.2,
        "tags": 0.2,
        "faq_if_8plus_sentences": 0.12,
        "callout_if_6plus_sentences": 0.12,
    },
}


# ==================================================================================================
# I/O helpers shared with corpus/build.py


def write_jsonl_gz(path: Path, rows: Iterable[dict[str, Any]]) -> tuple[str, int]:
    """Write rows as gzip'd JSON lines with no timestamp or name in the header; return (sha256, bytes)."""
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, compresslevel=9, mtime=0) as gz:
        for row in rows:
            gz.write((json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8"))
    data = buf.getvalue()
    path.write_bytes(data)
    return hashlib.sha256(data).hexdigest(), len(data)


def read_jsonl_gz(path: Path) -> Iterator[dict[str, Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def file_entry(digest: str, size: int, rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The MANIFEST entry of one data file: checksum, size, rows, counts per source/split/label/format."""
    counts: collections.Counter[tuple[str, str, int, str, bool]] = collections.Counter(
        (r["source"], r["split"], r["label"], r["format"], r["synthetic"]) for r in rows
    )
    return {
        "sha256": digest,
        "bytes": size,
        "rows": len(rows),
        "counts": [
            {"source": s, "split": sp, "label": lb, "format": f, "synthetic": sy, "rows": n}
            for (s, sp, lb, f, sy), n in sorted(counts.items())
        ],
    }


def format_checks_table(before: dict[str, dict[str, Any]], after: dict[str, dict[str, Any]]) -> str:
    """Markdown table of the l2r format checks, human vs machine, raw vs built."""
    keys = [k for k in before["human"] if k != "texts"]
    lines = [
        "| check | human raw | machine raw | human built | machine built |",
        "|---|---:|---:|---:|---:|",
    ]

    def cell(rep: dict[str, Any], key: str) -> str:
        v = rep[key]
        if key in ("mean_chars", "median_chars"):
            return str(v)
        return f"{v} ({100 * v / max(1, rep['texts']):.1f}%)"

    lines.append(
        f"| texts | {before['human']['texts']} | {before['machine']['texts']} | "
        f"{after['human']['texts']} | {after['machine']['texts']} |"
    )
    for k in keys:
        lines.append(
            f"| {k} | {cell(before['human'], k)} | {cell(before['machine'], k)} | "
            f"{cell(after['human'], k)} | {cell(after['machine'], k)} |"
        )
    return "\n".join(lines)


# ==================================================================================================
# text analysis: sentences, salient phrases


def _wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())


_ABBREV = _wordset(
    """
    mr mrs ms dr prof st jr sr vs v inc ltd co corp no fig figs e.g i.e etc u.s u.k a.m p.m jan feb mar
    apr jun jul aug sep sept oct nov dec gen gov sen rep mt ft approx dept univ est al cf op ch sec vol pp
    """
)
_SENT_END_RE = re.compile(r"[.!?]+[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])")
_WORD_RE = re.compile(r"[A-Za-z][A-Za-z'’\-]*[A-Za-z]|[A-Za-z]")
STOPWORDS = _wordset(
    """
    a an the and or but if then so of to in on at by for with from as into about over after before under
    between through during without within is are was were be been being am do does did doing have has had
    having it its it's this that these those there here he she they we you i me him her them us my your
    his our their what which who whom whose when where why how not no nor all any both each few more most
    other some such only own same than too very can will just should would could may might must shall also
    one two three first second new many much well even still however while because although though since
    until upon onto off out up down again further once yet ever every another something anything nothing
    someone anyone everyone thing things way ways lot lots get gets got make makes made take takes took
    give gives gave come comes came go goes went going say says said see seen know known think thought
    like really quite rather around across along among per via whether either neither i'm i've i'd you're
    we're they're don't doesn't didn't can't won't isn't aren't wasn't weren't let's that's there's what's
    it’s don’t i’m often always never sometimes usually perhaps maybe mr mrs ms dr according including
    include includes included used use uses using year years time times day days people person part parts
    number numbers kind sort cannot important different several various possible based large small high
    good great best better simple complex easy hard provide provides allow allows show shows shown propose
    present presents help helps need needs want feel felt keep keeps look looks find finds become became
    seem seems achieve achieves improve improves ensure remain remains continue continues offer offers
    lead leads toward towards truly whole entire certain specific particular main major full real true
    right left long short early late recent former latter last next previous overall total general common
    special local likely unlikely okay yes thank thanks please able enough less least little else instead
    already almost back away ago wrote told knew found began kept held brought stood sat ran saw asked
    seemed looked turned started tried wanted called heard
    """
)
_SMALL_WORDS = _wordset("a an the and but or for nor on at to from by of in with as vs via per")


def split_sentences(text: str) -> list[str]:
    """Sentences of a one-line text: split at . ! ? before a capital or digit, not after abbreviations."""
    out: list[str] = []
    start = 0
    for m in _SENT_END_RE.finditer(text):
        before = text[start : m.start()].rsplit(None, 1)
        last = before[-1].lower().rstrip(".") if before else ""
        if last in _ABBREV or (len(last) == 1 and last.isalpha()):
            continue
        out.append(text[start : m.end()].strip())
        start = m.end()
    tail = text[start:].strip()
    if tail:
        out.append(tail)
    merged: list[str] = []
    for s in out:
        if merged and len(s.split()) < 4:
            merged[-1] = f"{merged[-1]} {s}"
        else:
            merged.append(s)
    return merged


def title_case(phrase: str) -> str:
    words = phrase.split()
    out = []
    for i, w in enumerate(words):
        if any(c.isupper() for c in w[1:]) or w[:1].isupper():
            out.append(w)
        elif i > 0 and w.lower() in _SMALL_WORDS:
            out.append(w.lower())
        else:
            out.append(w[:1].upper() + w[1:])
    return " ".join(out)


_NOT_NOUN_SUFFIXES = ("ly", "ed", "ful", "ous", "ive", "able", "ible", "less", "est")


def _nouny(word: str) -> bool:
    return word not in STOPWORDS and len(word) >= 4 and not word.endswith(_NOT_NOUN_SUFFIXES)


def salient_phrases(sentences: Sequence[str], limit: int = 30, *, min_score: int = 2) -> list[str]:
    """Salient phrases of a text, best first: capitalised names, repeated word pairs, repeated words.

    Phrases scoring below ``min_score`` (a word seen once) are only used when nothing better is left.
    """
    score: collections.Counter[str] = collections.Counter()
    first: dict[str, int] = {}
    surface: dict[str, str] = {}
    caps_seen: set[str] = set()
    caps_keys: set[str] = set()
    bigrams: collections.Counter[str] = collections.Counter()
    pos = 0
    for s in sentences:
        toks = [(m.group(0).replace("’", "'"), m.start(), m.end()) for m in _WORD_RE.finditer(s)]
        # capitalised runs (names, places, organisations), not a lone sentence-initial word
        i = 0
        while i < len(toks):
            w = toks[i][0]
            if w[0].isupper() and w.lower() not in STOPWORDS and len(w) > 1:
                j = i
                while (
                    j + 1 < len(toks)
                    and s[toks[j][2] : toks[j + 1][1]] == " "
                    and toks[j + 1][0][0].isupper()
                    and toks[j + 1][0].lower() not in STOPWORDS
                    and j - i < 3
                ):
                    j += 1
                words = [t[0] for t in toks[i : j + 1]]
                shouting = len(words) > 1 and all(x.isupper() for x in words)
                if (i > 0 or j > i) and not shouting and not any("'" in x for x in words):
                    key = " ".join(words).lower()
                    score[key] += 3
                    if key not in caps_keys:
                        surface[key] = " ".join(words)  # a name's surface form wins over a lower-cased one
                        caps_keys.add(key)
                    first.setdefault(key, pos + toks[i][1])
                    caps_seen.update(x.lower() for x in words)
                i = j + 1
            else:
                i += 1
        # content words and adjacent content-word pairs
        content = [
            (w.lower(), a, b, w) for w, a, b in toks if w.lower() not in STOPWORDS and len(w) >= 4 and "'" not in w
        ]
        for k, (w, a, b, orig) in enumerate(content):
            if _nouny(w) and w not in caps_seen:
                score[w] += 1
                surface.setdefault(w, orig if orig.isupper() else w)
                first.setdefault(w, pos + a)
            if k + 1 < len(content):
                w2, a2, _, _ = content[k + 1]
                if s[b:a2] == " " and _nouny(w2) and not w.endswith("ly"):
                    key = f"{w} {w2}"
                    bigrams[key] += 1
                    surface.setdefault(key, key)
                    first.setdefault(key, pos + a)
        pos += len(s) + 1
    for key, n in bigrams.items():
        if n >= 2 and key not in score:
            score[key] = 2 * n
    ranked = sorted(score, key=lambda k: (score[k] < min_score, -score[k], first[k]))
    picked: list[str] = []
    for key in ranked:
        if any(key in p or p in key for p in picked):
            continue
        picked.append(key)
        if len(picked) >= limit:
            break
    return [surface[k] for k in picked]


# ==================================================================================================
# wording pools (varied on purpose: a model must learn the mechanism, not a phrase)

TOC_TITLES = [
    "Table of Contents",
    "Contents",
    "In This Article",
    "Jump to:",
    "What's Inside",
    "Table of contents",
    "On This Page",
    "Quick Navigation",
    "Article Contents",
    "In this post",
    "Here's What We'll Cover",
    "Quick Links",
    "Navigate This Article",
    "Article Outline",
    "Inside This Guide",
    "Skip Ahead",
    "What You'll Find Here",
    "Topics Covered",
    "Jump to Section",
    "In This Guide",
]
FAQ_TITLES = [
    "Frequently Asked Questions",
    "FAQs",
    "FAQ",
    "People Also Ask",
    "Common Questions",
    "Your Questions Answered",
    "Frequently Asked Questions About {X}",
    "{X}: FAQs",
    "Questions and Answers",
    "Quick Q&A",
    "Reader Questions",
    "Top Questions About {X}",
    "FAQ: {X}",
    "Everything You Need to Know: FAQs",
    "Frequently Asked Questions (FAQ)",
    "Common Questions About {X}",
    "Your {X} Questions, Answered",
]
FAQ_QUESTIONS = [
    "What is {X}?",
    "Why is {X} important?",
    "How does {X} work?",
    "What should readers know about {X}?",
    "How does {X} affect {Y}?",
    "What role does {X} play?",
    "Why does {X} matter?",
    "What are the key facts about {X}?",
    "How is {X} connected to {Y}?",
    "What is the significance of {X}?",
    "What happened with {X}?",
    "Who is affected by {X}?",
    "What does {X} mean for {Y}?",
    "What are the main points about {X}?",
    "Is {X} really that important?",
    "What makes {X} so significant?",
]
KEYWORD_LABELS = [
    "Keywords for SEO:",
    "SEO Keywords:",
    "Tags:",
    "Related searches:",
    "Focus keyphrase:",
    "Keywords:",
    "Target keywords:",
    "Related keywords:",
    "Search terms:",
    "Key phrases:",
    "Meta keywords:",
    "Primary keywords:",
    "LSI keywords:",
    "Trending searches:",
    "SEO tags:",
    "Keyphrases:",
    "Topics:",
    "Secondary keywords:",
    "Related topics:",
    "Keywords used:",
]
#: Labels of the one tip or note box a genuine how-to or explainer page may carry (recipe blogs, guides):
#: a control page gets at most one, with a sentence of its own text that the body does not repeat, so a
#: single box is weak evidence and only the farm template's generic boxes, several kinds a page, are strong.
GENUINE_CALLOUT_LABELS = ["Tip:", "Note:", "Pro tip:", "Good to know:", "Did you know?"]
TAG_LABELS = ["Tags:", "Tagged:", "Filed under:", "Topics:", "Categories:", "Tagged with:"]
CALLOUT_LABELS = [
    "Pro Tip:",
    "Did You Know?",
    "Quick Fact:",
    "Expert Insight:",
    "Note:",
    "Important:",
    "Fun Fact:",
    "Quick Tip:",
    "Heads Up:",
    "Bottom Line:",
    "Remember:",
    "Insider Tip:",
    "Good to Know:",
    "Key Point:",
    "Takeaway:",
    "Why It Matters:",
    "Worth Noting:",
    "In Short:",
    "TL;DR:",
    "Expert Tip:",
    "Fact Check:",
]
TAKEAWAY_LABELS = [
    "Key Takeaways",
    "Key Takeaways:",
    "Main Takeaways",
    "Quick Summary",
    "At a Glance",
    "Highlights",
]
#: Lines asking readers to comment on or share *this article*. Follow / subscribe lines about the site are
#: chrome, not bait: they belong to the site skeleton both pages of a pair share (TEXT_FOOT_CHROME).
BAIT = [
    "Share your thoughts in the comments below!",
    "What do you think? Let us know in the comments.",
    "Don't forget to share this article with your friends!",
    "We'd love to hear from you: drop a comment below.",
    "Have you experienced this yourself? Tell us in the comments!",
    "If you found this helpful, please share it with others.",
    "Join the conversation and leave your opinion below.",
    "What's your take? Sound off in the comments.",
    "Like and share if you agree!",
    "Let us know your thoughts below!",
    "Do you agree? Share your perspective in the comments section.",
    "Stay tuned for more updates, and don't forget to bookmark this page!",
    "Found this article useful? Share it on social media!",
    "Tell us what you think in the comments!",
    "Have questions? Ask them in the comments and we'll answer!",
    "Which point surprised you the most? Comment below.",
    "Your opinion matters! Leave a comment below.",
    "Share this post with someone who needs to read it.",
    "Was this article helpful? Let us know!",
    "Click the share button to spread the word!",
    "What are your thoughts on {X}? Share your viewpoint in the comments below!",
    "How do you see {X} developing? Share your thoughts and comments below.",
    "Have you been following {X}? We want to hear your opinion!",
    "How do you envision the future of {X}? Tell us below.",
    "What would you add about {X}? Join the discussion in the comments.",
    "Share your thoughts and comments below. How do you feel about {X}?",
]
LEAK_QUESTIONS = [
    "How might {X} influence {Y} in the coming years, and what does this mean for {Z}?",
    "What specific measures regarding {X} were discussed, and how could they affect {Y}?",
    "In what ways could {X} reshape {Y}, and what are the broader implications for {Z}?",
    "What are the potential long-term consequences of {X} for {Y}, and how should {Z} respond?",
    "How does {X} demonstrate the priorities of {Y} in an increasingly complex landscape?",
    "To what extent will {X} determine the future of {Y}, and what risks does this pose for {Z}?",
    "What lessons can {Y} learn from {X}, and how might they be applied to {Z}?",
    "How could the relationship between {X} and {Y} evolve, and what role will {Z} play?",
    "What specific evidence supports the claims about {X}, and how reliable is it for assessing {Y}?",
    "Considering {X}, what strategies should {Y} adopt to address {Z}?",
    "What factors contributed most to {X}, and how might {Y} have changed the outcome?",
    "How will {X} affect ordinary people, and what can {Y} do to prepare?",
    "What are the ethical implications of {X} for {Y}, and how might {Z} be held accountable?",
    "How might the debate over {X} shape public perception of {Y} and the policies around {Z}?",
]
HEADING_FORMS = [
    "{X}",
    "{X}",
    "{X}",
    "{X} and {Y}",
    "Understanding {X}",
    "Why {X} Matters",
    "The Role of {X}",
    "A Closer Look at {X}",
    "What to Know About {X}",
    "{X}: What It Means",
    "How {X} Shapes {Y}",
    "What Is {X}?",
    "{X} Explained",
    "Inside {X}",
    "{X} in Focus",
    "More on {X}",
    "The Impact of {X}",
    "Why {X} Is Important",
    "{X} and Its Effects",
    "What About {X}?",
    "The Story Behind {X}",
]
TITLE_FORMS = [
    "{X}",
    "{X} and {Y}",
    "{X}: What You Need to Know",
    "{X}: {Y} in Focus",
    "How {X} Is Shaping {Y}",
    "Everything About {X}",
    "{X}, {Y} and the Road Ahead",
    "Inside {X}",
    "{X} Explained",
    "Why {X} Matters for {Y}",
    "A Guide to {X}",
    "{X}: A Closer Look at {Y}",
    "The Truth About {X}",
    "{FIRST}",
    "{FIRST}",
    "{FIRST}",
]
CITIES = [
    ("LONDON", "UK"),
    ("NEW YORK", "USA"),
    ("TOKYO", "JAPAN"),
    ("SEOUL", "SOUTH KOREA"),
    ("PARIS", "FRANCE"),
    ("BERLIN", "GERMANY"),
    ("SYDNEY", "AUSTRALIA"),
    ("TORONTO", "CANADA"),
    ("WASHINGTON", "D.C."),
    ("MUMBAI", "INDIA"),
    ("SINGAPORE", ""),
    ("DUBAI", "UAE"),
    ("CHICAGO", "USA"),
    ("MADRID", "SPAIN"),
]
SITE_A = [
    "Daily",
    "Modern",
    "Global",
    "Smart",
    "Urban",
    "Bright",
    "Open",
    "Prime",
    "True",
    "Next",
    "Green",
    "Metro",
    "Pulse",
    "Summit",
    "Clear",
    "Civic",
    "Northern",
    "Coastal",
    "Blue",
    "Golden",
    "Insight",
    "Trend",
    "Fresh",
]
SITE_B = [
    "Ledger",
    "Digest",
    "Journal",
    "Insider",
    "Report",
    "Herald",
    "Times",
    "Post",
    "Review",
    "Hub",
    "Wire",
    "Chronicle",
    "Gazette",
    "Beacon",
    "Dispatch",
    "Lens",
    "Compass",
    "Brief",
    "Observer",
    "Notes",
    "Today",
]
TLDS = [".com", ".com", ".com", ".net", ".org", ".co", ".news", ".info", ".blog", ".co.uk"]
TAGLINES = [
    "News, views and everything in between",
    "Your daily source of insight",
    "Stories that matter",
    "Independent reporting since 2009",
    "Ideas worth reading",
    "Smart reads for busy people",
    "",
]
AUTHORS = [
    "Staff Writer",
    "Editorial Team",
    "admin",
    "Jane Miller",
    "Tom Becker",
    "Priya Shah",
    "Daniel Okafor",
    "Laura Chen",
    "Marco Rossi",
    "Sarah Johnson",
    "News Desk",
    "Emily Carter",
    "David Kim",
    "Web Editor",
]
NAV = [
    "Home",
    "News",
    "World",
    "Business",
    "Tech",
    "Health",
    "Lifestyle",
    "Travel",
    "Sports",
    "Entertainment",
    "Science",
    "Opinion",
    "Culture",
    "About",
    "Contact",
]
RECENT = [
    "10 Simple Ways to Save Money This Month",
    "What the Latest Report Says About Housing",
    "A Beginner's Guide to Home Gardening",
    "Five Trends to Watch This Year",
    "How Remote Work Is Changing Cities",
    "The Best Budget Laptops Reviewed",
    "Inside the Race for Cleaner Energy",
    "Why Sleep Matters More Than You Think",
    "Local Markets Bounce Back After a Slow Winter",
    "Understanding Your Credit Score",
    "Weekend Reading List",
    "Interview: Building a Small Business From Scratch",
    "The Science of Habit Formation",
    "Travel Tips for the Holiday Season",
    "Healthy Dinners in Under 30 Minutes",
    "What Changed in the New Tax Rules",
]
SOCIAL = ["facebook", "twitter", "x", "instagram", "pinterest", "linkedin", "youtube", "tiktok"]
GENRE_CATEGORY = {
    "AcademicResearch": "Research",
    "ArtCulture": "Culture",
    "Business": "Business",
    "EducationMaterial": "Education",
    "Entertainment": "Entertainment",
    "Environmental": "Environment",
    "Finance": "Finance",
    "FoodCusine": "Food",
    "GovernmentPublic": "Politics",
    "LegalDocument": "Law",
    "LiteratureCreativeWriting": "Stories",
    "MedicalText": "Health",
    "NewsArticle": "News",
    "OnlineContent": "Lifestyle",
    "PersonalCommunication": "Life",
    "ProductReview": "Reviews",
    "Religious": "Faith",
    "Sports": "Sports",
    "TechnicalWriting": "Technology",
}
NEWSY_GENRES = frozenset({"NewsArticle", "Sports", "Business", "Finance", "GovernmentPublic", "Entertainment"})
TOC_PLUGINS = ["ez-toc", "lwptoc", "toc-plus", "rank-math", "core", "plain"]
FAQ_STYLES = ["rank-math", "yoast", "plain", "details"]
THEMES = ["astra", "generatepress", "twentytwentyone", "newspaper", "kadence"]
TEXT_HEAD_CHROME = [
    ["Skip to content"],
    ["Skip to main content", "Menu"],
    ["Menu", "Search"],
    ["Text Size", "Close"],
    ["Subscribe", "Sign in"],
    ["Home", "Latest", "Search"],
]
TEXT_FOOT_CHROME = [
    ["© {YEAR} {SITE}. All rights reserved."],
    ["Share this:", "Facebook", "X", "Email"],
    ["Related Articles"],
    ["Join us on social!", "Top"],
    ["Copyright © {YEAR} {SITE}", "Privacy Policy", "Terms"],
    ["Follow us", "Facebook", "Instagram", "LinkedIn"],
]


# ==================================================================================================
# page model


@dataclass
class Site:
    """Skeleton shared by the two pages of a pair: chrome, markup choices, rendering choices."""

    name: str
    domain: str
    tagline: str
    theme: str
    nav: list[str]
    recent: list[str]
    social: list[str]
    author: str
    date: dt.date
    category: str
    fmt: str  # "html" or "text"
    toc_plugin: str
    toc_title: str
    toc_numbered: bool
    toc_with_title: bool
    toc_after_intro: bool
    faq_title: str
    faq_style: str
    faq_jsonld: bool
    faq_text_style: str
    article_jsonld: bool
    heading_ids: bool
    sidebar: bool
    text_head: list[str]
    text_foot: list[str]
    blank_lines: bool
    byline: bool
    main_dateline: bool
    url_style: int


@dataclass
class Block:
    kind: str  # title | heading | para | toc | faq | keywords | tags | callout | takeaways | bait
    text: str = ""
    level: int = 2
    anchor: str = ""
    items: list[str] = field(default_factory=list)
    qas: list[tuple[str, str]] = field(default_factory=list)
    label: str = ""
    role: str = ""  # heading role: section | leak | stitched-title
    style: int = 0  # a random draw that picks the block's markup/wording variant


def _rng(*parts: object) -> random.Random:
    key = "|".join(str(p) for p in parts)
    return random.Random(int(hashlib.sha256(key.encode("utf-8")).hexdigest()[:16], 16))


def _fill(template: str, phrases: Sequence[str], rng: random.Random, *, article: bool = False) -> str:
    """Fill {X}/{Y}/{Z} with distinct phrases; ``article`` puts "the" before common-noun phrases."""
    pool = list(phrases) or ["this topic"]
    xs = rng.sample(pool, min(3, len(pool)))
    while len(xs) < 3:
        xs.append(pool[0])
    if article:
        xs = [f"the {x}" if x[:1].islower() else x for x in xs]
    out = template.replace("{X}", xs[0]).replace("{Y}", xs[1]).replace("{Z}", xs[2])
    return out[:1].upper() + out[1:]


def make_site(seed: int, genre: str, pair: int) -> Site:
    rng = _rng(seed, "site", genre, pair)
    a, b = rng.choice(SITE_A), rng.choice(SITE_B)
    name = rng.choice([f"The {a} {b}", f"{a} {b}", f"{a}{b}", f"{a} {b} Online"])
    domain = (a + b).lower() + rng.choice(["", "", "news", "hq", "online", "daily"]) + rng.choice(TLDS)
    nav = ["Home", *rng.sample(NAV[1:], rng.randint(3, 6))]
    faq_title = rng.choice(FAQ_TITLES)
    return Site(
        name=name,
        domain=domain,
        tagline=rng.choice(TAGLINES),
        theme=rng.choice(THEMES),
        nav=nav,
        recent=rng.sample(RECENT, 5),
        social=rng.sample(SOCIAL, rng.randint(2, 5)),
        author=rng.choice(AUTHORS),
        date=dt.date(2023, 1, 1) + dt.timedelta(days=rng.randrange(900)),
        category=GENRE_CATEGORY.get(genre, "News"),
        fmt="html" if rng.random() < SYNTH_PARAMS["html_share"] else "text",
        toc_plugin=rng.choice(TOC_PLUGINS),
        toc_title=rng.choice(TOC_TITLES),
        toc_numbered=rng.random() < 0.6,
        toc_with_title=rng.random() < 0.4,
        toc_after_intro=rng.random() < 0.4,
        faq_title=faq_title,
        faq_style=rng.choice(FAQ_STYLES),
        faq_jsonld=rng.random() < 0.5,
        faq_text_style=rng.choice(["dash", "lines", "qa"]),
        article_jsonld=rng.random() < 0.5,
        heading_ids=rng.random() < 0.5,
        sidebar=rng.random() < 0.7,
        text_head=rng.choice(TEXT_HEAD_CHROME) if rng.random() < 0.5 else [],
        text_foot=rng.choice(TEXT_FOOT_CHROME) if rng.random() < 0.5 else [],
        blank_lines=rng.random() < 0.3,
        byline=rng.random() < 0.4,
        main_dateline=genre in NEWSY_GENRES and rng.random() < 0.3,
        url_style=rng.randrange(3),
    )


def paragraphs(sentences: Sequence[str], rng: random.Random) -> list[str]:
    """Group sentences into paragraphs of 2-4 sentences (the same process for both classes)."""
    out: list[list[str]] = []
    i = 0
    while i < len(sentences):
        n = rng.randint(2, 4)
        out.append(list(sentences[i : i + n]))
        i += n
    if len(out) > 1 and len(out[-1]) == 1:
        out[-2].extend(out.pop())
    if len(out) == 1 and len(out[0]) >= 4:
        half = len(out[0]) // 2
        out = [out[0][:half], out[0][half:]]
    return [" ".join(p) for p in out]


def make_heading(text: str, used: set[str], rng: random.Random) -> str:
    phrases = [p for p in salient_phrases(split_sentences(text), 8) if p.lower() not in used]
    if not phrases:
        phrases = salient_phrases(split_sentences(text), 3) or ["More Details"]
    x = phrases[0]
    used.add(x.lower())
    y = phrases[1] if len(phrases) > 1 else x
    form = rng.choice(HEADING_FORMS)
    if "{Y}" in form and y == x:
        form = "{X}"
    return form.replace("{X}", title_case(x)).replace("{Y}", title_case(y))


def make_title(sentences: Sequence[str], rng: random.Random) -> str:
    phrases = salient_phrases(sentences, 6)
    form = rng.choice(TITLE_FORMS)
    if len(phrases) >= 2:
        filled = form.replace("{X}", phrases[0]).replace("{Y}", phrases[1])
        if len(filled.split()) < 3:
            form = "{FIRST}"
    if form == "{FIRST}" or len(phrases) < 2:
        words = re.sub(r"[.!?:;,]+$", "", sentences[0]).split()
        cut = words[: rng.randint(6, 11)]
        while cut and cut[-1].lower().strip(",;:") in STOPWORDS:
            cut.pop()
        return title_case(" ".join(cut).strip(",;: ")) or "Untitled"
    return form.replace("{X}", title_case(phrases[0])).replace("{Y}", title_case(phrases[1]))


def article_blocks(
    text: str, rng: random.Random, *, title_level: int = 1, sub_level: int = 2
) -> tuple[str, list[Block], list[str]]:
    """Title, intro and headed sections of one text. Returns (title, blocks without title, sentences)."""
    sents = split_sentences(text)
    paras = paragraphs(sents, rng)
    title = make_title(sents, rng)
    blocks = [Block("para", paras[0])]
    used: set[str] = set()
    rest = paras[1:]
    i = 0
    while i < len(rest):
        n = min(len(rest) - i, rng.choice((1, 1, 2, 2, 3)))
        chunk = rest[i : i + n]
        blocks.append(Block("heading", make_heading(" ".join(chunk), used, rng), level=sub_level, role="section"))
        blocks.extend(Block("para", p) for p in chunk)
        i += n
    return title, blocks, sents


_CONNECTOR_RE = re.compile(
    r"^(however|in addition|additionally|moreover|furthermore|also|but|and|so|meanwhile|still|overall|"
    r"in fact|indeed|as a result|for example|for instance|in short|finally|first|second|third|thus)\b,?\s+",
    re.I,
)


def trim_answer(sentence: str) -> str:
    s = _CONNECTOR_RE.sub("", sentence).strip()
    s = s[:1].upper() + s[1:]
    words = s.split()
    if len(words) > 35:
        s = " ".join(words[:30]).rstrip(",;:") + "."
    return s


def faq_from(sentences: Sequence[str], phrases: Sequence[str], n: int, rng: random.Random) -> list[tuple[str, str]]:
    """Questions about the text's phrases, answered by (trimmed) sentences that mention them."""
    qas: list[tuple[str, str]] = []
    used_sent: set[int] = set()
    forms = rng.sample(FAQ_QUESTIONS, len(FAQ_QUESTIONS))
    for k, x in enumerate(phrases):
        if len(qas) >= n:
            break
        hits = [i for i, s in enumerate(sentences) if x.lower() in s.lower() and i not in used_sent]
        if not hits:
            continue
        i = hits[0]
        used_sent.add(i)
        others = [p for p in phrases if p != x] or [x]
        q = forms[k % len(forms)].replace("{X}", x).replace("{Y}", rng.choice(others))
        qas.append((q[:1].upper() + q[1:], trim_answer(sentences[i])))
    return qas


def keyword_terms(phrases: Sequence[str], n: int, rng: random.Random) -> list[str]:
    terms = list(phrases[:n])
    lower = rng.random() < 0.5
    return [t.lower() if lower and not t[:1].isupper() else t for t in terms]


def apply_slips(blocks: list[Block], rng: random.Random) -> None:
    """Typographic slips: a missing space after a few commas/periods, lower-cased heading starts."""
    paras = [b for b in blocks if b.kind == "para"]
    spots: list[tuple[Block, int]] = []
    for b in paras:
        for m in re.finditer(r"(?<=[a-z])[,.] (?=[A-Za-z])", b.text):
            if m.group(0)[0] == "." and not b.text[m.end()].isupper():
                continue
            spots.append((b, m.start() + 1))
    n_spots = rng.randint(1, 3) + len(paras) // 5
    for b, pos in sorted(rng.sample(spots, min(len(spots), n_spots)), key=lambda x: -x[1]):
        b.text = b.text[:pos] + b.text[pos + 1 :]
    heads = [b for b in blocks if b.kind == "heading" and b.role in ("section", "stitched-title")]
    for b in rng.sample(heads, min(len(heads), rng.randint(1, 2))):
        words = b.text.split()
        # a capitalised word (not an acronym): the first one most often, else one further on
        ok = [i for i, w in enumerate(words) if len(w) > 1 and w[0].isupper() and w[1].islower()]
        if not ok:
            continue
        k = ok[0] if rng.random() < 0.6 or len(ok) < 2 else rng.choice(ok[1:])
        words[k] = words[k][:1].lower() + words[k][1:]
        b.text = " ".join(words)


@dataclass
class Page:
    title: str
    blocks: list[Block]
    parts: list[str]
    description: str
    faq: list[tuple[str, str]] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    meta_tags_in_footer: bool = False


def _toc_block(site: Site, title: str, blocks: list[Block]) -> Block:
    entries = [b.text for b in blocks if b.kind == "heading"]
    if site.toc_with_title:
        entries = [title, *entries]
    return Block("toc", label=site.toc_title, items=entries)


def _insert_toc(site: Site, blocks: list[Block], toc: Block) -> None:
    pos = 1 if site.toc_after_intro and blocks and blocks[0].kind == "para" else 0
    blocks.insert(pos, toc)


def farm_page(
    text: str, second: str | None, site: Site, rng: random.Random, probs: dict[str, float], min_parts: int
) -> Page:
    """The machine text in the farm template, with at least ``min_parts`` farm parts."""
    chosen = [p for p, pr in probs.items() if rng.random() < pr and (p != "stitched" or second)]
    while len(chosen) < min_parts:
        extra = [p for p in probs if p not in chosen and (p != "stitched" or second)]
        chosen.append(rng.choice(extra))
    state = rng.getstate()
    page = _farm_page(text, second, site, rng, chosen)
    # A part can fail on a short text (a contents list needs two headings); add parts that always fit.
    for fallback in ("bait", "callouts", "keywords"):
        if len(page.parts) >= min_parts:
            break
        if fallback not in chosen:
            chosen.append(fallback)
            rng.setstate(state)
            page = _farm_page(text, second, site, rng, chosen)
    return page


def _farm_page(text: str, second: str | None, site: Site, rng: random.Random, chosen: list[str]) -> Page:
    title, blocks, sents = article_blocks(text, rng)
    phrases = salient_phrases(sents, 30)
    parts: list[str] = []
    body_sents = sents[:]
    faq: list[tuple[str, str]] = []

    if site.main_dateline:
        city, country = rng.choice(CITIES)
        blocks[0].text = f"{city}{', ' + country if country else ''} – {blocks[0].text}"
    if "callouts" in chosen:
        sections = [i for i, b in enumerate(blocks) if b.kind == "para"]
        n = 1 if rng.random() < 0.6 else 2
        for k, i in enumerate(sorted(rng.sample(sections, min(n, len(sections))), reverse=True)):
            if k == 0 and rng.random() < 0.25 and len(sents) >= 6:
                items = [trim_answer(s) for s in rng.sample(sents, 3)]
                blocks.insert(
                    i + 1,
                    Block("takeaways", label=rng.choice(TAKEAWAY_LABELS), items=items, style=rng.randrange(5)),
                )
            else:
                sentence = trim_answer(rng.choice(sents[1:] or sents))
                blocks.insert(
                    i + 1,
                    Block("callout", label=rng.choice(CALLOUT_LABELS), text=sentence, style=rng.randrange(5)),
                )
        parts.append("callouts")
    if "prompt_leak" in chosen:
        q = _fill(rng.choice(LEAK_QUESTIONS), phrases[:8], rng, article=True)
        heads = [i for i, b in enumerate(blocks) if b.kind == "heading"]
        leak = Block("heading", q, role="leak")
        if heads and rng.random() < 0.5:
            i = rng.choice(heads)
            blocks.insert(i, leak)  # a question heading right before another section: nothing answers it
        elif heads:
            blocks[rng.choice(heads)] = leak  # replaces a section's heading; the section does not answer it
        else:
            blocks.append(leak)
        parts.append("prompt_leak")
    if "stitched" in chosen and second:
        t2, b2, s2 = article_blocks(second, rng, sub_level=rng.choice([2, 3]))
        if rng.random() < 0.5:
            city, country = rng.choice(CITIES)
            day = site.date + dt.timedelta(days=rng.randint(-30, 0))
            b2[0].text = f"{city}{', ' + country if country else ''} – {day:%B} {day.day}, {day.year} – {b2[0].text}"
        if "prompt_leak" in chosen and rng.random() < 0.5:
            q = _fill(rng.choice(LEAK_QUESTIONS), salient_phrases(s2, 8), rng, article=True)
            blocks.append(Block("heading", q, role="leak"))
        blocks.append(Block("heading", t2, role="stitched-title"))
        blocks.extend(b2)
        body_sents += s2
        phrases = phrases + [p for p in salient_phrases(s2, 15) if p not in phrases]
        parts.append("stitched")
    if "faq" in chosen:
        n = rng.randint(3, 6)
        faq = faq_from(body_sents, phrases, n, rng)
        if len(faq) >= 3:
            head = site.faq_title.replace("{X}", title_case(phrases[0]) if phrases else "This Topic")
            fb = Block("faq", label=head, qas=faq)
            heads = [i for i, b in enumerate(blocks) if b.role == "stitched-title"]
            if heads and rng.random() < 0.6:
                blocks.insert(heads[0], fb)
            else:
                blocks.append(fb)
            parts.append("faq")
        else:
            faq = []
    if "bait" in chosen:
        line = _fill(rng.choice(BAIT), phrases[:5], rng)
        heads = [i for i, b in enumerate(blocks) if b.role == "stitched-title" or b.kind == "faq"]
        pos = heads[0] if heads and rng.random() < 0.5 else len(blocks)
        blocks.insert(pos, Block("bait", line, style=rng.randrange(5)))
        if rng.random() < 0.25:
            blocks.append(Block("bait", _fill(rng.choice(BAIT), phrases[:5], rng), style=rng.randrange(5)))
        parts.append("bait")
    if "keywords" in chosen:
        terms = keyword_terms(phrases, rng.randint(8, 20), rng)
        if len(terms) >= 6:
            blocks.append(Block("keywords", label=rng.choice(KEYWORD_LABELS), items=terms, style=rng.randrange(12)))
            parts.append("keywords")
    if "slips" in chosen:
        apply_slips(blocks, rng)
        parts.append("slips")
    if "toc" in chosen and sum(1 for b in blocks if b.kind == "heading") >= 2:
        toc_blocks = [
            Block("heading", b.label) if b.kind in ("faq", "keywords") and rng.random() < 0.6 else b
            for b in blocks
            if b.kind == "heading" or b.kind in ("faq", "keywords")
        ]
        _insert_toc(site, blocks, _toc_block(site, title, toc_blocks))
        parts.append("toc")
    return Page(title=title, blocks=blocks, parts=parts, description=trim_answer(sents[0]), faq=faq)


def control_page(text: str, site: Site, rng: random.Random, probs: dict[str, float]) -> Page:
    sents_all = split_sentences(text)
    parts: list[str] = []
    faq: list[tuple[str, str]] = []
    held: list[str] = []
    if len(sents_all) >= 8 and rng.random() < probs["faq_if_8plus_sentences"]:
        held = sents_all[-2:] if rng.random() < 0.5 else sents_all[-3:]
        text = " ".join(sents_all[: len(sents_all) - len(held)])
    tip = ""
    if not held and len(sents_all) >= 6 and rng.random() < probs["callout_if_6plus_sentences"]:
        tip = sents_all[-1]  # held back from the body: the box says something the text does not
        text = " ".join(sents_all[:-1])
    title, blocks, sents = article_blocks(text, rng)
    if tip:
        i = rng.randrange(1, len(blocks)) if len(blocks) > 1 else len(blocks)
        label = rng.choice(GENUINE_CALLOUT_LABELS)
        blocks.insert(i, Block("callout", label=label, text=trim_answer(tip), style=rng.randrange(5)))
        parts.append("callout_genuine")
    phrases = salient_phrases(sents_all, 20)
    if site.main_dateline:
        city, country = rng.choice(CITIES)
        blocks[0].text = f"{city}{', ' + country if country else ''} – {blocks[0].text}"
    if held:
        # A genuine FAQ: its answers are not in the body (the sentences were held back from it).
        faq = faq_from(held, salient_phrases(held, 10), len(held), rng)
        if len(faq) >= 2:
            head = site.faq_title.replace("{X}", title_case(phrases[0]) if phrases else "This Topic")
            blocks.append(Block("faq", label=head, qas=faq))
            parts.append("faq_genuine")
        else:
            faq = []
    tags: list[str] = []
    if rng.random() < probs["tags"]:
        tags = [p for p in phrases[:4]][: rng.randint(2, 4)]
        if len(tags) >= 2:
            blocks.append(Block("tags", label=rng.choice(TAG_LABELS), items=tags))
            parts.append("tags_genuine")
        else:
            tags = []
    n_sections = sum(1 for b in blocks if b.kind == "heading")
    if n_sections >= 3 and rng.random() < probs["toc_if_3plus_sections"]:
        _insert_toc(site, blocks, _toc_block(site, title, [b for b in blocks if b.kind == "heading"]))
        parts.append("toc_genuine")
    return Page(title=title, blocks=blocks, parts=parts, description=trim_answer(sents[0]), faq=faq, tags=tags)


# ==================================================================================================
# rendering: plain text (the seeds' style)


def render_text(page: Page, site: Site) -> str:
    """One block per line; lists as ``- item``; a blank line between blocks on some sites (as in 004)."""
    toc_items = {e for b in page.blocks if b.kind == "toc" for e in b.items}
    groups: list[list[str]] = [[line] for line in site.text_head]
    groups.append([page.title])
    if site.byline:
        groups.append([f"By {site.author} | {site.date:%B} {site.date.day}, {site.date.year}"])
    for b in page.blocks:
        if b.kind in ("heading", "para", "bait"):
            groups.append([b.text])
        elif b.kind == "toc":
            groups.append([b.label])
            groups.append([f"- {i}. {e}" if site.toc_numbered else f"- {e}" for i, e in enumerate(b.items, 1)])
        elif b.kind == "callout":
            groups.append([f"{b.label} {b.text}"])
        elif b.kind == "takeaways":
            groups.append([b.label])
            groups.append([f"- {it}" for it in b.items])
        elif b.kind == "faq":
            groups.append([b.label])
            for q, a in b.qas:
                if site.faq_text_style == "dash":
                    groups.append([f"- {q} {a}"])
                elif site.faq_text_style == "qa":
                    groups.append([f"Q: {q}", f"A: {a}"])
                else:
                    groups.extend([[q], [a]])
        elif b.kind == "keywords":
            end = "." if b.style % 2 else ""
            if b.style % 3 == 0 and b.label not in toc_items:
                groups.append([f"{b.label} {', '.join(b.items)}{end}"])
            else:
                groups.extend([[b.label], [", ".join(b.items) + end]])
        elif b.kind == "tags":
            groups.append([f"{b.label} {', '.join(b.items)}"])
    year = str(site.date.year)
    groups.extend([s.replace("{YEAR}", year).replace("{SITE}", site.name)] for s in site.text_foot)
    return ("\n\n" if site.blank_lines else "\n").join("\n".join(g) for g in groups)


# ==================================================================================================
# rendering: WordPress-like HTML


def _e(s: str) -> str:
    return html.escape(s, quote=False)


def _a(s: str) -> str:
    return html.escape(s, quote=True)


def _slug(text: str, style: str) -> str:
    words = re.findall(r"[A-Za-z0-9]+", text)
    if style == "underscore":
        return "_".join(words) or "section"
    return "-".join(w.lower() for w in words) or "section"


def _jsonld(obj: dict[str, Any]) -> str:
    data = json.dumps(obj, ensure_ascii=False).replace("</", "<\\/")
    return f'<script type="application/ld+json">{data}</script>'


def _render_toc_html(b: Block, anchors: list[str], site: Site) -> str:
    title = _e(b.label)
    pairs = list(zip(b.items, anchors, strict=True))
    p = site.toc_plugin
    if p == "ez-toc":
        lis = "".join(
            f'<li class="ez-toc-page-1 ez-toc-heading-level-2"><a class="ez-toc-link ez-toc-heading-{i}" '
            f'href="#{_a(a)}" title="{_a(t)}">{_e(t)}</a></li>'
            for i, (t, a) in enumerate(pairs, 1)
        )
        return (
            '<div id="ez-toc-container" class="ez-toc-v2_0_62 counter-hierarchy ez-toc-counter ez-toc-grey '
            'ez-toc-container-direction"><div class="ez-toc-title-container"><p class="ez-toc-title">'
            f'{title}</p><span class="ez-toc-title-toggle"><a href="#" class="ez-toc-pull-right ez-toc-btn '
            'ez-toc-btn-xs ez-toc-btn-default ez-toc-toggle" aria-label="Toggle Table of Content">'
            '<span class="ez-toc-js-icon-con"></span></a></span></div><nav><ul class="ez-toc-list '
            f'ez-toc-list-level-1">{lis}</ul></nav></div>'
        )
    if p == "lwptoc":
        items = "".join(
            f'<div class="lwptoc_itemWrap"><div class="lwptoc_item"><a href="#{_a(a)}">'
            f'<span class="lwptoc_item_number">{i}</span><span class="lwptoc_item_label">{_e(t)}</span>'
            "</a></div></div>"
            for i, (t, a) in enumerate(pairs, 1)
        )
        return (
            '<div class="lwptoc lwptoc-autoWidth lwptoc-baseItems lwptoc-light lwptoc-notInherit" '
            'data-smooth-scroll="1" data-smooth-scroll-offset="24"><div class="lwptoc_i"><div '
            f'class="lwptoc_header"><b class="lwptoc_title">{title}</b></div><div class="lwptoc_items '
            f'lwptoc_items-visible">{items}</div></div></div>'
        )
    if p == "toc-plus":
        lis = "".join(
            f'<li><a href="#{_a(a)}"><span class="toc_number toc_depth_1">{i}</span> {_e(t)}</a></li>'
            for i, (t, a) in enumerate(pairs, 1)
        )
        return (
            '<div id="toc_container" class="no_bullets">'
            f'<p class="toc_title">{title} <span class="toc_toggle">'
            f'[<a href="#">hide</a>]</span></p><ul class="toc_list">{lis}</ul></div>'
        )
    if p == "rank-math":
        lis = "".join(f'<li><a href="#{_a(a)}">{_e(t)}</a></li>' for t, a in pairs)
        return (
            f'<div class="wp-block-rank-math-toc-block" id="rank-math-toc"><h2>{title}</h2><nav><ul>{lis}'
            "</ul></nav></div>"
        )
    tag = "ol" if site.toc_numbered else "ul"
    if p == "core":
        lis = "".join(
            f'<li><a class="wp-block-table-of-contents__entry" href="#{_a(a)}">{_e(t)}</a></li>' for t, a in pairs
        )
        return f'<p><strong>{title}</strong></p><nav class="wp-block-table-of-contents"><{tag}>{lis}</{tag}></nav>'
    lis = "".join(f'<li><a href="#{_a(a)}">{_e(t)}</a></li>' for t, a in pairs)
    return f'<div class="toc"><p class="toc-title"><strong>{title}</strong></p><{tag}>{lis}</{tag}></div>'


def _render_faq_html(b: Block, site: Site, ids: Iterator[int]) -> str:
    head = f"<h2>{_e(b.label)}</h2>"
    if site.faq_style == "rank-math":
        items = "".join(
            f'<div id="faq-question-{next(ids)}" class="rank-math-list-item"><h3 class="rank-math-question ">'
            f'{_e(q)}</h3><div class="rank-math-answer "><p>{_e(a)}</p></div></div>'
            for q, a in b.qas
        )
        return f'{head}<div id="rank-math-faq" class="rank-math-block"><div class="rank-math-list ">{items}</div></div>'
    if site.faq_style == "yoast":
        items = "".join(
            f'<div class="schema-faq-section" id="faq-question-{next(ids)}">'
            '<strong class="schema-faq-question">'
            f'{_e(q)}</strong> <p class="schema-faq-answer">{_e(a)}</p> </div>'
            for q, a in b.qas
        )
        return f'{head}<div class="schema-faq wp-block-yoast-faq-block">{items}</div>'
    if site.faq_style == "details":
        items = "".join(
            f'<details class="wp-block-details"><summary>{_e(q)}</summary><p>{_e(a)}</p></details>' for q, a in b.qas
        )
        return head + items
    return head + "".join(f"<h3>{_e(q)}</h3><p>{_e(a)}</p>" for q, a in b.qas)


def _callout_html(label: str, body: str, style: int) -> str:
    cls = re.sub(r"[^a-z]+", "-", label.lower()).strip("-")
    if style == 0:
        return f"<p><strong>{_e(label)}</strong> {body}</p>"
    if style == 1:
        return f'<div class="wp-block-group callout callout-{cls}"><p><strong>{_e(label)}</strong> {body}</p></div>'
    if style == 2:
        return (
            f'<blockquote class="wp-block-quote is-style-{cls}"><p><strong>{_e(label)}</strong> {body}</p></blockquote>'
        )
    if style == 3:
        return (
            f'<div class="su-note" style="border-color:#e5dd9b;"><div class="su-note-inner su-u-clearfix">'
            f"<strong>{_e(label)}</strong> {body}</div></div>"
        )
    return f'<aside class="info-box {cls}"><h4>{_e(label)}</h4><p>{body}</p></aside>'


def render_html(page: Page, site: Site, url: str, rng: random.Random) -> str:
    """A WordPress-like page: head, header with menu, article, optional sidebar, footer."""
    anchored = [b for b in page.blocks if b.kind in ("heading", "faq", "keywords")]
    toc = next((b for b in page.blocks if b.kind == "toc"), None)
    style = "underscore" if site.toc_plugin in ("ez-toc", "lwptoc", "toc-plus") else "hyphen"
    taken: set[str] = set()
    anchor_of: dict[int, str] = {}
    for b in [Block("title", page.title), *anchored]:
        a = _slug(b.text if b.kind in ("heading", "title") else b.label, style)
        base, k = a, 2
        while a in taken:
            a, k = f"{base}{'_' if style == 'underscore' else '-'}{k}", k + 1
        taken.add(a)
        anchor_of[id(b)] = a
        if b.kind == "title":
            title_anchor = a
    toc_anchors: list[str] = []
    toc_kw_labels: set[str] = set()
    if toc is not None:
        # TOC entries are the page's own headings (optionally the title first), in order.
        pool = [(b.text if b.kind == "heading" else b.label, anchor_of[id(b)]) for b in anchored]
        for e in toc.items:
            hit = next((a for t, a in pool if t == e), None)
            toc_anchors.append(hit or title_anchor)
        toc_kw_labels = {b.label for b in anchored if b.kind == "keywords"} & set(toc.items)
    need_ids = toc is not None or site.heading_ids
    faq_ids = iter(range(1_700_000_000_000 + rng.randrange(10**9), 1_800_000_000_000))
    body: list[str] = []

    def heading_html(text: str, level: int, anchor: str) -> str:
        if not need_ids:
            return f"<h{level}>{_e(text)}</h{level}>"
        if site.toc_plugin == "ez-toc" and toc is not None:
            return (
                f'<h{level}><span class="ez-toc-section" id="{_a(anchor)}"></span>{_e(text)}'
                f'<span class="ez-toc-section-end"></span></h{level}>'
            )
        if site.toc_plugin in ("lwptoc", "toc-plus") and toc is not None:
            return f'<h{level}><span id="{_a(anchor)}">{_e(text)}</span></h{level}>'
        return f'<h{level} class="wp-block-heading" id="{_a(anchor)}">{_e(text)}</h{level}>'

    for b in page.blocks:
        if b.kind == "heading":
            body.append(heading_html(b.text, b.level, anchor_of[id(b)]))
        elif b.kind == "para":
            body.append(f"<p>{_e(b.text)}</p>")
        elif b.kind == "toc":
            body.append(_render_toc_html(b, toc_anchors, site))
        elif b.kind == "callout":
            body.append(_callout_html(b.label, _e(b.text), b.style))
        elif b.kind == "takeaways":
            lis = "".join(f"<li>{_e(it)}</li>" for it in b.items)
            box = _callout_html(b.label, f"<ul>{lis}</ul>", b.style)
            body.append(box.replace("<p><strong>", "<div><strong>").replace("</ul></p>", "</ul></div>"))
        elif b.kind == "bait":
            body.append(f"<p><em>{_e(b.text)}</em></p>" if b.style < 2 else f"<p>{_e(b.text)}</p>")
        elif b.kind == "faq":
            body.append(
                _render_faq_html(b, site, faq_ids).replace(
                    f"<h2>{_e(b.label)}</h2>", heading_html(b.label, 2, anchor_of[id(b)]), 1
                )
            )
        elif b.kind == "keywords":
            terms = _e(", ".join(b.items))
            k = 1 if b.label in toc_kw_labels else b.style % 3
            if k == 0:
                body.append(f"<p><strong>{_e(b.label)}</strong> {terms}</p>")
            elif k == 1:
                body.append(heading_html(b.label, 3, anchor_of[id(b)]) + f"<p>{terms}</p>")
            else:
                body.append(f'<div class="seo-keywords"><p><strong>{_e(b.label)}</strong> {terms}</p></div>')
        elif b.kind == "tags":
            pass  # rendered in the entry footer, as real themes do
    date_iso = f"{site.date.isoformat()}T{rng.randint(6, 20):02d}:{rng.choice(['00', '15', '30', '45'])}:00+00:00"
    date_h = f"{site.date:%B} {site.date.day}, {site.date.year}"
    head = [
        "<!DOCTYPE html>",
        '<html lang="en-US">',
        "<head>",
        '<meta charset="UTF-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(page.title)} {rng.choice(['-', '–', '|'])} {_e(site.name)}</title>",
        f'<meta name="description" content="{_a(page.description[:155])}">',
        f'<link rel="canonical" href="{_a(url)}">',
        f'<meta property="og:title" content="{_a(page.title)}">',
        f'<meta property="og:site_name" content="{_a(site.name)}">',
        '<meta property="og:type" content="article">',
        f'<link rel="stylesheet" id="{site.theme}-style-css" href="https://{site.domain}/wp-content/themes/'
        f'{site.theme}/style.css?ver=6.{rng.randint(2, 6)}.{rng.randint(0, 3)}" media="all">',
        f'<meta name="generator" content="WordPress 6.{rng.randint(2, 6)}.{rng.randint(0, 3)}">',
    ]
    if site.article_jsonld:
        head.append(
            _jsonld(
                {
                    "@context": "https://schema.org",
                    "@type": "Article",
                    "headline": page.title,
                    "datePublished": date_iso,
                    "author": {"@type": "Person", "name": site.author},
                    "publisher": {"@type": "Organization", "name": site.name},
                }
            )
        )
    if page.faq and site.faq_jsonld:
        head.append(
            _jsonld(
                {
                    "@context": "https://schema.org",
                    "@type": "FAQPage",
                    "mainEntity": [
                        {"@type": "Question", "name": q, "acceptedAnswer": {"@type": "Answer", "text": a}}
                        for q, a in page.faq
                    ],
                }
            )
        )
    head.append("</head>")
    post_id = rng.randint(1000, 99999)
    cat_slug = _slug(site.category, "hyphen")
    nav = "".join(
        f'<li id="menu-item-{100 + i}" class="menu-item menu-item-type-taxonomy menu-item-{100 + i}">'
        f'<a href="https://{site.domain}/{"" if n == "Home" else _slug(n, "hyphen") + "/"}">{_e(n)}</a></li>'
        for i, n in enumerate(site.nav)
    )
    header = (
        f'<body class="post-template-default single single-post postid-{post_id} single-format-standard '
        f'{site.theme}-theme"><div id="page" class="site">'
        '<a class="skip-link screen-reader-text" href="#content">'
        f'Skip to content</a><header id="masthead" class="site-header"><div class="site-branding">'
        f'<p class="site-title"><a href="https://{site.domain}/" rel="home">{_e(site.name)}</a></p>'
        + (f'<p class="site-description">{_e(site.tagline)}</p>' if site.tagline else "")
        + '</div><nav id="site-navigation" class="main-navigation" aria-label="Primary">'
        '<button class="menu-toggle" '
        'aria-controls="primary-menu" aria-expanded="false">Menu</button>'
        f'<ul id="primary-menu" class="menu">{nav}'
        "</ul></nav></header>"
    )
    meta = ""
    if site.byline or rng.random() < 0.6:
        meta = (
            f'<div class="entry-meta"><span class="posted-on">Posted on <time class="entry-date published" '
            f'datetime="{date_iso}">{date_h}</time></span>'
            '<span class="byline"> by <span class="author vcard">'
            f'<a class="url fn n" href="https://{site.domain}/author/{_slug(site.author, "hyphen")}/">'
            f"{_e(site.author)}</a></span></span></div>"
        )
    tags_html = ""
    if page.tags:
        links = ", ".join(
            f'<a href="https://{site.domain}/tag/{_slug(t, "hyphen")}/" rel="tag">{_e(t)}</a>' for t in page.tags
        )
        label = next((b.label for b in page.blocks if b.kind == "tags"), "Tags:")
        tags_html = f'<span class="tags-links">{_e(label)} {links}</span>'
    h1_id = f' id="{_a(title_anchor)}"' if toc is not None and title_anchor in toc_anchors else ""
    article = (
        f'<div id="content" class="site-content"><div id="primary" class="content-area"><main id="main" '
        f'class="site-main"><article id="post-{post_id}" class="post-{post_id} post type-post status-publish '
        f'format-standard hentry category-{cat_slug}">'
        f'<header class="entry-header"><h1 class="entry-title"{h1_id}>'
        f"{_e(page.title)}</h1>{meta}</header>"
        f'<div class="entry-content">{"".join(body)}</div>'
        f'<footer class="entry-footer"><span class="cat-links">Posted in <a href="https://{site.domain}/category/'
        f'{cat_slug}/" rel="category tag">{_e(site.category)}</a></span>{tags_html}</footer></article>'
        '<nav class="navigation post-navigation" aria-label="Posts">'
        '<div class="nav-links"><div class="nav-previous">'
        f'<a href="https://{site.domain}/{_slug(site.recent[0], "hyphen")}/" '
        f'rel="prev">{_e(site.recent[0])}</a>'
        "</div></div></nav></main></div>"
    )
    sidebar = ""
    if site.sidebar:
        recent = "".join(
            f'<li><a href="https://{site.domain}/{_slug(t, "hyphen")}/">{_e(t)}</a></li>' for t in site.recent
        )
        cats = "".join(
            f'<li class="cat-item"><a href="https://{site.domain}/category/{_slug(n, "hyphen")}/">{_e(n)}</a></li>'
            for n in site.nav[1:]
        )
        sidebar = (
            '<aside id="secondary" class="widget-area"><section id="search-2" class="widget widget_search">'
            f'<form role="search" method="get" class="search-form" action="https://{site.domain}/"><label>'
            '<span class="screen-reader-text">Search for:</span><input type="search" class="search-field" '
            'placeholder="Search &hellip;" name="s"></label><input type="submit" class="search-submit" '
            'value="Search"></form></section>'
            '<section id="recent-posts-2" class="widget widget_recent_entries">'
            '<h2 class="widget-title">Recent Posts</h2>'
            f'<ul>{recent}</ul></section><section id="categories-2" '
            'class="widget widget_categories">'
            f'<h2 class="widget-title">Categories</h2><ul>{cats}</ul></section>'
            "</aside>"
        )
    social = " ".join(
        f'<a href="https://www.{s}.com/{_slug(site.name, "hyphen").replace("-", "")}" class="social-{s}" '
        f'target="_blank" rel="noopener">{s.capitalize() if s != "x" else "X"}</a>'
        for s in site.social
    )
    year = site.date.year
    footer = (
        f'</div><footer id="colophon" class="site-footer"><div class="footer-social">{social}</div>'
        f'<div class="site-info">{rng.choice(["©", "Copyright ©"])} '
        f"{year} {_e(site.name)}. All rights reserved."
        f'<span class="sep"> | </span><a href="https://{site.domain}/privacy-policy/">Privacy Policy</a>'
        f'<span class="sep"> | </span>Powered by <a href="https://wordpress.org/">WordPress</a></div></footer>'
        "</div></body></html>"
    )
    return "\n".join(head) + "\n" + header + "\n" + article + "\n" + sidebar + "\n" + footer + "\n"


# ==================================================================================================
# corpus assembly


def page_url(site: Site, title: str) -> str:
    slug = _slug(title, "hyphen")[:80].strip("-")
    if site.url_style == 0:
        return f"https://{site.domain}/{site.date.year}/{site.date.month:02d}/{slug}/"
    if site.url_style == 1:
        return f"https://{site.domain}/{_slug(site.category, 'hyphen')}/{slug}/"
    return f"https://{site.domain}/{slug}/"


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z]{4,}", text.lower())}


def _second_article(
    machine: dict[str, Any], rewrites: list[dict[str, Any]], pool: list[dict[str, Any]], rng: random.Random
) -> dict[str, Any]:
    """The article a farm stitches after the first: the same story told again or a related one.

    Real farm pages stitch a second version of the same story (the seeds: a second take on the same
    summit) or a story on the same topic, so the second part re-introduces the first part's names. Half
    the time another model's rewrite of the same text, otherwise the most similar other text of the
    same genre and split (by shared content words).
    """
    others = [r for r in rewrites if r["id"] != machine["id"]]
    if others and rng.random() < 0.5:
        return rng.choice(others)
    words = _words(machine["text"])
    same = [r for r in pool if r["genre"] == machine["genre"] and r["pair_index"] != machine["pair_index"]]
    if not same:
        same = [r for r in pool if r["pair_index"] != machine["pair_index"]]

    def similarity(r: dict[str, Any]) -> float:
        other = _words(r["text"])
        return len(words & other) / (len(words | other) or 1)

    return max(same, key=lambda r: (similarity(r), r["id"]))


def build_synthetic(
    l2r_rows: Sequence[dict[str, Any]], *, seed: int, params: dict[str, Any] | None = None
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Synthetic farm pages (label 1) and matched controls (label 0) from the built l2r rows."""
    p = params or SYNTH_PARAMS
    rows_sorted = sorted(l2r_rows, key=lambda r: r["id"])
    min_s = int(p["min_sentences"])
    n_sent = {r["id"]: len(split_sentences(r["text"])) for r in rows_sorted}
    by_pair: dict[tuple[str, int], dict[str, list[dict[str, Any]]]] = collections.defaultdict(
        lambda: {"human": [], "machine": []}
    )
    for r in rows_sorted:
        by_pair[(r["genre"], r["pair_index"])]["human" if r["label"] == 0 else "machine"].append(r)
    candidates = []
    for key, grp in by_pair.items():
        humans = [h for h in grp["human"] if n_sent[h["id"]] >= min_s]
        machines = [m for m in grp["machine"] if n_sent[m["id"]] >= min_s]
        if humans and machines:
            candidates.append((key, humans[0], machines))
    candidates.sort(key=lambda c: hashlib.sha256(f"{seed}:{c[0][0]}:{c[0][1]}".encode()).hexdigest())
    chosen = sorted(candidates[: int(p["pairs"])], key=lambda c: c[0])
    second_pool: dict[str, list[dict[str, Any]]] = collections.defaultdict(list)
    for r in rows_sorted:
        if r["label"] == 1 and n_sent[r["id"]] >= 4:
            second_pool[r["split"]].append(r)

    out: list[dict[str, Any]] = []
    part_counts: collections.Counter[tuple[int, str, str]] = collections.Counter()
    for (genre, pair), human, machines in chosen:
        site = make_site(seed, genre, pair)
        rng_pair = _rng(seed, "pair", genre, pair)
        machine = rng_pair.choice(machines)
        split = human["split"]
        assert machine["split"] == split, "a pair must not cross splits"
        second = _second_article(machine, machines, second_pool[split], rng_pair)
        for label in (1, 0):
            rng = _rng(seed, "page", genre, pair, label)
            if label == 1:
                page = farm_page(
                    machine["text"],
                    second["text"],
                    site,
                    rng,
                    dict(p["farm_part_probability"]),
                    int(p["min_farm_parts"]),
                )
                src_rows = [machine] + ([second] if "stitched" in page.parts else [])
            else:
                page = control_page(human["text"], site, rng, dict(p["control_part_probability"]))
                src_rows = [human]
            url = page_url(site, page.title)
            row: dict[str, Any] = {
                "id": f"synthetic/{genre}/{pair:03d}/{'farm' if label else 'control'}",
                "label": label,
                "source": "synthetic",
                "license": LICENSE,
                "attribution": f"{human['attribution']}; {TEMPLATE_NOTE}",
                "split": split,
                "format": site.fmt,
                "synthetic": True,
                "genre": genre,
                "generator": machine["generator"] if label else "human",
                "pair_index": pair,
                "lang": "en",
                "url": url,
                "parts": page.parts,
                "text_ids": [r["id"] for r in src_rows],
            }
            if site.fmt == "html":
                row["html"] = render_html(page, site, url, rng)
            else:
                row["text"] = render_text(page, site)
            out.append(row)
            for part in page.parts or ["(none)"]:
                part_counts[(label, split, part)] += 1
    report = {
        "pairs_available": len(candidates),
        "pairs_used": len(chosen),
        "pages": len(out),
        "parts": [
            {"label": lb, "split": sp, "part": pt, "pages": n} for (lb, sp, pt), n in sorted(part_counts.items())
        ],
    }
    return out, report


def main(argv: Iterable[str] | None = None) -> int:
    here = Path(__file__).resolve().parent
    ap = argparse.ArgumentParser(description="Regenerate corpus/synthetic.jsonl.gz from corpus/l2r.jsonl.gz.")
    ap.add_argument("--corpus", type=Path, default=here, help="corpus folder (default: corpus/)")
    ap.add_argument("--show", type=int, default=0, help="print N sample pages instead of writing the file")
    args = ap.parse_args(list(argv) if argv is not None else None)
    corpus: Path = args.corpus
    l2r_path = corpus / "l2r.jsonl.gz"
    if not l2r_path.exists():
        print(f"{l2r_path} not found: run python corpus/build.py first", file=sys.stderr)
        return 2
    manifest_path = corpus / "MANIFEST.json"
    manifest = json.loads(manifest_path.read_text("utf-8")) if manifest_path.exists() else {}
    seed = int(manifest.get("build", {}).get("seed", 20240817))
    rows, report = build_synthetic(list(read_jsonl_gz(l2r_path)), seed=seed)
    if args.show:
        for r in rows[: args.show]:
            print(f"===== {r['id']} label={r['label']} format={r['format']} parts={r['parts']}")
            print(r.get("text") or r.get("html"))
        return 0
    digest, size = write_jsonl_gz(corpus / "synthetic.jsonl.gz", rows)
    if manifest:
        manifest["files"]["synthetic.jsonl.gz"] = file_entry(digest, size, rows)
        manifest["synthetic"] = report
        manifest_path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", "utf-8")
    print(f"synthetic.jsonl.gz: {len(rows)} rows, {size / 1e6:.2f} MB, sha256 {digest[:16]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
