"""What the text model reads: hashed word, byte and function-word n-grams of a page's prose, IDF-weighted.

Three blocks, each a binary presence vector by the hashing trick, weighted by inverse document frequency
and L2-normalised on its own, then put side by side:

* **words**: lower-cased word 1-2-grams and punctuation tokens (", which", ". this"): vocabulary and the
  phrasing around it;
* **bytes**: 3- and 4-grams of the UTF-8 bytes of the first ``BYTE_PREFIX`` bytes, case kept: spelling,
  morphology, spacing and punctuation habits ("—", "’s", " - "), in any script;
* **function words**: 1-4-grams of the tokens with every word outside the ``FREQUENT_TOKENS`` most common
  ones (by document frequency in the training prose: "the", "of", ",", "which", ...) replaced by its
  shape (``<x>``, ``<Xx>``, ``<XX>``, ``<d>``): "<Xx> , which <x> the <x> of": sentence construction
  with the topic words taken out, the part of style that carries over to topics and genres the model
  never saw (text distortion, Stamatatos 2017).

An n-gram seen in fewer than ``MIN_DF`` training texts gets weight 0: a phrase of one text teaches the
model that text, not a way of writing.

Chosen by validation inside the training split (a quarter of its groups held out: all generators, each
generator left out of training in turn, each quarter of the genres left out in turn; ROC-AUC of the text
model alone, fitted to convergence): words and bytes alone gave 0.938 on all generators, 0.876-0.969
with one left out, 0.866-0.930 with genres left out; the function-word block and the document-frequency
floor raise these to 0.946, 0.887-0.974 and 0.878-0.939, ahead of a TF-IDF + logistic regression on the
same rows in 8 of the 9 splits (0.003 behind on one genre quarter).

Tried on the same nine splits and not kept (mean ROC-AUC of the text model 0.926 as shipped):

* byte n-grams of the distorted text (Stamatatos's DV-MA: the letters of every word outside the frequent
  set masked), in place of the raw bytes: 0.910; beside them: 0.921;
* only the n-grams whose machine-vs-human direction agrees in 75% of the genres they occur in: 0.913;
* each block's length (its L1 norm) fitted as a column of its own and left out when scoring, so that the
  n-grams do not carry length: 0.910 (bytes only: 0.922).
* with the topic shrink (0.9283 and TPR at 1% FPR 0.516 as shipped), each column scaled by its naive-Bayes
  log-count ratio before the fit (NBSVM, Wang and Manning 2012): all three blocks 0.917 and 0.495; the words
  block only 0.9295 and 0.515, higher ROC-AUC on 8 splits by at most 0.005 but 0.0045 lower (TPR 0.469
  against 0.520) on the genre quarter of EducationMaterial, FoodCusine, MedicalText and ProductReview,
  the one where the text model is weakest against the TF-IDF baseline.
* instead of the shrink after the fit, the weights' squared component along the same 100 topic axes added to
  the fit's L2 penalty, m times the ridge term's weight (a penalised L-BFGS fit; at m = 0 it gives what
  scikit-learn's fit gives, 0.9263 and 0.521): m = 1, 3, 10, 30, 100 gave mean ROC-AUC 0.9269, 0.9275,
  0.9284, 0.9290, 0.9292 and TPR 0.522, 0.525, 0.521, 0.516, 0.513. At 30 and 100, ROC-AUC is higher on 7 of
  9 splits by at most 0.003, but every m is lower on the EducationMaterial quarter (0.9093-0.9163 and TPR
  0.457-0.510, against 0.9175 and 0.520), and the fit takes half as long again;
* the text model trained on the differences between each rewrite and its own human text (both signs, no
  intercept: the pair's topic cancels out exactly): 0.864 and 0.369; those difference rows beside the plain
  rows, at the same total weight: 0.9262 and 0.518, as without any topic handling;
* the shipped logit plus a times the logit of ``tfidf_logreg_punct`` fitted on the same rows (a = 0.1, 0.2,
  0.3, 0.5): mean ROC-AUC 0.9284, 0.9282, 0.9279, 0.9271 and TPR 0.519, 0.523, 0.525, 0.528 (+0.001 to
  +0.002 ROC-AUC on the EducationMaterial quarter, -0.001 to -0.006 on the ArtCulture one), for a second
  vocabulary in the model file;
* sublinear term frequency (1 + log of the count, unigrams counted at every position) in place of binary
  presence in all three blocks, as ``tfidf_logreg_punct`` weighs its n-grams: mean ROC-AUC 0.9233 and TPR
  0.510, lower ROC-AUC on 8 of the 9 splits (by up to 0.015, on the genre quarter of Business, Finance,
  LiteratureCreativeWriting, PersonalCommunication and TechnicalWriting) and 0.002 lower on the
  EducationMaterial quarter;
* the blocks weighed unequally (one block's columns scaled before the fit, which loosens or tightens its share of
  the L2 penalty), against 0.9283 and 0.515 at equal weights: the function-word block at 0.7, 1.5 and 2 gave mean
  ROC-AUC 0.9268, 0.9269, 0.9236 and TPR 0.502, 0.491, 0.460; the words block at 0.7 and 1.3 gave 0.9271 and
  0.9287 (TPR 0.496, 0.517; 1.3 lower on the EducationMaterial quarter's TPR, 0.511 against 0.520); the bytes
  block at 0.7 gave 0.9280 and 0.515. A model on the function-word block alone gives 0.9014 (below the whole
  model on every split, the genre quarters too), and its logit added to the shipped one at 0.25, 0.5 and 1
  gave 0.9278, 0.9267 and 0.9241 (TPR 0.509, 0.502, 0.485): the topic-free block does not carry over to unseen
  genres better for being given a voice of its own;
* word 3-grams added to the words block (in its hash buckets): mean ROC-AUC 0.9270 and TPR 0.499, lower ROC-AUC
  on all nine splits (by up to 0.0022; the EducationMaterial quarter 0.9166 and TPR 0.454);
* a genre floor beside ``MIN_DF``: an n-gram gets weight only when it occurs in texts of at least 2 or 4 genres
  (the web pages counted as one more): 0.9283 and 0.518 at 2 (the floor of 3 texts nearly implies it), 0.9290 and
  0.504 at 4, higher ROC-AUC on 6 of 9 splits by at most 0.002 and lower TPR on 7, by up to 0.042 on the
  EducationMaterial quarter: the trade of ROC-AUC for the low-FPR end that higher document-frequency floors make;
* in the function-word block, the words outside the frequent set replaced by their Brown cluster (spaCy's English
  clusters from the ``spacy-lookups-data`` 1.0.5 package, MIT: 1,000 clusters over 190,000 words; shape where a word
  has none) instead of their shape, the cluster's bit path cut to 12 bits (725 classes), 8 (166) or 4 (16): mean
  ROC-AUC 0.9223, 0.9240 and 0.9263, TPR 0.504, 0.508 and 0.493; 4 bits and the shape together: 0.9262 and 0.496.
  All four are lower on the EducationMaterial quarter (0.908-0.913, TPR 0.36-0.38, against 0.9175 and 0.520), the
  more so the finer the classes: a cluster groups words by meaning as well as by part of speech ("cat" with "dog",
  "Paris" with "London"), likely letting the topic back in;
* the shapes without case (``<Xx>`` and ``<XX>`` read as ``<x>``): 0.9275 and 0.514, the EducationMaterial quarter
  unchanged (0.9176) and the ArtCulture one lower (0.8786 against 0.8849);
* function-word 5-grams added to the block (``SHAPE_SIZES`` 1-5): 0.9276 and 0.520, the EducationMaterial quarter
  0.9145 and 0.506. What longer function-word sequences have to say, the function-word language models of
  ``detector.fwlm`` take up instead (the sequence in order, each token given the ones before it): with them the
  text model reaches 0.9313 and 0.556.

None of the last eleven raised the mean ROC-AUC by more than 0.0012 over the recipe before, and each that raised
it lowered the mean TPR or the EducationMaterial quarter, except a = 0.1 (higher on all three, by 0.0001,
0.004 and 0.0009: within the splits' noise, for a second model): within this family of linear models on
these n-grams the text model is at a plateau. The step beyond it came from outside the family, a generative
view of the same function-word sequence: the language models of ``detector.fwlm``, whose score the text model
adds to this logit (mean ROC-AUC 0.9283 -> 0.9313, TPR at 1% FPR 0.515 -> 0.556).

After the fit, the weights' component along the ``TOPIC_DIRECTIONS`` main axes of the training pairs' topics is
cut by ``TOPIC_SHRINK`` (:func:`shrink_topic_weights`). A pair is a human text and its machine rewrites: what
they share is the topic, so the axes along which pairs differ most are topic axes, and a weight along them moves
a text's score with its topic, an offset between genres that a genre the model never saw does not follow.
``make validate-text`` (``detector.validate_text``: the nine splits above, the text model alone, its logit without the
language models of ``detector.fwlm``) gives, without and with the shrink: mean ROC-AUC 0.9261 and 0.9283, higher
on 6 of the 9 splits (+0.011 on the genre quarter of EducationMaterial, FoodCusine, MedicalText and
ProductReview, where it passes the TF-IDF baseline; -0.003 with Llama-3-70B left out, -0.0003 on two genre
quarters); mean TPR at 1% FPR 0.522 and 0.515, higher on two genre quarters (+0.068 and +0.025) and lower on the
other seven (most with Llama-3-70B left out: -0.069). The settings were picked on an earlier version of this
validation that scored the logit without its intercept; on it, halving (mean ROC-AUC 0.9288, TPR 0.527) beat
removing the component whole (0.9289, 0.503) and cutting a quarter (0.9270, 0.529) on the two together, and 20 to
400 axes gave ROC-AUC within 0.002 of one another; the axes of the genre means alone (at most 18) gained at most
0.003. With the language models, ``all`` on each of the four quarters of the pairs (the last mean of the report)
shows the trade the shrink makes: without it (a run outside the report) ROC-AUC is lower on all four quarters
(0.9551 against 0.9568) and TPR at 1% FPR level or higher on all four (0.642 against 0.621), and on the nine
splits 0.9293 and 0.559 against 0.9313 and 0.556, the EducationMaterial quarter 0.9119 and 0.476 against 0.9220
and 0.532. Kept: on genres it has seen, the shrink costs some of the low-FPR end; on a genre it has not, it is
what lifts the weakest quarter, and crawled pages come from genres no training set names.

Stateless and deterministic across processes and platforms: tokens hash by CRC-32, never by Python's
salted ``hash``; n-grams combine hashes by array arithmetic, so a page costs one regex pass and a few
NumPy operations.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from collections import Counter
from collections.abc import Iterable, Sequence
from operator import itemgetter
from typing import Any

import numpy as np

#: Hash buckets per block. 2**20 word buckets (fewer collisions between word pairs) validated within
#: 0.002 ROC-AUC of 2**18 on each of the nine validation splits, for a larger model file.
WORD_BUCKETS = 2**18
BYTE_BUCKETS = 2**18
SHAPE_BUCKETS = 2**18
#: Bytes of prose the byte n-grams read: l2r texts are shorter (median about 500 characters), web pages'
#: prose runs to many kilobytes; the first 2,000 bytes cost the same on every page and gave the same
#: held-out AUC as the whole text (0.950 at 1,500 bytes on l2r).
BYTE_PREFIX = 2000
BYTE_SIZES = (3, 4)
SHAPE_SIZES = (1, 2, 3, 4)
#: Tokens kept as themselves in the function-word n-grams: about as many as English has function words and
#: punctuation marks. On the nine validation splits of the module docstring, 60, 120 and 1,000 were not clearly
#: better (mean ROC-AUC of the text model 0.925, 0.927 and 0.922 against 0.926; 120 ahead on 5 of 9 splits,
#: by at most 0.004).
FREQUENT_TOKENS = 300
#: Training texts an n-gram must occur in to get a weight (2 and 3 validated alike, 1 lower). Higher floors
#: trade the low-FPR end for ROC-AUC on the nine validation splits: 10 raised the text model's ROC-AUC on all
#: nine (by 0.0004-0.0042) but lowered its TPR at 1% FPR on eight, by 0.035-0.072 on every genre quarter;
#: 5 did the same by less (ROC-AUC +0.0003-0.0017, TPR lower on all four genre quarters); 30 lowered TPR on
#: all nine splits (by up to 0.125) and ROC-AUC on four.
MIN_DF = 3
#: Main axes of the training pairs' topics (:func:`shrink_topic_weights`) along which the text model's weights
#: are shrunk, and by how much. Validation as in the module docstring: see there.
TOPIC_DIRECTIONS = 100
TOPIC_SHRINK = 0.5

_TOKEN_RE = re.compile(r"\w+|[^\w\s]")
_MIX = np.uint64(0x9E3779B97F4A7C15)  # an odd 64-bit constant (2^64 / golden ratio): mixes a pair of hashes


def _crc(token: str) -> int:
    return zlib.crc32(token.encode("utf-8", "surrogatepass"))


def _shape(token: str) -> str:
    """A word's stand-in when it is not a frequent token: its case pattern, or ``<d>`` for a number."""
    if not token.isalnum():
        return token  # punctuation (and "_") stands for itself
    if token.isdigit():
        return "<d>"
    if token[0].isupper():
        return "<XX>" if len(token) > 1 and token.isupper() else "<Xx>"
    return "<x>"


