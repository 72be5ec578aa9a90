"""Random inputs for the registry: non-square shapes, non-symmetric values, random upstreams.

Values are drawn with a non-zero mean and unequal spreads so that a transposed or mirrored result
cannot coincide with the right one; upstream gradients are random and non-uniform (never all ones:
with an all-ones upstream the softmax gradient is ≈ 0 and a backward returning zeros would pass).
Relu pre-activations keep a margin from 0 and pool windows a gap between their top two values, both
far above the finite-difference step, unless a case asks for ``near_kink`` placements on purpose.
"""

from __future__ import annotations

import itertools

import numpy as np

from . import kinks, objectives

RELU_MARGIN = 0.02
POOL_GAP = 0.02
NEAR_KINK = 1e-7
MAX_REDRAWS = 200


def values(rng: np.random.Generator, shape: tuple[int, ...], scale: float = 1.0) -> np.ndarray:
    """Non-symmetric values: N(0.1·scale, scale²) times a per-element spread in [0.5, 1.5)."""
    return (rng.standard_normal(shape) + 0.1) * scale * (0.5 + rng.random(shape))


def upstream(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """A random, non-uniform upstream gradient."""
    return values(rng, shape)


def distinct_sizes(rng: np.random.Generator, count: int, low: int, high: int) -> list[int]:
    """``count`` different integers in [low, high] (so no two axes are equal)."""
    return [int(v) for v in rng.choice(np.arange(low, high + 1), size=count, replace=False)]


def targets(rng: np.random.Generator, n: int, k: int, soft: bool) -> np.ndarray:
    """Rows summing to 1: one-hot labels, or (``soft``) random non-uniform distributions."""
    if soft:
        raw = rng.random((n, k)) + 0.05
        return raw / raw.sum(axis=1, keepdims=True)
    return np.eye(k)[rng.integers(0, k, size=n)]


def place_near_kink(rng: np.random.Generator, a: np.ndarray, count: int = 2) -> np.ndarray:
    """A copy of ``a`` with ``count`` random elements moved to within NEAR_KINK of 0."""
    out = a.copy()
    flat = out.reshape(-1)
    chosen = rng.choice(flat.size, size=min(count, flat.size), replace=False)
    flat[chosen] = rng.uniform(-NEAR_KINK, NEAR_KINK, size=chosen.size)
    return out


def pool_input(
    rng: np.random.Generator,
    shape: tuple[int, ...],
    size: int,
    stride: int,
    ties: str = "none",
) -> np.ndarray:
    """Max-pool input: tie-free with gap POOL_GAP (``ties="none"``), exact ties in many windows
    (``"exact"``: values on a coarse integer grid), or near-ties within NEAR_KINK (``"near"``)."""
    if ties == "exact":
        return rng.integers(-2, 3, size=shape).astype(np.float64)
    x = kinks.tie_free(rng, shape, POOL_GAP)
    if ties == "near":
        windows = objectives.pool_windows(x, size, stride)
        flat_windows = windows.reshape(-1, size * size)
        picks = rng.choice(len(flat_windows), size=min(2, len(flat_windows)), replace=False)
        out = x.copy()
        for pick in picks:
            order = np.argsort(flat_windows[pick])
            top, second = order[-1], order[-2]
            position = np.unravel_index(pick, windows.shape[:-1])
            n, i, j, c = position
            r1, s1 = divmod(int(top), size)
            r2, s2 = divmod(int(second), size)
            target = out[n, i * stride + r1, j * stride + s1, c]
            out[n, i * stride + r2, j * stride + s2, c] = target - rng.uniform(0, NEAR_KINK)
        return out
    if ties != "none":
        raise ValueError(f"ties must be 'none', 'exact' or 'near', got {ties!r}")
    return x


def relu_safe_layers(
    rng: np.random.Generator,
    x: np.ndarray,
    widths: list[int],
    activation: str,
    near_kink: bool,
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Weights (widths[l] × widths[l+1]) and biases of a network on x; for relu, redrawn until every
    hidden pre-activation has ``|a| ≥ RELU_MARGIN`` and no layer is entirely inactive (then, with
    ``near_kink``, one bias moves an element of the first layer to within NEAR_KINK of 0)."""
    for _ in range(MAX_REDRAWS):
        weights = [
            values(rng, (fan_in, fan_out), 1.0 / np.sqrt(fan_in))
            for fan_in, fan_out in itertools.pairwise(widths)
        ]
        biases = [values(rng, (fan_out,), 0.5) for fan_out in widths[1:]]
        if activation != "relu":
            return weights, biases
        _, pre = objectives.mlp_logits(weights, biases, x, activation)
        alive = all(np.any(a > 0) for a in pre)
        if alive and kinks.min_relu_margin(pre) >= RELU_MARGIN:
            break
    else:
        raise RuntimeError("could not draw relu pre-activations with the required margin")
    if near_kink and len(widths) > 2:
        a1 = x @ weights[0] + biases[0]
        n, m = rng.integers(0, a1.shape[0]), rng.integers(0, a1.shape[1])
        biases[0] = biases[0].copy()
        biases[0][m] -= a1[n, m] - rng.uniform(-NEAR_KINK, NEAR_KINK)
    return weights, biases
