"""Explainable detector of SEO boilerplate and content-farm pages.

>>> from detector import Detector
>>> d = Detector.load()
>>> verdict = d.score(html, url="https://example.org/page")
>>> verdict.probability, verdict.label, [r.text for r in verdict.reasons]
"""

from __future__ import annotations

import logging

from detector.dedup import DuplicateInfo, NearDuplicateIndex, find_near_duplicates
from detector.errors import ConfigError, DetectorError, InputError, ModelLoadError
from detector.pipeline import Detector, DetectorConfig
from detector.types import Cleaned, Evidence, Page, Reason, SignalResult, Verdict

logging.getLogger(__name__).addHandler(logging.NullHandler())

__version__ = "0.1.0"
__all__ = [
    "Cleaned",
    "ConfigError",
    "Detector",
    "DetectorConfig",
    "DetectorError",
    "DuplicateInfo",
    "Evidence",
    "InputError",
    "ModelLoadError",
    "NearDuplicateIndex",
    "Page",
    "Reason",
    "SignalResult",
    "Verdict",
    "find_near_duplicates",
]
