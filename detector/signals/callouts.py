"""Callout boxes: "Pro Tip:", "Did You Know?", "Key Takeaways", "Quick Fact:" sprinkled through a page.

News articles almost never carry them; the farm template inserts one or two per page, each a generic
sentence about the topic. Strong labels are the ones whose purpose is the box itself; weak labels
("Note:", "Important:") also open genuine paragraphs, so the model sees them apart.
"""

from __future__ import annotations

import re

from detector.signals.base import Signal
from detector.types import Cleaned, Evidence, SignalResult

_STRONG_RE = re.compile(
    r"^\s*(?:[-*]\s*)?(?:\*\*)?(pro[- ]tips?|did you know|key takeaways?|quick (?:fact|tip)s?|fun fact|"
    r"expert (?:insight|tip|advice)|insider tip|top tip|bonus tip|real[- ]world example|"
    r"wussten sie(?: schon)?|profi[- ]tipp|le saviez[- ]vous|astuce|sabías que|lo sapevi)(?:\*\*)?\s*[?:!：]",
    re.IGNORECASE,
)
_WEAK_RE = re.compile(
    r"^\s*(?:[-*]\s*)?(?:\*\*)?(note|tip|important|remember|key point|bottom line|quick note|heads up|"
    r"takeaway|in a nutshell|case study)(?:\*\*)?\s*[:!：]",
    re.IGNORECASE,
)
CAP = 5
KEYS = ("strong", "weak", "kinds", "in_headings")


def compute(doc: Cleaned) -> SignalResult:
    strong: list[tuple[str, int, int]] = []
    weak: list[tuple[str, int, int]] = []
    kinds: set[str] = set()
    in_headings = 0
    for b in doc.blocks:
        if b.kind in ("table_row", "code"):
            continue
        m = _STRONG_RE.match(b.text)
        if m:
            strong.append((b.text, b.start, b.end))
            kinds.add(m.group(1).lower())
            in_headings += b.kind == "heading"
            continue
        m = _WEAK_RE.match(b.text)
        if m:
            weak.append((b.text, b.start, b.end))
    values = {
        "strong": min(len(strong), CAP) / CAP,
        "weak": min(len(weak), CAP) / CAP,
        "kinds": min(len(kinds), CAP) / CAP,
        "in_headings": min(in_headings, CAP) / CAP,
    }
    if not strong and not weak:
        return SignalResult(values=values)
    shown = strong or weak
    evidence = tuple(Evidence(text=t[:200], start=s, end=e) for t, s, e in shown[:5])
    labels = ", ".join(f'"{t.split(":")[0].split("?")[0].strip()[:30]}"' for t, _, _ in shown[:3])
    summary = f"{len(strong)} callout boxes ({labels})" if strong else f"{len(weak)} note/tip paragraphs ({labels})"
    return SignalResult(values=values, summary=summary, evidence=evidence)


SIGNAL = Signal(
    name="callouts",
    version=1,
    keys=KEYS,
    description="'Pro Tip' / 'Did You Know?' / 'Key Takeaways' boxes",
    compute=compute,
)
