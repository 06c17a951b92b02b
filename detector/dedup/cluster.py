"""Verification of candidate pairs and near-duplicate clusters by union-find."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from detector.dedup.lsh import (
    DEFAULT_RECALL,
    DEFAULT_THRESHOLD,
    MAX_BUCKET_PAIRS,
    BandTable,
    LSHParams,
    _agreements_needed,
    _odd_multipliers,
    _row_hash,
    band_keys,
    choose_lsh_params,
)
from detector.dedup.minhash import IntArray, MinHasher, MinHashParams, U32Array, empty_rows
from detector.errors import ConfigError


def verify_pairs(
    signatures: U32Array, pairs: IntArray, threshold: float, *, block: int = 16384
) -> tuple[IntArray, npt.NDArray[np.float64]]:
    """Keep the candidate pairs whose estimated Jaccard is >= ``threshold``; return them and their estimates.

    Raises:
        ConfigError: when the threshold is outside [0, 1].
    """
    if not 0.0 <= threshold <= 1.0:
        raise ConfigError(f"threshold {threshold} outside [0, 1]")
    num_perm = signatures.shape[1]
    need = _agreements_needed(threshold, num_perm)
    kept: list[IntArray] = []
    sims: list[npt.NDArray[np.float64]] = []
    for lo in range(0, len(pairs), block):
        p = pairs[lo : lo + block]
        agree = np.count_nonzero(signatures[p[:, 0]] == signatures[p[:, 1]], axis=1)
        ok = agree >= need
        kept.append(p[ok])
        sims.append(agree[ok] / num_perm)
    if not kept:
        return np.empty((0, 2), np.int64), np.empty(0, np.float64)
    return np.concatenate(kept), np.concatenate(sims)


# ----------------------------------------------------------------------------------------------------
# Clustering
# ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DuplicateInfo:
    """One document's place among near-duplicates.

    ``cluster_id`` is the smallest member id (string order) of its cluster, the document's own id when it
    has no verified near-duplicate (``cluster_size`` 1, ``nearest_id`` None, ``nearest_similarity`` 0.0).
    ``nearest_id`` is its most similar verified neighbour (ties: the smallest id), with the estimate.
    """

    id: str
    cluster_id: str
    cluster_size: int
    nearest_id: str | None
    nearest_similarity: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "cluster_id": self.cluster_id,
            "cluster_size": self.cluster_size,
            "nearest_id": self.nearest_id,
            "nearest_similarity": round(self.nearest_similarity, 6),
        }


def union_find_roots(n: int, pairs: IntArray) -> IntArray:
    """Connected components of the graph with ``n`` nodes and edges ``pairs``: each node's root is the
    smallest node of its component.

    Union-find with union by smaller index (the root of a merged set is always its minimum) and path
    compression, vectorised: every round hooks the larger root of each unmerged edge under the smaller one
    (``minimum.at``), then compresses paths by pointer jumping, until every edge's ends share a root.
    """
    parent = np.arange(n, dtype=np.int64)
    if n == 0 or len(pairs) == 0:
        return parent
    u, v = pairs[:, 0].astype(np.int64), pairs[:, 1].astype(np.int64)
    while True:
        while True:  # path compression: point every node at its root
            grand = parent[parent]
            if np.array_equal(grand, parent):
                break
            parent = grand
        ru, rv = parent[u], parent[v]
        todo = ru != rv
        if not todo.any():
            return parent
        ru, rv = ru[todo], rv[todo]
        np.minimum.at(parent, np.maximum(ru, rv), np.minimum(ru, rv))
        u, v = u[todo], v[todo]


def _id_order(ids: Sequence[str]) -> tuple[IntArray, IntArray]:
    """(rank of each input position in string order, input position of each rank).

    Raises:
        ValueError: on a repeated id (the first one is named).
    """
    order = sorted(range(len(ids)), key=ids.__getitem__)
    for x, y in itertools.pairwise(order):
        if ids[x] == ids[y]:
            raise ValueError(f"document id {ids[x]!r} occurs more than once")
    by_rank = np.asarray(order, dtype=np.int64)
    rank = np.empty(len(ids), np.int64)
    rank[by_rank] = np.arange(len(ids), dtype=np.int64)
    return rank, by_rank


def cluster_pairs(ids: Sequence[str], pairs: IntArray, similarities: npt.NDArray[np.float64]) -> list[DuplicateInfo]:
    """Clusters (union-find over verified pairs) and nearest neighbours, one :class:`DuplicateInfo` per id,
    in input order. ``pairs`` index into ``ids``. The result does not depend on the order of ``ids`` or
    of ``pairs``.

    Raises:
        ValueError: on a repeated id.
    """
    n = len(ids)
    rank, by_rank = _id_order(ids)
    rp = rank[pairs] if len(pairs) else np.empty((0, 2), np.int64)
    roots = union_find_roots(n, rp)  # in rank space: the root is the smallest id of the cluster
    sizes = np.bincount(roots, minlength=n)
    nearest = np.full(n, -1, np.int64)
    nearest_sim = np.zeros(n, np.float64)
    if len(rp):
        src = np.concatenate((rp[:, 0], rp[:, 1]))
        dst = np.concatenate((rp[:, 1], rp[:, 0]))
        sim = np.concatenate((similarities, similarities))
        order = np.lexsort((dst, -sim, src))  # per source: highest similarity, then smallest id
        src, dst, sim = src[order], dst[order], sim[order]
        first = np.concatenate(([True], src[1:] != src[:-1]))
        nearest[src[first]] = dst[first]
        nearest_sim[src[first]] = sim[first]
    out: list[DuplicateInfo] = []
    for i, doc_id in enumerate(ids):
        r = int(rank[i])
        near = int(nearest[r])
        out.append(
            DuplicateInfo(
                id=doc_id,
                cluster_id=ids[int(by_rank[roots[r]])],
                cluster_size=int(sizes[roots[r]]),
                nearest_id=ids[int(by_rank[near])] if near >= 0 else None,
                nearest_similarity=float(nearest_sim[r]),
            )
        )
    return out


def _exact_groups(signatures: U32Array, valid: npt.NDArray[np.bool_], rank: IntArray) -> tuple[IntArray, IntArray]:
    """Representatives of identical signatures: (representative of each row, rows that are representatives).

    The representative of a group is its member of lowest ``rank`` (smallest id), so that it does not depend
    on the input order.
    Identical rows are grouped by sorting a 64-bit hash of the whole row, then confirmed row by row, so a
    hash collision never merges two different signatures.
    """
    n = signatures.shape[0]
    rep = np.arange(n, dtype=np.int64)
    rows = np.flatnonzero(valid)
    if rows.size < 2:
        return rep, rows
    h = _row_hash(signatures[rows].astype(np.uint64), _odd_multipliers(signatures.shape[1]))
    order = np.lexsort((rank[rows], h))
    hs, rs = h[order], rows[order]
    same = np.flatnonzero(hs[1:] == hs[:-1])
    for p in same.tolist():  # few: only rows with equal whole-signature hashes
        a, b = rs[p], rs[p + 1]
        if np.array_equal(signatures[rep[a]], signatures[b]):
            rep[b] = rep[a]
    return rep, rows[rep[rows] == rows]


def cluster_signatures(
    ids: Sequence[str],
    signatures: U32Array,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    lsh: LSHParams | None = None,
    recall: float = DEFAULT_RECALL,
    max_bucket_pairs: int = MAX_BUCKET_PAIRS,
) -> list[DuplicateInfo]:
    """Near-duplicate clusters of documents given their signatures; one :class:`DuplicateInfo` per id.

    Exact copies (identical signatures) are merged first, each copy paired with the group's first row at
    similarity 1.0, so that a page copied 10,000 times costs 10,000 pairs, not 50 million. The other
    documents go through a :class:`BandTable` (``lsh``, by default :func:`choose_lsh_params` for
    ``threshold`` and ``recall``), candidate pairs are verified at ``threshold``, and union-find joins them.
    Documents with empty signatures (no words) are singletons.

    Raises:
        ValueError: on a repeated id or when ids and signatures differ in length.
        ConfigError: on LSH parameters that do not fit the signatures.
    """
    n = len(ids)
    if signatures.shape[0] != n:
        raise ValueError(f"{n} ids but {signatures.shape[0]} signatures")
    num_perm = signatures.shape[1]
    if lsh is None:
        lsh = choose_lsh_params(num_perm, threshold, recall)
    valid = ~empty_rows(signatures)
    rank, _ = _id_order(ids)
    rep, reps = _exact_groups(signatures, valid, rank)
    copies = np.flatnonzero(valid & (rep != np.arange(n)))
    exact_pairs = np.stack((rep[copies], copies), axis=1) if copies.size else np.empty((0, 2), np.int64)
    # LSH over the representatives only; ties in the table follow id order, so the bounded expansion of
    # oversized buckets does not depend on the input order either.
    reps = reps[np.argsort(rank[reps], kind="stable")]
    if reps.size >= 2:
        table = BandTable.build(band_keys(signatures[reps], lsh))
        local = table.candidate_pairs(max_bucket_pairs)
        cand = reps[local] if len(local) else np.empty((0, 2), np.int64)
        verified, sims = verify_pairs(signatures, cand, threshold)
    else:
        verified, sims = np.empty((0, 2), np.int64), np.empty(0, np.float64)
    # A copy's nearest is its representative (1.0); the representative's nearest is its first copy.
    all_pairs = np.concatenate((exact_pairs, verified)) if len(exact_pairs) else verified
    all_sims = np.concatenate((np.ones(len(exact_pairs)), sims)) if len(exact_pairs) else sims
    # Copies also inherit the representative's verified neighbours as cluster members via union-find;
    # their nearest stays the exact copy.
    return cluster_pairs(ids, all_pairs, all_sims)


def find_near_duplicates(
    ids: Sequence[str],
    texts: Iterable[str],
    *,
    threshold: float = DEFAULT_THRESHOLD,
    recall: float = DEFAULT_RECALL,
    params: MinHashParams | None = None,
    hasher: MinHasher | None = None,
) -> list[DuplicateInfo]:
    """Near-duplicate clusters of cleaned texts (``Cleaned.text``), one :class:`DuplicateInfo` per id, in
    input order. Signatures by :class:`MinHasher`, then :func:`cluster_signatures`.

    Raises:
        ValueError: on a repeated id or when ids and texts differ in length.
        ConfigError: on parameters out of range.
    """
    hasher = hasher if hasher is not None else MinHasher(params)
    sigs = hasher.signatures(texts)
    return cluster_signatures(ids, sigs, threshold=threshold, recall=recall)
