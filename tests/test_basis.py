"""The hat basis: a piecewise-linear function of a value, one weight per knot."""

from __future__ import annotations

import numpy as np
import pytest

from detector.basis import Basis, hat, quantile_knots


def test_the_basis_interpolates_through_its_knots_and_is_flat_beyond_them() -> None:
    knots = np.array([0.0, 1.0, 3.0])
    x = np.array([-5.0, 0.0, 0.5, 1.0, 2.0, 3.0, 9.0])
    H = hat(x, knots)
    np.testing.assert_allclose(H.sum(axis=1), 1.0)
    np.testing.assert_allclose(H[[1, 3, 5]], np.eye(3))
    np.testing.assert_allclose(H[0], H[1])  # below the first knot: as at it
    np.testing.assert_allclose(H[-1], H[-2])  # above the last: as at it
    np.testing.assert_allclose(H[2], [0.5, 0.5, 0.0])
    np.testing.assert_allclose(H[4], [0.0, 0.5, 0.5])
    weights = np.array([2.0, -1.0, 4.0])  # the function through (knot, weight)
    np.testing.assert_allclose(H @ weights, np.interp(x, knots, weights))


def test_knots_are_the_distinct_quantiles() -> None:
    np.testing.assert_allclose(quantile_knots(np.arange(11.0), 3), [0.0, 5.0, 10.0])
    assert len(quantile_knots(np.r_[np.zeros(90), np.ones(10)], 6)) == 2
    assert len(quantile_knots(np.zeros(50), 6)) == 1
    with pytest.raises(ValueError, match="at least 2 knots"):
        quantile_knots(np.arange(5.0), 1)


def test_fit_expand_and_collapse() -> None:
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.normal(size=200), np.zeros(200), rng.uniform(size=200)])
    basis = Basis.fit(X, (0, 1), n_knots=4)
    assert basis.counts.tolist() == [4, 0, 0]  # a constant column keeps one linear column
    assert basis.n_outputs == 6 and basis.owners.tolist() == [0, 0, 0, 0, 1, 2]
    E = basis.expand(X)
    assert E.shape == (200, 6)
    np.testing.assert_array_equal(E[:, 4:], X[:, 1:])
    collapsed = basis.collapse(E)
    np.testing.assert_allclose(collapsed[:, 0], 1.0)  # a hat row sums to 1
    np.testing.assert_array_equal(collapsed[:, 1:], X[:, 1:])
    identity = Basis.identity(3)
    assert identity.expand(X) is X and identity.n_outputs == 3
    with pytest.raises(ValueError, match="made for 3"):
        basis.expand(X[:, :2])
    with pytest.raises(ValueError, match="out of range"):
        Basis.fit(X, (3,), n_knots=4)


@pytest.mark.parametrize(
    ("counts", "knots", "message"),
    [
        ([1, 0], [0.0], "0 .linear. or at least 2"),
        ([2, 0], [0.0], "1 knots for knot counts summing to 2"),
        ([2, 0], [1.0, 0.0], "strictly increasing"),
    ],
)
def test_a_malformed_basis_is_refused(counts: list[int], knots: list[float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Basis(np.array(counts, dtype=np.int64), np.array(knots))
