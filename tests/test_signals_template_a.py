"""Prompt leaks, stitched articles, typographic slips and chatbot artifacts: positive cuts from the seeds,
negatives from genuine pages, hard negatives and edge cases."""

from __future__ import annotations

import math

import pytest

from detector.clean import clean_text
from detector.signals import artifacts, prompt_leak, stitched, typography
from detector.signals.base import Signal
from detector.types import Cleaned

from .conftest import seed_text

SIGNALS: tuple[Signal, ...] = (prompt_leak.SIGNAL, stitched.SIGNAL, typography.SIGNAL, artifacts.SIGNAL)

CHINESE = (
    "北京市政府周二宣布，将在明年扩大公共交通网络。新线路连接机场和市中心，预计每天运送十万名乘客。\n"
    "官员表示，这项计划的费用约为三百亿元？专家认为这是必要的投资。\n"
    "市民对此反应积极，许多人希望通勤时间能够缩短。"
)
KOREAN = (
    "이재명 대통령은 23일 일본을 방문해 이시바 시게루 총리와 정상회담을 가졌다.\n"
    "양국 정상은 셔틀 외교를 복원하기로 합의했다. 무엇이 논의되었는가?\n"
    "대통령실은 이번 방문이 한일 관계 개선의 계기가 될 것이라고 밝혔다."
)
EDGE_TEXTS = {
    "empty": "",
    "blank": "  \n \n\t",
    "one word": "x",
    "one question": "What?",
    "chinese": CHINESE,
    "korean": KOREAN,
}


def _cut(seed: str, start: str, end: str | None = None) -> str:
    """The lines of a seed from the line starting with ``start`` up to (not including) the line ``end``."""
    text = "\n" + seed_text(seed)
    i = text.index("\n" + start) + 1
    j = text.index("\n" + end, i) + 1 if end else len(text)
    return text[i:j]


# -- all signals ----------------------------------------------------------------------------------------


def test_all_keys_present_finite_and_evidence_in_text(
    seeds: dict[str, Cleaned], genuine_pages: dict[str, Cleaned]
) -> None:
    docs = [*seeds.values(), *genuine_pages.values(), *(clean_text(t) for t in EDGE_TEXTS.values())]
    for doc in docs:
        for signal in SIGNALS:
            result = signal(doc)
            assert set(result.values) == set(signal.keys)
            assert all(isinstance(v, float) and math.isfinite(v) for v in result.values.values())
            assert all(0.0 <= v <= typography.RATE_CAP for v in result.values.values()), (signal.name, result)
            assert len(result.evidence) <= 5
            assert bool(result.summary) == bool(result.evidence), (signal.name, result.summary)
            for ev in result.evidence:
                assert 0 <= ev.start < ev.end <= len(doc.text)
                assert doc.text[ev.start : ev.end].strip().startswith(ev.text[:40].strip()), (signal.name, ev)


@pytest.mark.parametrize("name", sorted(EDGE_TEXTS))
def test_edge_texts_stay_quiet(name: str) -> None:
    doc = clean_text(EDGE_TEXTS[name])
    assert prompt_leak.SIGNAL(doc).values["n_unanswered"] == 0.0
    assert stitched.SIGNAL(doc).values["n_restarts"] == 0.0
    assert all(v == 0.0 for v in typography.SIGNAL(doc).values.values())
    assert artifacts.SIGNAL(doc).values["total"] == 0.0


def test_pathological_inputs_stay_in_range() -> None:
    # Long runs of the characters the patterns key on: a pattern that backtracks on them would hang here
    # (speed itself is measured by `make bench`, not asserted).
    texts = [
        "a," * 20000,
        "*" * 20000 + " word",
        "[" * 5000 + "your",
        ("Word " * 3000).strip() + "?",
        "A. " * 5000,
        "\n".join(["Some Long Headline Case Heading Here For Testing"] * 2000),
    ]
    for text in texts:
        doc = clean_text(text)
        for signal in SIGNALS:
            values = signal(doc).values
            assert all(math.isfinite(v) and v >= 0 for v in values.values()), signal.name


# -- prompt_leak ----------------------------------------------------------------------------------------


