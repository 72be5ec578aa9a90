"""Weight initialization: He for rectified units, Glorot for sigmoid/tanh units, drawn from a
seeded ``numpy.random.Generator`` so a network is the same every time it is built with one seed.

fan_in is the number of inputs feeding one unit (D of a dense W, K·K·C of a conv filter), fan_out
the number of units one input feeds (M of a dense W, K·K·F of a conv filter bank).
"""

from __future__ import annotations

import numpy as np

from ..validation import float_dtype, positive_int

INITIALIZERS = ("he", "glorot")


def he_normal(
    shape: tuple[int, ...], fan_in: int, rng: np.random.Generator, dtype=np.float32
) -> np.ndarray:
    """w ~ N(0, 2 / fan_in): keeps the variance of relu activations constant from layer to layer."""
    fan_in = positive_int("fan_in", fan_in)
    std = np.sqrt(2.0 / fan_in)
    return (rng.standard_normal(shape) * std).astype(float_dtype(dtype))


def glorot_uniform(
    shape: tuple[int, ...], fan_in: int, fan_out: int, rng: np.random.Generator, dtype=np.float32
) -> np.ndarray:
    """w ~ U(−r, r) with r = √(6 / (fan_in + fan_out)): variance 2 / (fan_in + fan_out), which keeps
    both the forward activations and the backward deltas of sigmoid/tanh units at a steady scale."""
    fan_in = positive_int("fan_in", fan_in)
    fan_out = positive_int("fan_out", fan_out)
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=shape).astype(float_dtype(dtype))


def initial_weights(
    init: str,
    shape: tuple[int, ...],
    fan_in: int,
    fan_out: int,
    rng: np.random.Generator,
    dtype=np.float32,
) -> np.ndarray:
    """Weights drawn by ``init`` ∈ {"he", "glorot"}."""
    if not isinstance(rng, np.random.Generator | np.random.RandomState):
        raise TypeError(
            f"rng must be a numpy.random.Generator (np.random.default_rng(seed)), got {rng!r}"
        )
    if init == "he":
        return he_normal(shape, fan_in, rng, dtype)
    if init == "glorot":
        return glorot_uniform(shape, fan_in, fan_out, rng, dtype)
    raise ValueError(f"init must be one of {', '.join(map(repr, INITIALIZERS))}; got {init!r}")


def init_for_activation(activation: str) -> str:
    """ "he" for relu units, "glorot" for sigmoid and tanh units."""
    if activation == "relu":
        return "he"
    if activation in ("sigmoid", "tanh"):
        return "glorot"
    raise ValueError(f"activation must be 'sigmoid', 'tanh' or 'relu'; got {activation!r}")
