"""The dense (fully connected) layer a = X W + b, W of size D × M."""

from __future__ import annotations

import numpy as np

from .kernels import dense as _dense
from .threads import one_blas_thread, openmp_threads, pool_threads
from .validation import ACTIVATIONS, choice, exact_shape, float_array, memory_for, same_dtype

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
    x, w = _inputs_and_weights(x, w)
    b = float_array("b", b, 1, "(M,)")
    same_dtype(x=x, w=w, b=b)
    exact_shape("b", b, (w.shape[1],), "(one bias per output M)")
    if activation is not None:
        choice("activation", activation, ACTIVATIONS)
    out_shape = (x.shape[0], w.shape[1])
    with memory_for("x and w", "the output (N, M)", out_shape, x.dtype):
        return matmul(x, w, bias=b, activation_code=ACTIVATION_CODES[activation])


def dense_parameter_gradients(
    delta: np.ndarray, x: np.ndarray, w: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(dw, db) of :func:`cnnref.dense_backward` without dx: the first layer of a network needs no
    gradient with respect to its input."""
    delta, x, w = _backward_arguments(delta, x, w)
    return _parameter_gradients(delta, x)


def _inputs_and_weights(x, w) -> tuple[np.ndarray, np.ndarray]:
    """x (N, D) and w (D, M) as float arrays whose D agree."""
    x = float_array("x", x, 2, "(N, D)")
    w = float_array("w", w, 2, "(D, M)")
    if w.shape[0] != x.shape[1]:
        raise ValueError(
            f"w must have shape (D, M) with D = {x.shape[1]} (the features of x), got {w.shape}"
        )
    return x, w


def _backward_arguments(delta, x, w):
    x, w = _inputs_and_weights(x, w)
    delta = float_array("delta", delta, 2, "(N, M)")
    same_dtype(delta=delta, x=x, w=w)
    exact_shape("delta", delta, (x.shape[0], w.shape[1]), "(N, M)")
    return delta, x, w


def _parameter_gradients(delta: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """dw = Xᵀ δ and db = Σₙ δ."""
    db = np.empty(delta.shape[1], dtype=x.dtype)
    _dense.sum_rows(delta, db, openmp_threads())
    return matmul(x, delta, trans_a=True), db


def matmul(
    a: np.ndarray,
    b: np.ndarray,
    trans_a: bool = False,
    trans_b: bool = False,
    out: np.ndarray | None = None,
    bias: np.ndarray | None = None,
    activation_code: int = _dense.IDENTITY,
) -> np.ndarray:
    """op(a) · op(b) with op the transpose where asked, into ``out`` (C-contiguous) if given: one
    BLAS product per block of output columns, the blocks spread over cnnref's OpenMP threads, the
    BLAS held to one thread meanwhile (cnnref.threads); small products are one block. One output
    row is a matrix-vector product and an inner dimension of 1 an outer product (one sample's
    dw = xᵀδ), both split over the threads too: they read or write a whole matrix for few
    multiply-adds, and two cores move more memory than one. With ``bias`` (one per column), σ(… +
    bias) of ``activation_code`` follows each block's product in the same call."""
    rows = a.shape[1] if trans_a else a.shape[0]
    inner = a.shape[0] if trans_a else a.shape[1]
    columns = b.shape[0] if trans_b else b.shape[1]
    a, b = np.ascontiguousarray(a), np.ascontiguousarray(b)
    if out is None:
        out = np.empty((rows, columns), dtype=a.dtype)
    work = rows * inner * columns
    split = work >= (_SPLIT_MIN_ELEMENTS if rows == 1 or inner == 1 else _SPLIT_MIN_WORK)
    threads, blocks = (openmp_threads(), pool_threads()) if split else (1, 1)
    epilogue = {"bias": bias, "kind": activation_code}
    if inner == 1 or not (split or work >= _HOLD_MIN_WORK):
        vector = work < _VECTOR_ALONE_MAX
        _dense.matmul_split(a, b, out, trans_a, trans_b, threads, blocks, vector, **epilogue)
        return out
    with one_blas_thread():
        _dense.matmul_split(a, b, out, trans_a, trans_b, threads, blocks, True, **epilogue)
    return out


# Multiply-adds below which a product is not worth splitting across threads (waking the OpenMP
# team costs more); a matrix-vector or outer product, bound by memory, splits from fewer.
_SPLIT_MIN_WORK = 1 << 21
_SPLIT_MIN_ELEMENTS = 1 << 17
# Below these many multiply-adds a BLAS runs a product on one thread by itself (OpenBLAS: a matrix
# product below 65,536·4, a matrix-vector product below 2,304·4), so it need not be held to one
# thread; a row of 2¹³ to 2¹⁶ multiply-adds stays a matrix product, and an outer product calls
# no BLAS at all.
_HOLD_MIN_WORK = 1 << 16
_VECTOR_ALONE_MAX = 1 << 13
