"""A piecewise-linear ("hat") basis of signal columns, so that a linear model can weigh a value by where it lies.

A style value says the most about machine writing in part of its range (very uniform sentence lengths, say)
and little elsewhere; one weight per column makes its contribution a straight line through the whole range,
and a handful of extreme values then decides the line. The basis replaces a column by ``K`` columns, one per
knot ``t_k``: the k-th is 1 at ``t_k``, falls linearly to 0 at the neighbouring knots and is 0 beyond them
(``numpy.interp`` of the unit vector ``e_k``). A linear model over them is a piecewise-linear function of the
value through the knots, and it stays explainable: a column's contribution is the sum of its basis columns'
contributions. Beyond the outer knots the basis is constant, so a value outside everything seen in training
counts as the most extreme one seen, never more.

The knots are quantiles of the training values (``np.linspace(0, 1, n_knots)``, the minimum and maximum
included), repeated ones merged: a column with fewer than two distinct knots stays one linear column.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def quantile_knots(x: np.ndarray, n_knots: int) -> np.ndarray:
    """The distinct values among the ``n_knots`` evenly spaced quantiles of ``x`` (minimum and maximum included)."""
    if n_knots < 2:
        raise ValueError(f"a hat basis needs at least 2 knots, not {n_knots}")
    return np.unique(np.quantile(np.asarray(x, dtype=np.float64), np.linspace(0.0, 1.0, n_knots)))


def hat(x: np.ndarray, knots: np.ndarray) -> np.ndarray:
    """The hat basis of ``x`` at increasing ``knots``: shape (len(x), len(knots)); each row sums to 1."""
    eye = np.eye(len(knots))
    return np.column_stack([np.interp(x, knots, eye[k]) for k in range(len(knots))])


@dataclass(frozen=True)
class Basis:
    """Per input column, its knots (a hat basis) or none (the column kept as it is).

    ``counts[j]`` is the number of knots of input column ``j`` (0: kept linear) and ``knots`` all the knots,
    column after column: the two arrays a saved model stores.
    """

    counts: np.ndarray  # int64, one per input column
    knots: np.ndarray  # float64, sum(counts) values

    def __post_init__(self) -> None:
        counts = np.asarray(self.counts)
        if counts.ndim != 1 or np.any(counts < 0) or np.any(counts == 1):
            raise ValueError(f"knot counts must be 0 (linear) or at least 2 per column, not {counts.tolist()}")
        if self.knots.shape != (int(counts.sum()),):
            raise ValueError(f"{self.knots.shape[0]} knots for knot counts summing to {int(counts.sum())}")
        for k in self._split():
            if len(k) and np.any(np.diff(k) <= 0):
                raise ValueError("each column's knots must be strictly increasing")

    @classmethod
    def identity(cls, n_columns: int) -> Basis:
        """Every column kept as it is."""
        return cls(np.zeros(n_columns, dtype=np.int64), np.zeros(0))

    @classmethod
    def fit(cls, X: np.ndarray, columns: tuple[int, ...], n_knots: int) -> Basis:
        """Knots at the quantiles of ``X``'s ``columns`` (the other columns kept linear)."""
        counts = np.zeros(X.shape[1], dtype=np.int64)
        parts: list[np.ndarray] = []
        for j in sorted(set(columns)):
            if not 0 <= j < X.shape[1]:
                raise ValueError(f"basis column {j} out of range for {X.shape[1]} columns")
            knots = quantile_knots(X[:, j], n_knots)
            if len(knots) >= 2:
                counts[j] = len(knots)
                parts.append(knots)
        return cls(counts, np.concatenate(parts) if parts else np.zeros(0))

    def _split(self) -> list[np.ndarray]:
        return np.split(self.knots, np.cumsum(self.counts)[:-1]) if len(self.counts) else []

    @property
    def n_inputs(self) -> int:
        return len(self.counts)

    @property
    def n_outputs(self) -> int:
        return int(np.maximum(self.counts, 1).sum())

    @property
    def owners(self) -> np.ndarray:
        """The input column of each output column."""
        return np.repeat(np.arange(self.n_inputs), np.maximum(self.counts, 1))

    def expand(self, X: np.ndarray) -> np.ndarray:
        """The output columns of rows ``X`` (input columns in order, each replaced by its basis)."""
        if X.shape[1] != self.n_inputs:
            raise ValueError(f"rows have {X.shape[1]} columns; the basis was made for {self.n_inputs}")
        if not self.counts.any():
            return X
        parts = [X[:, [j]] if len(k) == 0 else hat(X[:, j], k) for j, k in enumerate(self._split())]
        return np.hstack(parts)

    def collapse(self, values: np.ndarray) -> np.ndarray:
        """Per-output-column values (rows x outputs) summed back into their input columns (rows x inputs)."""
        out = np.zeros((values.shape[0], self.n_inputs))
        np.add.at(out.T, self.owners, values.T)
        return out
