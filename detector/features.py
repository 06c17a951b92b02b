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


def model_text(doc: Cleaned) -> str:
    """The running text the text model reads: paragraphs and list items, without headings or tables."""
    return "\n".join(b.text for b in doc.body_blocks)
