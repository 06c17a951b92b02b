"""Table of contents, keyword blocks, FAQ padding, callouts and engagement bait: positive cuts from the
seeds, negatives from genuine pages, edge cases."""

from __future__ import annotations

import math

import pytest

from detector.clean import clean_text
from detector.signals import callouts, engagement, faq, seo_keywords, toc
from detector.types import Cleaned

from .conftest import seed_text

TEMPLATE_SIGNALS = (toc.SIGNAL, seo_keywords.SIGNAL, faq.SIGNAL, callouts.SIGNAL, engagement.SIGNAL)


def _cut(seed: str, start: str, end: str | None = None) -> str:
    """The lines of a seed from the one starting with ``start`` up to (not including) ``end``."""
    text = seed_text(seed)
    i = text.index(start)
    j = text.index(end, i) if end else len(text)
    return text[i:j]


def test_all_keys_present_and_finite_everywhere(seeds: dict[str, Cleaned], genuine_pages: dict[str, Cleaned]) -> None:
    for doc in [*seeds.values(), *genuine_pages.values(), clean_text(""), clean_text("x")]:
        for signal in TEMPLATE_SIGNALS:
            values = signal(doc).values
            assert set(values) == set(signal.keys)
            assert all(math.isfinite(v) and 0.0 <= v <= 5.0 for v in values.values()), (signal.name, values)


# -- table of contents --------------------------------------------------------------------------------


def test_toc_seed_contents_list_repeats_headings_and_title(seeds: dict[str, Cleaned]) -> None:
    for name in ("000", "001", "002"):
        r = toc.SIGNAL(seeds[name])
        assert r.values["has_toc"] == 1.0
        assert r.values["heading_match_share"] > 0.9
        assert r.values["first_is_title"] == 1.0
        assert "contents list" in r.summary
        ev = r.evidence[0]
        assert seeds[name].text[ev.start : ev.end].startswith("- 1.")


def test_toc_cut_without_label_still_found() -> None:
    # The seed with its "Table of Contents" label line cut out: the numbered list alone still repeats
    # the headings that follow it.
    text = seed_text("000").replace("Table of Contents\n", "", 1)
    r = toc.SIGNAL(clean_text(text))
    assert r.values["has_toc"] == 1.0
    assert r.values["has_label"] == 0.0
    assert r.values["first_is_title"] == 1.0


def test_toc_not_on_genuine_news(seeds: dict[str, Cleaned], genuine_pages: dict[str, Cleaned]) -> None:
    assert toc.SIGNAL(seeds["004"]).values["has_toc"] == 0.0
    for name, doc in genuine_pages.items():
        if name.startswith("aeb_"):
            assert toc.SIGNAL(doc).values["has_toc"] == 0.0, name


def test_toc_genuine_wiki_contents_is_found_but_not_title_repeat(genuine_pages: dict[str, Cleaned]) -> None:
    # A real wiki's contents list (hard negative): found, but it does not list the page title.
    r = toc.SIGNAL(genuine_pages["te_rueda"])
    assert r.values["has_toc"] == 1.0
    assert r.values["first_is_title"] == 0.0
    assert r.values["has_label"] == 0.0


def test_toc_from_dom_anchor_links() -> None:
    from trafilatura.utils import load_html

    from detector.clean import clean_tree

    sections = [
        "Why Solar Panels Matter",
        "How Much Do They Cost",
        "Installation Steps Explained",
        "Final Thoughts",
    ]
    para = (
        "<p>" + "Solar panels turn sunlight into electricity for homes and businesses across the country. " * 4 + "</p>"
    )
    html = (
        "<html><head><title>Solar Panels Guide</title></head><body><article><h1>Solar Panels Guide</h1>"
        '<div id="ez-toc-container"><p class="ez-toc-title">Table of Contents</p><ul>'
        + "".join(f'<li><a href="#s{i}">{s}</a></li>' for i, s in enumerate(sections))
        + "</ul></div>"
        + "".join(f'<h2><span class="ez-toc-section" id="s{i}"></span>{s}</h2>{para}' for i, s in enumerate(sections))
        + "</article></body></html>"
    )
    r = toc.SIGNAL(clean_tree(load_html(html)))
    assert r.values["has_toc"] == 1.0
    assert r.values["plugin"] == 1.0
    assert r.values["heading_match_share"] == 1.0


