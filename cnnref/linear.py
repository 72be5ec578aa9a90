"""The dense (fully connected) layer a = X W + b, W of size D × M."""

from __future__ import annotations

import numpy as np

from .kernels import dense as _dense
from .threads import one_blas_thread, openmp_threads
from .validation import ACTIVATIONS, choice, exact_shape, float_array, same_dtype

ACTIVATION_CODES = {
    None: _dense.IDENTITY,
    "relu": _dense.RELU,
    "sigmoid": _dense.SIGMOID,
    "tanh": _dense.TANH,
}


def dense(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a = X W + b (the notes write a = Wᵀx + b for one sample x).

    Shapes: x (N, D), w (D, M), b (M,) → a (N, M).

    Twin :func:`verify.naive.linear.dense`, :doc:`/derivations/hidden-layer`.
    """
    return dense_activation(x, w, b, None)


def dense_backward(
    delta: np.ndarray, x: np.ndarray, w: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of a = X W + b given delta = ∂J/∂a::

        dx = δ Wᵀ  (N, D),    dw = Xᵀ δ  (D, M),    db = Σₙ δ  (M,)

    returned as the tuple (dx, dw, db).

    Twin :func:`verify.naive.linear.dense_backward`, :doc:`/derivations/hidden-layer`.
    """
    delta, x, w = _backward_arguments(delta, x, w)
    dw, db = _parameter_gradients(delta, x)
    return matmul(delta, w, trans_b=True), dw, db


# The paths the layers and the seed network take: each equals a composition of the formula
# functions above and is tested against it.


def dense_activation(
    x: np.ndarray, w: np.ndarray, b: np.ndarray, activation: str | None
) -> np.ndarray:
    """z = σ(dense(x, w, b)) with σ ("relu", "sigmoid", "tanh"; None for the identity) applied in
    the same pass as the bias: the same values as the two calls."""
    x = float_array("x", x, 2, "(N, D)")
    w = float_array("w", w, 2, "(D, M)")
    b = float_array("b", b, 1, "(M,)")
    same_dtype(x=x, w=w, b=b)
    if w.shape[0] != x.shape[1]:
        raise ValueError(
            f"w must have shape (D, M) with D = {x.shape[1]} (the features of x), got {w.shape}"
        )
    exact_shape("b", b, (w.shape[1],), "(one bias per output M)")
    if activation is not None:
        choice("activation", activation, ACTIVATIONS)
    a = matmul(x, w)
    _dense.bias_activation(a, b, ACTIVATION_CODES[activation], openmp_threads())
    return a


def dense_parameter_gradients(
    delta: np.ndarray, x: np.ndarray, w: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(dw, db) of :func:`cnnref.dense_backward` without dx: the first layer of a network needs no
    gradient with respect to its input."""
    delta, x, w = _backward_arguments(delta, x, w)
    return _parameter_gradients(delta, x)


def _backward_arguments(delta, x, w):
    x = float_array("x", x, 2, "(N, D)")
    w = float_array("w", w, 2, "(D, M)")
    delta = float_array("delta", delta, 2, "(N, M)")
    same_dtype(delta=delta, x=x, w=w)
    if w.shape[0] != x.shape[1]:
        raise ValueError(
            f"w must have shape (D, M) with D = {x.shape[1]} (the features of x), got {w.shape}"
        )
    exact_shape("delta", delta, (x.shape[0], w.shape[1]), "(N, M)")
    return delta, x, w


def _parameter_gradients(delta: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """dw = Xᵀ δ and db = Σₙ δ."""
    db = np.empty(delta.shape[1], dtype=x.dtype)
    _dense.sum_rows(delta, db)
    # One sample: BLAS's matrix product with inner dimension 1 is several times slower than the
    # outer product, which computes the same products xᵢ·δⱼ.
    if x.shape[0] == 1:
        return np.multiply.outer(x[0], delta[0]), db
    return matmul(x, delta, trans_a=True), db


def matmul(
    a: np.ndarray,
    b: np.ndarray,
    trans_a: bool = False,
    trans_b: bool = False,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """op(a) · op(b) with op the transpose where asked, into ``out`` (C-contiguous) if given: one
    BLAS product per block of output columns, the blocks spread over cnnref's OpenMP threads, the
    BLAS held to one thread meanwhile (cnnref.threads); small products are one block."""
    rows = a.shape[1] if trans_a else a.shape[0]
    inner = a.shape[0] if trans_a else a.shape[1]
    columns = b.shape[0] if trans_b else b.shape[1]
    a, b = np.ascontiguousarray(a), np.ascontiguousarray(b)
    if out is None:
        out = np.empty((rows, columns), dtype=a.dtype)
    split = rows > 1 and rows * inner * columns >= _SPLIT_MIN_WORK
    with one_blas_thread():
        _dense.matmul_split(a, b, out, trans_a, trans_b, openmp_threads() if split else 1)
    return out


# Multiply-adds below which a product is not worth splitting across threads (waking the OpenMP
# team costs more); one row is a matrix-vector product, which BLAS does best on its own.
_SPLIT_MIN_WORK = 1 << 21
