"""Max and average pooling over size × size windows of NHWC images.

Tie rule of max pooling: when several elements of a window share the maximum, the first one in
row-major window order (smallest k1, then smallest k2) is the winner and alone gets the gradient.
A NaN counts as the maximum. Windows that would run past the edge are dropped (floor division).
"""

from __future__ import annotations

import numpy as np

from .activations import DERIVATIVE_CODES
from .kernels import pool as _pool
from .threads import openmp_threads
from .validation import (
    ACTIVATIONS,
    choice,
    exact_shape,
    float_array,
    image_batch,
    kernel_stride,
    nchw_hint,
    positive_int,
    same_dtype,
    window_output_size,
)


def _pool_arguments(x, size, stride):
    x = image_batch("x", x)
    size = positive_int("size", size)
    stride = size if stride is None else positive_int("stride", stride)
    out_h = window_output_size("x height H", x.shape[1], size, stride, 0, "size", nchw_hint(x))
    out_w = window_output_size("x width W", x.shape[2], size, stride, 0, "size", nchw_hint(x))
    stride = kernel_stride(stride, x.shape[1], x.shape[2])
    return x, size, stride, (x.shape[0], out_h, out_w, x.shape[3])


def _pooled(kernel, x, size, stride, *threads) -> np.ndarray:
    """The pooled x (N, Ho, Wo, C) that ``kernel(x, out, size, stride, *threads)`` writes."""
    x, size, stride, out_shape = _pool_arguments(x, size, stride)
    out = np.empty(out_shape, dtype=x.dtype)
    kernel(x, out, size, stride, *threads)
    return out


def _upstream(dout, x, out_shape):
    dout = float_array("dout", dout, 4, "(N, Ho, Wo, C)")
    same_dtype(dout=dout, x=x)
    exact_shape("dout", dout, out_shape, "(N, Ho, Wo, C) of the forward output")
    return dout


def maxpool2d(x: np.ndarray, size: int = 2, stride: int | None = None) -> np.ndarray:
    """out[n, i, j, c] = max_{0 ≤ k1, k2 < size} x[n, i·stride + k1, j·stride + k2, c].

    Shapes: x (N, H, W, C) → (N, (H − size) // stride + 1, (W − size) // stride + 1, C);
    ``stride`` defaults to ``size`` (non-overlapping windows, the notes' 2 × 2 pool).

    Twin :func:`verify.naive.pool.maxpool2d`, :doc:`/derivations/pooling`.
    """
    return _pooled(_pool.maxpool_forward, x, size, stride, openmp_threads())


def maxpool2d_backward(
    dout: np.ndarray, x: np.ndarray, size: int = 2, stride: int | None = None
) -> np.ndarray:
    """dx[n, r, s, c] = Σ over windows (i, j) whose winner is (r, s) of dout[n, i, j, c].

    The winner is the window's maximum, first in row-major order on ties; every other input gets 0.
    Shapes: dout (N, Ho, Wo, C), x (N, H, W, C) → dx (N, H, W, C).

    Twin :func:`verify.naive.pool.maxpool2d_backward`, :doc:`/derivations/pooling`.
    """
    x, size, stride, out_shape = _pool_arguments(x, size, stride)
    dout = _upstream(dout, x, out_shape)
    winners = np.empty(out_shape, dtype=winners_dtype(size))
    threads = openmp_threads()
    _pool.maxpool_forward_winners(x, np.empty_like(dout), winners, size, stride, threads)
    dx = np.empty_like(x)
    _pool.maxpool_backward_winners(dout, winners, x, dx, size, stride, 0, threads)
    return dx


# The paths the layers and the seed network take: each equals a formula function above and is
# tested against it.


