"""Naive twins of ``cnnref/pool.py``: max and average pooling and their gradients, window by
window. Tie rule: the first maximum in row-major window order wins; a NaN counts as the maximum.
"""

from __future__ import annotations

import itertools
import math

from .arguments import (
    Array,
    array,
    copied_array,
    integer_at_least,
    refuse_complex,
    result_dtype,
    window_count,
    zeros,
)


def _pool_arguments(x, size, stride):
    x = copied_array("x", x, 4, "(N, H, W, C)")
    size = integer_at_least("size", size, 1)
    stride = size if stride is None else integer_at_least("stride", stride, 1)
    out_h = window_count("height", x.shape[1], size, stride, "pool size")
    out_w = window_count("width", x.shape[2], size, stride, "pool size")
    return x, size, stride, (x.shape[0], out_h, out_w, x.shape[3])


def _upstream(dout, out_shape: tuple[int, ...]) -> Array:
    dout = copied_array("dout", dout, 4, "(N, Ho, Wo, C)")
    if dout.shape != out_shape:
        raise ValueError(
            f"dout must have shape {out_shape} (N, Ho, Wo, C) of the forward output, "
            f"got shape {dout.shape}"
        )
    return dout


def window_winner(x: list, n: int, i: int, j: int, c: int, size: int, stride: int):
    """(r, s) of window (n, i, j, c)'s maximum in x (nested lists x[n][r][s][c]): the first NaN in
    row-major order if there is one, else the first cell equal to the maximum (smallest k1, then
    smallest k2)."""
    winner, peak = None, -math.inf
    for k1 in range(size):
        for k2 in range(size):
            r, s = i * stride + k1, j * stride + k2
            value = x[n][r][s][c]
            if math.isnan(value):
                return r, s
            if winner is None or value > peak:
                winner, peak = (r, s), value
    return winner


def maxpool2d(x: Array, size: int = 2, stride: int | None = None) -> Array:
    """out[n, i, j, c] = max_{0 ≤ k1, k2 < size} x[n, i·stride + k1, j·stride + k2, c].

    A NaN counts as the maximum. Shapes: x (N, H, W, C) → (N, (H − size) // stride + 1,
    (W − size) // stride + 1, C); stride defaults to size; windows past the edge are dropped.
    Real input only.
    """
    x, size, stride, out_shape = _pool_arguments(x, size, stride)
    refuse_complex(
        "x", x, "max pooling is not analytic (NumPy orders complex numbers lexicographically)"
    )
    x = x.tolist()
    out = zeros(out_shape)
    for n, i, j, c in _positions(out_shape):
        r, s = window_winner(x, n, i, j, c, size, stride)
        out[n][i][j][c] = x[n][r][s][c]
    return array(out, out_shape)


def maxpool2d_backward(dout: Array, x: Array, size: int = 2, stride: int | None = None) -> Array:
    """dx[n, r, s, c] = Σ over windows (i, j) whose winner is (r, s) of dout[n, i, j, c].

    Tie rule: the first maximum in row-major window order wins and alone gets the gradient; a NaN
    counts as the maximum. Shapes: dout (N, Ho, Wo, C), x (N, H, W, C) → dx (N, H, W, C).
    Real input only.
    """
    x, size, stride, out_shape = _pool_arguments(x, size, stride)
    refuse_complex(
        "x", x, "max pooling is not analytic (NumPy orders complex numbers lexicographically)"
    )
    dout = _upstream(dout, out_shape)
    refuse_complex("dout", dout, "max pooling is not analytic")
    shape, x, dout = x.shape, x.tolist(), dout.tolist()
    dx = zeros(shape)
    for n, i, j, c in _positions(out_shape):
        r, s = window_winner(x, n, i, j, c, size, stride)
        dx[n][r][s][c] += dout[n][i][j][c]
    return array(dx, shape)


def avgpool2d(x: Array, size: int = 2, stride: int | None = None) -> Array:
    """out[n, i, j, c] = (1 / size²) Σ_k1 Σ_k2 x[n, i·stride + k1, j·stride + k2, c].

    Shapes as for :func:`maxpool2d`. Complex allowed.
    """
    x, size, stride, out_shape = _pool_arguments(x, size, stride)
    dtype, x = x.dtype, x.tolist()
    out = zeros(out_shape, dtype)
    for n, i, j, c in _positions(out_shape):
        total = 0.0
        for k1 in range(size):
            for k2 in range(size):
                total += x[n][i * stride + k1][j * stride + k2][c]
        out[n][i][j][c] = total / (size * size)
    return array(out, out_shape, dtype)


def avgpool2d_backward(dout: Array, x: Array, size: int = 2, stride: int | None = None) -> Array:
    """dx[n, r, s, c] = Σ over windows (i, j) containing (r, s) of dout[n, i, j, c] / size².

    Shapes: dout (N, Ho, Wo, C), x (N, H, W, C) → dx (N, H, W, C). Complex allowed.
    """
    x, size, stride, out_shape = _pool_arguments(x, size, stride)
    dout = _upstream(dout, out_shape)
    dtype = result_dtype(dout, x)
    dx, dout = zeros(x.shape, dtype), dout.tolist()
    for n, i, j, c in _positions(out_shape):
        for k1 in range(size):
            for k2 in range(size):
                dx[n][i * stride + k1][j * stride + k2][c] += dout[n][i][j][c] / (size * size)
    return array(dx, x.shape, dtype)


def _positions(shape: tuple[int, ...]):
    """Every index (n, i, j, c) of an (N, Ho, Wo, C) array, in C order (as np.ndindex)."""
    return itertools.product(*(range(size) for size in shape))
