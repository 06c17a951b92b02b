"""Turning a cleaned page into the model's inputs: every signal's values, in registry order."""

from __future__ import annotations

import hashlib

from detector.signals import REGISTRY
from detector.types import Cleaned, SignalResult

FEATURE_NAMES: tuple[str, ...] = tuple(name for s in REGISTRY for name in s.feature_names())


def feature_set_version() -> str:
    """A short hash of the signal names, versions and keys: a model only loads with the set it was built on."""
    spec = ";".join(f"{s.tag}:{','.join(s.keys)}" for s in REGISTRY)
    return "fs-" + hashlib.sha256(spec.encode()).hexdigest()[:12]


def annotate(doc: Cleaned) -> dict[str, SignalResult]:
    """Run every registered signal on one page."""
    return {s.name: s(doc) for s in REGISTRY}


def feature_vector(results: dict[str, SignalResult]) -> list[float]:
    """The values of all signals, flattened in ``FEATURE_NAMES`` order."""
    return [results[s.name].values[k] for s in REGISTRY for k in s.keys]


#: Blocks of fewer words are labels, menu items, captions, bylines and buttons ("Join us on social!",
#: "Text Size"), not prose: the text model judges how the prose is written, not the page's chrome. Running
#: sentences are longer: 20-25 words on average in the l2r human texts (``style.sent_len_mean``).
MIN_PROSE_WORDS = 8


def model_text(doc: Cleaned) -> str:
    """The prose the text model reads: paragraphs, list items and quotes of ``MIN_PROSE_WORDS``+ words."""
    return "\n".join(b.text for b in doc.body_blocks if b.text.count(" ") + 1 >= MIN_PROSE_WORDS)
