"""MinHash signatures: parameters, text normalisation and shingles, the shingle hashes, the batch MinHasher."""

from __future__ import annotations

import hashlib
import struct
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from detector.errors import ConfigError

if TYPE_CHECKING:  # pragma: no cover - typing only
    from datasketch import LeanMinHash, MinHash


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

DEFAULT_NUM_PERM = 128
DEFAULT_SEED = 1
DEFAULT_SHINGLE_SIZE = 5

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


def _fmix(h: np.ndarray, constants: tuple[int, int, int, int, int], dtype: type) -> np.ndarray:
    """MurmurHash3's finaliser (xor-shift, multiply, xor-shift, multiply, xor-shift) in ``dtype`` arithmetic."""
    s1, m1, s2, m2, s3 = (dtype(v) for v in constants)
    h = h ^ (h >> s1)
    h = h * m1
    h = h ^ (h >> s2)
    h = h * m2
    return h ^ (h >> s3)


def _fmix32(h: U32Array) -> U32Array:
    return _fmix(h, _FMIX32, np.uint32)


def _fmix64(h: U64Array) -> U64Array:
    return _fmix(h, _FMIX64, np.uint64)


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
        for chunk in self._chunks(texts):
            yield self._min_over_permutations(chunk)

    def iter_sketches(self, texts: Iterable[str]) -> Iterator[tuple[U32Array, list[U32Array]]]:
        """Signatures and shingle-hash sets, chunk by chunk, from one hashing pass: each item is a
        ``(k, num_perm)`` block of signatures (as :meth:`iter_signatures`) and the k texts' sorted unique
        shingle hashes (``np.unique(shingle_hashes(text))``), the sets exact Jaccard is computed on.

        Raises:
            TypeError: when an item is not a str.
        """
        for chunk in self._chunks(texts):
            yield self._min_over_permutations(chunk), _shingle_sets(chunk)

    def sketch(self, text: str) -> tuple[U32Array, U32Array]:
        """The signature of one text and its sorted unique shingle hashes."""
        sigs, sets = next(self.iter_sketches([text]))
        return sigs[0], sets[0]

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

    def _chunks(self, texts: Iterable[str]) -> Iterator[_Chunk]:
        """The shingle hashes of ``texts``, in chunks of about ``chunk_chars`` prepared characters.

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
                yield self._hash_chunk(batch)
                batch, chars = [], 0
            batch.append(prepared)
            chars += len(prepared) + 1
        if batch:
            yield self._hash_chunk(batch)

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


def _shingle_sets(chunk: _Chunk) -> list[U32Array]:
    """Each text's sorted unique shingle hashes (a sort per text: faster than one 64-bit sort of
    ``owner << 32 | hash`` over the chunk)."""
    bounds = np.searchsorted(chunk.owner, np.arange(chunk.n_texts + 1, dtype=np.int64))
    return [np.unique(chunk.hashes[bounds[i] : bounds[i + 1]]) for i in range(chunk.n_texts)]


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
