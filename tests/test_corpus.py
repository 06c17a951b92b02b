"""The committed corpus (corpus/*.jsonl.gz): provenance fields, leak-free splits, manifest checksums."""

from __future__ import annotations

import collections
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from detector.dataset import DATA_FILES, corpus_hash, default_corpus_dir, load_rows, row_to_page
from detector.types import Page

CORPUS = default_corpus_dir()
REQUIRED = ("id", "label", "source", "license", "attribution", "split", "format", "synthetic")


@pytest.fixture(scope="module")
def rows() -> dict[str, list[dict[str, Any]]]:
    return {name: list(load_rows(CORPUS, files=[name])) for name in DATA_FILES}


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((CORPUS / "MANIFEST.json").read_text("utf-8"))
    return data


def content(row: dict[str, Any]) -> str:
    return str(row["html"] if row["format"] == "html" else row["text"])


def test_every_row_has_the_required_fields(rows: dict[str, list[dict[str, Any]]]) -> None:
    ids: set[str] = set()
    for name, file_rows in rows.items():
        assert file_rows, name
        for r in file_rows:
            for key in REQUIRED:
                assert key in r and r[key] not in (None, ""), (name, r.get("id"), key)
            assert r["label"] in (0, 1)
            assert r["split"] in ("train", "test", "reference")
            assert r["format"] in ("text", "html")
            assert isinstance(r["synthetic"], bool)
            assert content(r).strip(), r["id"]
            assert r["id"] not in ids, f"duplicate id {r['id']}"
            ids.add(r["id"])


def test_manifest_matches_the_files(rows: dict[str, list[dict[str, Any]]], manifest: dict[str, Any]) -> None:
    assert set(manifest["files"]) == set(DATA_FILES)
    for name, entry in manifest["files"].items():
        data = (CORPUS / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], name
        assert len(data) == entry["bytes"], name
        assert len(rows[name]) == entry["rows"], name
        counts = collections.Counter(
            (r["source"], r["split"], r["label"], r["format"], r["synthetic"]) for r in rows[name]
        )
        listed = {
            (c["source"], c["split"], c["label"], c["format"], c["synthetic"]): c["rows"] for c in entry["counts"]
        }
        assert listed == dict(counts), name


def test_l2r_pairs_never_cross_splits(rows: dict[str, list[dict[str, Any]]]) -> None:
    splits: dict[tuple[str, int], set[str]] = collections.defaultdict(set)
    for r in rows["l2r.jsonl.gz"]:
        splits[(r["genre"], r["pair_index"])].add(r["split"])
    assert splits
    assert all(len(s) == 1 for s in splits.values())
    assert {s for v in splits.values() for s in v} == {"train", "test"}


def test_l2r_texts_are_single_lines_without_the_dropped_genres(rows: dict[str, list[dict[str, Any]]]) -> None:
    l2r = rows["l2r.jsonl.gz"]
    assert all("\n" not in r["text"] and "\r" not in r["text"] for r in l2r)
    assert all(r["text"] == r["text"].strip() for r in l2r)
    assert not {r["genre"] for r in l2r} & {"Code", "TravelTourism"}
    assert {r["label"] for r in l2r} == {0, 1}
    assert all((r["generator"] == "human") == (r["label"] == 0) for r in l2r)


def test_no_content_in_both_train_and_test(rows: dict[str, list[dict[str, Any]]]) -> None:
    by_split: dict[str, set[str]] = collections.defaultdict(set)
    for file_rows in rows.values():
        for r in file_rows:
            by_split[r["split"]].add(hashlib.sha256(content(r).encode("utf-8")).hexdigest())
    assert not by_split["train"] & by_split["test"]


def test_synthetic_rows_are_marked_and_inherit_their_pair_split(
    rows: dict[str, list[dict[str, Any]]],
) -> None:
    syn = rows["synthetic.jsonl.gz"]
    assert all(r["synthetic"] is True and r["source"] == "synthetic" for r in syn)
    for name in ("l2r.jsonl.gz", "html.jsonl.gz", "seeds.jsonl.gz"):
        assert all(r["synthetic"] is False and r["source"] != "synthetic" for r in rows[name])
    labels = collections.Counter(r["label"] for r in syn)
    assert labels[0] == labels[1]
    l2r_split = {r["id"]: r["split"] for r in rows["l2r.jsonl.gz"]}
    for r in syn:
        assert r["text_ids"], r["id"]
        assert {l2r_split[t] for t in r["text_ids"]} == {r["split"]}, r["id"]


def test_seeds_are_reference_rows(rows: dict[str, list[dict[str, Any]]]) -> None:
    seeds = rows["seeds.jsonl.gz"]
    assert len(seeds) == 4
    assert all(r["split"] == "reference" for r in seeds)
    assert {r["id"].split("/")[-1][:3]: r["label"] for r in seeds} == {"000": 1, "001": 1, "002": 1, "004": 0}
    reference_files = ("seeds.jsonl.gz", "dedup.jsonl.gz")
    assert all(r["split"] != "reference" for n in DATA_FILES if n not in reference_files for r in rows[n])


def test_dedup_rows_name_real_twins(rows: dict[str, list[dict[str, Any]]]) -> None:
    """The TravelTourism copies: every twin is an l2r row; byte-identical twins have the very same text."""
    l2r = {r["id"]: r for r in rows["l2r.jsonl.gz"]}
    dup = rows["dedup.jsonl.gz"]
    assert len(dup) == 995 and all(r["split"] == "reference" for r in dup)
    kinds = collections.Counter(r["twin_kind"] for r in dup)
    assert kinds == {"byte-identical": 795, "another rewrite of the same human text": 200}
    for r in dup:
        twin = l2r[r["twin_id"]]
        assert (twin["text"] == r["text"]) == (r["twin_kind"] == "byte-identical"), r["id"]


def test_loader_filters_and_converts() -> None:
    test_rows = list(load_rows(CORPUS, files=["seeds"], split="reference"))
    assert len(test_rows) == 4
    assert not list(load_rows(CORPUS, files=["seeds.jsonl.gz"], split="train"))
    page = row_to_page(test_rows[0])
    assert isinstance(page, Page) and page.text and page.html is None and page.id == test_rows[0]["id"]
    html_row = next(load_rows(CORPUS, files=["html"]))
    hp = row_to_page(html_row)
    assert hp.html and hp.text is None and hp.url == html_row["url"]
    with pytest.raises(ValueError):
        load_rows(CORPUS, split="validation")


def test_missing_files_say_how_to_build(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"corpus/build\.py"):
        load_rows(tmp_path, files=["l2r"])
    with pytest.raises(FileNotFoundError, match=r"corpus/build\.py"):
        corpus_hash(tmp_path)


def test_corpus_hash_is_over_the_file_checksums(manifest: dict[str, Any]) -> None:
    digests = sorted(entry["sha256"] for entry in manifest["files"].values())
    expected = hashlib.sha256("\n".join(digests).encode("ascii")).hexdigest()
    assert corpus_hash(CORPUS) == expected == corpus_hash()
