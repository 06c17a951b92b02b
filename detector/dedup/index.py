"""The streaming near-duplicate index, with its band tables in memory or in Redis."""

from __future__ import annotations

import importlib
import json
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from detector.dedup.files import (
    FILE_FORMAT,
    FILE_VERSION,
    _check_ids,
    _checked_arrays,
    _encode_ids,
    _read_npz,
    _write_npz,
)
from detector.dedup.lsh import (
    DEFAULT_RECALL,
    DEFAULT_THRESHOLD,
    BandHasher,
    BandTable,
    LSHParams,
    _agreements_needed,
    choose_lsh_params,
)
from detector.dedup.minhash import _EMPTY, MinHasher, MinHashParams, U32Array, U64Array, empty_rows
from detector.errors import ConfigError, InputError, missing_extra

if TYPE_CHECKING:  # pragma: no cover - typing only
    from datasketch import LeanMinHash, MinHashLSH


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

        options = dict(config)
        shown = {k: "***" if "password" in k else v for k, v in options.items()}
        for name in ("port", "db"):  # redis-py would raise a bare ValueError or TypeError on connecting
            try:
                int(options.get(name, 0))
            except (TypeError, ValueError):
                raise ConfigError(f"Redis option {name}={options[name]!r} is not a whole number") from None
        if not isinstance(options.get("host"), str | None):
            raise ConfigError(f"Redis option host={options['host']!r} is not a host name")
        try:
            self._client = redis.Redis(**options)
        except TypeError as exc:  # an unknown keyword: the message names it
            raise ConfigError(
                f"bad Redis option: {exc} (give redis.Redis keyword arguments: host, port, db, ...)"
            ) from exc
        self._base = basename.encode("utf-8")
        self._sig_key = self._base + b"_signatures"
        self._meta_key = self._base + b"_meta"
        encoded = json.dumps(meta, sort_keys=True)
        try:
            self._client.setnx(self._meta_key, encoded)
            stored = self._client.get(self._meta_key)
        except redis.exceptions.RedisError as exc:
            raise ConfigError(f"cannot reach Redis with {shown}: {exc}") from exc
        except (TypeError, ValueError) as exc:  # an option of the wrong type, found on connecting
            raise ConfigError(f"Redis refused the options {shown}: {exc}") from exc
        if stored is not None and json.loads(stored) != meta:
            raise ConfigError(
                f"the Redis index {basename!r} was made with other parameters: {stored.decode('utf-8')} "
                f"(this one: {encoded})"
            )
        self.lsh: MinHashLSH = MinHashLSH(
            num_perm=lsh.num_perm,
            params=(lsh.bands, lsh.rows),
            storage_config={"type": "redis", "basename": self._base, "redis": options},
            prepickle=False,
        )

    def contains(self, key: bytes) -> bool:
        return bool(self._client.hexists(self._sig_key, key))

    def add(self, keys: Sequence[bytes], signatures: U32Array, minhashes: Sequence[LeanMinHash]) -> bytes | None:
        """Claim every key (HSETNX: atomic across threads and processes), then index them all; or, when one
        was already there, give back the keys this call claimed and return that one (None on success).

        All or nothing: the claims go in one round trip, and a batch with a taken key leaves the index as it
        was. Each step is a Redis command on a thread-safe client, so concurrent adds lose nothing; between
        the claims and the band inserts, the keys count and are ``in`` the index but a query cannot find
        them yet (a process that dies there leaves them so)."""
        claims = self._client.pipeline(transaction=False)
        for key, signature in zip(keys, signatures, strict=True):
            claims.hsetnx(self._sig_key, key, signature.astype("<u4").tobytes())
        claimed = [bool(c) for c in claims.execute()]
        if not all(claimed):
            mine = [key for key, ok in zip(keys, claimed, strict=True) if ok]
            if mine:
                self._client.hdel(self._sig_key, *mine)
            return keys[claimed.index(False)]
        for key, minhash in zip(keys, minhashes, strict=True):
            self.lsh.insert(key, minhash, check_duplication=False)
        return None

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
    default) verified against the stored signatures. Verification is on the **estimate** (the index keeps
    signatures, not shingle sets), so pairs near the threshold pass by chance: about half of those at
    exactly the threshold (``detection_probability``). The batch path (``find_near_duplicates``,
    ``cluster_signatures`` with a :class:`ShingleStore`) verifies on the exact Jaccard instead.

    **Memory**, in memory mode: ``4 * num_perm`` bytes of signature + ``12 * bands`` bytes of band tables
    per page (512 + 156 = 668 bytes at the defaults; signatures live in blocks of 4,096, so growing never
    copies them), plus the id string and its dict entry. Measured at 100,000 pages with 35-character ids
    (``python -m detector.bench_dedup``, reports/bench_dedup.md section 4): 680 bytes per page in arrays
    and 842 bytes per page in all (tracemalloc); 7,700-10,900 adds/s one at a time and 7,200-9,400
    queries/s on one core (two runs on a shared machine; the thread lock measured no slower side by side).
    The tables are sorted arrays in levels of doubling size plus a buffer of 2,048 pages (no dict of
    lists per band), so a bulk :meth:`add_many` costs one sort.

    **Redis mode** (``redis={"host": ..., "port": ...}``, any ``redis.Redis`` keyword arguments): the band
    tables live in Redis through datasketch's own ``MinHashLSH(storage_config={"type": "redis", ...})``,
    with the signatures and parameters beside them under ``basename``; every process that opens the same
    basename with the same parameters shares the index (other parameters are refused). Needs the ``redis``
    package (``pip install 'detector[redis]'``).

    **Threads**: one index may be shared by threads. In memory mode a lock guards the steps that change
    the tables and the reads that depend on them (the MinHash signatures are computed outside it); in
    Redis mode every step is one command on redis-py's thread-safe client, and ids are claimed with
    HSETNX. A batch (:meth:`add_many`, :meth:`add_signatures`) is all or nothing in both modes: an id already
    in the index raises ValueError and adds none of the batch. Ids are non-empty str that UTF-8 can encode
    (:meth:`add` refuses others).

    Raises:
        ConfigError: on parameters out of range, a missing redis package, bad Redis options (an unknown
            keyword, a port that is no number), an unreachable Redis, or a Redis index made with other
            parameters.
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
        self._lock = threading.Lock()  # the memory-mode ids, signatures and tables change together
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
            try:
                return self._redis.contains(doc_id.encode("utf-8"))
            except UnicodeEncodeError:  # a lone surrogate: never added
                return False
        return doc_id in self._index

    @property
    def nbytes(self) -> int:
        """Bytes of the NumPy arrays allocated (signature blocks + band tables); ids and their dict come on top."""
        with self._lock:
            return int(sum(b.nbytes for b in self._sig_blocks) + self._tables.nbytes)

    # -- adding -----------------------------------------------------------------------------------

    def add(self, doc_id: str, text: str) -> bool:
        """Index one page's cleaned text under ``doc_id``; False (and nothing stored) when it has no word.

        ``doc_id`` is a non-empty str that UTF-8 can encode (what :meth:`save` and Redis store).

        Raises:
            TypeError: when ``doc_id`` is not a str.
            ValueError: when ``doc_id`` is already in the index, empty, or not encodable as UTF-8 (a lone
                surrogate).
        """
        return self.add_many([doc_id], [text])[0]

    def add_many(self, ids: Sequence[str], texts: Sequence[str]) -> list[bool]:
        """Index many pages at once through the batch signature path; one bool per page as :meth:`add`.

        Raises:
            TypeError: on an id that is not a str.
            ValueError: on an id already in the index, repeated in ``ids``, empty or not encodable as
                UTF-8, or lengths that differ.
        """
        _check_ids(ids)
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
            TypeError: on an id that is not a str.
            ValueError: on an id already in the index, repeated in ``ids``, empty or not encodable as
                UTF-8, or lengths that differ.
            ConfigError: on signatures of another width.
        """
        _check_ids(ids)
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
            claims = [doc_id.encode("utf-8") for doc_id in keep_ids]
            taken = self._redis.add(claims, keep, [self.hasher.to_datasketch(sig) for sig in keep])
            if taken is not None:
                raise ValueError(f"document id {taken.decode('utf-8')!r} is already in the index (nothing was added)")
            return ok.tolist()
        keys = self._band_hasher.keys(keep)
        with self._lock:
            for doc_id in keep_ids:
                if doc_id in self._index:
                    raise ValueError(f"document id {doc_id!r} is already in the index")
            start = len(self._ids)
            self._append_signatures(keep)
            for i, doc_id in enumerate(keep_ids):
                self._index[doc_id] = start + i
            self._ids.extend(keep_ids)
            self._tables.add(keys, start)
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
            query_keys = self._band_hasher.keys(signature)
            with self._lock:
                docs = self._tables.lookup(query_keys)
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
        rebuilt on load). Loading it cannot run code. Missing folders are created; the file is written
        beside ``path`` first and renamed into place, so a failed save leaves nothing behind. Other threads
        may go on adding while it writes: the file holds the pages added before it began.

        Raises:
            ConfigError: for a Redis-backed index (its state lives in Redis), or a ``path`` that cannot be
                written (a directory, no permission, a full disk).
        """
        if self._redis is not None:
            raise ConfigError("a Redis-backed index lives in Redis: save() is for in-memory indexes")
        with self._lock:
            ids = list(self._ids)
            sigs = self._all_signatures()
        blob, offsets = _encode_ids(ids)
        meta = self._meta() | {"count": len(ids)}
        arrays: dict[str, np.ndarray[Any, Any]] = {"signatures": sigs, "id_bytes": blob, "id_offsets": offsets}
        _write_npz(Path(path), meta, arrays)

    @classmethod
    def load(cls, path: str | Path) -> NearDuplicateIndex:
        """Read an index written by :meth:`save` (``np.load(allow_pickle=False)``: no code runs).

        Raises:
            InputError: a missing path, a directory, or a file that is not a saved index (another format,
                corrupt, repeated or unusable ids).
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
        try:
            index.add_signatures(ids, sigs)
        except (TypeError, ValueError) as exc:
            raise InputError(f"{p}: a corrupt index file: {exc}") from exc
        index._tables.compact()
        return index