def _ngrams(h: np.ndarray, sizes: Sequence[int]) -> np.ndarray:
    """Hashes of the ``sizes``-grams of a hash sequence (each size mixed in, so that sizes differ)."""
    grams: list[np.ndarray] = []
    g = np.zeros(len(h), dtype=np.uint64)
    for n in range(1, max(sizes) + 1):
        if len(h) < n:
            break
        g = (g[: len(h) - n + 1] * _MIX) ^ (h[n - 1 :] + np.uint64(n << 8))
        if n in sizes:
            grams.append(g)
    return np.concatenate(grams) if grams else np.zeros(0, dtype=np.uint64)


def _presence(rows: list[np.ndarray], n_features: int) -> Any:
    """CSR matrix with a 1 wherever a row's hash (mod ``n_features``) falls."""
    from scipy.sparse import csr_matrix

    row_ids = np.repeat(np.arange(len(rows)), [len(r) for r in rows])
    cols = (np.concatenate(rows) % np.uint64(n_features)).astype(np.int64) if rows else np.zeros(0, np.int64)
    X = csr_matrix((np.ones(len(cols), dtype=np.float32), (row_ids, cols)), shape=(len(rows), n_features))
    X.sum_duplicates()
    X.data[:] = 1.0  # presence, not counts: less sensitive to length and repetition
    return X


