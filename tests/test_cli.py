"""The command line on a folder of mixed real inputs: one output row per input record, clear errors."""

from __future__ import annotations

import gzip
import io
import json
import os
from pathlib import Path

import pandas as pd
import pytest

from detector.cli import main
from detector.model import FORMAT_VERSION

from .conftest import page_bytes, seed_text


def _write_warc(path: Path, pages: list[tuple[str, bytes, str]]) -> None:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with open(path, "wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "tests"}))
        for url, body, ctype in pages:
            headers = StatusAndHeaders("200 OK", [("Content-Type", ctype)], protocol="HTTP/1.1")
            writer.write_record(
                writer.create_warc_record(url, "request", payload=io.BytesIO(b"GET / HTTP/1.1\r\n\r\n"))
            )
            writer.write_record(
                writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=headers)
            )


@pytest.fixture()
def mixed_inputs(tmp_path: Path) -> Path:
    """A folder with HTML, gzipped HTML, text, JSONL (with a broken line) and a WARC: 11 records."""
    root = tmp_path / "crawl"
    (root / "sub").mkdir(parents=True)
    (root / "a.html").write_bytes(page_bytes("aeb_042b"))
    (root / "sub" / "b.html.gz").write_bytes(gzip.compress(page_bytes("te_archiv")))
    (root / "farm.txt").write_text(seed_text("000"), encoding="utf-8")
    records = [
        {"id": "j1", "url": "https://example.org/1", "text": seed_text("001")},
        {
            "id": "j2",
            "url": "https://example.org/2",
            "html": page_bytes("aeb_0584").decode("utf-8", "replace"),
        },
        {"url": "https://example.org/3", "text": ""},
    ]
    lines = [json.dumps(r) for r in records] + ["{not json"]
    (root / "records.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    _write_warc(
        root / "crawl.warc.gz",
        [
            ("https://example.org/w1", page_bytes("aeb_06e5"), "text/html; charset=utf-8"),
            ("https://example.org/w2", page_bytes("te_regards"), "text/html"),
            ("https://example.org/w3.png", b"\x89PNG\r\n\x1a\n" + bytes(100), "image/png"),
            ("https://example.org/w4", seed_text("002").encode(), "text/plain"),
        ],
    )
    (root / "notes.csv").write_text("not an input,skipped\n")  # unsupported files in folders are skipped
    return root


def test_score_folder_one_row_per_record(
    mixed_inputs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = mixed_inputs
    expected = 3 + 4 + 4  # three page files, four JSONL lines, four WARC responses
    out = tmp_path / "out.jsonl"
    assert main(["score", str(root), "-o", str(out), "--no-progress"]) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == expected
    assert len({r["id"] for r in rows}) == expected
    for r in rows:
        assert {"id", "url", "status", "probability", "label", "reasons"} <= set(r)
    by_id = {r["id"]: r for r in rows}
    assert by_id["j1"]["label"] == "farm"
    assert any(r["status"] == "error" for r in rows)  # the broken JSON line
    assert any(r["status"] == "not_html" for r in rows)  # the PNG response
    assert any(r["status"] == "empty" for r in rows)  # the empty text record
    summary = capsys.readouterr().err
    assert f"{expected} records" in summary and "status:" in summary


@pytest.mark.parametrize("ext", ["csv", "parquet"])
def test_score_tabular_outputs(mixed_inputs: Path, tmp_path: Path, ext: str) -> None:
    root = mixed_inputs
    out = tmp_path / f"out.{ext}"
    assert main(["score", str(root), "-o", str(out), "--no-progress"]) == 0
    df = pd.read_csv(out) if ext == "csv" else pd.read_parquet(out)
    assert len(df) == 11
    assert {"id", "url", "status", "probability", "label", "reasons"} <= set(df.columns)


def test_workers_give_the_same_rows_in_the_same_order(mixed_inputs: Path, tmp_path: Path) -> None:
    root = mixed_inputs
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    assert main(["score", str(root), "-o", str(one), "--no-progress"]) == 0
    assert main(["score", str(root), "-o", str(two), "--workers", "2", "--no-progress"]) == 0
    a = [json.loads(x) for x in one.read_text().splitlines()]
    b = [json.loads(x) for x in two.read_text().splitlines()]
    assert [(r["id"], r["status"], r["probability"]) for r in a] == [
        (r["id"], r["status"], r["probability"]) for r in b
    ]


def test_missing_input_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["score", str(tmp_path / "nope.html"), "-o", str(tmp_path / "o.jsonl")]) == 2
    assert "nope.html" in capsys.readouterr().err