def test_prompt_leak_seed_question_heading_followed_by_another_title(seeds: dict[str, Cleaned]) -> None:
    for name, words in (
        ("000", "What specific confidence-building measures"),
        ("002", "How does the selection"),
    ):
        r = prompt_leak.SIGNAL(seeds[name])
        assert r.values["n_unanswered"] > 0
        assert r.values["followed_by_heading"] > 0
        assert r.values["unanswered_share"] == 1.0
        assert r.values["max_question_words"] >= 0.4  # 16+ words
        assert words in r.summary and "followed directly by another heading" in r.summary
        ev = r.evidence[0]
        assert seeds[name].text[ev.start : ev.end].startswith(words)


def test_prompt_leak_seed_question_only_in_contents_is_analytical(seeds: dict[str, Cleaned]) -> None:
    # Seed 001 lists "What specific intelligence ..., and how might ...?" in its contents only.
    r = prompt_leak.SIGNAL(seeds["001"])
    assert r.values["analytical"] > 0
    assert r.values["n_unanswered"] == 0.0
    assert "What specific intelligence" in r.summary


def test_prompt_leak_short_excerpt() -> None:
    doc = clean_text(_cut("002", "The Path Forward", "The Strategic Importance of the First Call"))
    r = prompt_leak.SIGNAL(doc)
    assert r.values["n_unanswered"] > 0
    assert "Japan PM’s First Call" in r.summary


def test_prompt_leak_question_followed_by_unrelated_text() -> None:
    # The seed 002 question with a paragraph of seed 000 under it: shares none of its words.
    question = _cut("002", "How does the selection", "Japan PM’s First Call")
    body = _cut("000", "Understanding the history of North Korean diplomacy", "Six-Party Talks")
    doc = clean_text("Japan and Korea\n" + question + body + _cut("000", "Recent Standoff", "Potential Benefits"))
    r = prompt_leak.SIGNAL(doc)
    assert r.values["n_unanswered"] > 0
    assert r.values["followed_by_heading"] == 0.0
    assert "not answered by the text under it" in r.summary


def test_prompt_leak_answered_faq_is_not_a_leak() -> None:
    # Hard negative: a genuine-style FAQ whose long question headings are answered right below them.
    text = (
        "Home Composting Guide\n"
        "How long does it take for kitchen scraps to turn into usable compost at home?\n"
        "Kitchen scraps usually turn into usable compost in two to six months at home, depending on how "
        "often the pile is turned, its moisture, and the balance of green and brown material.\n"
        "What materials should never be added to a backyard compost bin or pile?\n"
        "Never add meat, dairy, oily food or pet waste to a backyard compost bin: they attract pests and can "
        "carry pathogens that a home pile does not get hot enough to kill.\n"
        "Can compost be made in a small apartment without a garden or balcony?\n"
        "Compost can be made in a small apartment with a worm bin or a bokashi bucket; both fit under a sink "
        "and do not smell when kept closed.\n"
    )
    r = prompt_leak.SIGNAL(clean_text(text))
    assert r.values["n_question_headings"] > 0
    assert r.values["n_unanswered"] == 0.0
    assert r.summary == ""


def test_prompt_leak_interview_questions_to_the_reader_are_not_counted() -> None:
    text = (
        "Interview with the Architect\n"
        "What would you be doing today if you had not become an architect?\n"
        "Probably teaching mathematics somewhere in the north, which is what my mother always wanted.\n"
    )
    assert prompt_leak.SIGNAL(clean_text(text)).values["n_unanswered"] == 0.0


def test_prompt_leak_quiet_on_genuine_pages(seeds: dict[str, Cleaned], genuine_pages: dict[str, Cleaned]) -> None:
    for doc in [seeds["004"], *genuine_pages.values()]:
        r = prompt_leak.SIGNAL(doc)
        assert r.values["n_unanswered"] == 0.0 and r.values["analytical"] == 0.0


def test_prompt_leak_german_answered_question() -> None:
    text = (
        "Ratgeber Kompost\n"
        "Wie lange dauert es, bis Küchenabfälle im eigenen Garten zu Kompost werden?\n"
        "Küchenabfälle werden im Garten nach zwei bis sechs Monaten zu Kompost, je nachdem, wie oft man "
        "den Haufen umsetzt.\n"
    )
    assert prompt_leak.SIGNAL(clean_text(text)).values["n_unanswered"] == 0.0


# -- stitched -------------------------------------------------------------------------------------------


def test_stitched_seeds_second_title_found(seeds: dict[str, Cleaned]) -> None:
    second_titles = {
        "000": "North Korea’s President Lee’s japan Visit",
        "001": "Ishiba and Lee Meet in Tokyo",
        "002": "Japan PM’s First Call",
    }
    for name, title in second_titles.items():
        r = stitched.SIGNAL(seeds[name])
        assert r.values["n_restarts"] > 0, name
        assert r.values["n_title_headings"] > 0
        assert title in r.summary
        ev = r.evidence[0]
        assert seeds[name].text[ev.start : ev.end].startswith(title)


