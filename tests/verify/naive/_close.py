"""What the naive tests share: the strict float64 comparison, one-hot targets, random layers."""

from __future__ import annotations

import itertools

import numpy as np

ACTIVATIONS = ("sigmoid", "tanh", "relu")
MODES = ("cross-correlation", "convolution")

# Both sides sum the same O(1) products in a different order; in float64 each sum carries an error
# of a few ulps times the number of terms, far below this bound, so rtol 1e-12 with an absolute
# floor of 1e-13 × the largest magnitude (for entries that cancel to ~0) is a strict check.
RTOL = 1e-12


def assert_close(naive_value, reference, what: str = "") -> None:
    naive_value = np.asarray(naive_value)
    reference = np.asarray(reference)
    assert naive_value.shape == reference.shape, (what, naive_value.shape, reference.shape)
    scale = max(1.0, float(np.max(np.abs(reference), initial=0.0)))
    np.testing.assert_allclose(naive_value, reference, rtol=RTOL, atol=1e-13 * scale, err_msg=what)


def one_hot(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    t = np.zeros((n, k))
    t[np.arange(n), rng.integers(0, k, size=n)] = 1.0
    return t


def network(rng, widths):
    weights = [rng.standard_normal(pair) for pair in itertools.pairwise(widths)]
    biases = [rng.standard_normal(b) for b in widths[1:]]
    return weights, biases
