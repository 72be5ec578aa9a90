"""2-D convolution on NHWC images with (K, K, C, F) filter banks: forward and three gradients."""

from __future__ import annotations

import numpy as np

from . import _conv
from ._checks import (
    CONV_MODES,
    choice,
    exact_shape,
    float_array,
    nonnegative_int,
    positive_int,
    same_dtype,
    window_output_size,
)

ALGORITHMS = ("im2col", "direct")


def _conv_arguments(x, w, stride, pad, mode, algorithm):
    """Validate the arguments shared by forward and backward; return them normalized."""
    x = float_array("x", x, 4, "(N, H, W, C)")
    w = float_array("w", w, 4, "(KH, KW, C, F)")
    same_dtype(x=x, w=w)
    stride = positive_int("stride", stride)
    pad = nonnegative_int("pad", pad)
    choice("mode", mode, CONV_MODES)
    choice("algorithm", algorithm, ALGORITHMS)
    if w.shape[2] != x.shape[3]:
        raise ValueError(
            f"w has {w.shape[2]} input channels (axis 2 of (KH, KW, C, F)) "
            f"but x has {x.shape[3]} channels (axis 3 of (N, H, W, C))"
        )
    out_h = window_output_size(
        "x height H", x.shape[1], w.shape[0], stride, pad, "w kernel height KH"
    )
    out_w = window_output_size(
        "x width W", x.shape[2], w.shape[1], stride, pad, "w kernel width KW"
    )
    return x, w, stride, pad, out_h, out_w


def _flip(w: np.ndarray) -> np.ndarray:
    """w[KH − 1 − k1, KW − 1 − k2, c, f]: turns convolution into cross-correlation and back."""
    return np.ascontiguousarray(w[::-1, ::-1])


def conv2d(
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray,
    stride: int = 1,
    pad: int = 0,
    mode: str = "cross-correlation",
    *,
    algorithm: str = "im2col",
) -> np.ndarray:
    """Convolution layer forward pass.

    Cross-correlation (the default; what frameworks call convolution)::

        out[n, i, j, f] = b[f] + Σ_{k1} Σ_{k2} Σ_c in[n, i·s + k1, j·s + k2, c] · w[k1, k2, c, f]

    ``mode="convolution"`` is the notes' formula
    out[i, j] = Σ_{k1} Σ_{k2} Σ_c in[i − k1, j − k2, c] · filter[c, k1, k2] restricted to the valid
    region, i.e. the same sum with the filter flipped: w[KH − 1 − k1, KW − 1 − k2, c, f].
    ``in`` is x zero-padded by ``pad`` on each side of H and W.

    Shapes: x (N, H, W, C), w (KH, KW, C, F), b (F,) → out (N, Ho, Wo, F) with
    Ho = (H + 2·pad − KH) // stride + 1 and Wo likewise. ``algorithm`` picks the im2col + BLAS path
    (default) or the direct index loops (the readable reference); both compute the same sum.
    """
    x, w, stride, pad, out_h, out_w = _conv_arguments(x, w, stride, pad, mode, algorithm)
    b = float_array("b", b, 1, "(F,)")
    same_dtype(x=x, w=w, b=b)
    exact_shape("b", b, (w.shape[3],), "(one bias per filter F)")
    if mode == "convolution":
        w = _flip(w)
    n, kh, kw, f = x.shape[0], w.shape[0], w.shape[1], w.shape[3]
    if algorithm == "direct":
        out = np.empty((n, out_h, out_w, f), dtype=x.dtype)
        _conv.conv_forward_direct(x, w, b, out, stride, pad)
        return out
    cols = np.empty((n * out_h * out_w, kh * kw * x.shape[3]), dtype=x.dtype)
    _conv.im2col(x, cols, kh, kw, stride, pad, out_h, out_w)
    out = cols @ w.reshape(-1, f)
    out += b
    return out.reshape(n, out_h, out_w, f)


def conv2d_backward(
    dout: np.ndarray,
    x: np.ndarray,
    w: np.ndarray,
    stride: int = 1,
    pad: int = 0,
    mode: str = "cross-correlation",
    *,
    algorithm: str = "im2col",
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of the convolution layer, given the upstream gradient dout = ∂J/∂out.

    For cross-correlation::

        dx[n, r, s, c]   = Σ_{i, j, k1, k2 : r = i·s + k1 − pad, s = j·s + k2 − pad}
                               Σ_f dout[n, i, j, f] · w[k1, k2, c, f]
        dw[k1, k2, c, f] = Σ_n Σ_i Σ_j in[n, i·s + k1, j·s + k2, c] · dout[n, i, j, f]
        db[f]            = Σ_n Σ_i Σ_j dout[n, i, j, f]

    For ``mode="convolution"`` the filter is flipped going in and dw is flipped coming out.
    Shapes: dout (N, Ho, Wo, F), x (N, H, W, C), w (KH, KW, C, F) → dx like x, dw like w, db (F,).
    Input pixels that no window reaches (when stride does not divide evenly) get zero gradient.
    """
    x, w, stride, pad, out_h, out_w = _conv_arguments(x, w, stride, pad, mode, algorithm)
    dout = float_array("dout", dout, 4, "(N, Ho, Wo, F)")
    same_dtype(dout=dout, x=x, w=w)
    n, kh, kw, f = x.shape[0], w.shape[0], w.shape[1], w.shape[3]
    exact_shape("dout", dout, (n, out_h, out_w, f), "(N, Ho, Wo, F) of the forward output")
    if mode == "convolution":
        w = _flip(w)
    dx = np.zeros_like(x)
    if algorithm == "direct":
        dw = np.zeros_like(w)
        _conv.conv_backward_input_direct(dout, w, dx, stride, pad)
        _conv.conv_backward_filter_direct(dout, x, dw, stride, pad)
    else:
        dout_rows = dout.reshape(-1, f)
        cols = np.empty((n * out_h * out_w, kh * kw * x.shape[3]), dtype=x.dtype)
        _conv.im2col(x, cols, kh, kw, stride, pad, out_h, out_w)
        dw = (cols.T @ dout_rows).reshape(w.shape)
        dcols = dout_rows @ w.reshape(-1, f).T
        _conv.col2im(dcols, dx, kh, kw, stride, pad, out_h, out_w)
    db = dout.reshape(-1, f).sum(axis=0, dtype=np.float64).astype(x.dtype)
    if mode == "convolution":
        dw = _flip(dw)
    return dx, dw, db