def test_stitched_short_excerpt() -> None:
    r = stitched.SIGNAL(clean_text(_cut("002", "Potential G7 Summit Meeting")))
    assert r.values["n_restarts"] > 0
    assert "Japan PM’s First Call" in r.summary


def test_stitched_two_datelines() -> None:
    # The first article of seed 000 and the first article of seed 001 pasted one after the other.
    first = _cut("000", "TOKYO, JAPAN", "What specific confidence-building")
    second = _cut("001", "Tokyo,Japan – August 23,2025", "Did You Know?")
    r = stitched.SIGNAL(clean_text("President Lee Embarks on Key Diplomatic Push\n" + first + second))
    assert r.values["n_datelines"] >= 2 / 3
    assert "dateline openings" in r.summary


def test_stitched_unrelated_second_article_breaks_vocabulary(
    seeds: dict[str, Cleaned], genuine_pages: dict[str, Cleaned]
) -> None:
    # A Korea-Japan farm article with a genuine article on U.S. elections pasted after its comment bait.
    first = _cut("000", "TOKYO, JAPAN", "What specific confidence-building")
    second = genuine_pages["aeb_04a6711caa7c"].text
    text = (
        "President Lee Embarks on Key Diplomatic Push\n" + first + "Share your thoughts in the comments below!\n"
        "Voters Head to the Polls Again as Statewide Races Draw Record Turnout\n" + second
    )
    r = stitched.SIGNAL(clean_text(text))
    assert r.values["n_restarts"] > 0
    same_story = stitched.SIGNAL(seeds["000"]).values["topic_shift"]
    assert r.values["topic_shift"] > same_story + 0.2


def test_stitched_quiet_on_genuine_pages(seeds: dict[str, Cleaned], genuine_pages: dict[str, Cleaned]) -> None:
    # Seed 004 repeats its own title as an image caption and has a subtitle deck: not a second article.
    # te_rueda (a wiki with 16 sections) and te_regards (a long French investigation) are long pages.
    for doc in [seeds["004"], *genuine_pages.values()]:
        r = stitched.SIGNAL(doc)
        assert r.values["n_restarts"] == 0.0
        assert r.values["n_datelines"] <= 1 / 3
        assert r.summary == ""


# -- typography -----------------------------------------------------------------------------------------


def test_typography_seeds_missing_spaces_and_case_slips(seeds: dict[str, Cleaned]) -> None:
    for name in ("000", "001", "002"):
        v = typography.SIGNAL(seeds[name]).values
        assert v["comma_space_rate"] > 1.0, name
        assert v["missing_space_rate"] > 1.0, name
        assert v["name_case_flip_rate"] > 0, name
    r = typography.SIGNAL(seeds["001"])
    assert '"Saturday,signaling"' in r.summary
    assert r.values["lowercase_heading_share"] > 0  # "political Shifts and Historical Sensitivities"
    assert r.values["bad_apostrophe_rate"] > 0  # "South Korea‘s Leader"
    assert (
        "North korea" in typography.SIGNAL(seeds["000"]).summary
        or "north Korea" in typography.SIGNAL(seeds["000"]).summary
    )


def test_typography_short_excerpt() -> None:
    doc = clean_text(_cut("002", "First Steps Toward Rapprochement", "Focus On Practical diplomacy"))
    r = typography.SIGNAL(doc)
    assert r.values["comma_space_rate"] > 0
    spans = {doc.text[e.start : e.end] for e in r.evidence}
    assert "Ishiba,lasting" in spans


def test_typography_exclusions_are_not_slips() -> None:
    text = (
        "Prices rose 3.5 percent, U.S. officials said on Tuesday, citing figures from rt.com and bbc.co.uk.\n"
        "The meeting starts at 5:00 p.m. and about 50,000 people, e.g. teachers, are expected to attend.\n"
        "Write to press@example.com or see https://example.com/a,b?x=1 for the Node.js and ASP.NET samples.\n"
        "She is a Ph.D. student at the University of Tokyo, and her iPhone app, macOS tools and eBay shop "
        "sell well.\n"
        "Our fellow citizens voted, and the coordinates x,y were logged by the team in the field notes.\n"
    )
    v = typography.SIGNAL(clean_text(text)).values
    assert v["missing_space_rate"] == 0.0
    assert v["comma_space_rate"] == 0.0
    assert v["lowercase_sentence_start_rate"] == 0.0
    assert v["name_case_flip_rate"] == 0.0