def maxpool2d_with_winners(
    x: np.ndarray, size: int = 2, stride: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(maxpool2d(x, size, stride), winners), for :func:`maxpool2d_backward_to_winners`.

    winners (the shape of out) holds the place of each window's winner (the tie rule above) as
    its offset within the window: k = k1·size + k2 for the winner x[n, i·stride + k1,
    j·stride + k2, c] of window (n, i, j, c); dtype uint8 for windows of up to 256 elements, else
    uint32 (:func:`cnnref.pool.winners_dtype`).
    """
    x, size, stride, out_shape = _pool_arguments(x, size, stride)
    out = np.empty(out_shape, dtype=x.dtype)
    winners = np.empty(out_shape, dtype=winners_dtype(size))
    _pool.maxpool_forward_winners(x, out, winners, size, stride, openmp_threads())
    return out, winners


def winners_dtype(size: int) -> np.dtype:
    """The dtype of the winners' offsets k < size² of size × size windows: uint8 up to 16 × 16."""
    return np.dtype(np.uint8 if size * size <= 256 else np.uint32)


def maxpool2d_backward_to_winners(
    dout: np.ndarray, x: np.ndarray, winners: np.ndarray, size: int = 2, stride: int | None = None
) -> np.ndarray:
    """maxpool2d_backward(dout, x, size, stride), the winners read from
    ``maxpool2d_with_winners(x, size, stride)`` instead of found again:
    dx[n, i·stride + k // size, j·stride + k % size, c] += dout[n, i, j, c] for every window
    (n, i, j, c) and its winner's offset k = winners[n, i, j, c]; every other element 0."""
    return _delta_to_winners(dout, x, winners, 0, size, stride)


def activation_delta_through_maxpool(
    dout: np.ndarray,
    z: np.ndarray,
    winners: np.ndarray,
    kind: str,
    size: int = 2,
    stride: int | None = None,
    pooled: np.ndarray | None = None,
) -> np.ndarray:
    """∂J/∂a for z = σ(a) followed by p = maxpool2d(z, size, stride), given dout = ∂J/∂p:
    times_activation_derivative(maxpool2d_backward_to_winners(dout, z, winners, size, stride), z,
    kind) in one pass over the winners, dx[w] += dout[k] · σ′(z[w]) for the winner w of each
    window k (the same bits wherever each input wins at most one window, as with stride ≥ size).

    ``pooled``: p itself, if the forward pass kept it. z[w] = p[k] bit for bit (the pool copies
    its winner), so σ′ is then read from p, a quarter of z's memory; the result is the same.
    """
    choice("kind", kind, ACTIVATIONS)
    return _delta_to_winners(dout, z, winners, DERIVATIVE_CODES[kind], size, stride, pooled)


def _delta_to_winners(dout, z, winners, code, size, stride, pooled=None) -> np.ndarray:
    """dx from dout and the winners' offsets, times σ′(z) at each winner for σ′'s code (0: · 1),
    z at the winners read from ``pooled`` where given."""
    z, size, stride, out_shape = _pool_arguments(z, size, stride)
    dout = _upstream(dout, z, out_shape)
    expected = winners_dtype(size)
    if not isinstance(winners, np.ndarray) or winners.dtype != expected:
        raise TypeError(
            f"winners must be the NumPy {expected} array maxpool2d_with_winners returned, got "
            f"{type(winners).__name__} {getattr(winners, 'dtype', '')}"
        )
    exact_shape("winners", winners, out_shape, "(N, Ho, Wo, C) of the forward output")
    if pooled is not None:
        pooled = float_array("pooled", pooled, 4, "(N, Ho, Wo, C)")
        same_dtype(pooled=pooled, z=z)
        exact_shape("pooled", pooled, out_shape, "(N, Ho, Wo, C): maxpool2d of z")
    dx = np.empty_like(z)
    winners = np.ascontiguousarray(winners)
    if not _pool.maxpool_backward_winners(
        dout, winners, z, dx, size, stride, code, openmp_threads(), pooled
    ):
        raise ValueError(
            f"winners holds offsets outside the {size} × {size} window (≥ {size * size}); they "
            "must come from maxpool2d_with_winners on the same input, size and stride"
        )
    return dx


def avgpool2d(x: np.ndarray, size: int = 2, stride: int | None = None) -> np.ndarray:
    """out[n, i, j, c] = (1 / size²) Σ_{k1} Σ_{k2} x[n, i·stride + k1, j·stride + k2, c].

    Shapes as for :func:`maxpool2d`.

    Twin :func:`verify.naive.pool.avgpool2d`, :doc:`/derivations/pooling`.
    """
    return _pooled(_pool.avgpool_forward, x, size, stride)


def avgpool2d_backward(
    dout: np.ndarray, x: np.ndarray, size: int = 2, stride: int | None = None
) -> np.ndarray:
    """dx[n, r, s, c] = Σ over windows (i, j) containing (r, s) of dout[n, i, j, c] / size².

    Shapes: dout (N, Ho, Wo, C), x (N, H, W, C) → dx (N, H, W, C).

    Twin :func:`verify.naive.pool.avgpool2d_backward`, :doc:`/derivations/pooling`.
    """
    x, size, stride, out_shape = _pool_arguments(x, size, stride)
    dout = _upstream(dout, x, out_shape)
    dx = np.zeros_like(x)
    _pool.avgpool_backward(dout, dx, size, stride)
    return dx
