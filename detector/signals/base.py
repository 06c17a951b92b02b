"""The contract every signal follows: a named, versioned function from ``Cleaned`` to ``SignalResult``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from detector.types import Cleaned, SignalResult


@dataclass(frozen=True, slots=True)
class Signal:
    """A named, versioned page annotator.

    ``keys`` lists every value the signal returns (always all of them, 0.0 when nothing was found); the
    model sees them as features named ``"<name>.<key>"``. Bump ``version`` whenever the meaning of a
    value changes: a model trained on the old version then refuses to load instead of scoring wrongly.
    """

    name: str
    version: int
    keys: tuple[str, ...]
    description: str
    compute: Callable[[Cleaned], SignalResult]

    @property
    def tag(self) -> str:
        return f"{self.name}_v{self.version}"

    def __call__(self, doc: Cleaned) -> SignalResult:
        result = self.compute(doc)
        if set(result.values) != set(self.keys):
            missing = sorted(set(self.keys) - set(result.values))
            extra = sorted(set(result.values) - set(self.keys))
            raise RuntimeError(f"signal {self.tag} returned wrong keys: missing {missing}, unexpected {extra}")
        return result

    def feature_names(self) -> list[str]:
        return [f"{self.name}.{k}" for k in self.keys]
