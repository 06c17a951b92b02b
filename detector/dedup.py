"""Near-duplicate pages: shingles, MinHash signatures, LSH with explicit bands x rows, verification, clusters.

The one stage that looks across pages. A page's cleaned text becomes a set of word 5-gram shingles; a
MinHash signature (datasketch's own permutations, scheme pinned to ``"affine32"``) summarises the set;
locality-sensitive hashing over bands of the signature proposes candidate pairs; a candidate counts only
when its estimated Jaccard similarity (the share of agreeing signature values) reaches the threshold;
verified pairs are joined into clusters by union-find.

>>> hasher = MinHasher()
>>> sigs = hasher.signatures([text_a, text_b, text_c])       # (3, 128) uint32, identical to datasketch
>>> dups = find_near_duplicates(["a", "b", "c"], [text_a, text_b, text_c])
>>> dups[0].cluster_id, dups[0].cluster_size, dups[0].nearest_id, dups[0].nearest_similarity

For crawlers, :class:`NearDuplicateIndex` is the streaming form: ``add(id, text)``, ``query(text)``,
``save``/``load`` (JSON + ``.npz``, nothing that can run code), optionally with its LSH tables in Redis
through datasketch's own storage backend so that several processes share one index.

Choices and where their numbers come from:

* **Shingles of 5 words.** datatrove's MinHash deduplication (the one FineWeb was built with) defaults to
  word 5-grams (``MinhashConfig.n_grams = 5``); Broder's original near-duplicate clustering used 10
  ("Syntactic clustering of the Web", 1997). Short shingles (1-3 words) are shared by unrelated texts of
  one topic ("the united states"); long ones make each changed word remove n shingles. Measured here
  (reports/bench_dedup.md): one word edited in 20 still leaves a Jaccard of about 0.65, while a human
  l2r text and the LLM rewrites of it share a mean of 0.03.
* **128 permutations.** datasketch's default. The standard error of the estimate at J = 0.8 is
  sqrt(0.8 * 0.2 / 128) = 0.035; a signature is 512 bytes.
* **Bands x rows** from the S-curve ``1 - (1 - J**r)**b``, chosen by :func:`choose_lsh_params` for the
  recall promised at the threshold (0.95 at J = 0.8 by default), not datasketch's balanced optimiser,
  which at 128 permutations and threshold 0.8 picks 9 bands x 13 rows and finds 1 - (1 - 0.8**13)**9 =
  0.40 of the pairs at J = 0.8 (see :func:`datasketch_lsh_params`). Candidates are then verified: the
  estimate is noisy, so a pair exactly at the threshold passes about half the time
  (:func:`detection_probability`); end to end, 0.95 of the pairs are reported from J ~ 0.86 up.

Two shingle hashes are available, both datasketch-compatible (a ``datasketch.MinHash`` built with the same
``hashfunc``, seed, permutations and scheme gives the same signature, see :meth:`MinHasher.datasketch_minhash`):

* ``"poly64"`` (default): a polynomial hash of the shingle's code points modulo 2**64, finished by the 64-bit
  MurmurHash3 finaliser, low 32 bits kept (:func:`poly64_hash32`). Polynomial hashes of every substring come
  from one prefix sum, so the batch path hashes every shingle of a chunk of pages in a few NumPy passes.
* ``"sha1"``: datasketch's default ``sha1_hash32`` (first 4 bytes of SHA-1 of the UTF-8 shingle, little
  endian): signatures identical to ``MinHash()`` with its defaults, for interchange; hashing then runs one
  Python call per shingle.
"""

from __future__ import annotations

import hashlib
import importlib
import itertools
import json
import math
import struct
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from detector.errors import ConfigError, InputError, missing_extra

if TYPE_CHECKING:  # pragma: no cover - typing only
    from datasketch import LeanMinHash, MinHash, MinHashLSH


U32Array = npt.NDArray[np.uint32]
U64Array = npt.NDArray[np.uint64]
IntArray = npt.NDArray[np.int64]
HashName = Literal["poly64", "sha1"]

#: datasketch's permutation scheme used everywhere here. datasketch 2.0 changed its default from "legacy"
#: to "affine32" (``a*h + b mod 2**32`` after a MurmurHash3 premix): the value is pinned, never taken from
#: the library's default, and recorded in every saved file.
SCHEME = "affine32"
#: Version of the text normalisation (NFKC, case folding, runs of non-word characters to one space). Saved
#: files record it: a change in it makes old signatures incomparable with new ones.
NORMALIZATION = "nfkc-casefold-lnm-words-v1"
FILE_FORMAT = "detector.dedup"
FILE_VERSION = 1

DEFAULT_NUM_PERM = 128
DEFAULT_SEED = 1
DEFAULT_SHINGLE_SIZE = 5
DEFAULT_THRESHOLD = 0.8
DEFAULT_RECALL = 0.95
#: A bucket shared by more documents than this is not expanded into all its pairs (k*(k-1)/2 of them):
#: each member is paired with the next ``MAX_BUCKET_PAIRS`` members in id order instead. Exact copies are
#: merged before LSH (:func:`cluster_signatures`), so only many distinct pages that agree on a whole band
#: reach this; 64 bounds the pairs per bucket member at 64.
MAX_BUCKET_PAIRS = 64

_MASK32 = 0xFFFFFFFF
_MASK64 = (1 << 64) - 1
_EMPTY = np.uint32(_MASK32)
#: Base of the polynomial shingle hash: odd (so invertible modulo 2**64), 64 bits, no short period.
POLY_BASE = 0x9E3779B97F4A7C15
_POLY_BASE_INV = pow(POLY_BASE, -1, 1 << 64)
# MurmurHash3 finalisers (Appleby, smhasher): fixed avalanching bijections; the 32-bit one is datasketch's
# premix of the affine schemes, reproduced here so the batch path needs no private datasketch function.
_FMIX64 = (33, 0xFF51AFD7ED558CCD, 33, 0xC4CEB9FE1A85EC53, 33)
_FMIX32 = (16, 0x85EBCA6B, 13, 0xC2B2AE35, 16)
# Separator of texts inside one chunk: a non-word character, so no word (hence no shingle) spans two texts.
_DOC_SEP = "\x00"


