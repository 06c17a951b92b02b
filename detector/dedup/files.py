"""Signature files and saved indexes: JSON metadata and arrays in one ``.npz``, read without pickle."""

from __future__ import annotations

import contextlib
import json
import os
import threading
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from detector.dedup.minhash import IntArray, MinHashParams, U32Array
from detector.errors import ConfigError, InputError

FILE_FORMAT = "detector.dedup"
FILE_VERSION = 1
#: What writes each kind of file, for the messages on reading a foreign one.
_WRITERS = {"index": "NearDuplicateIndex.save()", "signatures": "save_signatures()"}


# ----------------------------------------------------------------------------------------------------
# Files: signatures and indexes as JSON + npz (no pickle)
# ----------------------------------------------------------------------------------------------------


def _check_ids(ids: Sequence[str]) -> None:
    """Refuse ids that a saved file or Redis could not store: each is a non-empty str
    that UTF-8 can encode (no lone surrogates).

    Raises:
        TypeError: on an id that is not a str.
        ValueError: on an empty id, or one that UTF-8 cannot encode.
    """
    for doc_id in ids:
        if not isinstance(doc_id, str):
            raise TypeError(f"document ids are str, got {type(doc_id).__name__} {doc_id!r}")
        if not doc_id:
            raise ValueError("document id is empty")
        try:
            doc_id.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ValueError(f"document id {doc_id!r} cannot be encoded as UTF-8 ({exc.reason})") from exc


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
    """Write ``path`` through a temporary file beside it (unique to the thread), creating missing folders.

    Raises:
        ConfigError: ``path`` is a directory or cannot be written; no temporary file is left behind.
    """
    if path.is_dir():
        raise ConfigError(f"cannot write {path}: it is a directory; give a file name, such as {path / 'crawl.index'}")
    meta_bytes = np.frombuffer(json.dumps(meta, sort_keys=True).encode("utf-8"), dtype=np.uint8)
    tmp = path.with_name(f"{path.name}.{os.getpid()}-{threading.get_ident()}.tmp")
    payload: dict[str, Any] = {"meta": meta_bytes, **arrays}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tmp.open("wb") as fh:
            np.savez_compressed(fh, **payload)
        tmp.replace(path)
    except BaseException as exc:  # a full disk, no permission, an interrupt: no temporary file left
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError):
            raise ConfigError(f"cannot write {path}: {exc.strerror or exc}") from exc
        raise


def _read_npz(path: Path, kind: str) -> tuple[dict[str, Any], dict[str, np.ndarray[Any, Any]]]:
    """Read a file written by :func:`_write_npz` with ``allow_pickle=False`` (no object arrays, no code).

    Raises:
        InputError: missing, a directory, unreadable or not one of our files, or of another version or kind.
    """
    writer = _WRITERS[kind]
    if path.is_dir():
        raise InputError(f"{path}: is a directory; give the file that {writer} wrote")
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    try:
        with path.open("rb") as fh:
            magic = fh.read(2)
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    if magic != b"PK":  # np.load would read a .npy array, or suggest allow_pickle for anything else
        raise InputError(f"{path}: not a saved {kind} file (not an .npz archive); give a file that {writer} wrote")
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise InputError(f"{path}: not a readable .npz file ({exc}); give a file that {writer} wrote") from exc
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
        TypeError: on an id that is not a str.
        ValueError: when ids and signatures differ in length, or on an empty id or one UTF-8 cannot encode.
        ConfigError: when the signatures do not match ``params``, or ``path`` cannot be written.
    """
    _check_ids(ids)
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
