"""The one stage that looks across pages: near-duplicate clusters, template families, the site view.

A run keeps a small :class:`PageSketch` of every page (its text's MinHash signature, 512 bytes, its set
of shingle hashes, and its skeleton, a few dozen short tokens) while the pages stream through cleaning
and scoring; when the input ends, :class:`CrossPage` clusters the signatures (``detector.dedup``: LSH
candidates verified on their exact Jaccard, from the shingle sets) and the skeletons
(``detector.skeleton``) and gives every record its columns:

* ``cluster_id`` (the smallest member id), ``cluster_size``, ``nearest_id``, ``nearest_similarity``
  (exact Jaccard of word 5-gram shingles), ``cluster_hosts`` (how many hosts carry the cluster's text:
  a spun article published on many sites);
* ``family_id``, ``family_size``: pages built from the same template skeleton with other words.

and, per host, the site view a crawl engineer blocks by (:meth:`CrossPage.sites`), and per template
family its share of flagged pages (:meth:`CrossPage.families`). Records that could not be cleaned are
their own cluster and family (size 1).

Memory is the signature, the skeleton and the record, about 1 KB a page, and 8 to 16 bytes of offset: the
shingle sets are spooled to an anonymous temporary file (4 bytes per distinct shingle, about 4 bytes a
word of text) that :meth:`CrossPage.finish` (or :meth:`CrossPage.close`) deletes. The verdict rows
themselves are spooled to disk by the command line while the run goes on, not kept.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from detector.dedup import DEFAULT_THRESHOLD, MAX_BUCKET_PAIRS, MinHasher, ShingleStore, cluster_signatures
from detector.skeleton import DEFAULT_THRESHOLD as FAMILY_THRESHOLD
from detector.skeleton import Skeleton, families_of_skeletons, skeleton
from detector.types import Cleaned

LOGGER = logging.getLogger(__name__)

#: Columns the stage adds to every row, in order.
COLUMNS = (
    "cluster_id",
    "cluster_size",
    "nearest_id",
    "nearest_similarity",
    "cluster_hosts",
    "family_id",
    "family_size",
)

#: Columns of the per-host site view (:meth:`CrossPage.sites`), in order.
SITE_COLUMNS = (
    "host",
    "pages",
    "scored",
    "farm",
    "farm_share",
    "mean_probability",
    "pages_in_duplicate_clusters",
    "template_families",
    "top_families",
)
#: Columns of the template families (:meth:`CrossPage.families`), in order.
FAMILY_COLUMNS = ("family_id", "pages", "hosts", "farm", "farm_share", "skeleton")


@dataclass(frozen=True, slots=True)
class PageSketch:
    """What the cross-page stage keeps of one page: None fields for a page that could not be cleaned.

    ``signature`` and ``shingles`` come together (:func:`sketch_page`): the signature proposes candidates,
    the shingle set verifies them.

    Raises:
        ValueError: when only one of ``signature`` and ``shingles`` is given.
    """

    signature: np.ndarray | None = None  # uint32[num_perm]
    shingles: np.ndarray | None = None  # uint32, sorted unique shingle hashes
    skeleton: Skeleton | None = None

    def __post_init__(self) -> None:
        if (self.signature is None) != (self.shingles is None):
            raise ValueError("a page sketch needs both its signature and its shingle set, or neither")


def sketch_page(doc: Cleaned | None, hasher: MinHasher) -> PageSketch:
    """The sketch of a cleaned page (an empty sketch when there is no page)."""
    if doc is None:
        return PageSketch()
    signature, shingle_set = hasher.sketch(doc.text)
    return PageSketch(signature=signature, shingles=shingle_set, skeleton=skeleton(doc))


def host_of(url: str | None) -> str:
    """The lower-cased host of a URL without a leading ``www.``; ``""`` when there is none."""
    if not url:
        return ""
    try:
        host = (urlsplit(url if "//" in url else f"//{url}").hostname or "").lower()
    except ValueError:
        return ""
    return host[4:] if host.startswith("www.") else host


@dataclass
class _Record:
    id: str
    host: str
    status: str
    label: str | None
    probability: float | None


@dataclass
class CrossPage:
    """Collects sketches during a run; :meth:`finish` computes clusters and families.

    ``threshold`` is the near-duplicate Jaccard threshold (with the bands x rows ``detector.dedup`` picks
    for 0.95 recall there; candidates verified on their exact Jaccard); ``family_threshold`` the
    skeleton-feature Jaccard of a template family; ``max_bucket_pairs`` the candidates per page in an LSH
    bucket shared by many near-copies (:data:`detector.dedup.lsh.MAX_BUCKET_PAIRS`). The shingle sets go
    to a temporary file in ``spool_dir`` (the system's temporary folder by default), or stay in memory
    with ``spool=False``.
    :meth:`finish` frees them; :meth:`close` (or leaving a ``with`` block) frees them without finishing.
    """

    hasher: MinHasher = field(default_factory=MinHasher)
    threshold: float = DEFAULT_THRESHOLD
    max_bucket_pairs: int = MAX_BUCKET_PAIRS
    family_threshold: float | None = None
    spool: bool = True
    spool_dir: str | Path | None = None
    _records: list[_Record] = field(default_factory=list, repr=False)
    _signatures: list[np.ndarray] = field(default_factory=list, repr=False)
    _skeletons: list[Skeleton] = field(default_factory=list, repr=False)
    _shingles: ShingleStore = field(init=False, repr=False)
    _columns: list[dict[str, Any]] | None = field(default=None, repr=False)
    _labels: list[str] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        self._shingles = ShingleStore(spool=self.spool, directory=self.spool_dir)

    def add(self, row: dict[str, Any], sketch: PageSketch) -> None:
        """Add one output row (``id``, ``url``, ``status``, ``label``, ``probability``) and its sketch.

        Raises:
            ValueError: after :meth:`finish` or :meth:`close`.
        """
        if self._columns is not None or self._shingles.closed:
            raise ValueError("no page can be added after finish() or close()")
        self._records.append(
            _Record(
                id=str(row["id"]),
                host=host_of(row.get("url")),
                status=str(row.get("status", "ok")),
                label=row.get("label"),
                probability=row.get("probability"),
            )
        )
        empty = np.full(self.hasher.num_perm, np.iinfo(np.uint32).max, dtype=np.uint32)  # dedup's "no words"
        self._signatures.append(sketch.signature if sketch.signature is not None else empty)
        self._shingles.add(sketch.shingles if sketch.shingles is not None else np.empty(0, np.uint32))
        self._skeletons.append(sketch.skeleton if sketch.skeleton is not None else Skeleton((), ()))

    def __len__(self) -> int:
        return len(self._records)

    def close(self) -> None:
        """Free the shingle sets (the temporary file is deleted); the columns, once computed, stay."""
        self._shingles.close()

    def __enter__(self) -> CrossPage:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def finish(self) -> list[dict[str, Any]]:
        """The added columns of every row, in the order the rows were added; frees the shingle sets.

        Raises:
            ValueError: when :meth:`close` came first.
        """
        if self._columns is not None:
            return self._columns
        if self._shingles.closed:
            raise ValueError("the cross-page stage was closed before finish()")
        # Records may share an id (two JSONL shards numbered alike): cluster on unique keys that sort as
        # the ids do, then report each key's label: the id, told apart as ID#2, ID#3, ... where it repeats,
        # so that two clusters never get the same id.
        keys = [f"{r.id}\x00{i:012d}" for i, r in enumerate(self._records)]
        labels = self._labels = _record_labels([r.id for r in self._records])
        label = dict(zip(keys, labels, strict=True))
        if not keys:
            self._columns = []
            self.close()
            return self._columns
        sigs = np.vstack(self._signatures)
        try:
            dups = cluster_signatures(
                keys, sigs, threshold=self.threshold, shingles=self._shingles, max_bucket_pairs=self.max_bucket_pairs
            )
        finally:
            self.close()
            self._signatures = []
        family_threshold = FAMILY_THRESHOLD if self.family_threshold is None else self.family_threshold
        fams = families_of_skeletons(keys, self._skeletons, threshold=family_threshold)
        hosts: dict[str, set[str]] = defaultdict(set)
        for r, d in zip(self._records, dups, strict=True):
            if r.host:
                hosts[d.cluster_id].add(r.host)
        out = []
        for r, d, f in zip(self._records, dups, fams, strict=True):
            out.append(
                {
                    "cluster_id": label[d.cluster_id],
                    "cluster_size": d.cluster_size,
                    "nearest_id": label[d.nearest_id] if d.nearest_id else None,
                    "nearest_similarity": round(d.nearest_similarity, 4),
                    "cluster_hosts": len(hosts[d.cluster_id]) or (1 if r.host else 0),
                    "family_id": label[f.family_id],
                    "family_size": f.family_size,
                }
            )
        self._columns = out
        return out

    def sites(self) -> list[dict[str, Any]]:
        """Per host: pages, pages scored, flagged share, mean probability, duplicated pages, families used.

        "Scored" pages are those with a label (none in a ``detector dedup`` run, which scores nothing).
        """
        columns = self.finish()
        by_host: dict[str, list[int]] = defaultdict(list)
        for i, r in enumerate(self._records):
            by_host[r.host or "(no url)"].append(i)
        rows: list[dict[str, Any]] = []
        for host, idx in by_host.items():
            scored = [i for i in idx if self._records[i].label is not None]
            farm = sum(self._records[i].label == "farm" for i in scored)
            probs = [p for i in scored if (p := self._records[i].probability) is not None]
            families = Counter(columns[i]["family_id"] for i in idx if columns[i]["family_size"] > 1)
            rows.append(
                {
                    "host": host,
                    "pages": len(idx),
                    "scored": len(scored),
                    "farm": farm,
                    "farm_share": round(farm / len(scored), 4) if scored else None,
                    "mean_probability": round(float(np.mean(probs)), 4) if probs else None,
                    "pages_in_duplicate_clusters": sum(columns[i]["cluster_size"] > 1 for i in idx),
                    "template_families": len(families),
                    "top_families": "; ".join(f"{k} ({n})" for k, n in families.most_common(3)),
                }
            )
        rows.sort(key=lambda r: (-(r["farm_share"] or 0.0), -r["pages"], r["host"]))
        return rows

    def families(self) -> list[dict[str, Any]]:
        """Per template family of two or more pages: size, hosts, flagged share, and its skeleton."""
        columns = self.finish()
        members: dict[str, list[int]] = defaultdict(list)
        for i, c in enumerate(columns):
            if c["family_size"] > 1:
                members[c["family_id"]].append(i)
        named = {label: i for i, label in enumerate(self._labels)}  # the record each family is named after
        rows: list[dict[str, Any]] = []
        for fid, idx in members.items():
            scored = [i for i in idx if self._records[i].label is not None]
            farm = sum(self._records[i].label == "farm" for i in scored)
            rows.append(
                {
                    "family_id": fid,
                    "pages": len(idx),
                    "hosts": len({self._records[i].host for i in idx if self._records[i].host}),
                    "farm": farm,
                    "farm_share": round(farm / len(scored), 4) if scored else None,
                    "skeleton": " ".join(self._skeletons[named[fid]].markers),  # whatever the input order
                }
            )
        rows.sort(key=lambda r: (-r["pages"], r["family_id"]))
        return rows


def _record_labels(ids: list[str]) -> list[str]:
    """Each record's name in the cluster columns: its id, with ``#2``, ``#3``, ... on the second and later
    records of an id that repeats (a WARNING says how many), the number passing over any that another
    record's id already is."""
    seen: Counter[str] = Counter()
    taken = set(ids)  # a label never names another record: ids "1", "1", "1#2" give "1", "1#3", "1#2"
    labels = []
    for rid in ids:
        seen[rid] += 1
        label = rid
        if seen[rid] > 1:
            k = seen[rid]
            while f"{rid}#{k}" in taken:
                k += 1
            label = f"{rid}#{k}"
            taken.add(label)
        labels.append(label)
    repeated = sum(n - 1 for n in seen.values())
    if repeated:
        LOGGER.warning(
            "%d records repeat an earlier record's id; the cluster and family columns tell them apart as ID#2, "
            "ID#3, ... in input order: give every record its own id to avoid this",
            repeated,
        )
    return labels
