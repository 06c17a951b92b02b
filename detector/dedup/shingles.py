"""Shingle-hash sets of many documents, in memory or spooled to a temporary file, and their exact Jaccard."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import IO, Any, TypeVar

import numpy as np
import numpy.typing as npt

from detector.dedup.minhash import IntArray, U32Array

#: Byte order of the spool file (fixed, so that the file means the same on every machine).
_DTYPE = np.dtype("<u4")
#: Shingle hashes gathered per step of :meth:`ShingleStore.jaccard_pairs` (both sides of every pair of the
#: step): bounds the working memory to about 60 bytes per hash, 250 MB at this size.
_BLOCK_HASHES = 1 << 22

_A = TypeVar("_A", bound=np.ndarray[Any, Any])


class ShingleStore:
    """The sorted unique 32-bit shingle hashes of documents 0, 1, 2, ... (the sets a MinHash signature is
    built from), append-only, for verifying candidate pairs on their exact Jaccard similarity.

    In memory (the default) the hashes of all documents share one growing array. With ``spool=True`` they
    are appended to an anonymous temporary file instead (``tempfile.TemporaryFile`` in ``directory``: on
    POSIX systems it has no name in the folder, so the operating system frees it when the store is closed
    or the process ends, however it ends) and read back through ``np.memmap``; memory then holds only the
    offsets, 8 bytes per document (16 at most, as the array grows by doubling). Disk (or memory) holds
    4 bytes per distinct shingle, about 4 bytes per word of text.

    Use it as a context manager, or call :meth:`close`; a closed store refuses every read and write.
    Everything it returns is deterministic: the same sets in the same order give the same results whether
    in memory or spooled.
    """

    def __init__(self, *, spool: bool = False, directory: str | Path | None = None) -> None:
        self.spool = spool
        self._offsets = np.zeros(1024, np.int64)  # _offsets[i]: first hash of document i; [len]: the end
        self._count = 0
        self._closed = False
        # Owned by the store, closed by close(): no with block can span its life.
        self._file: IO[bytes] | None = tempfile.TemporaryFile(dir=directory) if spool else None  # noqa: SIM115
        self._data = np.empty(0 if spool else 4096, _DTYPE)  # in memory: the hashes, grown by doubling
        self._map: npt.NDArray[np.uint32] | None = None  # spooled: the file mapped, up to _mapped hashes
        self._mapped = 0

    # -- writing ----------------------------------------------------------------------------------

    def add(self, hashes: npt.ArrayLike) -> int:
        """Add one document's shingle hashes (any order, repeats allowed; stored as a sorted set) and
        return its index.

        Raises:
            ValueError: when the store is closed.
        """
        self._check_open()
        values = np.asarray(hashes, dtype=np.uint32).ravel()
        if not _is_sorted_set(values):
            values = np.unique(values)
        values = values.astype(_DTYPE, copy=False)
        end = int(self._offsets[self._count])
        if self._file is not None:
            self._file.write(values.tobytes())
        else:
            self._data = _grown(self._data, end + values.size)
            self._data[end : end + values.size] = values
        self._offsets = _grown(self._offsets, self._count + 2)
        self._count += 1
        self._offsets[self._count] = end + values.size
        return self._count - 1

    def extend(self, sets: Iterable[npt.ArrayLike]) -> None:
        """:meth:`add` each set in turn.

        Raises:
            ValueError: when the store is closed.
        """
        for hashes in sets:
            self.add(hashes)

    # -- reading ----------------------------------------------------------------------------------

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, i: int) -> U32Array:
        """The sorted unique shingle hashes of document ``i`` (read-only).

        Raises:
            IndexError: when there is no document ``i``.
            ValueError: when the store is closed.
        """
        if not -self._count <= i < self._count:
            raise IndexError(f"document {i} not in a store of {self._count}")
        i %= self._count
        data = self._hashes()
        view: U32Array = data[self._offsets[i] : self._offsets[i + 1]].view()
        view.flags.writeable = False
        return view

    def sizes(self) -> IntArray:
        """The number of distinct shingle hashes of every document."""
        result: IntArray = np.diff(self._offsets[: self._count + 1])
        return result

    def jaccard(self, i: int, j: int) -> float:
        """Exact Jaccard similarity of documents ``i`` and ``j`` (1.0 when both sets are empty).

        Raises:
            IndexError: when there is no such document.
            ValueError: when the store is closed.
        """
        for k in (i, j):
            if not 0 <= k < self._count:
                raise IndexError(f"document {k} not in a store of {self._count}")
        return float(self.jaccard_pairs(np.array([[i, j]], np.int64))[0])

    def jaccard_pairs(self, pairs: IntArray, *, block: int = _BLOCK_HASHES) -> npt.NDArray[np.float64]:
        """Exact Jaccard similarity of each pair ``(i, j)`` of document indices (shape ``(m, 2)``; 1.0 for
        two empty sets).

        Vectorised: the pairs go in steps of about ``block`` gathered hashes (at least one pair a step). In
        each step, the hashes of the larger set of every pair are keyed ``pair << 32 | hash`` (sorted,
        since every set is), and the smaller set's keys are looked up in them by one ``searchsorted``: the
        matches are the intersections.

        Raises:
            ValueError: when the store is closed or an index is out of range.
        """
        self._check_open()
        pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
        out = np.empty(len(pairs), np.float64)
        if not len(pairs):
            return out
        if pairs.min() < 0 or pairs.max() >= self._count:
            raise ValueError(f"pair indices outside the {self._count} documents of the store")
        data = self._hashes()
        starts, sizes = self._offsets[pairs], self.sizes()[pairs]
        # Look the smaller set of each pair up in the larger one.
        swap = sizes[:, 0] < sizes[:, 1]
        starts[swap], sizes[swap] = starts[swap][:, ::-1], sizes[swap][:, ::-1]
        ends = np.cumsum(sizes.sum(axis=1))
        lo = 0
        while lo < len(pairs):
            base = ends[lo - 1] if lo else 0
            hi = max(lo + 1, int(np.searchsorted(ends, base + block, side="right")))
            out[lo:hi] = _jaccard_block(data, starts[lo:hi], sizes[lo:hi])
            lo = hi
        return out

    # -- resources --------------------------------------------------------------------------------

    @property
    def nbytes(self) -> int:
        """Bytes held in memory: the offsets, and the hashes unless they are spooled."""
        return int(self._offsets.nbytes + self._data.nbytes)

    @property
    def disk_bytes(self) -> int:
        """Bytes of the spool file (0 in memory)."""
        return 4 * int(self._offsets[self._count]) if self._file is not None else 0

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Free the hashes (the spool file is deleted); idempotent."""
        self._map = None
        self._data = np.empty(0, _DTYPE)
        if self._file is not None:
            self._file.close()
            self._file = None
        self._closed = True

    def __enter__(self) -> ShingleStore:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __del__(self) -> None:
        if not getattr(self, "_closed", True):
            self.close()

    # -- internals --------------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise ValueError("the shingle store is closed")

    def _hashes(self) -> npt.NDArray[np.uint32]:
        """Every stored hash, documents one after another: the array, or the spool file mapped."""
        self._check_open()
        total = int(self._offsets[self._count])
        if self._file is None:
            return self._data[:total]
        if total == 0:
            return np.empty(0, _DTYPE)
        if self._map is None or self._mapped != total:
            self._file.flush()
            self._map = np.memmap(self._file, dtype=_DTYPE, mode="r", shape=(total,))
            self._mapped = total
        return self._map


