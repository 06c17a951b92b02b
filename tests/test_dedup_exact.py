"""Exact verification of near-duplicate candidates: the shingle store, clustering on exact Jaccard, the
cross-page stage and ``detector dedup``.

Texts are real (l2r corpus rows joined to ~4 KB, as in tests/test_dedup.py); edited copies substitute
words at fixed positions. Pairs whose signature estimate and exact Jaccard fall on opposite sides of the
threshold are found by a deterministic search over edit rates with few permutations, where the estimate
is noisy.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
from pathlib import Path

import numpy as np
import pytest

from detector.cli import main
from detector.crosspage import CrossPage, PageSketch, sketch_page
from detector.dedup import (
    LSHParams,
    MinHasher,
    MinHashParams,
    ShingleStore,
    cluster_signatures,
    estimated_jaccard,
    find_near_duplicates,
    shingles,
    verify_pairs_exact,
)
from detector.pipeline import DetectorConfig, clean_page
from detector.types import Cleaned, Page
from tests.dedup_texts import joined_l2r_texts, shingle_jaccard, substitute, vocabulary


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return joined_l2r_texts(40)


@pytest.fixture(scope="module")
def vocab(texts: list[str]) -> list[str]:
    return vocabulary(texts)


def spool_fds(folder: Path) -> int:
    """Open file descriptors of this process on files in ``folder`` (Linux /proc)."""
    fd_dir = Path("/proc/self/fd")
    count = 0
    for fd in os.listdir(fd_dir):
        with contextlib.suppress(OSError):  # the descriptor listdir itself used, closed since
            count += os.readlink(fd_dir / fd).startswith(str(folder))
    return count


# ----------------------------------------------------------------------------------------------------
# Shingle sets and the store
# ----------------------------------------------------------------------------------------------------


def test_sketches_are_signatures_and_unique_shingle_hashes(texts: list[str]) -> None:
    sample = ["", "one two", *texts[:10], "Ünïcödé façade — naïve café’s «test»"]
    reference = MinHasher().signatures(sample)
    for chunk_chars in (1, 3000, 1 << 20):
        hasher = MinHasher(chunk_chars=chunk_chars)
        blocks = list(hasher.iter_sketches(sample))
        assert np.array_equal(np.concatenate([b for b, _ in blocks]), reference)
        sets = [s for _, block_sets in blocks for s in block_sets]
        assert len(sets) == len(sample)
        for text, got in zip(sample, sets, strict=True):
            assert got.dtype == np.uint32 and np.array_equal(got, np.unique(hasher.shingle_hashes(text)))
    signature, shingle_set = MinHasher().sketch(texts[0])
    assert np.array_equal(signature, reference[2]) and shingle_set.size == len(set(shingles(texts[0])))


@pytest.mark.parametrize("spool", [False, True])
def test_store_round_trip_and_exact_jaccard(texts: list[str], vocab: list[str], tmp_path: Path, spool: bool) -> None:
    hasher = MinHasher()
    docs = [texts[0], substitute(texts[0], 40, vocab), texts[1], "", "a few words", texts[0]]
    sets = [hasher.shingle_hashes(d) for d in docs]  # in text order, with repeats: the store sorts them
    with ShingleStore(spool=spool, directory=tmp_path) as store:
        assert [store.add(s) for s in sets] == list(range(len(docs)))
        assert len(store) == len(docs)
        for i, s in enumerate(sets):
            assert np.array_equal(store[i], np.unique(s)) and not store[i].flags.writeable
        assert store.sizes().tolist() == [np.unique(s).size for s in sets]
        pairs = np.array([(i, j) for i in range(len(docs)) for j in range(len(docs))], np.int64)
        expected = []
        for i, j in pairs.tolist():
            a, b = np.unique(sets[i]), np.unique(sets[j])
            inter, union = np.intersect1d(a, b).size, np.union1d(a, b).size
            expected.append(inter / union if union else 1.0)
        assert np.array_equal(store.jaccard_pairs(pairs), np.array(expected))
        # steps of a few hashes give the same values as one step
        assert np.array_equal(store.jaccard_pairs(pairs, block=50), np.array(expected))
        assert store.jaccard(0, 1) == pytest.approx(shingle_jaccard(docs[0], docs[1]), abs=1e-12)
        assert store.jaccard(0, 5) == 1.0 and store.jaccard(3, 3) == 1.0 and store.jaccard(0, 3) == 0.0
        assert (store.disk_bytes > 0) == spool
        store.add(sets[2])  # adding after reading maps the grown file again
        assert np.array_equal(store[6], store[2]) and store.jaccard(2, 6) == 1.0
        with pytest.raises(ValueError, match="outside the 7 documents"):
            store.jaccard_pairs(np.array([[0, 7]]))
    assert store.closed
    with pytest.raises(ValueError, match="closed"):
        store.jaccard(0, 1)
    with pytest.raises(ValueError, match="closed"):
        store.add(sets[0])


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs Linux /proc to see open files")
def test_spool_file_is_freed_on_close_and_on_error(texts: list[str], tmp_path: Path) -> None:
    hasher = MinHasher()
    store = ShingleStore(spool=True, directory=tmp_path)
    store.add(hasher.shingle_hashes(texts[0]))
    assert spool_fds(tmp_path) == 1 and store.disk_bytes == 4 * store.sizes()[0]
    assert store.jaccard(0, 0) == 1.0  # mapped for reading
    store.close()
    store.close()  # idempotent
    assert spool_fds(tmp_path) == 0 and list(tmp_path.iterdir()) == []
    with pytest.raises(RuntimeError, match="stop"), ShingleStore(spool=True, directory=tmp_path) as failing:
        failing.add(hasher.shingle_hashes(texts[1]))
        assert spool_fds(tmp_path) == 1
        raise RuntimeError("stop")
    assert failing.closed and spool_fds(tmp_path) == 0 and list(tmp_path.iterdir()) == []


# ----------------------------------------------------------------------------------------------------
# Clustering on exact Jaccard
# ----------------------------------------------------------------------------------------------------


def _pairs_across_the_threshold(
    texts: list[str], vocab: list[str], hasher: MinHasher
) -> tuple[tuple[str, str, float], tuple[str, str, float]]:
    """(source, copy, exact J) for a pair with J < 0.8 but an estimate >= 0.8, and one the other way,
    of two different sources."""
    over: tuple[str, str, float] | None = None
    under: tuple[str, str, float] | None = None
    for i, text in enumerate(texts):
        for every in (30, 35, 40, 45, 50, 60):
            copy = substitute(text, every, vocab, seed=i)
            j = shingle_jaccard(text, copy)
            estimate = estimated_jaccard(hasher.signature(text), hasher.signature(copy))
            if over is None and j < 0.8 <= estimate:
                over = (text, copy, j)
                break
            if under is None and estimate < 0.8 <= j:
                under = (text, copy, j)
                break
        if over and under:
            return over, under
    raise AssertionError("no pairs on both sides of the threshold")


def test_exact_verification_overrules_the_estimate(texts: list[str], vocab: list[str], tmp_path: Path) -> None:
    hasher = MinHasher(MinHashParams(num_perm=32))  # an estimate with sd 0.07 at J = 0.8
    over, under = _pairs_across_the_threshold(texts, vocab, hasher)
    ids = ["over", "over-copy", "under", "under-copy"]
    docs = [over[0], over[1], under[0], under[1]]
    lsh = LSHParams(bands=32, rows=1, num_perm=32)  # every pair that agrees anywhere is a candidate
    sigs = hasher.signatures(docs)
    estimated = {d.id: d for d in cluster_signatures(ids, sigs, threshold=0.8, lsh=lsh)}
    assert estimated["over-copy"].cluster_id == "over" and estimated["under-copy"].cluster_size == 1
    for spool in (False, True):
        with ShingleStore(spool=spool, directory=tmp_path) as store:
            store.extend(hasher.shingle_hashes(d) for d in docs)
            exact = {d.id: d for d in cluster_signatures(ids, sigs, threshold=0.8, lsh=lsh, shingles=store)}
            kept, sims = verify_pairs_exact(store, np.array([[0, 1], [2, 3]]), 0.8)
        assert exact["over-copy"].cluster_size == 1 and exact["over"].nearest_id is None
        assert exact["under-copy"].cluster_id == "under" and exact["under-copy"].cluster_size == 2
        assert exact["under"].nearest_similarity == pytest.approx(under[2], abs=1e-12)
        assert kept.tolist() == [[2, 3]] and sims.tolist() == pytest.approx([under[2]], abs=1e-12)


def test_identical_signatures_are_checked_on_their_sets(texts: list[str], vocab: list[str]) -> None:
    hasher = MinHasher(MinHashParams(num_perm=4))  # few values: different sets often share a signature
    lsh = LSHParams(bands=4, rows=1, num_perm=4)
    close = far = None  # (source, copy, exact J), of two different sources
    for i, text in enumerate(texts):
        for every in (8, 10, 12, 20, 40, 80):
            copy = substitute(text, every, vocab, seed=i)
            if not np.array_equal(hasher.signature(text), hasher.signature(copy)):
                continue
            j = shingle_jaccard(text, copy)
            if close is None and 0.8 <= j < 1.0:
                close = (text, copy, j)
                break
            if far is None and j < 0.8:
                far = (text, copy, j)
                break
    assert close is not None and far is not None
    docs = [close[0], close[1], far[0], far[1]]
    ids = ["close", "close-copy", "far", "far-copy"]
    estimated = {d.id: d for d in find_near_duplicates(ids, docs, hasher=hasher, exact=False)}
    assert estimated["close-copy"].nearest_similarity == 1.0 and estimated["far-copy"].cluster_id == "far"
    with ShingleStore() as store:
        store.extend(hasher.shingle_hashes(d) for d in docs)
        exact = {d.id: d for d in cluster_signatures(ids, hasher.signatures(docs), lsh=lsh, shingles=store)}
    assert exact["close-copy"].cluster_id == "close"
    assert exact["close-copy"].nearest_similarity == pytest.approx(close[2], abs=1e-12)
    assert exact["far-copy"].cluster_size == 1 and exact["far"].cluster_size == 1


@pytest.mark.parametrize("exact", [True, False])
def test_exact_clusters_do_not_depend_on_input_order(texts: list[str], vocab: list[str], exact: bool) -> None:
    ids, docs = [], []
    for i, src in enumerate(texts[:12]):
        for k, every in enumerate((0, 60, 35, 25)):
            ids.append(f"{chr(ord('z') - i)}-{k}")
            docs.append(src if every == 0 else substitute(src, every, vocab, seed=k))
    ids += ["dup-1", "dup-0"]
    docs += [texts[0], texts[0]]
    reference = {d.id: d for d in find_near_duplicates(ids, docs, exact=exact)}
    assert sum(d.cluster_size > 1 for d in reference.values()) >= 24
    rng = random.Random(11)
    for _ in range(3):
        order = list(range(len(ids)))
        rng.shuffle(order)
        shuffled = find_near_duplicates([ids[i] for i in order], [docs[i] for i in order], exact=exact)
        assert {d.id: d for d in shuffled} == reference
    if exact:
        by_doc = dict(zip(ids, docs, strict=True))
        for d in reference.values():
            if d.nearest_id is not None:
                assert d.nearest_similarity >= 0.8
                assert d.nearest_similarity == pytest.approx(shingle_jaccard(by_doc[d.id], by_doc[d.nearest_id]))


# ----------------------------------------------------------------------------------------------------
# The cross-page stage and the command line
# ----------------------------------------------------------------------------------------------------


def _cleaned(text: str) -> Cleaned:
    doc = clean_page(Page(id="x", text=text), DetectorConfig())
    assert isinstance(doc, Cleaned)
    return doc


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs Linux /proc to see open files")
def test_crosspage_spools_shingles_and_frees_them(texts: list[str], vocab: list[str], tmp_path: Path) -> None:
    hasher = MinHasher()
    docs = [_cleaned(texts[0]), _cleaned(substitute(texts[0], 60, vocab)), _cleaned(texts[1])]
    cross = CrossPage(hasher=hasher, spool_dir=tmp_path)
    for i, doc in enumerate(docs):
        cross.add({"id": f"p{i}", "url": f"https://site{i}.example/"}, sketch_page(doc, hasher))
    cross.add({"id": "broken", "status": "error"}, sketch_page(None, hasher))
    assert spool_fds(tmp_path) == 1
    columns = cross.finish()
    assert spool_fds(tmp_path) == 0 and list(tmp_path.iterdir()) == []
    assert columns[0]["cluster_id"] == "p0" and columns[1]["nearest_id"] == "p0"
    assert columns[1]["nearest_similarity"] == round(shingle_jaccard(docs[0].text, docs[1].text), 4)
    assert columns[1]["cluster_hosts"] == 2 and columns[2]["cluster_size"] == columns[3]["cluster_size"] == 1
    assert cross.finish() is columns and cross.sites()
    with pytest.raises(ValueError, match="after finish"):
        cross.add({"id": "late"}, PageSketch())
    with pytest.raises(ValueError, match="both its signature and its shingle set"):
        PageSketch(signature=hasher.signature(texts[0]))


def test_cli_dedup_reports_exact_similarity_with_any_number_of_workers(
    texts: list[str], vocab: list[str], tmp_path: Path
) -> None:
    records = []
    for i, src in enumerate(texts[:8]):
        records.append({"id": f"src-{i}", "url": f"https://a{i}.example/", "text": src})
        for every in (150, 45, 30, 20):  # J ~ 0.93, ~0.8, ~0.71, ~0.6
            copy = substitute(src, every, vocab, seed=i)
            records.append({"id": f"src-{i}/{every}", "url": f"https://b{i}.example/{every}", "text": copy})
    path = tmp_path / "pages.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    outputs = []
    for workers in ("1", "2"):
        out = tmp_path / f"dedup-{workers}.jsonl"
        assert main(["dedup", str(path), "-o", str(out), "--workers", workers, "--no-progress"]) == 0
        outputs.append(out.read_text(encoding="utf-8"))
    assert outputs[0] == outputs[1]
    rows = {r["id"]: r for r in map(json.loads, outputs[0].splitlines())}
    cleaned = {r["id"]: _cleaned(r["text"]).text for r in records}
    merged = 0
    for doc_id, row in rows.items():
        if row["nearest_id"] is None:
            continue
        merged += 1
        exact = shingle_jaccard(cleaned[doc_id], cleaned[row["nearest_id"]])
        assert exact >= 0.8 and row["nearest_similarity"] == round(exact, 4), doc_id
    for i in range(8):
        assert rows[f"src-{i}/150"]["cluster_id"] == rows[f"src-{i}"]["cluster_id"]
        assert rows[f"src-{i}/20"]["cluster_size"] == 1
    assert merged >= 16
