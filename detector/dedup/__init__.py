"""Near-duplicate pages: shingles, MinHash signatures, LSH with explicit bands x rows, verification, clusters.

The one stage that looks across pages. A page's cleaned text becomes a set of word 5-gram shingles; a
MinHash signature (datasketch's own permutations, scheme pinned to ``"affine32"``) summarises the set;
locality-sensitive hashing over bands of the signature proposes candidate pairs; a candidate counts only
when its Jaccard similarity reaches the threshold; verified pairs are joined into clusters by union-find.

How a candidate is verified depends on the path:

* **batch** (:func:`find_near_duplicates`, :func:`cluster_signatures` given a :class:`ShingleStore`, and
  ``detector dedup`` / ``detector score --dedup``): on the **exact** Jaccard of the two documents' sets of
  shingle hashes (the hashes the signatures are built from), kept in memory or spooled to a temporary
  file. ``nearest_similarity`` is that exact value;
* **streaming** (:class:`NearDuplicateIndex`) and :func:`cluster_signatures` without shingle sets: on
  the **estimated** Jaccard, the share of agreeing signature values (only signatures are kept).

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
  0.40 of the pairs at J = 0.8 (see :func:`datasketch_lsh_params`).
* **Exact verification in batch.** The estimate's standard error is 0.035 at J = 0.8, so verifying on it
  reports a pair exactly at the threshold about half the time and one at 0.77 a fifth of the time
  (:func:`detection_probability`; 0.95 of the pairs only from J ~ 0.86 up). On the exact Jaccard, the
  reported share is the S-curve itself at and above the threshold (0.953 at J = 0.8, 0.99 at 0.84) and 0
  below it. Measured on edited copies of 413 held-out real articles (``detector.dedup_eval``): recall
  0.981 of the pairs at J >= 0.8 and precision 1.000, where the estimate gave 0.929 and 0.917 (the three
  pairs missed share no band: the S-curve's misses). The cost: 4 bytes per distinct shingle on disk
  (about 4 bytes a word of text), 8 to 16 bytes per document in memory (the offsets, grown by
  doubling), and one exact set comparison per candidate pair, 13-16 us at 250 shingles a document
  (``python -m detector.bench_dedup``).

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

from detector.dedup.cluster import (
    DuplicateInfo,
    cluster_pairs,
    cluster_signatures,
    find_near_duplicates,
    union_find_roots,
    verify_pairs,
    verify_pairs_exact,
)
from detector.dedup.files import FILE_FORMAT as FILE_FORMAT
from detector.dedup.files import FILE_VERSION as FILE_VERSION
from detector.dedup.files import load_signatures, save_signatures
from detector.dedup.index import NearDuplicateIndex
from detector.dedup.lsh import (
    DEFAULT_RECALL,
    DEFAULT_THRESHOLD,
    BandHasher,
    BandTable,
    LSHParams,
    band_keys,
    choose_lsh_params,
    datasketch_lsh_params,
    detection_probability,
    s_curve,
)
from detector.dedup.lsh import MAX_BUCKET_PAIRS as MAX_BUCKET_PAIRS
from detector.dedup.minhash import (
    DEFAULT_NUM_PERM,
    DEFAULT_SEED,
    DEFAULT_SHINGLE_SIZE,
    NORMALIZATION,
    SCHEME,
    MinHasher,
    MinHashParams,
    empty_rows,
    estimated_jaccard,
    is_word_char,
    normalize_words,
    poly64_hash32,
    prepare,
    sha1_hash32,
    shingles,
)
from detector.dedup.minhash import POLY_BASE as POLY_BASE
from detector.dedup.minhash import HashName as HashName
from detector.dedup.minhash import IntArray as IntArray
from detector.dedup.minhash import U32Array as U32Array
from detector.dedup.minhash import U64Array as U64Array
from detector.dedup.shingles import ShingleStore

# FILE_FORMAT, FILE_VERSION, MAX_BUCKET_PAIRS, POLY_BASE and the array type aliases are re-exported with
# ``X as X``: importable from here as before, and, as before, not in ``__all__``.
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
    "ShingleStore",
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
    "verify_pairs_exact",
]
