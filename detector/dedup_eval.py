"""How well near-duplicates are found: precision and recall of pairs, per band of true similarity.

Part of ``make eval``. Three sets of labelled pairs, each clustered as one pool the way a batch run
(``detector dedup``, ``detector score --dedup``) clusters: ``detector.dedup.cluster_signatures`` with the
pages' shingle sets, so LSH candidates are verified on their exact Jaccard. A pair is counted as found
when both pages land in one cluster:

* **exact copies in l2r**: TravelTourism's files, byte-identical to TechnicalWriting's for four of the
  five (795 pairs, Jaccard 1), and its GPT-3-Turbo file, another rewrite of the same human texts (200
  paraphrase pairs): the real duplicate case of the corpus (``corpus/dedup.jsonl.gz``), pooled with every
  TechnicalWriting text;
* **edited copies of real articles**: the main text of held-out genuine pages, each copied with random
  word edits at rates chosen to spread the copies' true Jaccard over 0.5-1.0; the true Jaccard of each
  pair is computed exactly on the shingle sets, and the bands are of that value;
* **human/rewrite pairs in l2r**: the held-out human texts and their LLM rewrites, paraphrases that
  should not be merged: how many are.

Precision is over every pair of pages the clustering put together (within a cluster), judged by its true
Jaccard; recall over the labelled pairs at or above the threshold.
"""

from __future__ import annotations

import itertools
import random
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np

from detector.dataset import load_rows
from detector.dedup import (
    DEFAULT_THRESHOLD,
    MinHasher,
    MinHashParams,
    choose_lsh_params,
    datasketch_lsh_params,
    detection_probability,
    find_near_duplicates,
    s_curve,
)

#: Word edit rates of the copies: from one edit in 200 words (Jaccard about 0.97) to one in 8 (about 0.5),
#: denser around the rates that land near the 0.8 threshold, where the figure is decided.
EDIT_RATES = (0.005, 0.01, 0.015, 0.02, 0.025, 0.03, 0.035, 0.04, 0.05, 0.06, 0.08, 0.12)
BANDS = (0.0, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 1.0)
LSH_RECALL = 0.95  # what a run uses (detector.dedup.DEFAULT_RECALL)
MIN_WORDS = 150  # articles shorter than this have too few shingles for a Jaccard band to mean much


def edit_words(text: str, rate: float, vocab: Sequence[str], rng: random.Random) -> str:
    """Random word edits: each word is substituted (60%), deleted (20%) or followed by a new word (20%)
    with probability ``rate``."""
    out: list[str] = []
    for word in text.split():
        if rng.random() >= rate:
            out.append(word)
            continue
        op = rng.random()
        if op < 0.6:
            out.append(rng.choice(vocab))
        elif op >= 0.8:
            out.extend((word, rng.choice(vocab)))
    return " ".join(out)


