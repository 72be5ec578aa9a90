"""Max and average pooling over size × size windows of NHWC images.

Tie rule of max pooling: when several elements of a window share the maximum, the first one in
row-major window order (smallest k1, then smallest k2) is the winner and alone gets the gradient.
A NaN counts as the maximum. Windows that would run past the edge are dropped (floor division).
"""

from __future__ import annotations

import numpy as np

from .kernels import pool as _pool
from .threads import kernel_threads
from .validation import exact_shape, float_array, positive_int, same_dtype, window_output_size


def _pool_arguments(x, size, stride):
    x = float_array("x", x, 4, "(N, H, W, C)")
    size = positive_int("size", size)
    stride = size if stride is None else positive_int("stride", stride)
    out_h = window_output_size("x height H", x.shape[1], size, stride, 0, "size")
    out_w = window_output_size("x width W", x.shape[2], size, stride, 0, "size")
    return x, size, stride, (x.shape[0], out_h, out_w, x.shape[3])


def _upstream(dout, x, out_shape):
    dout = float_array("dout", dout, 4, "(N, Ho, Wo, C)")
    same_dtype(dout=dout, x=x)
    exact_shape("dout", dout, out_shape, "(N, Ho, Wo, C) of the forward output")
    return dout


def maxpool2d(
    x: np.ndarray, size: int = 2, stride: int | None = None, *, return_argmax: bool = False
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """out[n, i, j, c] = max_{0 ≤ k1, k2 < size} x[n, i·stride + k1, j·stride + k2, c].

    Shapes: x (N, H, W, C) → (N, (H − size) // stride + 1, (W − size) // stride + 1, C);
    ``stride`` defaults to ``size`` (non-overlapping windows, the notes' 2 × 2 pool).
    With ``return_argmax=True`` also returns argmax (same shape as out, dtype intp): the flat
    C-order index into x of each window's winner, for :func:`maxpool2d_backward`.

    Twin :func:`verify.naive.pool.maxpool2d`, :doc:`/derivations/pooling`.
    """
    x, size, stride, out_shape = _pool_arguments(x, size, stride)
    out = np.empty(out_shape, dtype=x.dtype)
    if not return_argmax:
        _pool.maxpool_forward(x, out, size, stride)
        return out
    argmax = np.empty(out_shape, dtype=np.intp)
    _pool.maxpool_forward_argmax(x, out, argmax, size, stride, kernel_threads())
    return out, argmax


def maxpool2d_backward(
    dout: np.ndarray,
    x: np.ndarray,
    size: int = 2,
    stride: int | None = None,
    *,
    argmax: np.ndarray | None = None,
) -> np.ndarray:
    """dx[n, r, s, c] = Σ over windows (i, j) whose winner is (r, s) of dout[n, i, j, c].

    The winner is the window's maximum, first in row-major order on ties; every other input gets 0.
    ``argmax`` (optional) is the second result of ``maxpool2d(x, size, stride, return_argmax=True)``
    on the same x; given, the winners are read from it instead of found again.
    Shapes: dout (N, Ho, Wo, C), x (N, H, W, C) → dx (N, H, W, C).

    Twin :func:`verify.naive.pool.maxpool2d_backward`, :doc:`/derivations/pooling`.
    """
    x, size, stride, out_shape = _pool_arguments(x, size, stride)
    dout = _upstream(dout, x, out_shape)
    if argmax is not None:
        return _scatter_to_winners(dout, x, _winner_indices(argmax, out_shape))
    if size == 2 and stride == 2:
        covered = x.shape[1] % 2 == 0 and x.shape[2] % 2 == 0
        dx = np.empty_like(x) if covered else np.zeros_like(x)
        _pool.maxpool_backward_2x2(dout, x, dx)
        return dx
    dx = np.zeros_like(x)
    _pool.maxpool_backward(dout, x, dx, size, stride)
    return dx


def _winner_indices(argmax, out_shape: tuple[int, ...]) -> np.ndarray:
    if not isinstance(argmax, np.ndarray) or argmax.dtype != np.intp:
        raise TypeError("argmax must be a NumPy intp array from maxpool2d(..., return_argmax=True)")
    exact_shape("argmax", argmax, out_shape, "(N, Ho, Wo, C) of the forward output")
    return np.ascontiguousarray(argmax)


def _scatter_to_winners(dout: np.ndarray, x: np.ndarray, argmax: np.ndarray) -> np.ndarray:
    """dx.flat[argmax[k]] += dout.flat[k] for every output element k."""
    dx = np.zeros_like(x)
    if not _pool.maxpool_backward_argmax(dout, argmax, dx.reshape(-1)):
        raise ValueError(
            f"argmax holds indices outside x (size {x.size}); it must come from "
            "maxpool2d(x, size, stride, return_argmax=True) on the same x"
        )
    return dx


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
