"""Cleaning: trafilatura's main text on the tree we parse once, and the structure read before it."""

from __future__ import annotations

import copy
import gzip

import pytest
from lxml import etree
from trafilatura import bare_extraction
from trafilatura.utils import load_html

from detector.clean import (
    FAQ_MARKERS,
    TOC_MARKERS,
    TRAFILATURA_SETTINGS,
    _mentions_marker,
    clean_text,
    clean_tree,
    extract_main,
    read_structure,
)

from .conftest import PAGES, page_bytes

FIXTURE_PAGES = sorted(p.name for p in PAGES.glob("*.html.gz"))


@pytest.mark.parametrize("name", FIXTURE_PAGES)
def test_extract_main_matches_bare_extraction(name: str) -> None:
    """The extraction run on our own tree gives exactly what trafilatura's public API gives."""
    raw = gzip.decompress((PAGES / name).read_bytes())
    public = bare_extraction(load_html(raw), fast=True, **TRAFILATURA_SETTINGS)
    ours = extract_main(load_html(raw), fast=True)
    assert public is not None and ours is not None
    assert etree.tostring(ours, encoding="unicode") == etree.tostring(public.body, encoding="unicode")


def test_structure_is_read_before_cleaning_drops_it() -> None:
    """Navigation, a TOC widget, FAQ schema and meta tags are gone from the main text but kept as structure."""
    html = b"""<html lang="en"><head><title>Best Kettles 2025 | Example</title>
    <meta name="keywords" content="kettle, best kettle, electric kettle">
    <meta name="author" content="Jane Doe">
    <script type="application/ld+json">{"@context": "https://schema.org", "@type": "FAQPage", "mainEntity": [
      {"@type": "Question", "name": "Is it safe?", "acceptedAnswer": {"@type": "Answer", "text": "Yes, it is."}}]}
    </script></head><body>
    <nav><ul><li><a href="/">Home</a></li><li><a href="/about">About</a></li></ul></nav>
    <div id="ez-toc-container" class="ez-toc-v2_0"><p class="ez-toc-title">Table of Contents</p><ul>
      <li><a href="#why">Why a kettle</a></li><li><a href="#how">How we tested</a></li>
      <li><a href="#faq">FAQ</a></li></ul></div>
    <article><h1>Best Kettles 2025</h1><h2 id="why">Why a kettle</h2>
    <p>A kettle boils water faster than a pan on most stoves, and it switches itself off when done.</p>
    <h2 id="how">How we tested</h2><p>We boiled one litre of tap water in each kettle ten times in a row.</p>
    <h3 id="faq">FAQ</h3><p>Questions readers asked us about the kettles in this test, with short answers.</p>
    </article></body></html>"""
    tree = load_html(html)
    st = read_structure(tree, html)
    assert st.title == "Best Kettles 2025 | Example"
    assert st.lang == "en"
    assert [(h.level, h.text) for h in st.headings] == [
        (1, "Best Kettles 2025"),
        (2, "Why a kettle"),
        (2, "How we tested"),
        (3, "FAQ"),
    ]
    assert [a.target for a in st.anchor_links] == ["why", "how", "faq"]
    assert "ez-toc-container" in st.toc_markers
    assert st.meta_keywords == ["kettle", "best kettle", "electric kettle"]
    assert st.byline == "Jane Doe"
    assert "FAQPage" in st.jsonld_types
    assert [(qa.question, qa.answer) for qa in st.faq] == [("Is it safe?", "Yes, it is.")]
    assert st.n_lists == 2 and st.n_list_items == 5 and st.n_links == 5

    doc = clean_tree(load_html(html), raw_hint=html)
    assert "Home" not in doc.text.split("\n")
    assert "We boiled one litre" in doc.text


def test_rank_math_faq_plugin_pairs() -> None:
    html = b"""<html><body><article><h1>Title</h1><p>Some text of the article body that runs on.</p>
    <div id="rank-math-faq" class="rank-math-block"><div class="rank-math-list">
      <div class="rank-math-list-item"><h3 class="rank-math-question">What is it?</h3>
        <div class="rank-math-answer"><p>It is a kettle.</p></div></div>
      <div class="rank-math-list-item"><h3 class="rank-math-question">Does it whistle?</h3>
        <div class="rank-math-answer"><p>No, it clicks off.</p></div></div>
    </div></div></article></body></html>"""
    st = read_structure(load_html(html), html)
    assert "rank-math-faq" in st.faq_markers
    assert [(qa.question, qa.answer) for qa in st.faq] == [
        ("What is it?", "It is a kettle."),
        ("Does it whistle?", "No, it clicks off."),
    ]


@pytest.mark.parametrize("marker", TOC_MARKERS + FAQ_MARKERS)
def test_marker_probe_sees_every_plugin(marker: str) -> None:
    source = f'<div class="x {marker}">'
    assert _mentions_marker(source) and _mentions_marker(source.encode())


def test_marker_probe_skips_ordinary_words() -> None:
    assert not _mentions_marker(b"<p>Stock prices and network protocols: a faqir's tale.</p>")


@pytest.mark.parametrize("name", FIXTURE_PAGES)
def test_source_hint_never_changes_the_structure(name: str) -> None:
    """The hint only skips a search that would find nothing: the structure is the same without it."""
    html = page_bytes(name)
    tree = load_html(html)
    assert read_structure(copy.deepcopy(tree), html) == read_structure(tree)


def test_text_input_reads_headings_and_lists_from_lines() -> None:
    doc = clean_text("A Title Of The Page\nTable of Contents\n- 1. First part\n- 2. Second part\nBody text here.")
    kinds = [b.kind for b in doc.blocks]
    assert kinds == ["heading", "heading", "list_item", "list_item", "paragraph"]
    assert doc.structure.title == "A Title Of The Page"
    assert doc.source_format == "text"
    for b in doc.blocks:
        assert doc.text[b.start : b.end] == b.text