# ----------------------------------------------------------------------------------------------------
# Parameters
# ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MinHashParams:
    """Everything that makes two signatures comparable; saved with every signature file and index.

    Raises:
        ConfigError: on a value out of range (with the value in the message).
    """

    num_perm: int = DEFAULT_NUM_PERM
    seed: int = DEFAULT_SEED
    shingle_size: int = DEFAULT_SHINGLE_SIZE
    hash: HashName = "poly64"
    scheme: str = SCHEME
    normalization: str = NORMALIZATION

    def __post_init__(self) -> None:
        if not 2 <= self.num_perm <= 65536:
            raise ConfigError(f"num_perm {self.num_perm} out of range: use 2..65536 (datasketch's default is 128)")
        if not 0 <= self.seed < 2**32:
            raise ConfigError(f"seed {self.seed} out of range: numpy's RandomState takes 0..2**32-1")
        if not 1 <= self.shingle_size <= 64:
            raise ConfigError(f"shingle_size {self.shingle_size} out of range: use 1..64 words (default 5)")
        if self.hash not in ("poly64", "sha1"):
            raise ConfigError(f"unknown shingle hash {self.hash!r}: expected 'poly64' or 'sha1'")
        if self.scheme != SCHEME:
            raise ConfigError(f"permutation scheme {self.scheme!r} is not supported: this module pins {SCHEME!r}")
        if self.normalization != NORMALIZATION:
            raise ConfigError(
                f"text normalisation {self.normalization!r} is not this version's {NORMALIZATION!r}: "
                "signatures made with it cannot be compared with new ones; recompute them"
            )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MinHashParams:
        """Read the parameters saved by :meth:`to_dict`.

        Raises:
            ConfigError: for a missing or unknown key, or a value out of range.
        """
        expected = {f for f in cls.__dataclass_fields__}
        if set(data) != expected:
            raise ConfigError(f"MinHash parameters must have exactly the keys {sorted(expected)}, got {sorted(data)}")
        return cls(**data)


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


def detection_probability(jaccard: float, num_perm: int, lsh: LSHParams, threshold: float) -> float:
    """Probability that a pair of true Jaccard ``jaccard`` is reported: a band collision *and* an
    estimated Jaccard >= ``threshold``.

    Exact under the usual model in which each of the ``num_perm`` values agrees independently with
    probability J (dynamic programme over the bands: agreements so far x collided yet). The estimate's
    noise means a pair exactly at the threshold passes verification about half the time.

    Raises:
        ConfigError: when ``jaccard`` is outside [0, 1] or the LSH is for another num_perm.
    """
    if not 0.0 <= jaccard <= 1.0:
        raise ConfigError(f"Jaccard similarity {jaccard} outside [0, 1]")
    if lsh.num_perm != num_perm:
        raise ConfigError(f"LSH made for num_perm {lsh.num_perm}, not {num_perm}")
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
# Normalisation and shingles (the reference, one text at a time)
# ----------------------------------------------------------------------------------------------------


def is_word_char(ch: str) -> bool:
    """Letters, numbers and combining marks (Unicode categories L*, N*, M*) make words; all else separates.

    Marks count as word characters so that Devanagari, Thai or decomposed Latin words stay whole, where
    Python's ``\\w`` would split them. ``_`` is punctuation here.
    """
    return unicodedata.category(ch)[0] in "LNM"


def prepare(text: str) -> str:
    """NFKC then case folding: the character-level normalisation shared by both paths."""
    return unicodedata.normalize("NFKC", text).casefold()


def normalize_words(text: str) -> list[str]:
    """The words of ``text`` after NFKC and case folding, split at every run of non-word characters.

    Punctuation and whitespace are folded away: "Korea–Japan ties," and "korea japan TIES" give the same
    words. (``detector.textutil.words`` keeps inner hyphens and apostrophes, which is right for the
    signals and wrong here: "Korea-Japan" and "Korea Japan" must shingle alike.)
    """
    prepared = prepare(text)
    return "".join(ch if is_word_char(ch) else " " for ch in prepared).split()


def shingles(text: str, size: int = DEFAULT_SHINGLE_SIZE) -> list[str]:
    """Word ``size``-gram shingles of ``text``, each the words joined by one space, in text order.

    A text with fewer than ``size`` words (but at least one) has one shingle, all its words; a text with no
    word has none. This is the reference the batch path reproduces.
    """
    words = normalize_words(text)
    if not words:
        return []
    if len(words) < size:
        return [" ".join(words)]
    return [" ".join(words[i : i + size]) for i in range(len(words) - size + 1)]


def _fmix64_int(h: int) -> int:
    s1, m1, s2, m2, s3 = _FMIX64
    h ^= h >> s1
    h = (h * m1) & _MASK64
    h ^= h >> s2
    h = (h * m2) & _MASK64
    return h ^ (h >> s3)


def poly64_hash32(shingle: str | bytes) -> int:
    """The ``"poly64"`` shingle hash, one value at a time: usable as a datasketch ``hashfunc``.

    ``sum(ord(c_j) * POLY_BASE**j) mod 2**64`` over the shingle's code points (bytes are read as UTF-8),
    then the MurmurHash3 64-bit finaliser, low 32 bits. The finaliser is a bijection, so the only collisions
    are the polynomial's: for two different strings of length L with a random odd base they are rare (the
    known power-of-two-modulus attack needs strings of thousands of characters built for it), and far
    rarer than the 32-bit truncation every ``affine32`` hash goes through.
    """
    text = shingle.decode("utf-8") if isinstance(shingle, bytes) else shingle
    h = 0
    for ch in reversed(text):
        h = (h * POLY_BASE + ord(ch)) & _MASK64
    return _fmix64_int(h) & _MASK32


def sha1_hash32(shingle: str | bytes) -> int:
    """datasketch's default hash (``datasketch.hashfunc.sha1_hash32``): SHA-1, first 4 bytes little-endian.

    Strings are UTF-8 encoded first, which is what a caller of datasketch does before ``update``.
    """
    data = shingle.encode("utf-8") if isinstance(shingle, str) else shingle
    value: int = struct.unpack("<I", hashlib.sha1(data).digest()[:4])[0]
    return value


def _fmix32(h: U32Array) -> U32Array:
    s1, m1, s2, m2, s3 = (np.uint32(v) for v in _FMIX32)
    h = h ^ (h >> s1)
    h = h * m1
    h = h ^ (h >> s2)
    h = h * m2
    return h ^ (h >> s3)


