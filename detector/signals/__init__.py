"""The signal registry: every named, versioned annotator the detector runs, in a fixed order.

A signal is a function from ``Cleaned`` to ``SignalResult`` (values + plain-words summary + evidence);
see ``base.Signal``. Signals annotate; the model decides.
"""

from __future__ import annotations

from detector.signals import (
    artifacts,
    callouts,
    engagement,
    faq,
    prompt_leak,
    quality,
    seo_keywords,
    stitched,
    style,
    toc,
    typography,
)
from detector.signals.base import Signal

REGISTRY: tuple[Signal, ...] = (
    toc.SIGNAL,
    seo_keywords.SIGNAL,
    faq.SIGNAL,
    callouts.SIGNAL,
    engagement.SIGNAL,
    prompt_leak.SIGNAL,
    stitched.SIGNAL,
    typography.SIGNAL,
    artifacts.SIGNAL,
    quality.SIGNAL,
    style.SIGNAL,
)


def get_signal(name: str) -> Signal:
    """The registered signal called ``name``; a ``KeyError`` lists the available ones."""
    for signal in REGISTRY:
        if signal.name == name or signal.tag == name:
            return signal
    raise KeyError(f"no signal named {name!r}; available: {', '.join(s.tag for s in REGISTRY)}")


__all__ = ["REGISTRY", "Signal", "get_signal"]
