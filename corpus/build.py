"""Build the project's corpus from the raw public sources kept beside the repository.

Usage::

    python corpus/build.py [--source ../shared/corpus] [--out corpus]

Writes ``l2r.jsonl.gz``, ``html.jsonl.gz``, ``seeds.jsonl.gz``, ``synthetic.jsonl.gz`` and
``MANIFEST.json`` into the output folder. The build is deterministic: inputs are read in sorted order,
every random choice comes from a fixed seed, and the gzip streams carry no timestamp or file name, so
rebuilding from the same sources gives byte-identical files.

Every row carries its provenance (``source``, ``license``, ``attribution`` = repository@commit), its
label (1 = machine-generated / content farm, 0 = genuine human), its split and its format. See
``corpus/DATASHEET.md`` for what each file holds and why.
"""

from __future__ import annotations

import argparse
import codecs
import collections
import gzip
import hashlib
import html as htmllib
import json
import re
import sys
import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics.pairwise import cosine_similarity
from synthesize import (
    SYNTH_PARAMS,
    build_synthetic,
    file_entry,
    format_checks_table,
    write_jsonl_gz,
)

SEED = 20240817
L2R_TEST_FRACTION = 0.25
HTML_TEST_FRACTION = 0.40
DEFAULT_SOURCE = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
DEFAULT_OUT = Path(__file__).resolve().parent

#: Raw sources: folder -> (license, repository@commit). The commits are those in each README.source.md.
SOURCES: dict[str, tuple[str, str]] = {
    "l2r": ("CC BY 3.0", "github.com/ranhli/l2r_data@2e0f258faa442b26ff3d28aeddcb13323b6496e3"),
    "trafilatura-eval": (
        "Apache-2.0 (pages: third-party captures)",
        "github.com/adbar/trafilatura@e90b0ef51ab026fdb905fb6c5b3c84dd3d784fd5",
    ),
    "article-extraction-benchmark": (
        "MIT (pages: third-party captures)",
        "github.com/scrapinghub/article-extraction-benchmark@4a3bc979f76c0df73cb95fe272e2fc1b96f9f010",
    ),
    "seeds": ("quoted for analysis", "crawled news pages collected for this project (seeds/)"),
}

L2R_DROPPED_GENRES = {
    "Code": "source code is not a web page",
    "TravelTourism": (
        "human, GPT-4o, Gemini-1.5-Pro and Llama-3-70B files are byte-identical to TechnicalWriting "
        "(795 duplicated texts); its GPT-3-Turbo file rewrites the same TechnicalWriting human texts"
    ),
}
L2R_GENERATORS = ("GPT-3-Turbo", "GPT-4o", "Gemini-1.5-Pro", "Llama-3-70B")

MISSING_SOURCE_MSG = (
    "{src} not found: the corpus is built from the raw sources kept beside the repository; "
    "the built corpus is already committed in corpus/, so you only need this to rebuild it"
)


# --------------------------------------------------------------------------------------------------
# helpers


def stable_fraction(key: str) -> float:
    """A number in [0, 1) from the sha256 of ``key``: the same on every machine and run."""
    return int(hashlib.sha256(key.encode("utf-8")).hexdigest()[:12], 16) / float(1 << 48)


def read_source_commit(folder: Path, expected: str) -> None:
    """Fail loudly if a source folder's README.source.md no longer names the commit we attribute."""
    readme = folder / "README.source.md"
    commit = expected.rsplit("@", 1)[-1]
    if readme.exists() and re.fullmatch(r"[0-9a-f]{40}", commit) and commit not in readme.read_text("utf-8"):
        raise SystemExit(f"{readme} does not name commit {commit}: update SOURCES in corpus/build.py")


# --------------------------------------------------------------------------------------------------
# l2r: text normalisation that removes format differences between the classes