def _fmix64(h: U64Array) -> U64Array:
    s1, m1, s2, m2, s3 = (np.uint64(v) for v in _FMIX64)
    h = h ^ (h >> s1)
    h = h * m1
    h = h ^ (h >> s2)
    h = h * m2
    return h ^ (h >> s3)


# ----------------------------------------------------------------------------------------------------
# MinHash: the batch path
# ----------------------------------------------------------------------------------------------------


def _datasketch_permutations(num_perm: int, seed: int) -> tuple[U32Array, U32Array]:
    """datasketch's own affine32 permutation parameters (a odd, b) for this num_perm and seed.

    Raises:
        ConfigError: when the installed datasketch predates permutation schemes (2.0).
    """
    from datasketch import MinHash

    try:
        perms = MinHash(num_perm=num_perm, seed=seed, scheme=SCHEME).permutations
    except TypeError as exc:  # datasketch < 2.0 has no scheme argument
        raise ConfigError("datasketch>=2.0 is needed (permutation schemes): pip install 'datasketch>=2.0'") from exc
    a = np.ascontiguousarray(perms[0], dtype=np.uint32)
    b = np.ascontiguousarray(perms[1], dtype=np.uint32)
    return a, b


@dataclass(slots=True)
class _Chunk:
    """Shingle hashes of a chunk of texts: ``hashes[i]`` belongs to text ``owner[i]`` (non-decreasing)."""

    n_texts: int
    hashes: U32Array
    owner: IntArray


