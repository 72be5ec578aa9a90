"""Naive twins of ``cnnref/output.py``: softmax and the log-likelihood J, one term at a time."""

from __future__ import annotations

import numpy as np

from .arguments import Array, copied_array, targets_like


def softmax(a: Array) -> Array:
    """yₙₖ = exp(aₙₖ − pₙ) / Σₖ′ exp(aₙₖ′ − pₙ) with pₙ = maxₖ Re aₙₖ.

    The shift pₙ cancels in the ratio and keeps every exponent ≤ 0, so no logit overflows.
    Shapes: a (N, K) → y (N, K); a 1-D a (K,) is one sample. Complex allowed.
    """
    a = copied_array("a", a)
    if a.ndim not in (1, 2) or a.shape[-1] == 0:
        raise ValueError(f"a must be (N, K) or (K,) with K >= 1 classes, got shape {a.shape}")
    rows = a.reshape(-1, a.shape[-1])
    n_rows, n_classes = rows.shape
    y = np.empty_like(rows)
    for n in range(n_rows):
        peak = max(rows[n, k].real for k in range(n_classes))
        total = 0.0
        for k in range(n_classes):
            total += np.exp(rows[n, k] - peak)
        for k in range(n_classes):
            y[n, k] = np.exp(rows[n, k] - peak) / total
    return y.reshape(a.shape)


def log_likelihood(t: Array, y: Array) -> float | complex:
    """J = Σₙ Σₖ tₙₖ log yₙₖ, the objective the notes maximize (cross-entropy is −J).

    Terms with tₙₖ = 0 are skipped; where tₙₖ ≠ 0, a yₙₖ whose real part is below the smallest
    normal number of y's dtype (np.finfo(dtype).tiny) is raised to it. Shapes: t and y alike (any
    shape, usually (N, K)) → a float, or a complex for complex y with positive real part.
    """
    given = np.asarray(y)
    y = copied_array("y", given)
    floor = float(np.finfo(given.dtype).tiny)
    t = targets_like("t", t, y)
    total = 0.0
    for index in np.ndindex(y.shape):
        if t[index] != 0:
            value = y[index]
            if value.real < floor:
                value = floor
            total += t[index] * np.log(value)
    return complex(total) if y.dtype.kind == "c" else float(total)
