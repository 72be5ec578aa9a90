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
    x, size, stride, out_shape = _pool_arguments(x, size, stride)
    out = np.empty(out_shape, dtype=x.dtype)
    _pool.maxpool_forward(x, out, size, stride)
    return out


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
    if size == 2 and stride == 2:
        covered = x.shape[1] % 2 == 0 and x.shape[2] % 2 == 0
        dx = np.empty_like(x) if covered else np.zeros_like(x)
        _pool.maxpool_backward_2x2(dout, x, dx)
        return dx
    dx = np.zeros_like(x)
    _pool.maxpool_backward(dout, x, dx, size, stride)
    return dx


# The paths the layers and the seed network take: each equals a formula function above and is
# tested against it.


def maxpool2d_with_winners(
    x: np.ndarray, size: int = 2, stride: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(maxpool2d(x, size, stride), winners): winners (same shape as out, dtype intp) holds the
    flat C-order index into x of each window's winner (the tie rule above), for
    :func:`maxpool2d_backward_to_winners`."""
    x, size, stride, out_shape = _pool_arguments(x, size, stride)
    out = np.empty(out_shape, dtype=x.dtype)
    winners = np.empty(out_shape, dtype=np.intp)
    _pool.maxpool_forward_argmax(x, out, winners, size, stride, openmp_threads())
    return out, winners


def maxpool2d_backward_to_winners(
    dout: np.ndarray, x: np.ndarray, winners: np.ndarray, size: int = 2, stride: int | None = None
) -> np.ndarray:
    """maxpool2d_backward(dout, x, size, stride), the winners read from
    ``maxpool2d_with_winners(x, size, stride)`` instead of found again:
    dx.flat[winners[k]] += dout.flat[k] for every output element k."""
    x, size, stride, out_shape = _pool_arguments(x, size, stride)
    dout = _upstream(dout, x, out_shape)
    _check_winners(winners, out_shape)
    dx = np.zeros_like(x)
    if not _pool.maxpool_backward_argmax(dout, np.ascontiguousarray(winners), dx.reshape(-1)):
        raise ValueError(
            f"winners holds indices outside x (size {x.size}); it must come from "
            "maxpool2d_with_winners(x, size, stride) on the same x"
        )
    return dx


def activation_delta_through_maxpool(
    dout: np.ndarray,
    z: np.ndarray,
    winners: np.ndarray,
    kind: str,
    size: int = 2,
    stride: int | None = None,
) -> np.ndarray:
    """∂J/∂a for z = σ(a) followed by p = maxpool2d(z, size, stride), given dout = ∂J/∂p:
    times_activation_derivative(maxpool2d_backward_to_winners(dout, z, winners, size, stride), z,
    kind) in one pass over the winners, dx[w] += dout[k] · σ′(z[w]) for each winner w = winners[k]
    (the same bits wherever each input wins at most one window, as with stride ≥ size). The
    winners must index z within their own image."""
    choice("kind", kind, ACTIVATIONS)
    z, size, stride, out_shape = _pool_arguments(z, size, stride)
    dout = _upstream(dout, z, out_shape)
    _check_winners(winners, out_shape)
    dx = np.zeros_like(z)
    ok = _pool.maxpool_backward_argmax_times_derivative(
        dout, np.ascontiguousarray(winners), z.reshape(-1), dx.reshape(-1),
        DERIVATIVE_CODES[kind], openmp_threads(),
    )  # fmt: skip
    if not ok:
        raise ValueError(
            "winners holds indices outside their own image of z; they must come from "
            "maxpool2d_with_winners(z, size, stride) on the same z"
        )
    return dx


def _check_winners(winners, out_shape) -> None:
    if not isinstance(winners, np.ndarray) or winners.dtype != np.intp:
        raise TypeError(
            "winners must be the NumPy intp array maxpool2d_with_winners returned, got "
            f"{type(winners).__name__} {getattr(winners, 'dtype', '')}"
        )
    exact_shape("winners", winners, out_shape, "(N, Ho, Wo, C) of the forward output")


def avgpool2d(x: np.ndarray, size: int = 2, stride: int | None = None) -> np.ndarray:
    """out[n, i, j, c] = (1 / size²) Σ_{k1} Σ_{k2} x[n, i·stride + k1, j·stride + k2, c].

    Shapes as for :func:`maxpool2d`.

    Twin :func:`verify.naive.pool.avgpool2d`, :doc:`/derivations/pooling`.
    """
    x, size, stride, out_shape = _pool_arguments(x, size, stride)
    out = np.empty(out_shape, dtype=x.dtype)
    _pool.avgpool_forward(x, out, size, stride)
    return out


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