class MinHasher:
    """MinHash signatures of texts, many at a time, identical to datasketch's ``MinHash``.

    ``signatures(texts)`` returns a ``(len(texts), num_perm)`` uint32 array, row i equal to
    ``MinHash(num_perm, seed, hashfunc=<the hash>, scheme="affine32")`` updated with ``shingles(texts[i])``
    (see :meth:`datasketch_minhash`), whatever the chunking. A text without words gets the empty signature
    (every value 2**32 - 1, as datasketch's empty MinHash); :func:`empty_rows` finds them.

    Texts are processed in chunks of about ``chunk_chars`` characters (a longer text is a chunk of its own),
    so the working memory is bounded by the chunk, not the number of texts: about 50 bytes per character
    of the chunk, the permutation block (``4 * num_perm * perm_block`` bytes) and the cached powers of the
    polynomial base (16 bytes per character of the largest chunk); the peak Python heap measured over 2,000
    texts of 4.6 KB at the defaults was 13.5 MB, and 11.6 MB over 200 of them (reports/bench_dedup.md).
    :meth:`iter_signatures` keeps the output chunked too. An instance is safe to share between threads
    (its only state, the power cache, is only ever replaced by a larger one).

    Raises:
        ConfigError: from the parameters, or when datasketch is older than 2.0.
    """

    def __init__(
        self, params: MinHashParams | None = None, *, chunk_chars: int = 1 << 18, perm_block: int = 8192
    ) -> None:
        self.params = params if params is not None else MinHashParams()
        if chunk_chars < 1 or perm_block < 1:
            raise ConfigError(f"chunk_chars {chunk_chars} and perm_block {perm_block} must be positive")
        self.chunk_chars = chunk_chars
        self.perm_block = perm_block
        self._a, self._b = _datasketch_permutations(self.params.num_perm, self.params.seed)
        self._powers: tuple[U64Array, U64Array] = (np.ones(1, np.uint64), np.ones(1, np.uint64))

    @property
    def num_perm(self) -> int:
        return self.params.num_perm

    @property
    def permutations(self) -> tuple[U32Array, U32Array]:
        """The (a, b) arrays of the permutations ``a*h + b mod 2**32`` (copies)."""
        return self._a.copy(), self._b.copy()

    # -- public API -------------------------------------------------------------------------------

    def signature(self, text: str) -> U32Array:
        """The signature of one text, shape ``(num_perm,)``."""
        sig: U32Array = self.signatures([text])[0]
        return sig

    def signatures(self, texts: Iterable[str]) -> U32Array:
        """Signatures of ``texts``, shape ``(n, num_perm)`` uint32, rows in input order.

        Raises:
            TypeError: when an item is not a str.
        """
        blocks = list(self.iter_signatures(texts))
        if not blocks:
            return np.empty((0, self.num_perm), dtype=np.uint32)
        return np.concatenate(blocks, axis=0)

    def iter_signatures(self, texts: Iterable[str]) -> Iterator[U32Array]:
        """Signatures chunk by chunk (each a ``(k, num_perm)`` array), for streams too long to hold.

        Raises:
            TypeError: when an item is not a str.
        """
        batch: list[str] = []
        chars = 0
        for text in texts:
            if not isinstance(text, str):
                raise TypeError(f"texts must be str, got {type(text).__name__}")
            prepared = prepare(text)
            if batch and chars + len(prepared) > self.chunk_chars:
                yield self._signatures_of(batch)
                batch, chars = [], 0
            batch.append(prepared)
            chars += len(prepared) + 1
        if batch:
            yield self._signatures_of(batch)

    def shingle_hashes(self, text: str) -> U32Array:
        """The 32-bit hashes of ``shingles(text)``, in order (what the signature is the minimum over)."""
        return self._hash_chunk([prepare(text)]).hashes

    def signatures_of_sets(self, sets: Iterable[Iterable[str]]) -> U32Array:
        """Signatures of ready-made sets of strings (features, not text): each string hashed as a whole by
        the configured hash, shape ``(n, num_perm)``. An empty set gets the empty signature.

        Equal to datasketch's ``MinHash`` updated with the same strings (UTF-8 bytes for ``"sha1"``). One
        Python hash call per string: meant for small sets (a page skeleton's few dozen features).
        """
        hashfunc = poly64_hash32 if self.params.hash == "poly64" else sha1_hash32
        hashes: list[int] = []
        owners: list[int] = []
        n_sets = 0
        for i, items in enumerate(sets):
            n_sets = i + 1
            for item in items:
                hashes.append(hashfunc(item))
                owners.append(i)
        chunk = _Chunk(n_sets, np.asarray(hashes, dtype=np.uint32), np.asarray(owners, dtype=np.int64))
        return self._min_over_permutations(chunk)

    def datasketch_minhash(self, text: str) -> MinHash:
        """The reference: datasketch's own ``MinHash`` of ``shingles(text)`` with the same hash, seed,
        permutations and scheme. Slow (pure Python); for checks and interchange.
        """
        from datasketch import MinHash

        hashfunc = poly64_hash32 if self.params.hash == "poly64" else sha1_hash32
        m = MinHash(num_perm=self.num_perm, seed=self.params.seed, hashfunc=hashfunc, scheme=SCHEME)
        values = shingles(text, self.params.shingle_size)
        m.update_batch([v.encode("utf-8") for v in values] if self.params.hash == "sha1" else values)
        return m

    def to_datasketch(self, signature: U32Array) -> LeanMinHash:
        """A ``datasketch.LeanMinHash`` holding ``signature`` (for datasketch's LSH, merge or jaccard).

        Raises:
            ConfigError: when the signature length is not num_perm.
        """
        from datasketch import LeanMinHash

        if signature.shape != (self.num_perm,):
            raise ConfigError(f"signature of shape {signature.shape} is not ({self.num_perm},)")
        return LeanMinHash(seed=self.params.seed, hashvalues=signature.astype(np.uint32), scheme=SCHEME)

    # -- internals --------------------------------------------------------------------------------

    def _signatures_of(self, prepared: list[str]) -> U32Array:
        chunk = self._hash_chunk(prepared)
        return self._min_over_permutations(chunk)

    def _power_tables(self, length: int) -> tuple[U64Array, U64Array]:
        """POLY_BASE**i and POLY_BASE**-i mod 2**64 for i < length, by doubling (numpy's cumprod on
        uint64 is ~30 ns a value; doubling is one vectorised multiply per value)."""
        pw, ipw = self._powers
        if len(pw) >= length:
            return pw, ipw
        size = max(length, 2 * len(pw))
        new_pw = np.empty(size, np.uint64)
        new_ipw = np.empty(size, np.uint64)
        new_pw[0] = new_ipw[0] = 1
        filled = 1
        step_pw, step_ipw = POLY_BASE, _POLY_BASE_INV  # base**filled, base**-filled
        while filled < size:
            n = min(filled, size - filled)
            np.multiply(new_pw[:n], np.uint64(step_pw), out=new_pw[filled : filled + n])
            np.multiply(new_ipw[:n], np.uint64(step_ipw), out=new_ipw[filled : filled + n])
            filled += n
            step_pw = step_pw * step_pw & _MASK64
            step_ipw = step_ipw * step_ipw & _MASK64
        if size <= 2 * self.chunk_chars + 2:  # a text longer than a chunk gets tables just for itself
            self._powers = (new_pw, new_ipw)
        return new_pw, new_ipw

    def _hash_chunk(self, prepared: list[str]) -> _Chunk:
        """Hash every shingle of a chunk of prepared (NFKC + case-folded) texts."""
        n_texts = len(prepared)
        n = self.params.shingle_size
        joined = _DOC_SEP.join(prepared)
        cps = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype="<u4").astype(np.uint32, copy=False)
        if cps.size == 0:
            return _Chunk(n_texts, np.empty(0, np.uint32), np.empty(0, np.int64))
        is_word = ((cps - np.uint32(48)) < 10) | ((cps - np.uint32(97)) < 26)  # ASCII after case folding
        non_ascii = np.flatnonzero(cps >= 128)
        if non_ascii.size:
            uniq, inverse = np.unique(cps[non_ascii], return_inverse=True)
            classes = np.array([is_word_char(chr(c)) for c in uniq.tolist()], dtype=bool)
            is_word[non_ascii] = classes[inverse]
        # Words are the runs of word characters: their starts and ends (exclusive) are the transitions of
        # the padded mask, alternately.
        padded = np.zeros(cps.size + 2, dtype=bool)
        padded[1:-1] = is_word
        edges = np.flatnonzero(padded[1:] != padded[:-1])
        raw_start, raw_end = edges[0::2], edges[1::2]
        n_words = raw_start.size
        if n_words == 0:
            return _Chunk(n_texts, np.empty(0, np.uint32), np.empty(0, np.int64))
        # The compact text keeps each word and the character after it, which becomes its one space: word k
        # starts at sum over earlier words of (length + 1).
        keep = padded[1:-1] | padded[:-2]
        comp = cps[keep].astype(np.uint64)
        word_len = raw_end - raw_start
        word_start = np.zeros(n_words, np.int64)
        np.cumsum(word_len[:-1] + 1, out=word_start[1:])
        word_end = word_start + word_len
        seps = word_end[word_end < comp.size]
        comp[seps] = 32
        # Which text each word is in: text i starts after i separators of the joined string.
        text_bound = np.zeros(n_texts + 1, np.int64)
        np.cumsum(np.fromiter((len(p) + 1 for p in prepared), np.int64, n_texts), out=text_bound[1:])
        word_bound = np.searchsorted(raw_start, text_bound)
        words_per_text = np.diff(word_bound)
        first_word = word_bound[:-1]
        per_text = np.where(words_per_text >= n, words_per_text - n + 1, (words_per_text > 0).astype(np.int64))
        owner = np.repeat(np.arange(n_texts, dtype=np.int64), per_text)
        first_shingle = np.zeros(n_texts, np.int64)
        np.cumsum(per_text[:-1], out=first_shingle[1:])
        first_w = first_word[owner] + (np.arange(owner.size, dtype=np.int64) - first_shingle[owner])
        last_w = np.minimum(first_w + (n - 1), first_word[owner] + words_per_text[owner] - 1)
        span_start = word_start[first_w]
        span_end = word_end[last_w]
        if self.params.hash == "sha1":
            text = comp.astype("<u4").tobytes().decode("utf-32-le", "surrogatepass")
            hashes = np.fromiter(
                (sha1_hash32(text[s:e]) for s, e in zip(span_start.tolist(), span_end.tolist(), strict=True)),
                dtype=np.uint32,
                count=owner.size,
            )
            return _Chunk(n_texts, hashes, owner)
        pw, ipw = self._power_tables(comp.size)
        prefix = np.empty(comp.size + 1, np.uint64)
        prefix[0] = 0
        np.multiply(comp, pw[: comp.size], out=comp)
        np.cumsum(comp, out=prefix[1:])
        poly = (prefix[span_end] - prefix[span_start]) * ipw[span_start]
        hashes = (_fmix64(poly) & np.uint64(_MASK32)).astype(np.uint32)
        return _Chunk(n_texts, hashes, owner)

    def _min_over_permutations(self, chunk: _Chunk) -> U32Array:
        """Per text, the minimum over its shingles of ``a * fmix32(h) + b mod 2**32`` for every permutation.

        Works on blocks of ``perm_block`` shingles in a ``(num_perm, block)`` buffer: that layout keeps the
        broadcast multiply on contiguous rows (about 3x faster than ``(block, num_perm)`` here), and
        ``minimum.reduceat`` along rows gives each text's minimum within the block.
        """
        out = np.full((chunk.n_texts, self.num_perm), _EMPTY, dtype=np.uint32)
        total = chunk.hashes.size
        if total == 0:
            return out
        premixed = _fmix32(chunk.hashes)
        a = self._a[:, None]
        b = self._b[:, None]
        width = min(self.perm_block, total)
        buf = np.empty((self.num_perm, width), np.uint32)
        for lo in range(0, total, width):
            hi = min(lo + width, total)
            view = buf[:, : hi - lo]
            np.multiply(a, premixed[lo:hi][None, :], out=view)
            np.add(view, b, out=view)
            owners = chunk.owner[lo:hi]
            seg = np.flatnonzero(np.concatenate(([True], owners[1:] != owners[:-1])))
            mins = np.minimum.reduceat(view, seg, axis=1)
            rows = owners[seg]
            out[rows] = np.minimum(out[rows], mins.T)
        return out