def exact_jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Jaccard similarity of two shingle-hash arrays, as sets."""
    ua, ub = np.unique(a), np.unique(b)
    inter = np.intersect1d(ua, ub, assume_unique=True).size
    union = ua.size + ub.size - inter
    return inter / union if union else 1.0


def _band(j: float) -> str:
    for lo, hi in itertools.pairwise(BANDS):
        if j < hi or hi == 1.0:
            return f"[{lo:.2f}, {hi:.2f}{']' if hi == 1.0 else ')'}"
    return "[1.00]"


def _cluster(ids: list[str], texts: list[str], hasher: MinHasher, threshold: float) -> dict[str, str]:
    """Cluster ids as a batch run does: LSH candidates verified on their exact shingle Jaccard."""
    dups = find_near_duplicates(ids, texts, threshold=threshold, recall=LSH_RECALL, hasher=hasher)
    return {d.id: d.cluster_id for d in dups}


def _precision(
    clusters: dict[str, str], shingles: dict[str, np.ndarray], threshold: float, max_cluster: int = 60
) -> dict[str, Any]:
    """Every pair of pages put in one cluster, judged by its true Jaccard (clusters above ``max_cluster``
    members are sampled: the pairs of one huge cluster would swamp the figure)."""
    members: dict[str, list[str]] = defaultdict(list)
    for doc, cid in clusters.items():
        members[cid].append(doc)
    reported = correct = 0
    for docs in members.values():
        docs = sorted(docs)[:max_cluster]
        for i, a in enumerate(docs):
            for b in docs[i + 1 :]:
                reported += 1
                correct += exact_jaccard(shingles[a], shingles[b]) >= threshold
    return {"reported_pairs": reported, "precision": correct / reported if reported else None}


def _pair_table(pairs: list[tuple[str, str, float]], clusters: dict[str, str], threshold: float) -> dict[str, Any]:
    by_band: dict[str, list[bool]] = defaultdict(list)
    for a, b, j in pairs:
        by_band[_band(j)].append(clusters[a] == clusters[b])
    above = [clusters[a] == clusters[b] for a, b, j in pairs if j >= threshold]
    return {
        "pairs": len(pairs),
        "recall_at_or_above_threshold": float(np.mean(above)) if above else None,
        "by_band": {
            k: {"pairs": len(v), "merged": int(sum(v)), "share_merged": float(np.mean(v))}
            for k, v in sorted(by_band.items())
        },
    }


def exact_copies(corpus_dir: Any, hasher: MinHasher, threshold: float) -> dict[str, Any]:
    """TravelTourism against TechnicalWriting (``corpus/dedup.jsonl.gz``)."""
    technical = {r["id"]: r["text"] for r in load_rows(corpus_dir, files=["l2r"]) if r["genre"] == "TechnicalWriting"}
    dups = list(load_rows(corpus_dir, files=["dedup.jsonl.gz"]))
    ids = [*technical, *(r["id"] for r in dups)]
    texts = [*technical.values(), *(r["text"] for r in dups)]
    shingles = {i: hasher.shingle_hashes(t) for i, t in zip(ids, texts, strict=True)}
    clusters = _cluster(ids, texts, hasher, threshold)
    out: dict[str, Any] = {"pool": len(ids)}
    for kind in ("byte-identical", "another rewrite of the same human text"):
        pairs = [
            (r["id"], r["twin_id"], exact_jaccard(shingles[r["id"]], shingles[r["twin_id"]]))
            for r in dups
            if r["twin_kind"] == kind
        ]
        out[kind] = _pair_table(pairs, clusters, threshold)
    out["precision"] = _precision(clusters, shingles, threshold)
    return out


def edited_copies(articles: Sequence[str], hasher: MinHasher, threshold: float, seed: int) -> dict[str, Any]:
    """Real articles and copies of them with word edits; bands of the copies' exact Jaccard."""
    rng = random.Random(seed)
    texts = [t for t in articles if len(t.split()) >= MIN_WORDS]
    vocab = sorted({w for t in texts for w in t.split() if w.isalpha() and len(w) > 2})
    ids = [f"article-{i:04d}" for i in range(len(texts))]
    pool_ids, pool_texts = list(ids), list(texts)
    pairs: list[tuple[str, str, float]] = []
    shingles = {i: hasher.shingle_hashes(t) for i, t in zip(ids, texts, strict=True)}
    for i, text in enumerate(texts):
        rate = EDIT_RATES[i % len(EDIT_RATES)]
        copy_id = f"{ids[i]}/copy"
        copy = edit_words(text, rate, vocab, rng)
        pool_ids.append(copy_id)
        pool_texts.append(copy)
        shingles[copy_id] = hasher.shingle_hashes(copy)
        pairs.append((ids[i], copy_id, exact_jaccard(shingles[ids[i]], shingles[copy_id])))
    clusters = _cluster(pool_ids, pool_texts, hasher, threshold)
    out = {"articles": len(texts), **_pair_table(pairs, clusters, threshold)}
    out["precision"] = _precision(clusters, shingles, threshold)
    return out