def test_toc_two_bullets_are_not_a_toc() -> None:
    doc = clean_text("Title Here\n- one thing\n- another thing\nA paragraph that follows the short list here.")
    assert toc.SIGNAL(doc).values["has_toc"] == 0.0


# -- keyword blocks -----------------------------------------------------------------------------------


def test_seo_keyword_block_in_seed(seeds: dict[str, Cleaned]) -> None:
    r = seo_keywords.SIGNAL(seeds["000"])
    assert r.values["has_seo_block"] == 1.0
    assert r.values["terms_in_body"] > 0.5
    assert "keyword block of 20 terms" in r.summary


def test_seo_keyword_block_cut_and_variants() -> None:
    cut = _cut("000", "Keywords for SEO:")
    assert seo_keywords.SIGNAL(clean_text("Some article text here.\n" + cut)).values["has_seo_block"] == 1.0
    inline = "An article.\nSEO Keywords: solar panels, home energy, green power, rooftop solar, energy bills"
    assert seo_keywords.SIGNAL(clean_text(inline)).values["has_seo_block"] == 1.0


def test_tag_line_is_not_seo_block_and_short_tags_ignored() -> None:
    r = seo_keywords.SIGNAL(clean_text("A genuine post.\nTags: travel, italy, food, summer"))
    assert r.values["has_seo_block"] == 0.0 and r.values["has_tag_block"] == 1.0
    assert seo_keywords.SIGNAL(clean_text("A genuine post.\nTags: travel")).values["has_tag_block"] == 0.0


def test_seo_keywords_genuine(seeds: dict[str, Cleaned], genuine_pages: dict[str, Cleaned]) -> None:
    for doc in [seeds["004"], *genuine_pages.values()]:
        assert seo_keywords.SIGNAL(doc).values["has_seo_block"] == 0.0


def test_emphasis_stuffing_in_seed(seeds: dict[str, Cleaned]) -> None:
    r = seo_keywords.SIGNAL(seeds["002"])
    assert r.values["emphasis_repeat"] > 0.2
    assert "first call" in r.summary


# -- FAQ padding --------------------------------------------------------------------------------------


def test_faq_restating_answers(seeds: dict[str, Cleaned]) -> None:
    r = faq.SIGNAL(seeds["001"])
    assert r.values["has_faq"] == 1.0
    assert r.values["restated_share"] >= 0.5
    assert r.values["empty_faq"] == 0.0


def test_faq_empty_heading(seeds: dict[str, Cleaned]) -> None:
    r = faq.SIGNAL(seeds["002"])
    assert r.values["empty_faq"] == 1.0
    assert "no questions" in r.summary


def test_faq_with_new_information_is_not_restatement() -> None:
    text = (
        "Acme Kettle 2000\n"
        "The Acme Kettle boils water quickly and quietly, and its handle stays cool.\n"
        "Frequently Asked Questions\n"
        "- Is the kettle dishwasher safe? No, wipe the steel body with a damp cloth and descale monthly with vinegar.\n"
        "- What voltage does it need? It ships in 230 V and 120 V versions sold in different regions.\n"
        "- Does it include a warranty? Every unit carries a two-year manufacturer guarantee covering defects.\n"
    )
    r = faq.SIGNAL(clean_text(text))
    assert r.values["has_faq"] == 1.0
    assert r.values["restated_share"] == 0.0


def test_faq_absent_on_genuine(seeds: dict[str, Cleaned], genuine_pages: dict[str, Cleaned]) -> None:
    for doc in [seeds["004"], *genuine_pages.values()]:
        assert faq.SIGNAL(doc).values["has_faq"] == 0.0


