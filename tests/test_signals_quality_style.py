"""Web-text quality rules (Gopher, C4, FineWeb) and machine-writing style: positives on the LLM-spun seeds
and on constructed pages, negatives on genuine pages, edge cases (empty, one word, German, CJK)."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from detector.clean import clean_text
from detector.signals import quality, style
from detector.signals.base import Signal
from detector.types import Cleaned, SignalResult

FARM = ("000", "001", "002")
ENGLISH_GENUINE = ("aeb_042bb7b5feda", "aeb_04a6711caa7c", "aeb_05844573ca7e", "aeb_06e5123e4ef7")

# Value ranges per key: everything is a share in 0..1 unless listed here.
QUALITY_RANGES = {
    "gopher_mean_word_len": (0.0, quality.MAX_MEAN_WORD_LEN),
    "gopher_fail": (0.0, 21.0),
    "c4_fail": (0.0, 3.0),
    "fineweb_fail": (0.0, 4.0),
}
STYLE_RANGES = {
    "sent_len_mean": (0.0, style.MAX_SENT_LEN),
    "sent_len_cv": (0.0, 10.0),
    **{k: (0.0, style.MAX_RATE) for k in style.KEYS if k.endswith("_rate")},
}
CJK = (
    "人工智能正在改变我们的生活方式。今天的天气很好，我们去公园散步了。这是一个测试页面，没有英文。\n"
    "오늘은 날씨가 좋습니다. 우리는 공원에 갔습니다. 이 페이지는 한국어로 작성되었습니다."
)


def _check(signal: Signal, doc: Cleaned, ranges: dict[str, tuple[float, float]]) -> SignalResult:
    """Run a signal and assert its values are all there, finite and in range, and its evidence points
    into the text."""
    result = signal(doc)
    assert set(result.values) == set(signal.keys)
    for key, value in result.values.items():
        lo, hi = ranges.get(key, (0.0, 1.0))
        assert isinstance(value, float), key
        assert math.isfinite(value) and lo <= value <= hi, (signal.name, key, value)
    assert len(result.evidence) <= 5
    for ev in result.evidence:
        assert 0 <= ev.start < ev.end <= len(doc.text)
        assert doc.text[ev.start : ev.end] == ev.text, (signal.name, ev)
    return result


def _q(doc: Cleaned) -> SignalResult:
    return _check(quality.SIGNAL, doc, QUALITY_RANGES)


def _s(doc: Cleaned) -> SignalResult:
    return _check(style.SIGNAL, doc, STYLE_RANGES)


# -- all pages ----------------------------------------------------------------------------------------


def test_every_fixture_and_edge_case_in_range(seeds: dict[str, Cleaned], genuine_pages: dict[str, Cleaned]) -> None:
    docs = [*seeds.values(), *genuine_pages.values()]
    docs += [clean_text(t) for t in ("", "   \n  ", "word", "Hello.", CJK, "1234 5678", "#" * 50, "... " * 40)]
    for doc in docs:
        _q(doc)
        _s(doc)


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=600))
def test_any_text_in_range(text: str) -> None:
    doc = clean_text(text)
    _q(doc)
    _s(doc)


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.sampled_from(["the cat", "sat on", "the mat.", "Moreover,", "\n", "- item", "…", "{x}"]),
        max_size=80,
    )
)
def test_repetitive_text_in_range(parts: list[str]) -> None:
    doc = clean_text(" ".join(parts))
    _q(doc)
    _s(doc)


def test_empty_and_one_word() -> None:
    for text in ("", "word"):
        doc = clean_text(text)
        s = _s(doc)
        assert s.summary == "" and s.evidence == ()
        q = _q(doc)
        assert q.values["gopher_word_count_ok"] == 0.0
        assert q.values["gopher_fail"] >= 1.0  # too short, no stop words
    assert _s(clean_text("")).values == dict.fromkeys(style.KEYS, 0.0) | style.UNMEASURED


def test_one_sentence_has_no_burstiness_to_measure() -> None:
    # One sentence: its length variation is unknown, not 0 (the most uniform, most machine-like value).
    one = _s(clean_text("The committee met on Tuesday to discuss the harbour budget for next year.")).values
    assert one["sent_len_cv"] == style.UNMEASURED["sent_len_cv"]
    assert one["sent_len_mean"] == 13.0
    # From two sentences on it is measured: two of equal length vary by 0.
    two = _s(clean_text("The committee met on Tuesday. The budget was then approved.")).values
    assert two["sent_len_cv"] == 0.0 and two["sent_len_mean"] == 5.0


# -- quality ------------------------------------------------------------------------------------------


def test_quality_genuine_articles_pass_every_rule(genuine_pages: dict[str, Cleaned]) -> None:
    for name in ENGLISH_GENUINE:
        r = _q(genuine_pages[name])
        assert r.values["gopher_fail"] == 0.0, (name, r.summary)
        assert r.values["c4_fail"] == 0.0, (name, r.summary)
        assert r.values["fineweb_fail"] == 0.0, (name, r.summary)
        assert r.values["gopher_word_count_ok"] == 1.0
        assert r.values["gopher_dup_line_frac"] == 0.0
        assert r.values["gopher_bullet_line_frac"] == 0.0


def test_quality_seed_layout_is_list_heavy_and_repetitive(
    seeds: dict[str, Cleaned], genuine_pages: dict[str, Cleaned]
) -> None:
    farm = [_q(seeds[s]).values for s in FARM]
    genuine = [_q(genuine_pages[g]).values for g in ENGLISH_GENUINE]

    def mean(rows: list[dict[str, float]], key: str) -> float:
        return sum(r[key] for r in rows) / len(rows)

    # The farm template: a numbered contents list that repeats the headings, then bullets and tables.
    assert all(v["gopher_bullet_line_frac"] > 0.1 for v in farm)
    assert mean(farm, "gopher_dup5gram_frac") > mean(genuine, "gopher_dup5gram_frac")
    assert mean(farm, "gopher_dup10gram_frac") > mean(genuine, "gopher_dup10gram_frac")
    assert mean(farm, "c4_terminal_punct_frac") < mean(genuine, "c4_terminal_punct_frac")
    assert mean(farm, "fineweb_line_punct_frac") < mean(genuine, "fineweb_line_punct_frac")


def test_quality_repeated_lines_on_a_real_wiki_page(genuine_pages: dict[str, Cleaned]) -> None:
    # A German dance-figure wiki page: list items without punctuation, some repeated verbatim.
    doc = genuine_pages["te_rueda"]
    r = _q(doc)
    assert r.values["gopher_dup_line_frac"] > 0.05
    assert r.values["gopher_dup5gram_frac"] > 0.1
    assert r.values["c4_terminal_punct_frac"] < 0.1
    assert r.values["fineweb_fail"] >= 1.0
    assert "terminal punctuation" in r.summary
    notes = {e.note for e in r.evidence}
    assert "duplicate line" in notes
    dup = next(e for e in r.evidence if e.note == "duplicate line")
    assert doc.text.count(dup.text) >= 2


def test_quality_boilerplate_page_fails_rules() -> None:
    lines = [
        "Lorem ipsum dolor sit amet, consectetur adipiscing elit.",
        "This site uses cookies. Read our privacy policy.",
        "Please enable JavaScript to view the comments.",
        "var x = {a: 1}; return x.",
        "Subscribe",
        "Subscribe",
        "Share",
        "Share",
        "Read more...",
        "Read more...",
    ]
    doc = clean_text("\n".join(lines * 3))
    r = _q(doc)
    v = r.values
    assert v["c4_lorem_ipsum"] == 1.0
    assert v["c4_curly_brace"] == 1.0
    assert v["c4_javascript_line_frac"] > 0.0 and v["c4_policy_line_frac"] > 0.0
    assert v["c4_fail"] >= 2.0
    assert v["gopher_dup_line_frac"] > 0.3 and v["gopher_dup_para_frac"] > 0.3
    assert v["fineweb_dup_line_char_frac"] > quality.FINEWEB_MAX_DUP_LINE_CHARS
    assert v["gopher_top2gram_frac"] > 0.0 and v["gopher_dup10gram_frac"] > 0.5
    assert v["gopher_fail"] >= 4.0 and v["fineweb_fail"] >= 2.0
    assert "Gopher" in r.summary and "C4" in r.summary and "FineWeb" in r.summary
    assert {"lorem ipsum", "javascript line", "cookie/policy line"} <= {e.note for e in r.evidence}


def test_quality_symbol_rules() -> None:
    hashes = clean_text(" ".join(f"#tag{i} word" for i in range(60)))
    assert _q(hashes).values["gopher_hash_ratio"] > quality.GOPHER_MAX_SYMBOL_WORD_RATIO
    dots = clean_text("\n".join(f"and then the story goes on line {i}..." for i in range(20)))
    v = _q(dots).values
    assert v["gopher_ellipsis_line_frac"] == 1.0 and v["gopher_ellipsis_ratio"] > 0.1
    numbers = clean_text(" ".join(str(i) for i in range(100)))
    assert _q(numbers).values["gopher_alpha_word_frac"] == 0.0


def test_quality_ngram_values_do_not_depend_on_word_case_or_length() -> None:
    # The same repeated passage at two lengths: n-gram shares are shares, not counts.
    passage = "The committee met on Tuesday and agreed to review the budget before the end of the month. "
    short = _q(clean_text(passage * 4)).values
    long = _q(clean_text(passage * 40)).values
    assert 0.5 < short["gopher_dup10gram_frac"] < long["gopher_dup10gram_frac"] <= 1.0
    assert abs(short["gopher_top2gram_frac"] - long["gopher_top2gram_frac"]) < 0.05


def test_quality_non_english_fails_only_the_english_rule(genuine_pages: dict[str, Cleaned]) -> None:
    r = _q(genuine_pages["te_regards"])  # French investigative journalism
    assert r.values["gopher_stopword_frac"] == 0.0
    assert r.values["gopher_fail"] == 1.0 and "stop words" in r.summary
    assert r.values["fineweb_fail"] == 0.0


# -- style --------------------------------------------------------------------------------------------


def test_style_seeds_use_model_vocabulary(seeds: dict[str, Cleaned], genuine_pages: dict[str, Cleaned]) -> None:
    genuine = [_s(seeds["004"]).values] + [_s(genuine_pages[g]).values for g in ENGLISH_GENUINE]
    top_genuine = max(v["llm_word_rate"] for v in genuine)
    for name in FARM:
        doc = seeds[name]
        r = _s(doc)
        assert r.values["llm_word_rate"] > 5.0
        assert r.values["llm_word_rate"] > 3 * top_genuine
        assert "vocabulary chat models favour" in r.summary
        assert r.evidence and all(e.note for e in r.evidence)
        quoted = r.evidence[0].text.lower().replace("’", "'")
        assert f'"{quoted}"' in r.summary.lower()
    assert sum(_s(seeds[n]).values["llm_phrase_rate"] for n in FARM) > 0.0
    assert all(v["llm_phrase_rate"] == 0.0 for v in genuine)


def test_style_genuine_news_is_plain(seeds: dict[str, Cleaned], genuine_pages: dict[str, Cleaned]) -> None:
    for doc in [seeds["004"], *(genuine_pages[g] for g in ENGLISH_GENUINE)]:
        v = _s(doc).values
        assert v["llm_word_rate"] < 2.0
        assert v["transition_share"] < 0.1
        assert 0.3 < v["english_share"] < 0.6
        assert 0.6 < v["mattr"] < 0.95
        assert 0.3 < v["compression_ratio"] < 0.8


def test_style_participles_transitions_and_phrases() -> None:
    text = (
        "The city opened a new library on Monday, highlighting the importance of public reading spaces. "
        "Additionally, the mayor announced longer opening hours, ensuring that students can study late. "
        "Furthermore, it's important to note that the project plays a crucial role in the district. "
        "Moreover, the building showcases a vibrant tapestry of local art, fostering community pride. "
        "In conclusion, the library is a testament to the city's commitment to education."
    )
    doc = clean_text(text)
    r = _s(doc)
    v = r.values
    assert v["participle_share"] >= 0.6
    assert v["transition_share"] >= 0.6
    assert v["llm_phrase_rate"] >= 20.0  # four phrases in 76 words, per 1,000 (floored at 100) words
    assert v["llm_word_rate"] >= 40.0
    assert "participial clause" in {e.note for e in r.evidence}
    assert "connective" in r.summary and "<verb>ing" in r.summary


def test_style_human_register() -> None:
    text = (
        "I can't believe it's already March! My sister and I went to the market (the old one) and I bought "
        "way too many apples; we'll bake pies tonight. Don't tell my mom — she'd laugh. \"Again?\" she'd say."
    )
    v = _s(clean_text(text)).values
    assert v["first_person_rate"] > 30.0 and v["contraction_rate"] > 30.0
    assert v["exclamation_rate"] > 0 and v["semicolon_rate"] > 0 and v["paren_rate"] > 0
    assert v["dash_rate"] > 0 and v["quote_rate"] > 0
    assert v["llm_word_rate"] == 0.0 and v["llm_phrase_rate"] == 0.0


def test_style_summary_counts_the_sentences_of_a_short_text() -> None:
    """On a text of few sentences the summary gives counts: "100% of sentences" would overstate one sentence."""
    one = "Aguinis and Glavas reviewed the literature, covering 700 sources from many fields of study."
    r = _s(clean_text(one))
    assert r.values["participle_share"] == 1.0
    assert r.summary.endswith(": 1 in 1 sentence")
    six = " ".join([one] * 3 + ["The rest of the report was plain and short."] * 3)
    assert _s(clean_text(six)).summary.endswith(": 50% of sentences")


def test_style_burstiness_and_mattr_are_length_robust() -> None:
    uniform = " ".join(f"Sentence number {w} has exactly six words." for w in ("one", "two", "three", "four") * 10)
    varied = " ".join(
        ("Short one. " if i % 3 else "This sentence is a good deal longer than the others around it is. ")
        for i in range(40)
    )
    u, b = _s(clean_text(uniform)).values, _s(clean_text(varied)).values
    assert u["sent_len_cv"] < 0.05 < 0.5 < b["sent_len_cv"]
    assert abs(u["sent_len_mean"] - 7.0) < 0.01
    # MATTR of a text and of the same text four times over stay close; raw type-token ratio would not.
    para = (
        "The harbour was quiet that morning, gulls circling over crates of fish while two old men argued "
        "about the price of diesel and a boy mended nets on the slipway, whistling a song nobody knew. "
    )
    once, many = _s(clean_text(para * 2)).values["mattr"], _s(clean_text(para * 8)).values["mattr"]
    assert abs(once - many) < 0.15


def test_style_ignores_headings_and_table_rows() -> None:
    body = "A plain sentence about the weather in town today."
    base = _s(clean_text(body)).values
    decorated = _s(clean_text(f"Crucial Pivotal Landscape\n| delve | tapestry |\n{body}")).values
    assert decorated == base


def test_style_degrades_on_other_languages(genuine_pages: dict[str, Cleaned]) -> None:
    for doc in [
        genuine_pages["te_archiv"],
        genuine_pages["te_regards"],
        genuine_pages["te_rueda"],
        clean_text(CJK),
    ]:
        v = _s(doc).values
        assert v["english_share"] < 0.1
        for key in (
            "llm_word_rate",
            "llm_phrase_rate",
            "first_person_rate",
            "contraction_rate",
            "transition_share",
        ):
            assert v[key] == 0.0, (key, v[key])


def test_style_evidence_maps_list_items_back_to_the_page() -> None:
    doc = clean_text("Intro paragraph about something ordinary.\n- 1. We delve into the data\n- A pivotal item")
    r = _s(doc)
    ev = next(e for e in r.evidence if e.text.lower() == "delve")
    assert doc.text[ev.start : ev.end] == "delve"
    assert doc.text[ev.start - 3 : ev.start] == "We "


def test_style_single_stray_word_is_not_reported() -> None:
    r = _s(clean_text("The report was comprehensive and covered the year in detail."))
    assert r.values["llm_word_rate"] > 0.0
    assert r.summary == "" and r.evidence == ()