def paraphrases(corpus_dir: Any, hasher: MinHasher, threshold: float) -> dict[str, Any]:
    """Held-out l2r human texts and their rewrites: how many pairs end up in one cluster."""
    rows = list(load_rows(corpus_dir, files=["l2r"], split="test"))
    clusters = _cluster([r["id"] for r in rows], [r["text"] for r in rows], hasher, threshold)
    human = {(r["genre"], r["pair_index"]): r["id"] for r in rows if r["generator"] == "human"}
    merged = total = 0
    for r in rows:
        h = human.get((r["genre"], r["pair_index"]))
        if r["generator"] != "human" and h is not None:
            total += 1
            merged += clusters[h] == clusters[r["id"]]
    return {"pairs": total, "merged": merged, "share_merged": merged / total if total else None}


def s_curves(num_perm: int, threshold: float) -> dict[str, Any]:
    """The S-curves of the bands x rows in use and of datasketch's own choice, and the share reported
    after verification: on the exact Jaccard (``reported_ours``, the batch path measured here) and on the
    estimate (``reported_ours_estimate``, the streaming ``NearDuplicateIndex``)."""
    ours = choose_lsh_params(num_perm, threshold)
    theirs = datasketch_lsh_params(threshold, num_perm)
    grid = [round(x, 3) for x in np.linspace(0.3, 1.0, 71)]
    return {
        "ours": {"bands": ours.bands, "rows": ours.rows},
        "datasketch": {"bands": theirs.bands, "rows": theirs.rows},
        "jaccard": grid,
        "candidate_ours": [s_curve(j, ours.bands, ours.rows) for j in grid],
        "candidate_datasketch": [s_curve(j, theirs.bands, theirs.rows) for j in grid],
        "reported_ours": [detection_probability(j, num_perm, ours, threshold, exact=True) for j in grid],
        "reported_ours_estimate": [detection_probability(j, num_perm, ours, threshold) for j in grid],
    }


def evaluate_dedup(
    corpus_dir: Any,
    articles: Sequence[str],
    *,
    seed: int,
    threshold: float = DEFAULT_THRESHOLD,
    num_perm: int | None = None,
) -> dict[str, Any]:
    hasher = MinHasher(MinHashParams(num_perm=num_perm)) if num_perm else MinHasher()
    return {
        "threshold": threshold,
        "num_perm": hasher.num_perm,
        "exact_copies_l2r": exact_copies(corpus_dir, hasher, threshold),
        "edited_copies": edited_copies(articles, hasher, threshold, seed),
        "paraphrases_l2r": paraphrases(corpus_dir, hasher, threshold),
        "s_curve": s_curves(hasher.num_perm, threshold),
    }


def plot_s_curve(curves: dict[str, Any], edited: dict[str, Any], path: Any) -> None:
    """The bands-and-rows S-curves, with the measured share of edited copies merged per band."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    j = curves["jaccard"]
    o, d = curves["ours"], curves["datasketch"]
    ax.plot(j, curves["candidate_ours"], label=f"candidate, {o['bands']} bands x {o['rows']} rows (ours)", linewidth=2)
    ax.plot(j, curves["reported_ours"], label="reported, exact verification (batch)", linewidth=2, linestyle="--")
    estimate_label = "reported, verified on the estimate (streaming index)"
    ax.plot(j, curves["reported_ours_estimate"], label=estimate_label, linestyle=":")
    ax.plot(j, curves["candidate_datasketch"], label=f"candidate, {d['bands']} x {d['rows']} (datasketch's choice)")
    xs, ys = [], []
    for band, v in edited["by_band"].items():
        lo, hi = (float(x) for x in band.strip("[])").split(", "))
        xs.append((lo + hi) / 2)
        ys.append(v["share_merged"])
    ax.scatter(xs, ys, color="black", zorder=5, label="edited copies merged (measured)")
    ax.axvline(0.8, color="grey", linestyle=":", linewidth=1)
    ax.set(
        xlabel="true Jaccard of the pair (word 5-gram shingles)",
        ylabel="probability the pair is found",
        ylim=(-0.02, 1.02),
    )
    ax.set_title("LSH S-curve")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