def empty_rows(signatures: U32Array) -> npt.NDArray[np.bool_]:
    """Which signatures are empty (texts without a word): every value 2**32 - 1.

    A non-empty text reaches that only if all num_perm minima hit 2**32 - 1, with probability ~2**-(32*num_perm).
    """
    result: npt.NDArray[np.bool_] = np.all(signatures == _EMPTY, axis=1)
    return result


def estimated_jaccard(a: U32Array, b: U32Array) -> float:
    """The share of agreeing signature values: datasketch's ``MinHash.jaccard`` estimate.

    Raises:
        ConfigError: when the shapes differ.
    """
    if a.shape != b.shape:
        raise ConfigError(f"signatures of shapes {a.shape} and {b.shape} cannot be compared")
    return float(np.count_nonzero(a == b)) / float(a.size)


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
        (in document order, the order ties keep in the stable sort). No Python dict is built.
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


# ----------------------------------------------------------------------------------------------------
# Files: signatures and indexes as JSON + npz (no pickle)
# ----------------------------------------------------------------------------------------------------


def _encode_ids(ids: Sequence[str]) -> tuple[npt.NDArray[np.uint8], IntArray]:
    data = [i.encode("utf-8") for i in ids]
    offsets = np.zeros(len(data) + 1, np.int64)
    if data:
        offsets[1:] = np.cumsum([len(d) for d in data])
    return np.frombuffer(b"".join(data), dtype=np.uint8).copy(), offsets


def _decode_ids(blob: npt.NDArray[np.uint8], offsets: IntArray) -> list[str]:
    raw = blob.tobytes()
    bounds = offsets.tolist()
    return [raw[bounds[i] : bounds[i + 1]].decode("utf-8") for i in range(len(bounds) - 1)]


def _write_npz(path: Path, meta: dict[str, Any], arrays: dict[str, np.ndarray[Any, Any]]) -> None:
    meta_bytes = np.frombuffer(json.dumps(meta, sort_keys=True).encode("utf-8"), dtype=np.uint8)
    tmp = path.with_name(path.name + ".tmp")
    payload: dict[str, Any] = {"meta": meta_bytes, **arrays}
    with tmp.open("wb") as fh:
        np.savez_compressed(fh, **payload)
    tmp.replace(path)


def _read_npz(path: Path, kind: str) -> tuple[dict[str, Any], dict[str, np.ndarray[Any, Any]]]:
    """Read a file written by :func:`_write_npz` with ``allow_pickle=False`` (no object arrays, no code).

    Raises:
        InputError: missing, unreadable or not one of our files, or of another version or kind.
    """
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise InputError(f"{path}: not a readable .npz file ({exc})") from exc
    try:
        meta = json.loads(arrays.pop("meta").tobytes().decode("utf-8"))
    except (KeyError, ValueError) as exc:
        raise InputError(f"{path}: no readable 'meta' record: not a {FILE_FORMAT} file") from exc
    if not isinstance(meta, dict) or meta.get("format") != FILE_FORMAT:
        raise InputError(f"{path}: not a {FILE_FORMAT} file")
    if meta.get("version") != FILE_VERSION:
        raise InputError(f"{path}: file version {meta.get('version')!r}, this code reads version {FILE_VERSION}")
    if meta.get("kind") != kind:
        raise InputError(f"{path}: holds {meta.get('kind')!r}, expected {kind!r}")
    return meta, arrays


def _checked_arrays(
    path: Path, meta: dict[str, Any], arrays: dict[str, np.ndarray[Any, Any]]
) -> tuple[MinHashParams, list[str], U32Array]:
    try:
        params = MinHashParams.from_dict(meta["minhash"])
    except (KeyError, TypeError) as exc:
        raise InputError(f"{path}: no MinHash parameters recorded") from exc
    try:
        sigs, blob, offsets = arrays["signatures"], arrays["id_bytes"], arrays["id_offsets"]
    except KeyError as exc:
        raise InputError(f"{path}: missing array {exc}") from exc
    n = int(meta.get("count", -1))
    if sigs.dtype != np.uint32 or sigs.ndim != 2 or sigs.shape != (n, params.num_perm):
        raise InputError(
            f"{path}: signatures of dtype {sigs.dtype} shape {sigs.shape}, expected uint32 ({n}, {params.num_perm})"
        )
    if blob.dtype != np.uint8 or offsets.dtype != np.int64 or offsets.shape != (n + 1,):
        raise InputError(f"{path}: id arrays of the wrong type or length")
    if offsets[0] != 0 or offsets[-1] != blob.size or np.any(np.diff(offsets) < 0):
        raise InputError(f"{path}: id offsets out of order")
    try:
        ids = _decode_ids(blob, offsets)
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: ids are not UTF-8") from exc
    return params, ids, np.ascontiguousarray(sigs)


