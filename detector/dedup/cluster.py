"""Verification of candidate pairs (on the signature estimate, or exact on the shingle sets) and
near-duplicate clusters by union-find."""

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
from detector.dedup.shingles import ShingleStore
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


def verify_pairs_exact(
    shingles: ShingleStore, pairs: IntArray, threshold: float
) -> tuple[IntArray, npt.NDArray[np.float64]]:
    """Keep the candidate pairs whose exact Jaccard (of the documents' shingle-hash sets in ``shingles``)
    is >= ``threshold``; return them and their Jaccard.

    Raises:
        ConfigError: when the threshold is outside [0, 1].
        ValueError: when a pair indexes past the store, or the store is closed.
    """
    if not 0.0 <= threshold <= 1.0:
        raise ConfigError(f"threshold {threshold} outside [0, 1]")
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    sims = shingles.jaccard_pairs(pairs)
    ok = sims >= threshold
    return pairs[ok], sims[ok]


# ----------------------------------------------------------------------------------------------------
# Clustering
# ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DuplicateInfo:
    """One document's place among near-duplicates.

    ``cluster_id`` is the smallest member id (string order) of its cluster, the document's own id when it
    has no verified near-duplicate (``cluster_size`` 1, ``nearest_id`` None, ``nearest_similarity`` 0.0).
    ``nearest_id`` is its most similar verified neighbour (ties: the smallest id), with the similarity the
    pair was verified on: the exact Jaccard when the clustering had the shingle sets, else the estimate.
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
    shingles: ShingleStore | None = None,
) -> list[DuplicateInfo]:
    """Near-duplicate clusters of documents given their signatures; one :class:`DuplicateInfo` per id.

    Exact copies (identical signatures) are grouped first, each copy paired with the group's member of
    smallest id, so that a page copied 10,000 times costs 10,000 pairs, not 50 million. The other
    documents go through a :class:`BandTable` (``lsh``, by default :func:`choose_lsh_params` for
    ``threshold`` and ``recall``), candidate pairs are verified at ``threshold``, and union-find joins them.
    Documents with empty signatures (no words) are singletons.

    Verification:

    * with ``shingles`` (document i of the store is row i's shingle-hash set, see :meth:`MinHasher.
      iter_sketches`), a candidate counts when its **exact** Jaccard is >= ``threshold``, and that is its
      similarity. Copies are checked too: identical signatures nearly always mean identical sets, but a pair
      at J = 0.99 still has 128 identical values 28% of the time (0.99**128), so each copy is paired with
      the group's member of smallest id at their exact Jaccard, and a copy below the threshold (J**128 at
      J < 0.8: never in practice) goes through LSH as a document of its own;
    * without, on the **estimate** (the share of agreeing signature values, :func:`verify_pairs`), and
      copies are paired at 1.0.

    ``max_bucket_pairs`` bounds the candidates of a band bucket shared by many distinct documents (see
    :data:`~detector.dedup.lsh.MAX_BUCKET_PAIRS`): a large family of near-copies around the threshold
    then loses members (they stay singletons); raising it finds them at a cost linear in it.

    Raises:
        ValueError: on a repeated id, or when ids, signatures and shingle sets differ in number.
        ConfigError: on LSH parameters that do not fit the signatures.
    """
    n = len(ids)
    if signatures.shape[0] != n:
        raise ValueError(f"{n} ids but {signatures.shape[0]} signatures")
    if shingles is not None and len(shingles) != n:
        raise ValueError(f"{n} ids but {len(shingles)} shingle sets")
    num_perm = signatures.shape[1]
    if lsh is None:
        lsh = choose_lsh_params(num_perm, threshold, recall)
    valid = ~empty_rows(signatures)
    rank, _ = _id_order(ids)
    rep, reps = _exact_groups(signatures, valid, rank)
    copies = np.flatnonzero(valid & (rep != np.arange(n)))
    copy_pairs = np.stack((rep[copies], copies), axis=1) if copies.size else np.empty((0, 2), np.int64)
    if shingles is None:
        copy_sims = np.ones(len(copy_pairs))
    else:
        copy_sims = shingles.jaccard_pairs(copy_pairs)
        apart = copy_sims < threshold
        reps = np.concatenate((reps, copy_pairs[apart, 1]))
        copy_pairs, copy_sims = copy_pairs[~apart], copy_sims[~apart]
    # LSH over the representatives only; ties in the table follow the next band's key, then id order, so the
    # bounded expansion of oversized buckets does not depend on the input order either.
    reps = reps[np.argsort(rank[reps], kind="stable")]
    if reps.size >= 2:
        table = BandTable.build_neighbourly(band_keys(signatures[reps], lsh))
        local = table.candidate_pairs(max_bucket_pairs)
        cand = reps[local] if len(local) else np.empty((0, 2), np.int64)
        if shingles is None:
            verified, sims = verify_pairs(signatures, cand, threshold)
        else:
            verified, sims = verify_pairs_exact(shingles, cand, threshold)
    else:
        verified, sims = np.empty((0, 2), np.int64), np.empty(0, np.float64)
    # A copy's nearest is its representative; the representative's nearest is its most similar copy or
    # verified neighbour. Copies join the representative's cluster through union-find.
    return cluster_pairs(ids, np.concatenate((copy_pairs, verified)), np.concatenate((copy_sims, sims)))


def find_near_duplicates(
    ids: Sequence[str],
    texts: Iterable[str],
    *,
    threshold: float = DEFAULT_THRESHOLD,
    recall: float = DEFAULT_RECALL,
    params: MinHashParams | None = None,
    hasher: MinHasher | None = None,
    exact: bool = True,
    max_bucket_pairs: int = MAX_BUCKET_PAIRS,
) -> list[DuplicateInfo]:
    """Near-duplicate clusters of cleaned texts (``Cleaned.text``), one :class:`DuplicateInfo` per id, in
    input order: signatures and shingle sets by :class:`MinHasher` (one hashing pass), then
    :func:`cluster_signatures`.

    ``exact`` (the default): candidates are verified on the exact Jaccard of their shingle sets, held in
    memory for the call (4 bytes per distinct shingle); ``exact=False``: on the signature estimate.

    Raises:
        ValueError: on a repeated id or when ids and texts differ in length.
        ConfigError: on parameters out of range.
    """
    hasher = hasher if hasher is not None else MinHasher(params)
    if not exact:
        sigs = hasher.signatures(texts)
        return cluster_signatures(ids, sigs, threshold=threshold, recall=recall, max_bucket_pairs=max_bucket_pairs)
    with ShingleStore() as store:
        blocks = []
        for sigs, sets in hasher.iter_sketches(texts):
            blocks.append(sigs)
            store.extend(sets)
        all_sigs = np.concatenate(blocks) if blocks else np.empty((0, hasher.num_perm), np.uint32)
        return cluster_signatures(
            ids, all_sigs, threshold=threshold, recall=recall, shingles=store, max_bucket_pairs=max_bucket_pairs
        )
