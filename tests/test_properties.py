"""Property tests: scoring never raises on arbitrary input and probabilities stay in [0, 1]."""

from __future__ import annotations

import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from detector import Detector

DETECTOR = Detector.load()
HTML_BITS = st.sampled_from(
    [
        "<html>",
        "<body>",
        "<p>",
        "</p>",
        "<h2>",
        "</h2>",
        "<ul><li>",
        "</li></ul>",
        "<table><tr><td>",
        "<a href='#x'>",
        "<script type='application/ld+json'>{",
        "Table of Contents",
        "- 1. ",
        "?",
        "\n",
        "Keywords for SEO:",
        "&amp;",
        "<meta charset='koi8-r'>",
        "\x00",
        "Pro Tip:",
        "본문",
        "中文",
        " ",
    ]
)
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _check(v: object) -> None:
    from detector.types import Verdict

    assert isinstance(v, Verdict)
    if v.status == "ok":
        assert v.probability is not None and 0.0 <= v.probability <= 1.0
        assert all(math.isfinite(x) for x in v.signals.values())
    else:
        assert v.probability is None and v.reason


@SETTINGS
@given(st.text(max_size=3000))
def test_score_never_raises_on_any_text(text: str) -> None:
    _check(DETECTOR.score(text))
    _check(DETECTOR.score(text, format="text"))
    _check(DETECTOR.score(text, format="html"))


@SETTINGS
@given(st.binary(max_size=3000))
def test_score_never_raises_on_any_bytes(data: bytes) -> None:
    _check(DETECTOR.score(data))
    _check(DETECTOR.score(data, format="html"))


@SETTINGS
@given(st.lists(st.one_of(HTML_BITS, st.text(max_size=40)), max_size=200).map("".join))
def test_score_never_raises_on_html_like_soup(soup: str) -> None:
    _check(DETECTOR.score(soup, format="html"))
    _check(DETECTOR.score(soup.encode("utf-8", "surrogatepass"), format="html"))


@given(st.floats(min_value=0.0, max_value=1.0))
def test_reported_probability_keeps_six_digits_of_its_distance_from_0_and_1(p: float) -> None:
    from detector.types import report_probability

    r = report_probability(p)
    assert 0.0 <= r <= 1.0
    for end in (0.0, 1.0):  # relative error under 1e-5 of the distance from either end
        assert abs(r - p) <= 1e-5 * abs(p - end) + 1e-16
    if 0.0 < p < 1.0:
        assert 0.0 < r < 1.0  # finite odds
