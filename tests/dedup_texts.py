"""Real texts and edited copies of them for the near-duplicate tests."""

from __future__ import annotations

import random

from detector.dataset import load_rows
from detector.dedup import normalize_words, shingles


def joined_l2r_texts(count: int, min_chars: int = 4000) -> list[str]:
    """``count`` real texts of ``min_chars``+ characters: consecutive l2r rows joined, as in the benchmark."""
    out: list[str] = []
    parts: list[str] = []
    for row in load_rows(files=["l2r"]):
        parts.append(row["text"])
        if sum(len(p) for p in parts) >= min_chars:
            out.append("\n".join(parts))
            parts = []
            if len(out) == count:
                break
    return out


def vocabulary(texts: list[str]) -> list[str]:
    """The alphabetic words of more than three letters in ``texts``, sorted."""
    return sorted({w for t in texts for w in normalize_words(t) if w.isalpha() and len(w) > 3})


def substitute(text: str, every: int, vocab: list[str], seed: int = 0) -> str:
    """Replace every ``every``-th word with another word (deterministic)."""
    rng = random.Random(seed)
    words = text.split(" ")
    for i in range(every // 2, len(words), every):
        words[i] = rng.choice(vocab)
    return " ".join(words)


def shingle_jaccard(a: str, b: str) -> float:
    """The reference: Jaccard of the shingle strings themselves."""
    sa, sb = set(shingles(a)), set(shingles(b))
    return len(sa & sb) / len(sa | sb)
