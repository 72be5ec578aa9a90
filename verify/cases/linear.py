"""The oracle's cases for ``cnnref/linear.py`` (naive twin :mod:`verify.naive.linear`): the registry
builders of ``dense`` and ``dense_backward``, and the mutants their cases must reject.
"""

from __future__ import annotations

import numpy as np

import cnnref

from .. import generators as gen
from .. import objectives as obj
from .case import DTYPES, Case, Entry, Mutant, cast, dtype_name, f64, grid

# One sample (N 1) takes cnnref's matrix-vector product for a and dx and the outer product for dw;
# several, matrix products.
BATCHES = ("N 1", "N several")


def dense_sizes(rng, batch: str) -> tuple[int, int, int]:
    """(N, D, M) with D ≠ M in [2, 7]; N is 1 for batch "N 1", else a third size in [2, 7]."""
    if batch == "N 1":
        return (1, *gen.distinct_sizes(rng, 2, 2, 7))
    n, d, m = gen.distinct_sizes(rng, 3, 2, 7)
    return n, d, m


def dense_gradient_case(
    rng, dtype, batch: str, target: str, variables: tuple[str, ...], outputs
) -> Case:
    """A gradient case of ⟨δ, X W + b⟩ with respect to ``variables`` (among x, w, b; the others
    held at their values), called with a dense layer's backward arguments (delta, x, w): x (N, D),
    w (D, M) and delta (N, M) in ``dtype``, b (M,) in float64, every axis its own length but N = 1
    for batch "N 1"."""
    n, d, m = dense_sizes(rng, batch)
    x = cast(gen.values(rng, (n, d)), dtype)
    w = cast(gen.values(rng, (d, m), 0.5), dtype)
    b = gen.values(rng, (m,), 0.5)
    delta = cast(gen.upstream(rng, (n, m)), dtype)
    g = f64(delta)
    at = {"x": f64(x), "w": f64(w), "b": b}

    def objective(p):
        a = obj.dense(p.get("x", at["x"]), p.get("w", at["w"]), p.get("b", at["b"]))
        return np.sum(g * a, axis=(-2, -1))

    return Case(
        target,
        "gradient",
        {"dtype": dtype_name(dtype), "batch": batch},
        np.dtype(dtype),
        {"delta": delta, "x": x, "w": w},
        outputs,
        params={name: at[name] for name in variables},
        objective=objective,
        upstream="delta",
    )


def build_dense_backward(rng, dtype, batch) -> Case:
    def outputs(r):
        return {"x": r[0], "w": r[1], "b": r[2]}

    return dense_gradient_case(rng, dtype, batch, "dense_backward", ("x", "w", "b"), outputs)


def build_dense(rng, dtype, batch) -> Case:
    n, d, m = dense_sizes(rng, batch)
    args = {
        "x": cast(gen.values(rng, (n, d)), dtype),
        "w": cast(gen.values(rng, (d, m)), dtype),
        "b": cast(gen.values(rng, (m,)), dtype),
    }
    return Case(
        "dense",
        "forward",
        {"dtype": dtype_name(dtype), "batch": batch},
        np.dtype(dtype),
        args,
        lambda r: {"out": r},
    )


DENSE_SETTINGS = grid(dtype=DTYPES, batch=BATCHES)
GRADIENT_ENTRIES = (Entry("dense_backward", "gradient", DENSE_SETTINGS, build_dense_backward),)
FORWARD_ENTRIES = (Entry("dense", "forward", DENSE_SETTINGS, build_dense),)


# ---------------------------------------------------------------- mutants


def dense_backward_bias_dropped(delta, x, w):
    """dx and dw right, db left at zero."""
    dx, dw, _ = cnnref.dense_backward(delta, x, w)
    return dx, dw, np.zeros_like(dw[0])


def dense_backward_float32(delta, x, w):
    """dw accumulated in float32 even when the inputs are float64."""
    dx, _, db = cnnref.dense_backward(delta, x, w)
    dw = (x.astype(np.float32).T @ delta.astype(np.float32)).astype(x.dtype)
    return dx, dw, db


def dense_backward_dw_reshaped(delta, x, w):
    """dW = (δᵀ X) reshaped to (D, M) instead of transposed: right numbers, wrong places."""
    dx, dw, db = cnnref.dense_backward(delta, x, w)
    return dx, np.ascontiguousarray((delta.T @ x).reshape(dw.shape)), db


def dense_backward_db_first_sample(delta, x, w):
    """db = δ of the first sample: the bias gradient not summed over the batch."""
    dx, dw, _ = cnnref.dense_backward(delta, x, w)
    return dx, dw, np.ascontiguousarray(delta[0])


MUTANTS: list[Mutant] = [
    Mutant(
        "dense_backward_bias_dropped",
        "bias gradient dropped (returned as zeros)",
        "dense_backward",
        dense_backward_bias_dropped,
    ),
    Mutant(
        "dense_backward_float32",
        "float32 downcast inside a float64 computation",
        "dense_backward",
        dense_backward_float32,
    ),
    Mutant(
        "dense_backward_dw_reshaped",
        "transposed dW by reshape ((δᵀ X) reshaped to (D, M), not transposed)",
        "dense_backward",
        dense_backward_dw_reshaped,
    ),
    Mutant(
        "dense_backward_db_first_sample",
        "bias gradient not summed over the batch (first sample only)",
        "dense_backward",
        dense_backward_db_first_sample,
    ),
]
