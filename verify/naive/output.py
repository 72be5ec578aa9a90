"""Naive twins of ``cnnref/output.py``: softmax and the log-likelihood J, one term at a time."""

from __future__ import annotations

import numpy as np

from . import scalars
from .arguments import Array, array, copied_array, targets_like, zeros


def softmax(a: Array) -> Array:
    """yₙₖ = exp(aₙₖ − pₙ) / Σₖ′ exp(aₙₖ′ − pₙ) with pₙ = maxₖ Re aₙₖ.

    The shift pₙ cancels in the ratio and keeps every exponent ≤ 0, so no logit overflows.
    Shapes: a (N, K) → y (N, K); a 1-D a (K,) is one sample. Complex allowed.
    """
    a = copied_array("a", a)
    if a.ndim not in (1, 2) or a.shape[-1] == 0:
        raise ValueError(f"a must be (N, K) or (K,) with K >= 1 classes, got shape {a.shape}")
    rows = a.reshape(-1, a.shape[-1])
    (n_rows, n_classes), dtype, rows = rows.shape, rows.dtype, rows.tolist()
    y = zeros((n_rows, n_classes), dtype)
    for n in range(n_rows):
        peak = max(rows[n][k].real for k in range(n_classes))
        total = 0.0
        for k in range(n_classes):
            total += scalars.exp(rows[n][k] - peak)
        for k in range(n_classes):
            y[n][k] = scalars.exp(rows[n][k] - peak) / total
    return array(y, a.shape, dtype)


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
    is_complex, t, y = y.dtype.kind == "c", t.reshape(-1).tolist(), y.reshape(-1).tolist()
    total = 0.0
    for target, value in zip(t, y, strict=True):
        if target != 0:
            if value.real < floor:
                value = floor
            total += target * scalars.log(value)
    return complex(total) if is_complex else float(total)