def _is_sorted_set(values: U32Array) -> bool:
    """Whether ``values`` is strictly increasing (a set already sorted: :meth:`MinHasher.iter_sketches`)."""
    return bool(np.all(values[1:] > values[:-1]))


def _grown(array: _A, size: int) -> _A:
    """``array`` itself when it holds ``size`` items, else a copy at least twice as large."""
    if array.size >= size:
        return array
    bigger: _A = np.empty_like(array, shape=(max(size, 2 * array.size),))
    bigger[: array.size] = array
    return bigger


def _gather(data: npt.NDArray[np.uint32], starts: IntArray, sizes: IntArray) -> tuple[IntArray, U32Array]:
    """The segments ``data[starts[k] : starts[k] + sizes[k]]`` one after another, and the segment of each."""
    total = int(sizes.sum())
    segment = np.repeat(np.arange(sizes.size, dtype=np.int64), sizes)
    first = np.cumsum(sizes) - sizes
    index = np.arange(total, dtype=np.int64) + (starts - first)[segment]
    return segment, np.asarray(data[index], dtype=np.uint32)


def _jaccard_block(data: npt.NDArray[np.uint32], starts: IntArray, sizes: IntArray) -> npt.NDArray[np.float64]:
    """Exact Jaccard of a block of pairs given as (start, size) of each side, the larger side first."""
    m = len(starts)
    seg_a, a = _gather(data, starts[:, 0], sizes[:, 0])
    seg_b, b = _gather(data, starts[:, 1], sizes[:, 1])
    keys_a = (seg_a.astype(np.uint64) << np.uint64(32)) | a.astype(np.uint64)  # sorted: pair, then hash
    keys_b = (seg_b.astype(np.uint64) << np.uint64(32)) | b.astype(np.uint64)
    inter = np.zeros(m, np.int64)
    if keys_a.size and keys_b.size:
        pos = np.minimum(np.searchsorted(keys_a, keys_b), keys_a.size - 1)
        inter = np.bincount(seg_b[keys_a[pos] == keys_b], minlength=m)
    union = sizes.sum(axis=1) - inter
    result: npt.NDArray[np.float64] = np.where(union > 0, inter / np.maximum(union, 1), 1.0)
    return result
