"""The softmax output y = softmax(a) and the log-likelihood J = Σₙ Σₖ tₙₖ log yₙₖ."""

from __future__ import annotations

import numpy as np

from .kernels import softmax as _softmax
from .validation import float_array, target_array


def softmax(a: np.ndarray) -> np.ndarray:
    """yₙₖ = exp(aₙₖ) / Σₖ′ exp(aₙₖ′) over the last axis.

    Computed as exp(a − max a), so no logit overflows.

    Shapes: a (N, K) → y (N, K); a 1-D a is one sample (K,).

    Twin :func:`verify.naive.output.softmax`, :doc:`/derivations/softmax`.
    """
    arr = float_array("a", a)
    if arr.ndim not in (1, 2) or arr.shape[-1] == 0:
        raise ValueError(f"a must be (N, K) or (K,) with K >= 1 classes, got shape {arr.shape}")
    rows = arr.reshape(-1, arr.shape[-1])
    y = np.empty_like(rows)
    _softmax.softmax_kernel(rows, y)
    return y.reshape(arr.shape)


def log_likelihood(t: np.ndarray, y: np.ndarray) -> float:
    """J = Σₙ Σₖ tₙₖ log yₙₖ, the objective the notes maximize (cross-entropy is −J).

    Terms with tₙₖ = 0 contribute 0; where tₙₖ ≠ 0 and yₙₖ underflowed to 0, log yₙₖ is taken at the
    smallest normal number of y's dtype, so J stays finite. Shapes: t and y (N, K) → a float.

    Twin :func:`verify.naive.output.log_likelihood`, :doc:`/derivations/softmax`.
    """
    y = float_array("y", y)
    t = target_array("t", t, y)
    floor = float(np.finfo(y.dtype).tiny)
    return float(_softmax.log_likelihood_kernel(t.reshape(-1), y.reshape(-1), floor))
