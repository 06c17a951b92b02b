"""The library path with the shipped model: statuses, verdict contents, reasons, model loading."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

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


def _copy_with_arrays(tmp_path: Path, edit: Any) -> Path:
    """A copy of the shipped model whose arrays ``edit`` (a function of the name -> array dict) changed."""
    import numpy as np

    copy = tmp_path / "m"
    shutil.copytree(default_model_dir(), copy)
    with np.load(copy / "arrays.npz", allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    edit(arrays)
    np.savez_compressed(copy / "arrays.npz", **arrays)
    return copy


@pytest.mark.parametrize("damage", ["cut", "drop"])
def test_a_language_model_table_cut_or_missing_refuses_to_load(tmp_path: Path, damage: str) -> None:
    def edit(arrays: dict[str, Any]) -> None:
        if damage == "cut":
            arrays["lm_machine_followers_2"] = arrays["lm_machine_followers_2"][:-1]
        else:
            del arrays["lm_human_keys_4"]

    with pytest.raises(ModelLoadError, match="differ in length" if damage == "cut" else "incomplete"):
        Detector.load(_copy_with_arrays(tmp_path, edit))


def test_the_shipped_basis_is_on_the_style_values_and_its_contributions_add_up() -> None:
    import numpy as np

    from detector.model import PageModel

    model = PageModel.load(default_model_dir())
    assert model.basis is not None
    with_knots = {n for n, c in zip(model.feature_names, model.basis.counts, strict=True) if c}
    assert with_knots and all(n.startswith("style.") for n in with_knots)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(5, len(model.feature_names)))
    np.testing.assert_allclose(model.contributions(X).sum(axis=1) + model.intercept, model.decision(X))


@pytest.mark.parametrize("name", ["basis_counts", "basis_knots"])
def test_a_basis_that_does_not_fit_the_weights_refuses_to_load(tmp_path: Path, name: str) -> None:
    def edit(arrays: dict[str, Any]) -> None:
        arrays[name] = arrays[name][:-1]

    with pytest.raises(ModelLoadError, match="does not fit together"):
        Detector.load(_copy_with_arrays(tmp_path, edit))


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


# --------------------------------------------------------------------------------------------------- charsets

_META_CHARSET = re.compile(rb"<meta[^>]*charset[^>]*>", re.IGNORECASE)
_RUSSIAN = (
    "Лукаш Подольски стал третьим по количеству матчей за сборную Германии, и болельщики в Кёльне "
    "встретили его аплодисментами после финального свистка."
)


def _russian_page(head: str = "") -> str:
    # 6 KB of ASCII markup before and after the text: charset_normalizer, which trafilatura asks, reads only a
    # page's first and last 5 KB, so it cannot guess the charset of this page
    css = "<style>" + ".nav a { color: #333; } " * 250 + "</style>"
    footer = "<footer>" + '<a href="/x">Link</a> ' * 300 + "</footer>"
    paragraphs = "".join(f"<p>{_RUSSIAN} {i}</p>" for i in range(12))
    body = f"<body><article>{paragraphs}</article>{footer}</body>"
    return f"<html><head>{head}{css}<title>Новости</title></head>{body}</html>"


def test_the_http_charset_decodes_a_page_without_a_meta_charset(detector: Detector) -> None:
    # a real French page (accents, ’ « ») re-encoded to windows-1252, its <meta> charset removed, the charset
    # only in the HTTP header as a WARC record gives it; browsers read iso-8859-1 as windows-1252
    src = page_bytes("te_regards").decode("utf-8").encode("cp1252", "ignore").decode("cp1252")
    assert "’" in src  # 0x92 in windows-1252: a control character to a Latin-1 decoder
    body = _META_CHARSET.sub(b"", src.encode("cp1252"))
    ref = detector.clean(Page(id="ref", html=src))
    assert not isinstance(ref, tuple)
    for label in ("iso-8859-1", "windows-1252", '"latin1"'):
        doc = detector.clean(Page(id="h", html=body, content_type=f"text/html; charset={label}"))
        assert not isinstance(doc, tuple) and doc.text == ref.text, label
    cyrillic = detector.clean(
        Page(id="ru", html=_russian_page().encode("cp1251"), content_type="text/html; charset=windows-1251")
    )
    assert not isinstance(cyrillic, tuple) and _RUSSIAN in cyrillic.text


def test_a_meta_charset_after_kilobytes_of_script_is_read(detector: Detector) -> None:
    # the prescan steps over script contents (a "<meta" in a script's string is none) and comments
    script = "<script>var s = '<meta charset=\"utf-8\">'; /*" + "x" * 9000 + "*/</script>"
    comment = '<!-- <meta charset="koi8-r"> -->'
    for meta in (
        '<meta charset="windows-1251">',
        '<meta http-equiv="Content-Type" content="text/html; charset=cp1251">',
    ):
        doc = detector.clean(Page(id="ru", html=_russian_page(script + comment + meta).encode("cp1251")))
        assert not isinstance(doc, tuple) and _RUSSIAN in doc.text, meta
    # the HTTP charset comes before the <meta> (WHATWG order), a BOM before both
    page = _russian_page('<meta charset="iso-8859-5">')
    doc = detector.clean(Page(id="h", html=page.encode("cp1251"), content_type="text/html; charset=windows-1251"))
    assert not isinstance(doc, tuple) and _RUSSIAN in doc.text
    for codec in ("utf-8-sig", "utf-16"):  # Python writes a BOM for both
        v = detector.score(page.encode(codec))
        doc = detector.clean(Page(id="bom", html=page.encode(codec), content_type="text/html; charset=iso-8859-1"))
        assert v.status == "ok" and not isinstance(doc, tuple) and _RUSSIAN in doc.text, codec


# --------------------------------------------------------------------------------------------------- binary

_PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00\x00\x1f\xf3\xffa"
_PDF = (
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n4 0 obj\n<< /Length 900 >>\nstream\nBT /F1 12 Tf "
    + b" ".join(b"(Quarterly report line %d with several words of text) Tj T*" % i for i in range(40))
    + b" ET\nendstream\nendobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
)


def test_binary_content_is_not_html_whatever_path_it_comes_by(detector: Detector) -> None:
    png = _PNG + bytes(range(256)) * 8
    controls = bytes(range(1, 9)) * 300 + b" some words " * 50  # no NUL, no magic number
    for data, what in ((png, "PNG"), (_PDF, "PDF"), (controls, "control")):
        pages = (
            data,  # score(bytes): the format sniffed
            Page(id="f", html=data),  # a .html file holding it
            Page(id="w", html=data, content_type="text/html; charset=utf-8"),  # a WARC record that says HTML
            Page(id="s", text=data.decode("utf-8", "replace")),  # standard input, decoded as text
        )
        for page in pages:
            v = detector.score(page)
            assert v.status == "not_html" and what in v.reason, (what, page, v)


def test_text_in_any_language_or_charset_is_not_binary(detector: Detector) -> None:
    # a Russian page decoded in the wrong charset is all U+FFFD, but has no control characters: text
    garbled = _russian_page().encode("cp1251").decode("utf-8", "replace")
    assert garbled.count("\ufffd") > 1000
    assert detector.score(Page(id="g", html=garbled)).status == "ok"
    texts = [seed_text(p) for p in ("000", "001", "002", "004")]
    texts += [page_bytes(name).decode("utf-8") for name in ("te_nhk", "te_regards", "aeb_042b")]
    for text in texts:
        assert detector.score(text).status == "ok"
        assert detector.score(text.encode("utf-16")).status == "ok"


# --------------------------------------------------------------------------------------------------- odd inputs


@pytest.mark.parametrize("content", [None, 42, ["<p>a</p>"]])
def test_score_of_something_that_is_no_page_raises_a_clear_type_error(detector: Detector, content: object) -> None:
    with pytest.raises(TypeError, match=r"str .*bytes .*Page, not " + type(content).__name__):
        detector.score(content)  # type: ignore[arg-type]


def test_a_bad_item_in_score_many_is_an_error_verdict_and_the_stream_goes_on(detector: Detector) -> None:
    seed = seed_text("004")
    items: list[object] = [
        seed,
        None,
        42,
        {"id": None, "text": seed},  # no id: the item's position, as for a dict without one
        {"id": "b", "text": seed.encode("utf-8")},  # bytes: read as UTF-8
        {"id": "h", "html": 42},
        seed,
    ]
    out = list(detector.score_many(items, batch_size=2))  # type: ignore[arg-type]
    assert [v.id for v in out] == ["0", "1", "2", "3", "b", "h", "6"]
    assert [v.status for v in out] == ["ok", "error", "error", "ok", "ok", "error", "ok"]
    assert "item 1 " in out[1].reason and "NoneType" in out[1].reason and "Page" in out[1].reason
    assert "item 2 " in out[2].reason and "int" in out[2].reason
    assert "html" in out[5].reason and "int" in out[5].reason
    assert out[4].probability == out[0].probability


# --------------------------------------------------------------------------------------------------- nesting


def test_a_document_nested_too_deeply_to_parse_is_an_error(detector: Detector) -> None:
    deep = "<div>" * 5000 + "text " * 100 + "</div>" * 5000
    for page in (deep, f"<html><body>{deep}</body></html>", f"<html><body>{deep}</body></html>".encode()):
        v = detector.score(page)
        assert v.status == "error" and "nested too deeply" in v.reason, v
    shallow = "<html><body>" + "<div>" * 200 + "<p>" + "Some words of a sentence. " * 20 + "</p>" + "</div>" * 200
    assert detector.score(shallow + "</body></html>").status == "ok"


def test_a_lone_surrogate_in_a_str_page_is_replaced_not_fatal(detector: Detector) -> None:
    # json.loads turns a "\ud800" escape into a lone surrogate, which UTF-8 cannot encode
    text = seed_text("004").replace("\n", " \ud800 ", 3)
    for v in (detector.score(text, format="text"), detector.score(f"<html><body><p>{text}</p></body></html>")):
        assert v.status == "ok", v.reason


@pytest.mark.parametrize(
    "setting",
    [
        {"threshold": "0.5"},
        {"threshold": 2.0},
        {"threshold": float("nan")},
        {"max_bytes": "10000000"},
        {"max_bytes": -1},
        {"min_words": None},
        {"min_reason": "0.25"},
        {"fast": "no"},
        {"top_reasons": True},
    ],
)
def test_a_bad_setting_is_refused_at_load_not_on_every_page(setting: dict[str, object]) -> None:
    from detector.errors import ConfigError

    with pytest.raises(ConfigError, match=next(iter(setting))):
        Detector.load(**setting)


def test_good_settings_load() -> None:
    import numpy as np

    d = Detector.load(threshold=1, max_bytes=np.int64(1000), min_words=0, min_reason=0, fast=False)
    assert d.threshold == 1 and d.config.max_bytes == 1000