def frequent_tokens(texts: Sequence[str], top: int = FREQUENT_TOKENS) -> np.ndarray:
    """CRC-32 of the ``top`` lower-cased tokens found in most of ``texts`` (ties by token), sorted."""
    df: Counter[str] = Counter()
    for text in texts:  # tokenised as token_blocks does: tokens first, then lower-cased
        df.update({t.lower() for t in _TOKEN_RE.findall(text)})
    chosen = sorted(df.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    return np.unique(np.array([_crc(t) for t, _ in chosen], dtype=np.uint32))


def _token_hashes(token: str) -> tuple[int, int]:
    """(CRC-32 of the lower-cased token, CRC-32 of its shape), remembered in ``_TOKEN_CACHE``."""
    shape = _shape(token)
    pair = (_crc(token.lower()), _crc(shape))
    if len(_TOKEN_CACHE) >= _TOKEN_CACHE_SIZE:
        _TOKEN_CACHE.clear()
    _TOKEN_CACHE[token] = pair
    return pair


def _lookup(keys: list[str], mapping: dict[str, int]) -> Iterable[int]:
    """``mapping[k]`` for every key, looked up in one C-level call."""
    if len(keys) < 2:
        return [mapping[k] for k in keys]
    result: tuple[int, ...] = itemgetter(*keys)(mapping)
    return result


#: Hashes of the tokens seen lately, across pages (common words recur on every page): a pure cache of two
#: pure functions, emptied when full, so it bounds memory and never changes a result.
_TOKEN_CACHE: dict[str, tuple[int, int]] = {}
_TOKEN_CACHE_SIZE = 1 << 17


def token_blocks(
    texts: Sequence[str], frequent: np.ndarray, streams: list[np.ndarray] | None = None
) -> tuple[Any, Any]:
    """Binary word 1-2-gram presence and function-word n-gram presence (CSR, float32, not normalised).

    One tokenisation serves both: a token hashes to the CRC-32 of its lower-cased UTF-8 bytes, a bigram to
    a mix of its two tokens' hashes; in the function-word sequence a token keeps its hash when it is one of
    ``frequent`` (:func:`frequent_tokens`) and takes its shape's otherwise. A page's distinct tokens are
    looked up once each. ``streams``, when given, gets each text's function-word sequence (one hash per
    token) appended: what :mod:`detector.fwlm` reads.
    """
    words: list[np.ndarray] = []
    shapes: list[np.ndarray] = []
    cache = _TOKEN_CACHE
    for text in texts:
        tokens = _TOKEN_RE.findall(text)
        distinct = list(dict.fromkeys(tokens))
        index = {t: i for i, t in enumerate(distinct)}
        positions = np.fromiter(_lookup(tokens, index), dtype=np.intp, count=len(tokens))
        pairs = [cache.get(t) or _token_hashes(t) for t in distinct]
        both = np.array(pairs, dtype=np.uint64).reshape(-1, 2)
        unique, shape = both[:, 0], both[:, 1]
        h = unique[positions]
        # Unigrams from the distinct tokens (the same presence as from every position, fewer to sort).
        words.append(np.concatenate([unique, (h[:-1] * _MIX) ^ h[1:]]))
        masked = np.where(np.isin(unique.astype(np.uint32), frequent), unique, shape)[positions]
        shapes.append(_ngrams(masked, SHAPE_SIZES))
        if streams is not None:
            streams.append(masked)
    return _presence(words, WORD_BUCKETS), _presence(shapes, SHAPE_BUCKETS)


def byte_ngrams(texts: Sequence[str]) -> Any:
    """Binary presence of the ``BYTE_SIZES``-grams of each text's first ``BYTE_PREFIX`` UTF-8 bytes."""
    rows = [
        _ngrams(
            np.frombuffer(t.encode("utf-8", "surrogatepass")[:BYTE_PREFIX], dtype=np.uint8).astype(np.uint64),
            BYTE_SIZES,
        )
        for t in texts
    ]
    return _presence(rows, BYTE_BUCKETS)


#: A text that exercises every step of the featurization: cases, digits, punctuation and typographic marks,
#: accents, two non-Latin scripts, the frequent words and others, and more than ``BYTE_PREFIX`` bytes, with a
#: running number every fifth word so that no stretch of it repeats an earlier one (a byte prefix of another
#: length then reads other n-grams).
_PROBE_BASE = (
    "The committee's report, which was published on 12 March 2024, found that 37% of the towns - not all - "
    "had \u201cno plan\u201d at all; others (e.g. São Paulo, Kraków) did. Why? NASA & the U.N. said: it's "
    "ΑΒΓ δέλτα, 東京で会議が開かれた. Well... I don't know—do you? #tag @user x_y 3.14 1,000 A-B ½"
)
_PROBE = " ".join(w if i % 5 else f"{w} n{i:04d}" for i, w in enumerate(_PROBE_BASE.split() * 12))


def featurization_digest(frequent: np.ndarray) -> str:
    """A digest of the columns and function-word tokens the featurization gives a fixed probe text under
    ``frequent``: it changes with any change to tokenisation, hashing, shapes, n-gram sizes, buckets or the
    byte prefix. A saved text model records it and loads only where the package computes the same one
    (``detector.model``), so that a model never scores with other columns than it was fitted on."""
    streams: list[np.ndarray] = []
    digest = hashlib.sha256()
    for X in raw_blocks([_PROBE], frequent, streams):
        X = X.tocsr()
        X.sum_duplicates()  # canonical: sorted, one entry per column
        digest.update(repr(X.shape).encode())
        digest.update(np.ascontiguousarray(X.indices, dtype=np.int64).tobytes())
        digest.update(np.ascontiguousarray(X.data, dtype=np.float64).tobytes())
    digest.update(np.ascontiguousarray(streams[0], dtype=np.uint64).tobytes())
    return digest.hexdigest()[:16]


def idf_weights(X: Any, min_df: int = MIN_DF) -> np.ndarray:
    """Smoothed inverse document frequency per column, as scikit-learn's ``TfidfTransformer``; 0 for the
    columns found in fewer than ``min_df`` rows."""
    n = X.shape[0]
    df = np.bincount(X.indices, minlength=X.shape[1])
    idf = (np.log((1.0 + n) / (1.0 + df)) + 1.0).astype(np.float32)
    idf[df < min_df] = 0.0
    return idf


def raw_blocks(
    texts: Sequence[str], frequent: np.ndarray, streams: list[np.ndarray] | None = None
) -> tuple[Any, Any, Any]:
    """The three presence blocks, before weighting: (words, bytes, function words); ``streams`` as in
    :func:`token_blocks`."""
    words, shapes = token_blocks(texts, frequent, streams)
    return words, byte_ngrams(texts), shapes


def weighted(blocks: Sequence[Any], idf: Sequence[np.ndarray]) -> Any:
    """Each block times its IDF, L2-normalised, side by side (CSR)."""
    from scipy.sparse import hstack
    from sklearn.preprocessing import normalize

    out = []
    for X, w in zip(blocks, idf, strict=True):
        X.data *= w[X.indices]
        out.append(normalize(X, norm="l2", copy=False))
    return hstack(out, format="csr")


def pair_means(X: Any, y: np.ndarray, pairs: Sequence[object]) -> Any:
    """One row per pair that holds both classes: the mean of its human rows' and its machine rows' means.

    ``pairs`` names each row's pair (an l2r human text with its rewrites); rows whose pair holds one class
    only (a genuine web page, its own pair) are left out. What a pair's texts share is their topic, genre
    and length, not how they were written: the rows of the result vary by what a text is about.
    """
    from scipy.sparse import csr_matrix

    labels = np.asarray(y).astype(np.int64)
    keys, inverse = np.unique(np.asarray([str(p) for p in pairs], dtype=object), return_inverse=True)
    counts = np.zeros((len(keys), 2), dtype=np.int64)
    np.add.at(counts, (inverse, labels), 1)
    both: np.ndarray = np.all(counts > 0, axis=1)
    rows = np.flatnonzero(both[inverse])
    new_index = np.cumsum(both) - 1
    weights = 0.5 / counts[inverse[rows], labels[rows]]
    A = csr_matrix((weights, (new_index[inverse[rows]], rows)), shape=(int(both.sum()), X.shape[0]))
    return (A @ X).tocsr()


def shrink_topic_weights(
    coef: np.ndarray,
    X: Any,
    y: np.ndarray,
    pairs: Sequence[object],
    directions: int = TOPIC_DIRECTIONS,
    shrink: float = TOPIC_SHRINK,
) -> np.ndarray:
    """``coef`` with its component along the ``directions`` main axes of the training pairs' topics cut by
    ``shrink`` (0: unchanged, 1: removed).

    The axes are the top right singular vectors of :func:`pair_means` (by the eigenvectors of their Gram
    matrix, so the n-features x ``directions`` basis is never formed): the directions in which texts differ
    most by what they are about. A weight along them makes a text's score rise or fall with its topic, an
    offset between genres that does not carry over to a genre the model never saw (see ``TOPIC_SHRINK``).
    With fewer pairs than ``directions``, all of their axes; with no pair, ``coef`` unchanged.
    """
    from scipy.linalg import eigh

    if shrink == 0.0:
        return coef
    P = pair_means(X, y, pairs).astype(np.float64)
    k = min(directions, P.shape[0])
    if k == 0:
        return coef
    gram = (P @ P.T).toarray()
    n = gram.shape[0]
    values, vectors = eigh(gram, subset_by_index=[n - k, n - 1])
    keep = values > values.max() * 1e-10  # a zero axis (pairs that add nothing new) has no direction
    values, vectors = values[keep], vectors[:, keep]
    # U = P.T @ vectors / sqrt(values) is orthonormal; U @ U.T @ coef = P.T @ (vectors / values) @ vectors.T @ P @ coef
    along = P.T @ ((vectors / values) @ (vectors.T @ (P @ coef.astype(np.float64))))
    return (coef - shrink * along).astype(coef.dtype)