def test_unknown_output_format_is_a_usage_error(
    mixed_inputs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = mixed_inputs
    assert main(["score", str(root), "-o", str(tmp_path / "o.xlsx")]) == 2
    assert ".jsonl" in capsys.readouterr().err


def test_bad_model_path_exits_3(mixed_inputs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = mixed_inputs
    assert main(["score", str(root), "--model", str(tmp_path / "none"), "-o", str(tmp_path / "o.jsonl")]) == 3
    assert "make train" in capsys.readouterr().err
    # A file where the folder goes says so, not that the model's files are damaged.
    assert main(["score", str(root), "--model", str(root / "farm.txt"), "-o", str(tmp_path / "o.jsonl")]) == 3
    err = capsys.readouterr().err
    assert "is a file: give the model's folder" in err and "damaged" not in err


def test_empty_input_folder_says_it_held_no_page(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "empty").mkdir()
    assert main(["score", str(tmp_path / "empty"), "-o", str(tmp_path / "o.jsonl"), "--no-progress"]) == 0
    assert "0 records: the inputs hold no page" in capsys.readouterr().err


def test_explain_prints_reasons(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    page = tmp_path / "farm.txt"
    page.write_text(seed_text("001"), encoding="utf-8")
    assert main(["explain", str(page)]) == 0
    out = capsys.readouterr().out
    assert "FARM" in out and "+ " in out


def test_the_readmes_example_is_what_make_demo_prints(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The abridged example of ``make demo`` in the README: each of its lines is a line ``detector explain``
    prints for the same samples with the shipped model, in the same order ("..." stands for the lines left out)."""
    root = Path(__file__).resolve().parents[1]
    readme = (root / "README.md").read_text(encoding="utf-8")
    example = readme.split("For example (abridged):", 1)[1].split("```", 2)[1].strip("\n").splitlines()
    shown = [line for line in example if line.strip() != "..."]
    pages = [line for line in shown if line.startswith("samples/")]
    assert len(pages) >= 2
    monkeypatch.chdir(root)
    assert main(["explain", *pages]) == 0
    printed = iter(capsys.readouterr().out.splitlines())
    for line in shown:
        assert any(out == line for out in printed), f"README example line not printed (in this order): {line!r}"


# -- near-duplicates and template families ---------------------------------------------------------------


@pytest.fixture()
def copied_pages(mixed_inputs: Path) -> Path:
    """The mixed folder plus two re-publications of a farm seed on other hosts, one of them lightly edited."""
    text = seed_text("001")
    edited = text.replace("diplomatic", "political", 2)
    copies = [
        {"id": "copy-exact", "url": "https://spinmirror.example/a", "text": text},
        {"id": "copy-edited", "url": "https://www.otherfarm.example/b", "text": edited},
    ]
    (mixed_inputs / "copies.jsonl").write_text("\n".join(json.dumps(c) for c in copies) + "\n", encoding="utf-8")
    return mixed_inputs


CROSS_COLUMNS = {"cluster_id", "cluster_size", "nearest_id", "nearest_similarity", "cluster_hosts", "family_id"}


def test_dedup_one_row_per_record_with_clusters(copied_pages: Path, tmp_path: Path) -> None:
    out = tmp_path / "dedup.jsonl"
    assert main(["dedup", str(copied_pages), "-o", str(out), "--no-progress"]) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 13  # the 11 mixed records and the 2 copies
    assert all(set(r) >= CROSS_COLUMNS and "probability" not in r for r in rows)
    by_id = {r["id"]: r for r in rows}
    cluster = {"copy-edited", "copy-exact", "j1"}  # j1 holds the seed the copies were made of
    for doc in cluster:
        assert by_id[doc]["cluster_id"] == "copy-edited" and by_id[doc]["cluster_size"] == 3  # smallest id
        assert by_id[doc]["cluster_hosts"] == 3  # example.org, spinmirror.example, otherfarm.example
    assert by_id["copy-exact"]["nearest_similarity"] == 1.0
    for r in rows:
        if r["id"] not in cluster:
            assert r["cluster_size"] == 1 and r["cluster_id"] == r["id"] and r["nearest_id"] is None


def test_dedup_ids_do_not_depend_on_the_input_order(copied_pages: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    records = copied_pages / "copies.jsonl"
    assert main(["dedup", str(records), str(copied_pages / "records.jsonl"), "-o", str(first), "--no-progress"]) == 0
    assert main(["dedup", str(copied_pages / "records.jsonl"), str(records), "-o", str(second), "--no-progress"]) == 0

    def clusters(path: Path) -> dict[str, str]:
        return {r["id"]: r["cluster_id"] for r in map(json.loads, path.read_text().splitlines()) if "id" in r}

    assert clusters(first) == clusters(second)


def test_score_with_dedup_adds_columns_sites_and_families(copied_pages: Path, tmp_path: Path) -> None:
    out, sites, families = tmp_path / "v.csv", tmp_path / "sites.csv", tmp_path / "fam.jsonl"
    args = ["score", str(copied_pages), "-o", str(out), "--dedup", "--sites", str(sites), "--families", str(families)]
    assert main([*args, "--workers", "2", "--no-progress"]) == 0
    df = pd.read_csv(out)
    assert len(df) == 13 and set(df.columns) >= CROSS_COLUMNS and "probability" in df.columns
    view = pd.read_csv(sites)
    farm = view.set_index("host").loc["spinmirror.example"]
    assert farm["pages"] == 1 and farm["farm"] == 1 and farm["pages_in_duplicate_clusters"] == 1
    assert families.exists()


def test_sites_without_dedup_is_a_usage_error(
    mixed_inputs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["score", str(mixed_inputs), "--sites", str(tmp_path / "s.csv")])
    assert exc.value.code == 2
    assert "usage: detector score" in capsys.readouterr().err  # the command's usage, not the top level's


# -- outputs that would destroy or feed on the inputs; damaged models; odd names ------------------------


def test_an_output_that_is_also_an_input_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    records = tmp_path / "same.jsonl"
    content = json.dumps({"id": "a", "text": seed_text("001")}) + "\n"
    records.write_text(content, encoding="utf-8")
    assert main(["score", str(records), "-o", str(records), "--no-progress"]) == 2
    assert "both an input and an output" in capsys.readouterr().err
    assert records.read_text(encoding="utf-8") == content  # not truncated


def test_two_outputs_on_one_file_are_refused(copied_pages: Path, tmp_path: Path) -> None:
    out = tmp_path / "v.csv"
    assert main(["score", str(copied_pages), "-o", str(out), "--dedup", "--sites", str(out)]) == 2


def test_table_names_and_similarity_are_checked_before_scoring(
    mixed_inputs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "v.csv"
    assert main(["score", str(mixed_inputs), "-o", str(out), "--dedup", "--sites", str(tmp_path / "s.xlsx")]) == 2
    assert "s.xlsx" in capsys.readouterr().err and not out.exists()  # refused before any page was scored
    with pytest.raises(SystemExit) as exc:
        main(["dedup", str(mixed_inputs), "--similarity", "1.0"])
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        main(["score", str(mixed_inputs), "--max-bytes", "-5"])
    assert exc.value.code == 2


def test_empty_site_and_family_tables_keep_their_columns(tmp_path: Path) -> None:
    from detector.crosspage import FAMILY_COLUMNS, SITE_COLUMNS

    page = tmp_path / "one.txt"
    page.write_text(seed_text("004"), encoding="utf-8")
    sites, families = tmp_path / "sites.csv", tmp_path / "fam.parquet"
    args = ["dedup", str(page), "-o", str(tmp_path / "d.jsonl"), "--sites", str(sites), "--families", str(families)]
    assert main([*args, "--no-progress"]) == 0
    assert list(pd.read_csv(sites).columns) == list(SITE_COLUMNS)
    fam = pd.read_parquet(families)
    assert len(fam) == 0 and list(fam.columns) == list(FAMILY_COLUMNS)  # no families: the usual case
    as_jsonl = tmp_path / "fam.jsonl"
    assert main([*args[:-2], "--families", str(as_jsonl), "--no-progress"]) == 0
    assert as_jsonl.read_bytes() == b""  # no rows, no lines


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_damaged_model_exits_3_before_any_output(
    mixed_inputs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], workers: str
) -> None:
    import shutil

    from detector.model import default_model_dir

    model = tmp_path / "model"
    shutil.copytree(default_model_dir(), model)
    arrays = model / "arrays.npz"
    arrays.write_bytes(arrays.read_bytes()[:1000])  # cut short
    out = tmp_path / "v.csv"
    out.write_text("earlier results\n")
    args = ["score", str(mixed_inputs), "--model", str(model), "-o", str(out), "--workers", workers]
    assert main([*args, "--no-progress"]) == 3
    assert "damaged" in capsys.readouterr().err
    assert out.read_text() == "earlier results\n"  # the earlier output is left as it was


@pytest.mark.parametrize(
    "params", [[], {"format_version": FORMAT_VERSION}, {"format_version": FORMAT_VERSION, "feature_set": 3}]
)
def test_a_malformed_model_description_is_a_model_error(tmp_path: Path, params: object) -> None:
    import shutil

    from detector.errors import ModelLoadError
    from detector.model import PageModel, default_model_dir

    model = tmp_path / "model"
    shutil.copytree(default_model_dir(), model)
    (model / "model.json").write_text(json.dumps(params), encoding="utf-8")
    with pytest.raises(ModelLoadError):
        PageModel.load(model, expected_feature_set="x")


@pytest.mark.parametrize("ext", ["jsonl", "csv", "parquet"])
def test_an_undecodable_file_name_is_written_as_an_escape(tmp_path: Path, ext: str) -> None:
    import os

    folder = tmp_path / "pages"
    folder.mkdir()
    name = os.path.join(os.fsencode(folder), b"caf\xe9.txt")  # a Latin-1 name: not UTF-8
    try:
        with open(name, "w", encoding="utf-8") as fh:
            fh.write(seed_text("004"))
    except OSError:
        pytest.skip("this file system refuses names that are not UTF-8")
    (folder / "farm.txt").write_text(seed_text("001"), encoding="utf-8")
    out = tmp_path / f"v.{ext}"
    assert main(["score", str(folder), "-o", str(out), "--dedup", "--no-progress"]) == 0
    frame = pd.read_json(out, lines=True) if ext == "jsonl" else getattr(pd, f"read_{ext}")(out)
    assert len(frame) == 2 and any(i.endswith("caf\\xe9.txt") for i in frame["id"])
    assert (frame["status"] == "ok").all()


def test_cluster_columns_tell_repeated_ids_apart(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    farm, genuine = seed_text("001"), seed_text("004")
    shard = [{"id": "1", "text": farm}, {"id": "2", "text": genuine}]
    for name in ("a.jsonl", "b.jsonl"):  # two shards numbered alike: each text twice, under the same ids
        (tmp_path / name).write_text("\n".join(json.dumps(r) for r in shard) + "\n", encoding="utf-8")
    out = tmp_path / "d.csv"
    assert main(["dedup", str(tmp_path / "a.jsonl"), str(tmp_path / "b.jsonl"), "-o", str(out)]) == 0
    rows = pd.read_csv(out, dtype={"id": str, "cluster_id": str, "nearest_id": str})
    assert list(rows["cluster_id"]) == ["1", "2", "1", "2"]  # two clusters, each named by its first record
    assert list(rows["nearest_id"]) == ["1#2", "2#2", "1", "2"]
    assert rows["cluster_size"].dtype.kind == "i" and set(rows["cluster_size"]) == {2}  # whole numbers
    assert "repeat an earlier record's id" in caplog.text


def test_verbose_after_the_command(tmp_path: Path) -> None:
    from detector.cli import build_parser

    assert build_parser().parse_args(["score", "-vv", "x"]).verbose == 2
    assert build_parser().parse_args(["-v", "score", "x"]).verbose == 1


def test_an_output_inside_an_input_folder_is_not_read_back(mixed_inputs: Path) -> None:
    out = mixed_inputs / "zz-verdicts.jsonl"  # a JSONL file the folder walk would otherwise read, last
    assert main(["score", str(mixed_inputs), "-o", str(out), "--no-progress"]) == 0
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 11 and not any(r["id"].startswith(str(out)) for r in rows)


def test_an_input_in_a_folder_or_a_hard_link_named_as_the_output_is_refused(
    mixed_inputs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    records = mixed_inputs / "records.jsonl"
    content = records.read_bytes()
    assert main(["score", str(mixed_inputs), "-o", str(records), "--no-progress"]) == 2
    assert "is an input too" in capsys.readouterr().err
    link = tmp_path / "link.jsonl"
    link.hardlink_to(records)
    assert main(["score", str(records), "-o", str(link), "--no-progress"]) == 2
    assert records.read_bytes() == content  # neither run touched it
    # an earlier output in the folder is no input: a second run overwrites it
    out = mixed_inputs / "verdicts.jsonl"
    for _ in range(2):
        assert main(["score", str(mixed_inputs), "-o", str(out), "--no-progress"]) == 0
        assert len(out.read_text(encoding="utf-8").splitlines()) == 11


def test_a_renamed_repeated_id_never_takes_another_records_id() -> None:
    from detector.crosspage import _record_labels

    assert _record_labels(["1", "1", "1#2", "1"]) == ["1", "1#3", "1#2", "1#4"]


def test_a_model_whose_arrays_do_not_fit_exits_3(mixed_inputs: Path, tmp_path: Path) -> None:
    import shutil

    import numpy as np

    from detector.model import default_model_dir

    model = tmp_path / "model"
    shutil.copytree(default_model_dir(), model)
    with np.load(model / "arrays.npz") as npz:
        arrays = {k: npz[k] for k in npz.files}
    arrays["coef"] = arrays["coef"][:-1]  # one weight short: loaded, it failed on every page
    np.savez_compressed(model / "arrays.npz", **arrays)
    assert main(["score", str(mixed_inputs), "--model", str(model), "-o", str(tmp_path / "v.jsonl")]) == 3


def test_the_family_table_does_not_depend_on_the_input_order(tmp_path: Path) -> None:
    import itertools

    from detector.dataset import load_rows

    rows = load_rows(files=["synthetic.jsonl.gz"])
    farms = list(itertools.islice((r for r in rows if r.get("html") and r["label"] == 1), 120))
    lines = [json.dumps({"id": r["id"], "url": r.get("url"), "html": r["html"]}) for r in farms]
    tables = []
    for name, ordered in (("fwd", lines), ("rev", lines[::-1])):
        (tmp_path / f"{name}.jsonl").write_text("\n".join(ordered) + "\n", encoding="utf-8")
        fam = tmp_path / f"{name}.fam.csv"
        args = ["dedup", str(tmp_path / f"{name}.jsonl"), "-o", str(tmp_path / f"{name}.out.jsonl")]
        assert main([*args, "--families", str(fam), "--no-progress"]) == 0
        tables.append(pd.read_csv(fam).sort_values("family_id").reset_index(drop=True))
    assert len(tables[0]) > 1
    pd.testing.assert_frame_equal(tables[0], tables[1])


def test_bucket_pairs_finds_more_of_a_large_family_of_near_copies(tmp_path: Path) -> None:
    import random

    rnd = random.Random(5)
    words = seed_text("004").split()[:300]

    def copy() -> str:
        w = list(words)
        for j in rnd.sample(range(len(w)), 4):  # 4 words of 300: pairs near Jaccard 0.8
            w[j] = f"q{rnd.randrange(10**9)}"
        return " ".join(w)

    records = tmp_path / "copies.jsonl"
    records.write_text("".join(json.dumps({"id": f"c{i:03d}", "text": copy()}) + "\n" for i in range(300)))
    singletons = []
    for pairs in ("2", "256"):
        out = tmp_path / f"d{pairs}.jsonl"
        assert main(["dedup", str(records), "-o", str(out), "--bucket-pairs", pairs, "--no-progress"]) == 0
        rows = [json.loads(line) for line in out.read_text().splitlines()]
        singletons.append(sum(r["cluster_size"] == 1 for r in rows))
    assert singletons[0] > singletons[1]  # a bucket of 300 pages, checked 2 or 256 neighbours a page


def test_a_full_disk_is_one_error_line(
    mixed_inputs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import errno

    from detector.io.writers import JsonlWriter

    def full(self: JsonlWriter, row: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(JsonlWriter, "write", full)
    out = tmp_path / "v.jsonl"
    assert main(["score", str(mixed_inputs), "-o", str(out), "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert "No space left on device" in err and str(out) in err and "Traceback" not in err


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (Linux)")
def test_a_full_disk_under_the_site_table_is_a_failed_run_not_a_usage_error(
    copied_pages: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sites = tmp_path / "sites.csv"
    sites.symlink_to("/dev/full")
    out = tmp_path / "v.jsonl"
    assert main(["score", str(copied_pages), "-o", str(out), "--dedup", "--sites", str(sites), "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert "No space left on device" in err and str(sites) in err and "Traceback" not in err
    assert out.read_text().count("\n") > 0  # the rows were written before it


def test_signals_lists_every_value_a_scored_row_carries(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = tmp_path / "farm.txt"
    page.write_text(seed_text("001"), encoding="utf-8")
    assert main(["signals"]) == 0
    listed = {line.strip() for line in capsys.readouterr().out.splitlines() if line.startswith("    ")}
    out = tmp_path / "v.jsonl"
    assert main(["score", str(page), "--signals", "-o", str(out), "--no-progress"]) == 0
    row = json.loads(out.read_text(encoding="utf-8"))
    assert set(row["signals"]) == listed


def _edited_model(tmp_path: Path, **text_params: object) -> Path:
    """A copy of the shipped model whose text model's saved description has ``text_params`` set (None: removed)."""
    import shutil

    from detector.model import default_model_dir

    model = tmp_path / "model"
    shutil.copytree(default_model_dir(), model)
    params = json.loads((model / "model.json").read_text(encoding="utf-8"))
    for key, value in text_params.items():
        if value is None:
            del params["text_model"][key]
        else:
            params["text_model"][key] = value
    (model / "model.json").write_text(json.dumps(params), encoding="utf-8")
    return model


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ({"featurization": "0123456789abcdef"}, "another text featurization"),
        ({"featurization": None}, "missing 'featurization'"),
        ({"prose_min_words": 5}, "prose blocks of 5+ words"),
        ({"prose_min_words": None}, "missing 'prose_min_words'"),
    ],
)
def test_a_model_fitted_on_other_text_columns_is_refused(
    mixed_inputs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], edit: dict[str, object], message: str
) -> None:
    """Loaded, it would score every page with columns it never learned: the run stops first and says why."""
    model = _edited_model(tmp_path, **edit)
    assert main(["score", str(mixed_inputs), "--model", str(model), "-o", str(tmp_path / "v.jsonl")]) == 3
    err = capsys.readouterr().err
    assert message in err and "make train" in err


def test_a_saved_model_records_the_featurization_it_loads_with(tmp_path: Path) -> None:
    from detector.model import PageModel, default_model_dir
    from detector.textfeatures import featurization_digest

    model = PageModel.load(default_model_dir())
    assert model.text_model is not None
    model.save(tmp_path / "again")
    saved = json.loads((tmp_path / "again" / "model.json").read_text(encoding="utf-8"))["text_model"]
    assert saved["featurization"] == featurization_digest(model.text_model.frequent)
    assert PageModel.load(tmp_path / "again").fingerprint() == model.fingerprint()