def save_signatures(path: str | Path, ids: Sequence[str], signatures: U32Array, params: MinHashParams) -> None:
    """Save signatures with their ids and MinHash parameters (scheme, num_perm, seed, hash, shingle size).

    Raises:
        ValueError: when ids and signatures differ in length.
        ConfigError: when the signatures do not match ``params``.
    """
    if len(ids) != signatures.shape[0]:
        raise ValueError(f"{len(ids)} ids but {signatures.shape[0]} signatures")
    if signatures.ndim != 2 or signatures.shape[1] != params.num_perm or signatures.dtype != np.uint32:
        raise ConfigError(f"signatures of {signatures.dtype} {signatures.shape} are not uint32 (n, {params.num_perm})")
    blob, offsets = _encode_ids(ids)
    meta = {
        "format": FILE_FORMAT,
        "version": FILE_VERSION,
        "kind": "signatures",
        "count": len(ids),
        "minhash": params.to_dict(),
    }
    _write_npz(Path(path), meta, {"signatures": signatures, "id_bytes": blob, "id_offsets": offsets})


def load_signatures(path: str | Path) -> tuple[list[str], U32Array, MinHashParams]:
    """Load what :func:`save_signatures` wrote: (ids, signatures, params). Never unpickles.

    Raises:
        InputError: missing, corrupt or foreign file.
        ConfigError: parameters this version cannot compare with (another scheme or normalisation).
    """
    p = Path(path)
    meta, arrays = _read_npz(p, "signatures")
    params, ids, sigs = _checked_arrays(p, meta, arrays)
    return ids, sigs, params


# ----------------------------------------------------------------------------------------------------
# The streaming index
# ----------------------------------------------------------------------------------------------------

#: Rows per block of stored signatures (2 MB at 128 permutations).
_SIGNATURE_BLOCK = 4096
#: Documents buffered before they are sorted into a table. Each query scans the buffer (bands x 2048
#: comparisons, ~10 us) and every level: 2048 keeps both small.
_PENDING_DOCS = 2048


@dataclass(slots=True)
class _MemoryTables:
    """In-memory band tables of a streaming index: sorted levels of doubling size plus a small buffer."""

    bands: int
    levels: list[BandTable] = field(default_factory=list)
    pending_keys: U64Array = field(default_factory=lambda: np.empty((0, 0), np.uint64))
    pending_count: int = 0
    pending_offset: int = 0

    def add(self, keys: U64Array, first_doc: int) -> None:
        """Add the band keys of documents ``first_doc``, ``first_doc + 1``, ... (rows of ``keys``), which
        follow the documents already added."""
        i, n = 0, keys.shape[0]
        while i < n:
            if self.pending_count == 0 and n - i >= _PENDING_DOCS:
                self._push(BandTable.build(keys[i:], first_doc + i))  # a bulk add skips the buffer
                return
            if self.pending_count == 0:
                self.pending_keys = np.empty((_PENDING_DOCS, self.bands), np.uint64)
                self.pending_offset = first_doc + i
            take = min(_PENDING_DOCS - self.pending_count, n - i)
            self.pending_keys[self.pending_count : self.pending_count + take] = keys[i : i + take]
            self.pending_count += take
            i += take
            if self.pending_count == _PENDING_DOCS:
                self._flush()

    def _flush(self) -> None:
        if self.pending_count == 0:
            return
        table = BandTable.build(self.pending_keys[: self.pending_count], self.pending_offset)
        self.pending_keys = np.empty((0, 0), np.uint64)
        self.pending_count = 0
        self._push(table)

    def _push(self, table: BandTable) -> None:
        # Binary-counter merging: a level merges with the one below while that one is not larger, so
        # there are O(log n) levels and each key is copied O(log n) times in all.
        while self.levels and len(self.levels[-1]) <= len(table):
            table = BandTable.merge(self.levels.pop(), table)
        self.levels.append(table)

    def compact(self) -> None:
        """Sort the buffer into the levels (before measuring or saving)."""
        self._flush()

    def lookup(self, query_keys: U64Array) -> U32Array:
        hits = [level.lookup(query_keys) for level in self.levels]
        if self.pending_count:
            rows = np.flatnonzero(np.any(self.pending_keys[: self.pending_count] == query_keys[None, :], axis=1))
            hits.append((rows + self.pending_offset).astype(np.uint32))
        hits = [h for h in hits if h.size]
        if not hits:
            return np.empty(0, np.uint32)
        return np.unique(np.concatenate(hits))

    @property
    def nbytes(self) -> int:
        return sum(level.nbytes for level in self.levels) + int(self.pending_keys.nbytes)


class _RedisTables:
    """Band tables in Redis through datasketch's own ``MinHashLSH`` storage, plus the signatures and the
    index parameters under the same basename, so that processes opening the same basename share one index.

    Keys are the UTF-8 bytes of the ids with ``prepickle=False``: datasketch otherwise pickles keys into
    Redis and unpickles what it reads back, which would let anyone who can write to the Redis run code.
    """

    def __init__(self, config: Mapping[str, Any], basename: str, meta: dict[str, Any], lsh: LSHParams) -> None:
        try:
            redis = importlib.import_module("redis")
        except ImportError as exc:
            raise missing_extra("redis", "redis") from exc
        from datasketch import MinHashLSH

        self._base = basename.encode("utf-8")
        self._client = redis.Redis(**dict(config))
        self._sig_key = self._base + b"_signatures"
        self._meta_key = self._base + b"_meta"
        encoded = json.dumps(meta, sort_keys=True)
        try:
            self._client.setnx(self._meta_key, encoded)
            stored = self._client.get(self._meta_key)
        except redis.exceptions.RedisError as exc:
            raise ConfigError(f"cannot reach Redis with {dict(config)}: {exc}") from exc
        if stored is not None and json.loads(stored) != meta:
            raise ConfigError(
                f"the Redis index {basename!r} was made with other parameters: {stored.decode('utf-8')} "
                f"(this one: {encoded})"
            )
        self.lsh: MinHashLSH = MinHashLSH(
            num_perm=lsh.num_perm,
            params=(lsh.bands, lsh.rows),
            storage_config={"type": "redis", "basename": self._base, "redis": dict(config)},
            prepickle=False,
        )

    def contains(self, key: bytes) -> bool:
        return bool(self._client.hexists(self._sig_key, key))

    def add(self, key: bytes, signature: U32Array, minhash: LeanMinHash) -> bool:
        """Claim ``key`` (HSETNX: atomic across processes) and index it; False when it was already there."""
        if not self._client.hsetnx(self._sig_key, key, signature.astype("<u4").tobytes()):
            return False
        self.lsh.insert(key, minhash, check_duplication=False)
        return True

    def candidates(self, minhash: LeanMinHash) -> list[bytes]:
        return list(self.lsh.query(minhash))

    def signatures(self, keys: Sequence[bytes], num_perm: int) -> list[U32Array | None]:
        if not keys:
            return []
        raw = self._client.hmget(self._sig_key, list(keys))
        return [None if r is None else np.frombuffer(r, dtype="<u4").astype(np.uint32) for r in raw]

    def count(self) -> int:
        return int(self._client.hlen(self._sig_key))


