"""The library path with the shipped model: statuses, verdict contents, reasons, model loading."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from detector import Detector, ModelLoadError, Page
from detector.features import FEATURE_NAMES
from detector.model import default_model_dir
from detector.textutil import count_words

from .conftest import page_bytes, seed_text


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector.load()


def test_seed_farm_pages_score_high_with_template_reasons(detector: Detector) -> None:
    for name in ("000", "001", "002"):
        v = detector.score(seed_text(name), id=name)
        assert v.status == "ok" and v.label == "farm", (name, v.probability)
        assert v.probability is not None and v.probability >= 0.9
        signals = {r.signal.split("_v")[0] for r in v.reasons}
        assert signals & {
            "toc",
            "seo_keywords",
            "faq",
            "callouts",
            "engagement",
            "prompt_leak",
            "stitched",
        }, v.reasons
        assert all(r.text for r in v.reasons)


def test_seed_genuine_page_scores_low(detector: Detector) -> None:
    v = detector.score(seed_text("004"), id="004")
    assert v.status == "ok" and v.label == "genuine"
    assert v.probability is not None and v.probability <= 0.1


def test_genuine_html_pages_are_genuine(detector: Detector) -> None:
    # te_laweekly opens with 5 KB of inline CSS before its first other tag: HTML all the same
    for name in ("aeb_042b", "aeb_04a6", "aeb_0584", "aeb_06e5", "te_archiv", "te_regards", "te_laweekly"):
        v = detector.score(page_bytes(name), url=f"https://example.org/{name}")
        assert v.status == "ok", v.reason
        assert v.label == "genuine", (name, v.probability, [r.text for r in v.reasons])


def test_a_page_that_opens_with_kilobytes_of_css_is_html(detector: Detector) -> None:
    # trafilatura's evaluation page: 5 KB of inline <style> before any other tag; gold snippets from its
    # tests/evaldata.json ("with" must be in the main text, "without" must not)
    raw = page_bytes("te_laweekly")
    assert b"<div" not in raw[:4096].lower()
    for page in (Page(id="la", html=raw), Page(id="la", html=raw.decode("utf-8"))):
        doc = detector.clean(page)
        assert not isinstance(doc, tuple), doc
        assert doc.source_format == "html"
        assert "I try to position plants as storytellers" in doc.text
        assert "Subscribe To Our Newsletter" not in doc.text
    v = detector.score(raw)  # the format sniffed, as for any bytes given to score(): HTML, not text
    assert v.status == "ok" and v.label == "genuine", v
    assert v.probability == detector.score(Page(id="la", html=raw)).probability


def test_a_japanese_article_has_enough_words(detector: Detector) -> None:
    # NHK News Web Easy (trafilatura's evaluation data): 370 characters of Japanese, 4 tokens between spaces
    v = detector.score(Page(id="nhk", html=page_bytes("te_nhk")))
    assert v.status == "ok" and v.label == "genuine", v
    assert count_words("子どもへの虐待") == 7 and count_words("Tokyo 東京 news") == 4
    assert count_words("한국어 문장입니다") == 2  # Korean puts spaces between words
    assert count_words("Plain English, with punctuation.") == 4


def test_verdict_carries_every_signal_and_the_model_version(detector: Detector) -> None:
    v = detector.score(seed_text("001"))
    assert set(FEATURE_NAMES) <= set(v.signals)
    assert v.model_version == detector.model.version
    row = v.to_dict()
    json.dumps(row)  # serialisable as is
    assert {"id", "url", "status", "probability", "label", "reasons", "signals"} <= set(row)
    ev = [e for r in v.reasons for e in r.evidence if e.where == "text"]
    assert ev, "reasons should point at text spans"


def test_evidence_spans_index_the_cleaned_text(detector: Detector) -> None:
    doc = detector.clean(Page(id="x", text=seed_text("000")))
    assert not isinstance(doc, tuple)
    for result in detector.signals(doc).values():
        for e in result.evidence:
            if e.where == "text":
                assert doc.text[e.start : e.end][:50] == e.text[:50]


NAV_ONLY = (
    b"<html><head><title>Home</title><script>var x = 1;</script></head><body><nav><ul>"
    b'<li><a href="/">Home</a></li><li><a href="/about">About</a></li></ul></nav>'
    b"<footer><p>\xc2\xa9 2025 Example</p></footer></body></html>"
)


@pytest.mark.parametrize(
    ("page", "status"),
    [
        (Page(id="e", html=b""), "empty"),
        (Page(id="e2", text="   \n  "), "empty"),
        (Page(id="n", html=b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200)), "not_html"),
        (Page(id="c", html=b"<html><body><p>hi</p></body></html>", content_type="image/jpeg"), "not_html"),
        (Page(id="nav", html=NAV_ONLY), "empty"),  # trafilatura keeps "Home About": 2 words
        (Page(id="stub", text="Coming soon."), "empty"),
        (Page(id="r", error="line 3 is not valid JSON"), "error"),
        (Page(id="none"), "empty"),
    ],
)
def test_broken_pages_become_statuses(detector: Detector, page: Page, status: str) -> None:
    v = detector.score(page)
    assert v.status == status, v
    assert v.reason
    assert v.probability is None and v.label is None


def test_too_large() -> None:
    small = Detector.load(max_bytes=1000)
    v = small.score(b"<html><body>" + b"<p>word </p>" * 500 + b"</body></html>")
    assert v.status == "too_large" and "max_bytes" in v.reason


def test_charsets_declared_and_undeclared(detector: Detector) -> None:
    text = "Überraschung in München: die Bürger äußern sich zur neuen Straßenbahn. " * 20
    for charset in ("utf-8", "iso-8859-1", "cp1252"):
        html = f'<html><head><meta charset="{charset}"></head><body><article><p>{text}</p></article></body></html>'
        v = detector.score(html.encode(charset))
        assert v.status == "ok"
    undeclared = f"<html><body><article><p>{text}</p></article></body></html>".encode("iso-8859-1")
    assert detector.score(undeclared).status == "ok"


def test_score_many_streams_one_verdict_per_page_in_order(detector: Detector) -> None:
    pages = [Page(id=str(i), text=seed_text("004")) for i in range(5)] + [Page(id="bad", error="broken")]
    out = list(detector.score_many(iter(pages), batch_size=2))
    assert [v.id for v in out] == [p.id for p in pages]
    assert out[-1].status == "error"


def test_score_many_accepts_dicts_and_strings(detector: Detector) -> None:
    out = list(detector.score_many([{"id": "a", "text": seed_text("004")}, seed_text("000")]))
    assert [v.id for v in out] == ["a", "1"]


def test_model_for_another_feature_set_refuses_to_load(tmp_path: Path) -> None:
    copy = tmp_path / "m"
    shutil.copytree(default_model_dir(), copy)
    params = json.loads((copy / "model.json").read_text())
    params["feature_set"] = "fs-000000000000"
    (copy / "model.json").write_text(json.dumps(params))
    with pytest.raises(ModelLoadError, match="feature set"):
        Detector.load(copy)


def test_missing_model_says_how_to_get_one(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="make train"):
        Detector.load(tmp_path / "nowhere")


def test_model_files_hold_no_pickle() -> None:
    import numpy as np

    with np.load(default_model_dir() / "arrays.npz", allow_pickle=False) as npz:
        assert all(npz[k].dtype != object for k in npz.files)


def test_the_shipped_models_version_names_its_parameters(tmp_path: Path) -> None:
    """The version ends in the fingerprint of the fitted parameters; it survives saving, a change does not."""
    from detector.model import PageModel

    model = PageModel.load(default_model_dir())
    assert model.version.endswith("-" + model.fingerprint()[:8])
    model.save(tmp_path / "m")
    again = PageModel.load(tmp_path / "m")
    assert again.fingerprint() == model.fingerprint()
    again.calib_slope += 1e-9
    assert again.fingerprint() != model.fingerprint()