_C1_MAP: dict[int, str] = {}
for _cp in range(0x80, 0xA0):
    try:
        _C1_MAP[_cp] = bytes([_cp]).decode("cp1252")
    except UnicodeDecodeError:
        _C1_MAP[_cp] = ""
_C1_RE = re.compile("[\x80-\x9f]")
_QUOTE_MAP = str.maketrans({"‘": "'", "’": "'", "‚": "'", "‛": "'", "“": '"', "”": '"', "„": '"', "‟": '"'})
_CURLY_RE = re.compile("[‘’‚‛“”„‟]")
_BR_RE = re.compile(r"<br\s*/?>", re.I)
_ENTITY_RE = re.compile(r"&(?:[a-zA-Z]+|#\d+|#x[0-9a-fA-F]+);")
_HOLDING_RE = re.compile(r"\s*\(\s*<HOLDING>\s*\)|\s*<HOLDING>", re.I)
_PREAMBLE_RE = re.compile(
    r"^\s*(?:(?:sure|certainly|okay|ok|of course)(?: thing)?[!,.]?\s*)?"
    r"(?:(?:here(?:'s| is| are)|rewritten|revised|reworded|paraphrased)\b[^\n:]{0,120})?:[ \t]*(?:\n|$)",
    re.I,
)
_PREAMBLE_WORDS_RE = re.compile(
    r"\b(version|text|rewrit\w*|revis\w*|reword\w*|passage|points|summary|paragraph|reformulation|"
    r"adjustment|takeaways|rephras\w*|content)\b|^\s*(certainly|sure|okay|ok)\s*[!,.]?\s*:",
    re.I,
)
_MD_BOLD_RE = re.compile(r"\*\*|__")
_MD_HEADER_LINE_RE = re.compile(r"^[ \t]*#{1,6}[ \t]+(.*)$")
_BULLET_LINE_RE = re.compile(r"^[ \t]*[-*•][ \t]+(.*)$")
_TERMINAL_RE = re.compile(r"[.!?…][\"')\]]*$")
_LAST_BOUNDARY_RE = re.compile(r"[.!?…][\"')\]]*(?=\s)")
_FIRST_BOUNDARY_RE = re.compile(r"[.!?][\"')\]]*\s+(?=[\"'(]?[A-Z])")
_FRAGMENT_END_CHARS = ",;:-–—(/&"