def test_typography_all_lowercase_style_is_not_a_slip() -> None:
    text = "\n".join(["we went to the lake on sunday and it rained for the whole afternoon, which was fine by us."] * 6)
    assert typography.SIGNAL(clean_text(text)).values["lowercase_sentence_start_rate"] == 0.0


def test_typography_quiet_on_genuine_english(seeds: dict[str, Cleaned], genuine_pages: dict[str, Cleaned]) -> None:
    for doc in [seeds["004"], *(d for n, d in genuine_pages.items() if n.startswith("aeb_"))]:
        v = typography.SIGNAL(doc).values
        assert v["missing_space_rate"] == 0.0
        assert v["comma_space_rate"] == 0.0
        assert v["name_case_flip_rate"] == 0.0
        assert v["lowercase_heading_share"] == 0.0


def test_typography_non_latin_scripts_score_zero() -> None:
    for text in (CHINESE, KOREAN, "東京、大阪。名古屋！京都？札幌,仙台.福岡"):
        assert all(v == 0.0 for v in typography.SIGNAL(clean_text(text)).values.values())


def test_typography_german_polite_pronoun_is_not_a_name_flip() -> None:
    text = (
        "Wir danken Ihnen für Ihre Anfrage. Wir prüfen Ihre Unterlagen und melden uns bei Ihre Bank. "
        "Die Mutter sagte, dass ihre Tochter und Ihre Bank schon informiert seien, und ihre Tochter lachte.\n"
    ) * 3
    assert typography.SIGNAL(clean_text(text)).values["name_case_flip_rate"] == 0.0


# -- artifacts ------------------------------------------------------------------------------------------

CHATBOT_TEXT = (
    "Sure! Here is a rewritten version of the article:\n"
    "Title: City Council Approves New Budget\n"
    "Meta description: The council voted seven to two on Tuesday to approve the budget.\n"
    "I. Introduction\n"
    "The council met on **Tuesday** to vote on the spending plan for the coming year.\n"
    "II. Background\n"
    "As of my last update in 2023, the budget stood at [insert figure].\n"
    "In conclusion, the vote matters for every household in the city.\n"
    "For comments contact [Your Name] at [Email].\n"
    "I hope this helps! Let me know if you need any changes."
)


def test_artifacts_chatbot_leftovers_each_kind() -> None:
    r = artifacts.SIGNAL(clean_text(CHATBOT_TEXT))
    for kind in artifacts.KINDS:
        assert r.values[kind] > 0, kind
    assert r.values["total"] == 1.0
    assert "Sure! Here is a rewritten version" in r.summary


def test_artifacts_seed_markdown_emphasis(seeds: dict[str, Cleaned]) -> None:
    r = artifacts.SIGNAL(seeds["002"])
    assert r.values["markdown"] > 0  # "*first call*", "*Japan-US alliance*"
    assert "markdown" in r.summary
    excerpt = artifacts.SIGNAL(clean_text(_cut("002", "The Strategic Importance", "Key Objectives")))
    assert excerpt.values["markdown"] > 0


def test_artifacts_quiet_on_genuine_pages(seeds: dict[str, Cleaned], genuine_pages: dict[str, Cleaned]) -> None:
    for doc in [seeds["000"], seeds["001"], seeds["004"], *genuine_pages.values()]:
        assert artifacts.SIGNAL(doc).values["total"] == 0.0


def test_artifacts_hard_negatives() -> None:
    text = (
        "Of course, the council could still change its mind before the final vote next month.\n"
        "Contact the press office at [email protected] or read the report [source] online.\n"
        "I. M. Pei designed the building, which opened in 1989 after years of debate.\n"
        "I. Das Berufungsgericht hat angenommen, der Kläger könne die Unterlassung verlangen, weil die Frist "
        "abgelaufen war.\n"
        "Note: the museum is closed on Mondays.\n"
        "Overall, visitors liked the new wing, and the cafe was busy all day.\n"
        "______________________________\n"
        "*lol* that was the best part of the tour.\n"
        "Open the account under your parents' names until you are 18. I hope this helps. Good luck!\n"
    )
    assert artifacts.SIGNAL(clean_text(text)).values["total"] == 0.0