class NearDuplicateIndex:
    """A streaming near-duplicate index for crawlers: ``add(id, text)`` as pages arrive, ``query(text)``
    for the verified near-duplicates among the pages added so far.

    ``query`` returns ``(id, estimated Jaccard)`` pairs with estimate >= ``threshold``, most similar first
    (ties by id): LSH candidates (``choose_lsh_params(num_perm, threshold, recall)``, 13 bands x 7 rows by
    default) verified against the stored signatures.

    **Memory**, in memory mode: ``4 * num_perm`` bytes of signature + ``12 * bands`` bytes of band tables
    per page (512 + 156 = 668 bytes at the defaults; signatures live in blocks of 4,096, so growing never
    copies them), plus the id string and its dict entry. Measured at 100,000 pages with 35-character ids
    (``python -m detector.bench_dedup``, reports/bench_dedup.md section 4): 680 bytes per page in arrays
    and 842 bytes per page in all (tracemalloc); 10,900 adds/s one at a time and 9,400 queries/s on one
    core. The tables are sorted arrays in levels of doubling size plus a buffer of 2,048 pages (no dict of
    lists per band), so a bulk :meth:`add_many` costs one sort.

    **Redis mode** (``redis={"host": ..., "port": ...}``, any ``redis.Redis`` keyword arguments): the band
    tables live in Redis through datasketch's own ``MinHashLSH(storage_config={"type": "redis", ...})``,
    with the signatures and parameters beside them under ``basename``; every process that opens the same
    basename with the same parameters shares the index (other parameters are refused). Needs the ``redis``
    package (``pip install 'detector[redis]'``).

    Raises:
        ConfigError: on parameters out of range, a missing redis package, an unreachable Redis, or a Redis
            index made with other parameters.
    """

    def __init__(
        self,
        *,
        threshold: float = DEFAULT_THRESHOLD,
        recall: float = DEFAULT_RECALL,
        params: MinHashParams | None = None,
        lsh: LSHParams | None = None,
        redis: Mapping[str, Any] | None = None,
        basename: str = "detector-dedup",
    ) -> None:
        if not 0.0 < threshold <= 1.0:
            raise ConfigError(f"threshold {threshold} must be in (0, 1]")
        self.params = params if params is not None else MinHashParams()
        self.threshold = threshold
        self.lsh = lsh if lsh is not None else choose_lsh_params(self.params.num_perm, min(threshold, 0.99), recall)
        if self.lsh.num_perm != self.params.num_perm:
            raise ConfigError(f"LSH made for num_perm {self.lsh.num_perm}, signatures have {self.params.num_perm}")
        self.hasher = MinHasher(self.params)
        self._band_hasher = BandHasher(self.lsh)
        self._redis: _RedisTables | None = None
        self._ids: list[str] = []
        self._index: dict[str, int] = {}
        self._sig_blocks: list[U32Array] = []  # fixed-size blocks: growing never copies, slack < one block
        self._tables = _MemoryTables(bands=self.lsh.bands)
        if redis is not None:
            self._redis = _RedisTables(redis, basename, self._meta(), self.lsh)

    def _meta(self) -> dict[str, Any]:
        return {
            "format": FILE_FORMAT,
            "version": FILE_VERSION,
            "kind": "index",
            "minhash": self.params.to_dict(),
            "lsh": self.lsh.to_dict(),
            "threshold": self.threshold,
        }

    # -- size and membership ----------------------------------------------------------------------

    def __len__(self) -> int:
        return self._redis.count() if self._redis is not None else len(self._ids)

    def __contains__(self, doc_id: object) -> bool:
        if not isinstance(doc_id, str):
            return False
        if self._redis is not None:
            return self._redis.contains(doc_id.encode("utf-8"))
        return doc_id in self._index

    @property
    def nbytes(self) -> int:
        """Bytes of the NumPy arrays allocated (signature blocks + band tables); ids and their dict come on top."""
        return int(sum(b.nbytes for b in self._sig_blocks) + self._tables.nbytes)

    # -- adding -----------------------------------------------------------------------------------

    def add(self, doc_id: str, text: str) -> bool:
        """Index one page's cleaned text under ``doc_id``; False (and nothing stored) when it has no word.

        Raises:
            ValueError: when ``doc_id`` is already in the index.
        """
        return self.add_many([doc_id], [text])[0]

    def add_many(self, ids: Sequence[str], texts: Sequence[str]) -> list[bool]:
        """Index many pages at once through the batch signature path; one bool per page as :meth:`add`.

        Raises:
            ValueError: on an id already in the index or repeated in ``ids``, or lengths that differ.
        """
        if len(ids) != len(texts):
            raise ValueError(f"{len(ids)} ids but {len(texts)} texts")
        if len(set(ids)) != len(ids):
            raise ValueError("ids repeat within the batch")
        for doc_id in ids:
            if doc_id in self:
                raise ValueError(f"document id {doc_id!r} is already in the index")
        sigs = self.hasher.signatures(texts)
        return self.add_signatures(ids, sigs)

    def add_signatures(self, ids: Sequence[str], signatures: U32Array) -> list[bool]:
        """Index precomputed signatures (from a :class:`MinHasher` with this index's parameters).

        Raises:
            ValueError: on an id already in the index, or lengths that differ.
            ConfigError: on signatures of another width.
        """
        if signatures.ndim != 2 or signatures.shape[1] != self.params.num_perm:
            raise ConfigError(f"signatures of shape {signatures.shape} do not have num_perm {self.params.num_perm}")
        if len(ids) != signatures.shape[0]:
            raise ValueError(f"{len(ids)} ids but {signatures.shape[0]} signatures")
        if len(set(ids)) != len(ids):
            raise ValueError("ids repeat within the batch")
        ok = ~empty_rows(signatures)
        keep_ids = [doc_id for doc_id, good in zip(ids, ok.tolist(), strict=True) if good]
        keep = signatures[ok]
        if self._redis is not None:
            for doc_id, sig in zip(keep_ids, keep, strict=True):
                if not self._redis.add(doc_id.encode("utf-8"), sig, self.hasher.to_datasketch(sig)):
                    raise ValueError(f"document id {doc_id!r} is already in the index")
            return ok.tolist()
        for doc_id in keep_ids:
            if doc_id in self._index:
                raise ValueError(f"document id {doc_id!r} is already in the index")
        start = len(self._ids)
        self._append_signatures(keep)
        for i, doc_id in enumerate(keep_ids):
            self._index[doc_id] = start + i
        self._ids.extend(keep_ids)
        self._tables.add(self._band_hasher.keys(keep), start)
        return ok.tolist()

    def _append_signatures(self, sigs: U32Array) -> None:
        n = len(self._ids)
        done = 0
        while done < sigs.shape[0]:
            row = (n + done) % _SIGNATURE_BLOCK
            if row == 0:
                self._sig_blocks.append(np.empty((_SIGNATURE_BLOCK, self.params.num_perm), np.uint32))
            take = min(_SIGNATURE_BLOCK - row, sigs.shape[0] - done)
            self._sig_blocks[-1][row : row + take] = sigs[done : done + take]
            done += take

    def _stored(self, docs: U32Array) -> U32Array:
        """The stored signatures of documents ``docs``, one row each."""
        blocks = docs // _SIGNATURE_BLOCK
        rows = docs % _SIGNATURE_BLOCK
        if docs.size and blocks[0] == blocks[-1] and np.all(blocks == blocks[0]):
            return self._sig_blocks[int(blocks[0])][rows]
        return np.stack([self._sig_blocks[b][r] for b, r in zip(blocks.tolist(), rows.tolist(), strict=True)])

    def _all_signatures(self) -> U32Array:
        n = len(self._ids)
        if not self._sig_blocks:
            return np.empty((0, self.params.num_perm), np.uint32)
        return np.concatenate(self._sig_blocks, axis=0)[:n]

    # -- querying ---------------------------------------------------------------------------------

    def query(self, text: str) -> list[tuple[str, float]]:
        """The indexed pages whose estimated Jaccard with ``text`` is >= threshold, most similar first."""
        return self.query_signature(self.hasher.signature(text))

    def query_signature(self, signature: U32Array) -> list[tuple[str, float]]:
        """:meth:`query` for a precomputed signature.

        Raises:
            ConfigError: on a signature of another width.
        """
        if signature.shape != (self.params.num_perm,):
            raise ConfigError(f"signature of shape {signature.shape} is not ({self.params.num_perm},)")
        if bool(np.all(signature == _EMPTY)):
            return []
        need = _agreements_needed(self.threshold, self.params.num_perm)
        found: list[tuple[str, float]] = []
        if self._redis is not None:
            keys = self._redis.candidates(self.hasher.to_datasketch(signature))
            for key, sig in zip(keys, self._redis.signatures(keys, self.params.num_perm), strict=True):
                if sig is None:
                    continue
                agree = int(np.count_nonzero(sig == signature))
                if agree >= need:
                    found.append((key.decode("utf-8"), agree / self.params.num_perm))
        else:
            docs = self._tables.lookup(self._band_hasher.keys(signature))
            if docs.size:
                agree = np.count_nonzero(self._stored(docs) == signature[None, :], axis=1)
                for d, k in zip(docs.tolist(), agree.tolist(), strict=True):
                    if k >= need:
                        found.append((self._ids[d], k / self.params.num_perm))
        found.sort(key=lambda item: (-item[1], item[0]))
        return found

    # -- files ------------------------------------------------------------------------------------

    def save(self, path: str | Path) -> None:
        """Write the index to ``path`` (one ``.npz``: JSON parameters, ids, signatures; the band tables are
        rebuilt on load). Loading it cannot run code.

        Raises:
            ConfigError: for a Redis-backed index (its state lives in Redis).
        """
        if self._redis is not None:
            raise ConfigError("a Redis-backed index lives in Redis: save() is for in-memory indexes")
        blob, offsets = _encode_ids(self._ids)
        meta = self._meta() | {"count": len(self._ids)}
        arrays: dict[str, np.ndarray[Any, Any]] = {
            "signatures": self._all_signatures(),
            "id_bytes": blob,
            "id_offsets": offsets,
        }
        _write_npz(Path(path), meta, arrays)

    @classmethod
    def load(cls, path: str | Path) -> NearDuplicateIndex:
        """Read an index written by :meth:`save` (``np.load(allow_pickle=False)``: no code runs).

        Raises:
            InputError: missing, corrupt or foreign file.
            ConfigError: parameters this version cannot use (another scheme, normalisation, bands).
        """
        p = Path(path)
        meta, arrays = _read_npz(p, "index")
        params, ids, sigs = _checked_arrays(p, meta, arrays)
        try:
            lsh = LSHParams(**meta["lsh"])
            threshold = float(meta["threshold"])
        except (KeyError, TypeError) as exc:
            raise InputError(f"{p}: no LSH parameters or threshold recorded") from exc
        index = cls(threshold=threshold, params=params, lsh=lsh)
        index.add_signatures(ids, sigs)
        index._tables.compact()
        return index


__all__ = [
    "DEFAULT_NUM_PERM",
    "DEFAULT_RECALL",
    "DEFAULT_SEED",
    "DEFAULT_SHINGLE_SIZE",
    "DEFAULT_THRESHOLD",
    "NORMALIZATION",
    "SCHEME",
    "BandHasher",
    "BandTable",
    "DuplicateInfo",
    "LSHParams",
    "MinHashParams",
    "MinHasher",
    "NearDuplicateIndex",
    "band_keys",
    "choose_lsh_params",
    "cluster_pairs",
    "cluster_signatures",
    "datasketch_lsh_params",
    "detection_probability",
    "empty_rows",
    "estimated_jaccard",
    "find_near_duplicates",
    "is_word_char",
    "load_signatures",
    "normalize_words",
    "poly64_hash32",
    "prepare",
    "s_curve",
    "save_signatures",
    "sha1_hash32",
    "shingles",
    "union_find_roots",
    "verify_pairs",
]