def normalize_l2r(text: str) -> tuple[str, list[str]]:
    """Normalise one l2r text (either class) to a single clean line; return it and the steps applied.

    The same steps run on human and machine texts, so that no trivial format difference (newlines,
    markdown, ``<br />``, typographic quotes, stripped final periods, cut windows) tells the classes apart.
    """
    ops: list[str] = []
    t = text
    if _C1_RE.search(t):
        t = t.translate(_C1_MAP)
        ops.append("cp1252_fix")
    if _BR_RE.search(t):
        t = _BR_RE.sub("\n", t)
        ops.append("br_tags")
    if _ENTITY_RE.search(t):
        t = htmllib.unescape(t)
        ops.append("html_entities")
    if "<holding>" in t.lower():
        t = _HOLDING_RE.sub("", t)
        ops.append("holding_mask")
    m = _PREAMBLE_RE.match(t)
    if m and _PREAMBLE_WORDS_RE.search(m.group(0)) and len(t) - m.end() > 40:
        t = t[m.end() :]
        ops.append("preamble")
    if _MD_BOLD_RE.search(t):
        t = _MD_BOLD_RE.sub("", t)
        ops.append("markdown_bold")
    if "\n" in t:
        lines = []
        for line in t.split("\n"):
            mh = _MD_HEADER_LINE_RE.match(line) or _BULLET_LINE_RE.match(line)
            if mh:
                item = mh.group(1).strip()
                if item and not _TERMINAL_RE.search(item) and not item.endswith(":"):
                    item += "."
                lines.append(item)
                if "markdown_lines" not in ops:
                    ops.append("markdown_lines")
            else:
                lines.append(line)
        t = "\n".join(lines)
        ops.append("newlines")
    if _CURLY_RE.search(t):
        t = t.translate(_QUOTE_MAP)
        ops.append("quotes")
    flat = " ".join(t.split())
    if flat != t and "newlines" not in ops:
        ops.append("whitespace")
    t = flat
    if t[:1].islower():
        mb = _FIRST_BOUNDARY_RE.search(t, 0, max(1, len(t) // 2))
        if mb:
            t = t[mb.end() :]
            ops.append("lead_fragment_trim")
        else:
            t = t[0].upper() + t[1:]
            ops.append("capitalize")
    if t and not _TERMINAL_RE.search(t):
        if t[-1] in _FRAGMENT_END_CHARS:
            cut = None
            for mm in _LAST_BOUNDARY_RE.finditer(t):
                cut = mm.end()
            if cut is not None and cut >= len(t) // 2:
                t = t[:cut]
                ops.append("tail_fragment_trim")
            else:
                t = t.rstrip(_FRAGMENT_END_CHARS + " ") + "."
                ops.append("add_period")
        else:
            t += "."
            ops.append("add_period")
    return t, ops


#: Trivial format checks run on the l2r texts before and after normalisation (reported in MANIFEST).
FORMAT_CHECKS: dict[str, Callable[[str], bool]] = {
    "has newline": lambda t: "\n" in t,
    "leading whitespace": lambda t: t[:1].isspace(),
    "trailing whitespace": lambda t: t[-1:].isspace(),
    "double space": lambda t: "  " in t,
    "markdown bold **": lambda t: "**" in t,
    "markdown # header": lambda t: bool(re.search(r"(^|\n)[ \t]*#{1,6}[ \t]", t)),
    "bullet/numbered line": lambda t: bool(re.search(r"(^|\n)[ \t]*([-*•]|\d+\.)[ \t]", t)),
    "<br> tag": lambda t: bool(_BR_RE.search(t)),
    "<HOLDING> mask": lambda t: "<holding>" in t.lower(),
    "html entity": lambda t: bool(_ENTITY_RE.search(t)),
    "curly quotes": lambda t: bool(_CURLY_RE.search(t)),
    "cp1252 control chars": lambda t: bool(_C1_RE.search(t)),
    "starts lowercase": lambda t: t.strip()[:1].islower(),
    "ends without . ! ?": lambda t: not _TERMINAL_RE.search(t.rstrip()),
    "ends with ellipsis": lambda t: t.rstrip().endswith(("...", "…")),
    "rewrite preamble": lambda t: bool(
        (m := _PREAMBLE_RE.match(t)) and _PREAMBLE_WORDS_RE.search(m.group(0)) is not None
    ),
    "em dash": lambda t: "—" in t,
    "non-ASCII char": lambda t: bool(re.search(r"[^\x00-\x7f]", t)),
}


def format_report(texts_by_class: dict[str, list[str]]) -> dict[str, dict[str, Any]]:
    """Per class: number of texts, share hitting each format check, mean/median length in characters."""
    out: dict[str, dict[str, Any]] = {}
    for cls, texts in texts_by_class.items():
        n = len(texts)
        lens = sorted(len(t) for t in texts)
        row: dict[str, Any] = {"texts": n, "mean_chars": round(sum(lens) / max(1, n), 1)}
        row["median_chars"] = lens[n // 2] if n else 0
        for name, check in FORMAT_CHECKS.items():
            row[name] = sum(1 for t in texts if check(t))
        out[cls] = row
    return out


# --------------------------------------------------------------------------------------------------
# l2r: pairing, near-duplicate groups, splits


def align_monotone(sim: np.ndarray) -> list[int]:
    """Assign each row (machine text) a distinct column (human text), in increasing order, maximising
    the total similarity. Used for the Gemini files, which skip items and so are not index-aligned."""
    n, m = sim.shape
    if n > m:
        raise ValueError("more machine texts than human texts")
    neg = -1e18
    score = np.full((n + 1, m + 1), neg)
    score[0, :] = 0.0
    took = np.zeros((n + 1, m + 1), dtype=bool)
    for i in range(1, n + 1):
        for j in range(i, m + 1):
            skip = score[i, j - 1]
            take = score[i - 1, j - 1] + sim[i - 1, j - 1]
            if take >= skip:
                score[i, j] = take
                took[i, j] = True
            else:
                score[i, j] = skip
    out = [0] * n
    i, j = n, m
    while i > 0:
        if took[i, j]:
            out[i - 1] = j - 1
            i -= 1
        j -= 1
    return out


def similarity(machine: list[str], human: list[str]) -> np.ndarray:
    """TF-IDF cosine between machine and human texts, rounded so ties break the same way everywhere."""
    vec = TfidfVectorizer(sublinear_tf=True).fit(human + machine)
    sim = cosine_similarity(vec.transform(machine), vec.transform(human))
    return np.round(np.asarray(sim, dtype=np.float64), 6)


class UnionFind:
    def __init__(self) -> None:
        self.parent: dict[Any, Any] = {}

    def find(self, x: Any) -> Any:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: Any, b: Any) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            lo, hi = sorted((ra, rb))
            self.parent[hi] = lo


def shingles(text: str, k: int = 5) -> set[str]:
    toks = re.findall(r"\w+", text.lower())
    if len(toks) < k:
        return {" ".join(toks)}
    return {" ".join(toks[i : i + k]) for i in range(len(toks) - k + 1)}


def near_duplicate_groups(texts: dict[tuple[str, int], str], threshold: float = 0.5) -> UnionFind:
    """Union human texts whose word 5-gram Jaccard similarity is at least ``threshold``."""
    uf = UnionFind()
    sh = {key: shingles(t) for key, t in sorted(texts.items())}
    index: dict[str, list[tuple[str, int]]] = collections.defaultdict(list)
    for key, s in sh.items():
        uf.find(key)
        for g in s:
            index[g].append(key)
    for key, s in sh.items():
        shared: collections.Counter[tuple[str, int]] = collections.Counter()
        for g in s:
            posting = index[g]
            if len(posting) > 50:
                continue
            shared.update(other for other in posting if other > key)
        for other, n in shared.items():
            if n / (len(s) + len(sh[other]) - n) >= threshold:
                uf.union(key, other)
    return uf


def build_l2r(src: Path) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Read l2r, pair the machine texts with their human originals, normalise, split by pair."""
    license_, attribution = SOURCES["l2r"]
    read_source_commit(src, attribution)
    genres = sorted(p.name for p in src.iterdir() if p.is_dir() and p.name not in L2R_DROPPED_GENRES)
    raw: list[dict[str, Any]] = []
    align_stats: dict[str, Any] = {}
    for genre in genres:
        human = json.loads((src / genre / "human.json").read_text("utf-8"))
        for i, t in enumerate(human):
            raw.append({"genre": genre, "generator": "human", "file_index": i, "pair_index": i, "raw": t})
        for gen in L2R_GENERATORS:
            machine = json.loads((src / genre / f"{gen}.json").read_text("utf-8"))
            if len(machine) == len(human):
                pairs = list(range(len(machine)))
            else:
                sim = similarity(machine, human)
                pairs = align_monotone(sim)
                moved = sum(1 for i, j in enumerate(pairs) if i != j)
                weak = sum(1 for i, j in enumerate(pairs) if sim[i, j] < 0.1)
                align_stats[f"{genre}/{gen}"] = {"texts": len(machine), "moved": moved, "weak_sim<0.1": weak}
            for i, t in enumerate(machine):
                raw.append({"genre": genre, "generator": gen, "file_index": i, "pair_index": pairs[i], "raw": t})

    before = format_report(
        {
            "human": [r["raw"] for r in raw if r["generator"] == "human"],
            "machine": [r["raw"] for r in raw if r["generator"] != "human"],
        }
    )
    for r in raw:
        r["text"], r["norm"] = normalize_l2r(r["raw"])

    # Splits: by pair, with near-duplicate human texts (within and across genres) forced together.
    uf = near_duplicate_groups({(r["genre"], r["pair_index"]): r["text"] for r in raw if r["generator"] == "human"})
    groups: dict[Any, list[tuple[str, int]]] = collections.defaultdict(list)
    for key in sorted(uf.parent):
        groups[uf.find(key)].append(key)
    split_of: dict[tuple[str, int], str] = {}
    for root, members in groups.items():
        g, p = root
        split = "test" if stable_fraction(f"{g}:{p}") < L2R_TEST_FRACTION else "train"
        for key in members:
            split_of[key] = split
    n_grouped = sum(len(m) for m in groups.values() if len(m) > 1)
    n_groups = sum(1 for m in groups.values() if len(m) > 1)

    gen_order = {g: i for i, g in enumerate(("human", *L2R_GENERATORS))}
    raw.sort(key=lambda r: (r["genre"], r["pair_index"], gen_order[r["generator"]], r["file_index"]))
    seen: dict[str, dict[str, Any]] = {}
    dropped: collections.Counter[str] = collections.Counter()
    rows: list[dict[str, Any]] = []
    for r in raw:
        text = r["text"]
        if len(text.split()) < 3:
            dropped["fewer than 3 words"] += 1
            continue
        h = hashlib.sha256(text.encode("utf-8")).hexdigest()
        if h in seen:
            first = seen[h]
            kind = (
                "machine text identical to its human text"
                if first["generator"] == "human" and r["generator"] != "human"
                else f"exact duplicate ({'human' if r['generator'] == 'human' else 'machine'})"
            )
            dropped[kind] += 1
            continue
        split = split_of[(r["genre"], r["pair_index"])]
        row = {
            "id": f"l2r/{r['genre']}/{r['generator']}/{r['file_index']:03d}",
            "label": 0 if r["generator"] == "human" else 1,
            "source": "l2r",
            "license": license_,
            "attribution": attribution,
            "split": split,
            "format": "text",
            "synthetic": False,
            "genre": r["genre"],
            "generator": r["generator"],
            "pair_index": r["pair_index"],
            "file_index": r["file_index"],
            "lang": "en",
            "norm": r["norm"],
            "text": text,
        }
        seen[h] = row
        rows.append(row)

    after = format_report(
        {
            "human": [r["text"] for r in rows if r["label"] == 0],
            "machine": [r["text"] for r in rows if r["label"] == 1],
        }
    )
    norm_counts: dict[str, dict[str, int]] = {"human": {}, "machine": {}}
    for r in rows:
        cls = "human" if r["label"] == 0 else "machine"
        for op in r["norm"]:
            norm_counts[cls][op] = norm_counts[cls].get(op, 0) + 1
    report = {
        "genres": genres,
        "dropped_genres": L2R_DROPPED_GENRES,
        "gemini_alignment": align_stats,
        "near_duplicate_groups": n_groups,
        "near_duplicate_pairs_grouped": n_grouped,
        "dropped_rows": dict(sorted(dropped.items())),
        "normalisation_steps": {k: dict(sorted(v.items())) for k, v in norm_counts.items()},
        "format_checks_raw": before,
        "format_checks_built": after,
    }
    return rows, report


# --------------------------------------------------------------------------------------------------
# genuine HTML pages

_META_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_HTML_LANG_RE = re.compile(
    # (the optional second "lang=" copes with a real page that writes lang="lang="de-DE"")
    r"""<html\b[^>]*?\slang\s*=\s*["']?\s*(?:lang\s*=\s*["']?)?([A-Za-z]{2,3})(?![A-Za-z])""",
    re.I,
)
TLD_LANG = {
    "de": "de",
    "at": "de",
    "fr": "fr",
    "it": "it",
    "es": "es",
    "pl": "pl",
    "nl": "nl",
    "pt": "pt",
    "br": "pt",
    "ru": "ru",
    "jp": "ja",
    "cn": "zh",
    "tw": "zh",
    "kr": "ko",
    "fi": "fi",
    "se": "sv",
    "no": "no",
    "dk": "da",
    "cz": "cs",
    "hu": "hu",
    "gr": "el",
    "tr": "tr",
    "uk": "en",
    "us": "en",
    "au": "en",
    "nz": "en",
    "ie": "en",
    "ro": "ro",
    "sk": "sk",
    "si": "sl",
    "hr": "hr",
    "ua": "uk",
    "il": "he",
    "mx": "es",
    "ar": "es",
    "cl": "es",
    "co": "es",
    "cu": "es",
    "do": "es",
    "pe": "es",
    "cr": "es",
}


def _codec_name(name: str) -> str:
    try:
        return codecs.lookup(name).name
    except LookupError:
        return name


def decode_html(data: bytes) -> tuple[str, str]:
    """Decode page bytes without changing them: UTF-8 if valid, else the declared charset, else the
    guesses of trafilatura's ``detect_encoding`` in order (as ``trafilatura.utils.decode_file`` does),
    else UTF-8 with replacement characters. Returns the text and the codec used."""
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    m = _META_CHARSET_RE.search(data[:20000])
    if m:
        declared = m.group(1).decode("ascii", "replace").lower()
        # Browsers read latin-1 declarations as windows-1252 (WHATWG encoding standard).
        declared = {"iso-8859-1": "cp1252", "latin-1": "cp1252", "latin1": "cp1252"}.get(declared, declared)
        if _codec_name(declared) != "utf-8":
            try:
                return data.decode(declared), _codec_name(declared)
            except (LookupError, UnicodeDecodeError):
                pass
    from trafilatura.utils import detect_encoding

    for guess in detect_encoding(data):
        try:
            return data.decode(guess), _codec_name(guess)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("utf-8", errors="replace"), "utf-8 (invalid bytes replaced)"


def page_lang(page: str, url: str | None) -> tuple[str, str]:
    m = _HTML_LANG_RE.search(page[:20000])
    if m:
        return m.group(1).lower(), "html-lang"
    host = (urlsplit(url).hostname or "") if url else ""
    tld = host.rsplit(".", 1)[-1].lower() if "." in host else ""
    if tld in TLD_LANG:
        return TLD_LANG[tld], "tld"
    return "und", "none"


def html_split(row_id: str) -> str:
    return "test" if stable_fraction(row_id) < HTML_TEST_FRACTION else "train"


def build_dedup(src: Path) -> list[dict[str, Any]]:
    """The l2r near-duplicate case, kept for evaluating duplicate finding (never for training).

    TravelTourism's human, GPT-4o, Gemini-1.5-Pro and Llama-3-70B files are byte-identical to
    TechnicalWriting's: each item is an exact duplicate of the TechnicalWriting item at the same position.
    Its GPT-3-Turbo file is another GPT-3-Turbo rewrite of the same TechnicalWriting human texts: a
    paraphrase of TechnicalWriting's GPT-3-Turbo item. Each row names that twin (``twin_id``, an l2r row
    id; the row itself may have been dropped from l2r.jsonl.gz as a duplicate) and how it relates.
    """
    license_, attribution = SOURCES["l2r"]
    read_source_commit(src, attribution)
    rows: list[dict[str, Any]] = []
    for gen in ("human", *L2R_GENERATORS):
        travel = json.loads((src / "TravelTourism" / f"{gen}.json").read_text("utf-8"))
        technical = json.loads((src / "TechnicalWriting" / f"{gen}.json").read_text("utf-8"))
        for i, raw in enumerate(travel):
            text, norm = normalize_l2r(raw)
            if len(text.split()) < 3:
                continue
            twin = technical[i] if i < len(technical) else None
            kind = "byte-identical" if twin == raw else "another rewrite of the same human text"
            rows.append(
                {
                    "id": f"l2r-dup/TravelTourism/{gen}/{i:03d}",
                    "label": 0 if gen == "human" else 1,
                    "source": "l2r",
                    "license": license_,
                    "attribution": attribution,
                    "split": "reference",
                    "format": "text",
                    "synthetic": False,
                    "genre": "TravelTourism",
                    "generator": gen,
                    "file_index": i,
                    "lang": "en",
                    "twin_id": f"l2r/TechnicalWriting/{gen}/{i:03d}" if twin is not None else None,
                    "twin_kind": kind if twin is not None else None,
                    "norm": norm,
                    "text": text,
                }
            )
    return rows


def build_html(src: Path) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    # trafilatura evaluation pages
    te = src / "trafilatura-eval"
    license_, attribution = SOURCES["trafilatura-eval"]
    read_source_commit(te, attribution)
    index = json.loads((te / "tests" / "evaldata.json").read_text("utf-8"))
    for url in sorted(index, key=lambda u: index[u]["file"]):
        entry = index[url]
        path = te / "tests" / "eval" / f"{entry['file']}.gz"
        where = "tests/eval"
        if not path.exists():
            path = te / "tests" / "cache" / f"{entry['file']}.gz"
            where = "tests/cache"
        page, enc = decode_html(gzip.decompress(path.read_bytes()))
        lang, lang_from = page_lang(page, url)
        row_id = f"trafilatura-eval/{entry['file']}"
        rows.append(
            {
                "id": row_id,
                "label": 0,
                "source": "trafilatura-eval",
                "license": license_,
                "attribution": attribution,
                "split": html_split(row_id),
                "format": "html",
                "synthetic": False,
                "generator": "human",
                "lang": lang,
                "lang_from": lang_from,
                "url": url,
                "file": f"{where}/{entry['file']}",
                "encoding": enc,
                "gold_with": entry.get("with", []),
                "gold_without": entry.get("without", []),
                "html": page,
            }
        )
    # article-extraction-benchmark pages
    aeb = src / "article-extraction-benchmark"
    license_, attribution = SOURCES["article-extraction-benchmark"]
    read_source_commit(aeb, attribution)
    truth = json.loads((aeb / "ground-truth.json").read_text("utf-8"))
    for key in sorted(truth):
        page, enc = decode_html(gzip.decompress((aeb / "html" / f"{key}.html.gz").read_bytes()))
        url = truth[key].get("url")
        lang, lang_from = page_lang(page, url)
        row_id = f"article-extraction-benchmark/{key}"
        rows.append(
            {
                "id": row_id,
                "label": 0,
                "source": "article-extraction-benchmark",
                "license": license_,
                "attribution": attribution,
                "split": html_split(row_id),
                "format": "html",
                "synthetic": False,
                "generator": "human",
                "lang": lang,
                "lang_from": lang_from,
                "url": url,
                "file": f"html/{key}.html",
                "encoding": enc,
                "gold_body": truth[key].get("articleBody", ""),
                "html": page,
            }
        )
    return rows


# --------------------------------------------------------------------------------------------------
# seeds

SEED_LABELS = {"000": 1, "001": 1, "002": 1, "004": 0}


def build_seeds(src: Path) -> list[dict[str, Any]]:
    license_, attribution = SOURCES["seeds"]
    rows = []
    for path in sorted(src.glob("*.txt")):
        prefix = path.name[:3]
        if prefix not in SEED_LABELS:
            raise SystemExit(f"unexpected seed file {path.name}: add its label to SEED_LABELS")
        label = SEED_LABELS[prefix]
        rows.append(
            {
                "id": f"seeds/{path.stem}",
                "label": label,
                "source": "seeds",
                "license": license_,
                "attribution": attribution,
                "split": "reference",
                "format": "text",
                "synthetic": False,
                "genre": "news",
                "generator": "unknown" if label else "human",
                "lang": "en",
                "text": unicodedata.normalize("NFC", path.read_text("utf-8")),
            }
        )
    return rows


# --------------------------------------------------------------------------------------------------
# main


def markdown_counts(files: dict[str, dict[str, Any]]) -> str:
    lines = [
        "| file | source | split | label | format | synthetic | rows |",
        "|---|---|---|---|---|---|---:|",
    ]
    for name, entry in files.items():
        for c in entry["counts"]:
            lines.append(
                f"| {name} | {c['source']} | {c['split']} | {c['label']} | {c['format']} | "
                f"{str(c['synthetic']).lower()} | {c['rows']} |"
            )
    return "\n".join(lines)


def main(argv: Iterable[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="folder of the raw sources")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (default: corpus/)")
    ap.add_argument("--only", choices=["dedup"], default=None, help="rebuild only this file (and its MANIFEST entry)")
    args = ap.parse_args(list(argv) if argv is not None else None)
    src: Path = args.source
    if not src.is_dir():
        shown = "../shared/corpus" if src == DEFAULT_SOURCE else str(src)
        print(MISSING_SOURCE_MSG.format(src=shown), file=sys.stderr)
        return 2
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    if args.only == "dedup":
        rows = build_dedup(src / "l2r")
        digest, size = write_jsonl_gz(out / "dedup.jsonl.gz", rows)
        manifest = json.loads((out / "MANIFEST.json").read_text("utf-8"))
        manifest["files"]["dedup.jsonl.gz"] = file_entry(digest, size, rows)
        (out / "MANIFEST.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", "utf-8")
        print(f"  dedup.jsonl.gz: {len(rows)} rows, {size / 1e6:.2f} MB, sha256 {digest[:16]}", flush=True)
        return 0

    print("l2r ...", flush=True)
    l2r_rows, l2r_report = build_l2r(src / "l2r")
    print("html ...", flush=True)
    html_rows = build_html(src)
    print("seeds ...", flush=True)
    seed_rows = build_seeds(src / "seeds")
    print("synthetic ...", flush=True)
    synth_rows, synth_report = build_synthetic(l2r_rows, seed=SEED)
    print("dedup ...", flush=True)
    dedup_rows = build_dedup(src / "l2r")

    files: dict[str, dict[str, Any]] = {}
    for name, rows in (
        ("l2r.jsonl.gz", l2r_rows),
        ("html.jsonl.gz", html_rows),
        ("seeds.jsonl.gz", seed_rows),
        ("synthetic.jsonl.gz", synth_rows),
        ("dedup.jsonl.gz", dedup_rows),
    ):
        digest, size = write_jsonl_gz(out / name, rows)
        files[name] = file_entry(digest, size, rows)
        print(f"  {name}: {len(rows)} rows, {size / 1e6:.2f} MB, sha256 {digest[:16]}", flush=True)

    manifest = {
        "manifest_version": 1,
        "build": {
            "script": "corpus/build.py",
            "seed": SEED,
            "l2r_test_fraction": L2R_TEST_FRACTION,
            "l2r_split_key": "sha256(f'{genre}:{pair_index}') of the group's first pair (near-duplicate "
            "human texts grouped)",
            "html_test_fraction": HTML_TEST_FRACTION,
            "html_split_key": "sha256(id)",
            "gzip": "level 9, mtime 0, no file name",
            "sources": {k: {"license": v[0], "attribution": v[1]} for k, v in SOURCES.items()},
            "synthesis": SYNTH_PARAMS,
        },
        "files": files,
        "l2r": l2r_report,
        "synthetic": synth_report,
    }
    (out / "MANIFEST.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", "utf-8")
    print()
    print(markdown_counts(files))
    print()
    print(format_checks_table(l2r_report["format_checks_raw"], l2r_report["format_checks_built"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
