"""Locality-sensitive hashing over MinHash signatures: bands x rows, band keys, compact band tables."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from detector.dedup.minhash import _MASK32, DEFAULT_NUM_PERM, IntArray, U32Array, U64Array, _fmix64
from detector.errors import ConfigError

DEFAULT_THRESHOLD = 0.8
DEFAULT_RECALL = 0.95
#: A bucket shared by more documents than this is not expanded into all its pairs (k*(k-1)/2 of them):
#: each member is paired with the next ``MAX_BUCKET_PAIRS`` members in the table's order instead (for
#: batch clustering, :meth:`BandTable.build_neighbourly`: by the next band's key). Exact copies are merged
#: before LSH (:func:`cluster_signatures`), so only many distinct pages that agree on a whole band reach
#: this; 64 bounds the pairs per bucket member at 64 (8 bytes each, per band, while pairing). The price is
#: recall inside such a bucket: of 2,000 (10,000) copies of one 315-word text with 3 random words replaced
#: in each, whose pairs sit near J = 0.8, 986 (3,953) stay singletons at 64, 440 (1,795) at 256, where
#: pairing all of a bucket leaves about 276 (1,481) with no partner at all; 256 takes 2.2x (3.0x) the time.
#: In document order, 64 left 1,256 (5,778) in 0.6x (0.55x) the time. On the corpus's 20,741 texts every
#: setting gives the same clusters: real buckets are small.
MAX_BUCKET_PAIRS = 64


# ----------------------------------------------------------------------------------------------------
# Parameters
# ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LSHParams:
    """Bands x rows of an LSH index over signatures of ``num_perm`` values (``bands * rows <= num_perm``).

    Raises:
        ConfigError: when bands or rows is below 1, or bands * rows exceeds num_perm.
    """

    bands: int
    rows: int
    num_perm: int

    def __post_init__(self) -> None:
        if self.bands < 1 or self.rows < 1:
            raise ConfigError(f"bands {self.bands} and rows {self.rows} must both be at least 1")
        if self.bands * self.rows > self.num_perm:
            raise ConfigError(
                f"bands*rows = {self.bands}*{self.rows} = {self.bands * self.rows} exceeds num_perm {self.num_perm}"
            )

    def probability(self, jaccard: float) -> float:
        """The S-curve: probability that a pair of Jaccard ``jaccard`` shares at least one band."""
        return s_curve(jaccard, self.bands, self.rows)

    def to_dict(self) -> dict[str, int]:
        return {"bands": self.bands, "rows": self.rows, "num_perm": self.num_perm}


def s_curve(jaccard: float, bands: int, rows: int) -> float:
    """``1 - (1 - J**rows)**bands``: the chance that two sets of Jaccard J collide in at least one band.

    Raises:
        ConfigError: when ``jaccard`` is outside [0, 1].
    """
    if not 0.0 <= jaccard <= 1.0:
        raise ConfigError(f"Jaccard similarity {jaccard} outside [0, 1]")
    return 1.0 - (1.0 - jaccard**rows) ** bands


def _false_positive_area(bands: int, rows: int, threshold: float, steps: int = 400) -> float:
    """Integral of the S-curve over [0, threshold] (trapezoid rule): how much the index proposes below it."""
    js = np.linspace(0.0, threshold, steps + 1)
    ps = 1.0 - (1.0 - js**rows) ** bands
    return float(np.sum((ps[1:] + ps[:-1]) * 0.5) * (threshold / steps))


def choose_lsh_params(
    num_perm: int = DEFAULT_NUM_PERM, threshold: float = DEFAULT_THRESHOLD, recall: float = DEFAULT_RECALL
) -> LSHParams:
    """The bands x rows that find at least ``recall`` of the pairs at Jaccard ``threshold`` (hence of all
    pairs at or above it: the S-curve increases), proposing as few pairs below it as possible.

    Among every (bands, rows) with ``bands * rows <= num_perm`` and ``s_curve(threshold) >= recall``, the
    one with the smallest area under the S-curve on [0, threshold]; ties go to fewer bands (less memory).
    At 128 permutations, threshold 0.8 and recall 0.95 this is 13 bands x 7 rows: 1 - (1 - 0.8**7)**13 =
    0.953 of the pairs at J = 0.8 become candidates, 0.097 of those at J = 0.5.

    Raises:
        ConfigError: when threshold or recall is outside (0, 1), or no bands x rows reaches the recall
            (the message gives the best one and its recall).
    """
    if not 0.0 < threshold < 1.0:
        raise ConfigError(f"threshold {threshold} must be strictly between 0 and 1")
    if not 0.0 < recall < 1.0:
        raise ConfigError(f"recall {recall} must be strictly between 0 and 1")
    best: tuple[float, int, int] | None = None
    best_recall = (0.0, 0, 0)
    for rows in range(1, num_perm + 1):
        for bands in range(1, num_perm // rows + 1):
            p = s_curve(threshold, bands, rows)
            if p > best_recall[0]:
                best_recall = (p, bands, rows)
            if p < recall:
                continue
            area = _false_positive_area(bands, rows, threshold)
            key = (area, bands, rows)
            if best is None or key < best:
                best = key
            break  # more bands at these rows only add false positives
    if best is None:
        p, b, r = best_recall
        raise ConfigError(
            f"no bands x rows with num_perm {num_perm} reaches recall {recall} at Jaccard {threshold}: "
            f"the best is {b}x{r} with {p:.3f}; use more permutations or a lower recall"
        )
    return LSHParams(bands=best[1], rows=best[2], num_perm=num_perm)


def datasketch_lsh_params(threshold: float = DEFAULT_THRESHOLD, num_perm: int = DEFAULT_NUM_PERM) -> LSHParams:
    """The bands x rows that ``datasketch.MinHashLSH(threshold, num_perm)`` picks with its default weights.

    For comparison only: its optimiser balances the false-positive and false-negative areas, so its recall
    at the threshold itself is whatever falls out (0.40 at 128 permutations and 0.8: 9 bands x 13 rows).
    """
    from datasketch.lsh import _optimal_param

    bands, rows = _optimal_param(threshold, num_perm, 0.5, 0.5)
    return LSHParams(bands=int(bands), rows=int(rows), num_perm=num_perm)


def detection_probability(
    jaccard: float, num_perm: int, lsh: LSHParams, threshold: float, *, exact: bool = False
) -> float:
    """Probability that a pair of true Jaccard ``jaccard`` is reported: a band collision *and* a
    verified Jaccard >= ``threshold``.

    ``exact=True``: verification on the exact Jaccard of the shingle sets (``cluster_signatures`` with a
    :class:`ShingleStore`, hence ``find_near_duplicates`` and ``detector dedup``), so the probability is
    the S-curve at and above the threshold and 0 below it.

    ``exact=False`` (the streaming :class:`NearDuplicateIndex`, and ``cluster_signatures`` without shingle
    sets): verification on the estimated Jaccard. Exact under the usual model in which each of the
    ``num_perm`` values agrees independently with probability J (dynamic programme over the bands:
    agreements so far x collided yet). The estimate's noise means a pair exactly at the threshold passes
    verification about half the time.

    Raises:
        ConfigError: when ``jaccard`` is outside [0, 1] or the LSH is for another num_perm.
    """
    if not 0.0 <= jaccard <= 1.0:
        raise ConfigError(f"Jaccard similarity {jaccard} outside [0, 1]")
    if lsh.num_perm != num_perm:
        raise ConfigError(f"LSH made for num_perm {lsh.num_perm}, not {num_perm}")
    if exact:
        return lsh.probability(jaccard) if jaccard >= threshold else 0.0
    r = lsh.rows
    band = np.array([math.comb(r, k) * jaccard**k * (1 - jaccard) ** (r - k) for k in range(r + 1)])
    # state[c, k]: c = collided (0/1), k = agreements so far
    state = np.zeros((2, num_perm + 1))
    state[0, 0] = 1.0
    for _ in range(lsh.bands):
        new = np.zeros_like(state)
        for k in range(r + 1):
            shifted = np.roll(state, k, axis=1) * band[k]
            shifted[:, :k] = 0.0
            if k == r:
                new[1] += shifted[0] + shifted[1]
            else:
                new += shifted
        state = new
    rest = num_perm - lsh.bands * lsh.rows
    if rest:
        tail = np.array([math.comb(rest, k) * jaccard**k * (1 - jaccard) ** (rest - k) for k in range(rest + 1)])
        state = np.array([np.convolve(state[0], tail)[: num_perm + 1], np.convolve(state[1], tail)[: num_perm + 1]])
    need = _agreements_needed(threshold, num_perm)
    return float(state[1, need:].sum())


def _agreements_needed(threshold: float, num_perm: int) -> int:
    """Smallest number of agreeing values whose share is >= threshold (0.8 of 128 -> 103)."""
    return math.ceil(threshold * num_perm - 1e-9)


# ----------------------------------------------------------------------------------------------------
# LSH: band keys, compact band tables, candidate pairs
# ----------------------------------------------------------------------------------------------------


def _odd_multipliers(count: int) -> U64Array:
    """``count`` odd 64-bit constants: splitmix64 (Steele et al. 2014) of 1..count, low bit set."""
    z = (np.arange(1, count + 1, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)).astype(np.uint64)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    result: U64Array = (z ^ (z >> np.uint64(31))) | np.uint64(1)
    return result


def _row_hash(values: npt.NDArray[np.uint64], multipliers: U64Array) -> U64Array:
    """A 64-bit hash of each row of ``values`` (last axis): a random linear combination mod 2**64 (one
    integer matmul; NumPy's integer matmul wraps), then the MurmurHash3 finaliser."""
    result: U64Array = _fmix64(values @ multipliers)
    return result


class BandHasher:
    """Band keys for one :class:`LSHParams`: one uint64 per (document, band), shape ``(n, bands)``.

    A band's key hashes its ``rows`` values (:func:`_row_hash`); the band index takes the top
    ``ceil(log2(bands))`` bits, so that the keys of all bands can share one sorted array. Two documents
    get the same key of a band when they agree on all its values, or, with probability about
    2**-(64 - bits) per pair and band, by collision: an extra candidate that verification removes.
    """

    block = 16384  # documents per step of :meth:`keys`

    def __init__(self, lsh: LSHParams) -> None:
        self.lsh = lsh
        self._multipliers = _odd_multipliers(lsh.rows)
        self._bits = math.ceil(math.log2(lsh.bands)) if lsh.bands > 1 else 0
        tags = np.arange(lsh.bands, dtype=np.uint64) << np.uint64(64 - self._bits) if self._bits else None
        self._tags = tags

    def keys(self, signatures: U32Array) -> U64Array:
        """Band keys of ``signatures`` (``(n, num_perm)``; a single ``(num_perm,)`` signature gives ``(bands,)``).

        Raises:
            ConfigError: when the signatures do not have ``lsh.num_perm`` columns.
        """
        lsh = self.lsh
        if signatures.shape[-1] != lsh.num_perm or signatures.ndim not in (1, 2):
            raise ConfigError(f"signatures of shape {signatures.shape} do not have num_perm {lsh.num_perm} columns")
        if signatures.ndim == 1:
            return self._keys(signatures[None, :])[0]
        out = np.empty((signatures.shape[0], lsh.bands), np.uint64)
        for lo in range(0, signatures.shape[0], self.block):  # bounds the uint64 copy to a block
            out[lo : lo + self.block] = self._keys(signatures[lo : lo + self.block])
        return out

    def _keys(self, signatures: U32Array) -> U64Array:
        lsh = self.lsh
        used = signatures[:, : lsh.bands * lsh.rows]
        grouped = used.reshape(signatures.shape[0], lsh.bands, lsh.rows).astype(np.uint64)
        h = _row_hash(grouped, self._multipliers)
        if self._tags is not None:
            h = (h >> np.uint64(self._bits)) | self._tags
        return h


def band_keys(signatures: U32Array, lsh: LSHParams) -> U64Array:
    """``BandHasher(lsh).keys(signatures)``: the band keys, shape ``(n, bands)``.

    Raises:
        ConfigError: when the signatures do not have ``lsh.num_perm`` columns.
    """
    return BandHasher(lsh).keys(signatures)


@dataclass(slots=True)
class BandTable:
    """One sorted array of band keys and the document of each: ``bands * 12`` bytes per document.

    Built from ``band_keys`` output (``(n, bands)``, document i having index ``offset + i``).
    """

    keys: U64Array
    docs: U32Array

    @classmethod
    def build(cls, keys: U64Array, offset: int = 0) -> BandTable:
        flat = keys.ravel()
        order = np.argsort(flat, kind="stable")
        docs = (order // keys.shape[1] + offset).astype(np.uint32)
        return cls(keys=flat[order], docs=docs)

    @classmethod
    def build_neighbourly(cls, keys: U64Array) -> BandTable:
        """As :meth:`build`, but a bucket's documents ordered by their key in the next band (then by
        document): in a bucket too large to pair whole (:meth:`candidate_pairs`), the documents that also
        share the next band, the likelier near-duplicates, fall in each other's window. For batch
        clustering; a table that is merged later (:meth:`merge`) keeps only the key order."""
        flat = keys.ravel()
        following = np.roll(keys, -1, axis=1).ravel()
        order = np.lexsort((following, flat))  # stable: documents in index order within equal keys
        docs = (order // keys.shape[1]).astype(np.uint32)
        return cls(keys=flat[order], docs=docs)

    @classmethod
    def merge(cls, first: BandTable, second: BandTable) -> BandTable:
        keys = np.concatenate((first.keys, second.keys))
        docs = np.concatenate((first.docs, second.docs))
        order = np.argsort(keys, kind="stable")  # two sorted runs: timsort merges them in linear time
        return cls(keys=keys[order], docs=docs[order])

    def __len__(self) -> int:
        return int(self.keys.size)

    @property
    def nbytes(self) -> int:
        return int(self.keys.nbytes + self.docs.nbytes)

    def lookup(self, query_keys: U64Array) -> U32Array:
        """Documents sharing at least one of ``query_keys`` (one per band), unsorted, may repeat."""
        lo = np.searchsorted(self.keys, query_keys, side="left")
        hi = np.searchsorted(self.keys, query_keys, side="right")
        hits = [self.docs[s:e] for s, e in zip(lo.tolist(), hi.tolist(), strict=True) if e > s]
        if not hits:
            return np.empty(0, np.uint32)
        return np.concatenate(hits)

    def candidate_pairs(self, max_bucket_pairs: int = MAX_BUCKET_PAIRS) -> IntArray:
        """Pairs (i, j), i < j, of documents that share a band key; shape ``(m, 2)``, unique, sorted.

        Found by walking the sorted keys: a bucket of k documents gives its k*(k-1)/2 pairs when
        k <= max_bucket_pairs + 1, else each member is paired with the next ``max_bucket_pairs`` members
        in the table's order within the bucket (document order, or the next band's key for a table from
        :meth:`build_neighbourly`). No Python dict is built.
        """
        keys, docs = self.keys, self.docs.astype(np.int64)
        n = keys.size
        if n < 2:
            return np.empty((0, 2), np.int64)
        same_next = keys[1:] == keys[:-1]
        # positions p that start at least one pair (p and p + 1 in one bucket)
        pos = np.flatnonzero(same_next)
        found: list[U64Array] = []
        d = 1
        while pos.size and d <= max_bucket_pairs:
            left, right = docs[pos], docs[pos + d]
            lo, hi = np.minimum(left, right), np.maximum(left, right)
            found.append((lo.astype(np.uint64) << np.uint64(32)) | hi.astype(np.uint64))
            d += 1
            nxt = pos + d
            ok = nxt < n
            pos = pos[ok]
            nxt = nxt[ok]
            pos = pos[keys[nxt] == keys[pos]]
        if not found:
            return np.empty((0, 2), np.int64)
        packed = np.unique(np.concatenate(found))
        packed = packed[(packed >> np.uint64(32)) != (packed & np.uint64(_MASK32))]
        pairs = np.empty((packed.size, 2), np.int64)
        pairs[:, 0] = (packed >> np.uint64(32)).astype(np.int64)
        pairs[:, 1] = (packed & np.uint64(_MASK32)).astype(np.int64)
        return pairs