def test_faq_from_jsonld() -> None:
    from trafilatura.utils import load_html

    from detector.clean import clean_tree

    html = (
        '<html><head><script type="application/ld+json">{"@context":"https://schema.org","@type":"FAQPage",'
        '"mainEntity":[{"@type":"Question","name":"What is solar power?","acceptedAnswer":{"@type":"Answer",'
        '"text":"Solar power turns sunlight into electricity for homes."}}]}</script></head><body><article>'
        "<p>" + "Solar power turns sunlight into electricity for homes and offices in many places. " * 5 + "</p>"
        "</article></body></html>"
    )
    r = faq.SIGNAL(clean_tree(load_html(html)))
    assert r.values["jsonld"] == 1.0
    assert r.values["has_faq"] == 1.0
    assert r.values["restated_share"] == 1.0


# -- callouts -----------------------------------------------------------------------------------------


def test_callouts_in_seeds(seeds: dict[str, Cleaned]) -> None:
    r = callouts.SIGNAL(seeds["001"])
    assert r.values["strong"] >= 0.4
    assert "Did You Know" in r.summary and "Pro Tip" in r.summary
    cut = _cut("002", "pro Tip:", "Frequently Asked")
    assert callouts.SIGNAL(clean_text(cut)).values["strong"] > 0


def test_callouts_absent_on_genuine(seeds: dict[str, Cleaned], genuine_pages: dict[str, Cleaned]) -> None:
    for doc in [seeds["004"], *genuine_pages.values()]:
        assert callouts.SIGNAL(doc).values["strong"] == 0.0


def test_callout_words_inside_sentences_do_not_count() -> None:
    doc = clean_text(
        "Did you know the answer? He asked, but nobody did.\nShe gave a pro tip about ropes to the climbers."
    )
    assert callouts.SIGNAL(doc).values["strong"] == 0.0


# -- engagement bait ----------------------------------------------------------------------------------


def test_comment_bait_in_seeds(seeds: dict[str, Cleaned]) -> None:
    for name in ("001", "002"):
        r = engagement.SIGNAL(seeds[name])
        assert r.values["comment_bait"] > 0
        assert r.values["bait_before_end"] == 1.0  # a second article follows the bait
    cut = _cut("001", "What are your thoughts", "Ishiba and Lee Meet")
    assert engagement.SIGNAL(clean_text(cut)).values["comment_bait"] > 0


def test_site_chrome_is_not_bait(seeds: dict[str, Cleaned], genuine_pages: dict[str, Cleaned]) -> None:
    r = engagement.SIGNAL(seeds["004"])  # "Join us on social!"
    assert r.values["comment_bait"] == 0.0 and r.values["share_bait"] == 0.0
    assert r.values["share_chrome"] > 0.0
    assert r.summary == ""  # chrome is reported as a value, never as a reason
    for doc in genuine_pages.values():
        assert engagement.SIGNAL(doc).values["comment_bait"] == 0.0
        assert engagement.SIGNAL(doc).values["share_bait"] == 0.0


@pytest.mark.parametrize(
    "line",
    [
        "Don't forget to share this article with your friends!",
        "If you found this helpful, please share it with others.",
        "Found this article useful? Share it on social media!",
        "Like and share if you agree!",
    ],
)
def test_share_bait_asks_readers_to_pass_the_article_on(line: str) -> None:
    r = engagement.SIGNAL(clean_text(f"A Headline For The Page\n{line}\nThe article goes on after this line."))
    assert r.values["share_bait"] > 0 and r.values["share_chrome"] == 0.0
    assert "share the article" in r.summary


@pytest.mark.parametrize(
    "line",
    [
        "Follow us on Twitter",
        "Subscribe to our newsletter",
        "The company will share its results with investors on Monday.",
        "Share this:",
    ],
)
def test_follow_lines_and_reporting_are_not_share_bait(line: str) -> None:
    r = engagement.SIGNAL(clean_text(f"A Headline For The Page\n{line}\nThe article goes on after this line."))
    assert r.values["share_bait"] == 0.0


def test_comment_word_alone_is_not_bait() -> None:
    doc = clean_text("The minister declined to comment on the report.\nOfficials did not respond to comments.")
    assert engagement.SIGNAL(doc).values["comment_bait"] == 0.0
