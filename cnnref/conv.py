"""2-D convolution on NHWC images with (K, K, C, F) filter banks: forward and its gradients."""

from __future__ import annotations

import numpy as np

from .kernels import conv as _conv
from .kernels import dense as _dense
from .linear import ACTIVATION_CODES, matmul
from .threads import in_single_thread_blas, kernel_threads, openmp_threads
from .validation import (
    ACTIVATIONS,
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
# The im2col path builds the patch matrix of at most this many entries at a time (32 MB in float32):
# a large batch is split into chunks of whole images, reusing one buffer, so memory stays bounded.
# Chunks are kept large on purpose: every chunk is one BLAS call, and on a busy machine each call's
# thread hand-off costs more than the cache misses of a large patch matrix (docs/performance.md).
_CHUNK_ENTRIES = 1 << 23


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


def _images_per_chunk(n: int, rows_per_image: int, patch: int) -> int:
    """How many images' patch rows make one chunk of about _CHUNK_ENTRIES entries (at least 1)."""
    return max(1, min(n, _CHUNK_ENTRIES // max(1, rows_per_image * patch)))


def _conv_forward_im2col(x, w, b, stride, pad, out_h, out_w, activation_code):
    """out = σ(im2col(x) · w + b) chunk by chunk, as (N·Ho·Wo, F) rows; also the patch matrix
    im2col(x) when the whole batch fit in one chunk, else None."""
    n, c = x.shape[0], x.shape[3]
    kh, kw, f = w.shape[0], w.shape[1], w.shape[3]
    rows_per_image, patch = out_h * out_w, kh * kw * c
    w_matrix = w.reshape(patch, f)
    x_rows = x.reshape(n, x.shape[1], x.shape[2] * c)
    out = np.empty((n * rows_per_image, f), dtype=x.dtype)
    step = _images_per_chunk(n, rows_per_image, patch)
    cols = np.empty((step * rows_per_image, patch), dtype=x.dtype)
    for first in range(0, n, step):
        count = min(step, n - first)
        chunk_cols = cols[: count * rows_per_image]
        chunk_out = out[first * rows_per_image : (first + count) * rows_per_image]
        _conv.im2col(x_rows, chunk_cols, c, kh, kw, stride, pad, out_h, out_w, first)
        matmul(chunk_cols, w_matrix, out=chunk_out)
        _dense.bias_activation(chunk_out, b, activation_code, kernel_threads())
    return out.reshape(n, out_h, out_w, f), (cols[: n * rows_per_image] if step >= n else None)


def _per_image(x: np.ndarray) -> bool:
    """Inside single_thread_blas, batches with an image for every OpenMP thread go image by image;
    smaller ones build one patch matrix and split its products across the threads instead."""
    return in_single_thread_blas() and x.shape[0] >= openmp_threads()


def _conv_forward_per_image(x, w, b, stride, pad, out_h, out_w, activation_code):
    """out = σ(im2col(x) · w + b), one image per OpenMP iteration (see cnnref.threads)."""
    n, c = x.shape[0], x.shape[3]
    kh, kw, f = w.shape[0], w.shape[1], w.shape[3]
    rows, patch = out_h * out_w, kh * kw * c
    out = np.empty((n * rows, f), dtype=x.dtype)
    buffers = np.empty((openmp_threads(), rows, patch), dtype=x.dtype)
    x_rows = x.reshape(n, x.shape[1], x.shape[2] * c)
    _conv.conv_forward_per_image(
        x_rows, w.reshape(patch, f), out, buffers, c, kh, kw, stride, pad, out_h, out_w
    )
    _dense.bias_activation(out, b, activation_code, kernel_threads())
    return out.reshape(n, out_h, out_w, f)


def _conv_backward_per_image(dout, x, w, stride, pad, out_h, out_w, input_gradient):
    """dw = Σₙ im2col(x[n])ᵀ · dout[n] and dx[n] = col2im(dout[n] · wᵀ), one image per OpenMP
    iteration (see cnnref.threads)."""
    n, c = x.shape[0], x.shape[3]
    kh, kw, f = w.shape[0], w.shape[1], w.shape[3]
    rows, patch = out_h * out_w, kh * kw * c
    buffers = np.empty((openmp_threads(), rows, patch), dtype=x.dtype)
    dw_parts = np.zeros((openmp_threads(), patch, f), dtype=x.dtype)
    dx = np.zeros_like(x)
    _conv.conv_backward_per_image(
        x.reshape(n, x.shape[1], x.shape[2] * c),
        dout.reshape(-1, f),
        w.reshape(patch, f),
        dw_parts,
        dx.reshape(n, x.shape[1], x.shape[2] * c),
        input_gradient,
        buffers,
        c, kh, kw, stride, pad, out_h, out_w,
    )  # fmt: skip
    return (dx if input_gradient else None), dw_parts.sum(axis=0).reshape(w.shape)


def _conv_backward_im2col(dout, x, w, stride, pad, out_h, out_w, input_gradient, patches):
    """dw = Σ_chunks im2col(x)ᵀ · dout and dx = col2im(dout · wᵀ), chunk by chunk; with the
    forward pass's ``patches`` (im2col(x) of the whole batch), dw is one product and im2col is
    not repeated."""
    n, c = x.shape[0], x.shape[3]
    kh, kw, f = w.shape[0], w.shape[1], w.shape[3]
    rows_per_image, patch = out_h * out_w, kh * kw * c
    w_matrix = w.reshape(patch, f)
    x_rows = x.reshape(n, x.shape[1], x.shape[2] * c)
    dout_rows = dout.reshape(-1, f)
    dx = np.zeros_like(x) if input_gradient else None
    dx_rows = dx.reshape(n, x.shape[1], x.shape[2] * c) if input_gradient else None
    if patches is not None:
        dw_matrix = matmul(patches, dout_rows, trans_a=True)
        if not input_gradient:
            return dx, dw_matrix.reshape(w.shape)
    else:
        dw_matrix = np.zeros((patch, f), dtype=x.dtype)
    step = _images_per_chunk(n, rows_per_image, patch)
    cols = np.empty((step * rows_per_image, patch), dtype=x.dtype)
    dw_part = np.empty_like(dw_matrix)
    for first in range(0, n, step):
        count = min(step, n - first)
        chunk_cols = cols[: count * rows_per_image]
        chunk_dout = dout_rows[first * rows_per_image : (first + count) * rows_per_image]
        if patches is None:
            _conv.im2col(x_rows, chunk_cols, c, kh, kw, stride, pad, out_h, out_w, first)
            matmul(chunk_cols, chunk_dout, trans_a=True, out=dw_part)
            dw_matrix += dw_part
        if input_gradient:
            matmul(chunk_dout, w_matrix, trans_b=True, out=chunk_cols)
            _conv.col2im(chunk_cols, dx_rows, c, kh, kw, stride, pad, out_h, out_w, first)
    return dx, dw_matrix.reshape(w.shape)


def conv2d(
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray,
    stride: int = 1,
    pad: int = 0,
    mode: str = "cross-correlation",
    *,
    algorithm: str = "im2col",
    activation: str | None = None,
    return_patches: bool = False,
) -> np.ndarray | tuple[np.ndarray, np.ndarray | None]:
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
    ``activation`` ("relu", "sigmoid" or "tanh"; None by default) returns z = σ(out) instead,
    applied in the same pass as the bias — the same values as calling the activation afterwards.
    ``return_patches=True`` returns (out, patches): the im2col patch matrix (N·Ho·Wo, KH·KW·C),
    row (n·Ho + i)·Wo + j holding window (n, i, j) in (k1, k2, c) order, for
    :func:`conv2d_backward` to reuse; it is None for the direct algorithm and for batches whose
    patch matrix exceeds 2²³ entries (those are built in chunks and not kept).

    Twin :func:`verify.naive.conv.conv2d`, :doc:`/derivations/convolution`.
    """
    x, w, stride, pad, out_h, out_w = _conv_arguments(x, w, stride, pad, mode, algorithm)
    if not isinstance(return_patches, bool):
        raise TypeError(f"return_patches must be True or False, got {return_patches!r}")
    b = float_array("b", b, 1, "(F,)")
    same_dtype(x=x, w=w, b=b)
    exact_shape("b", b, (w.shape[3],), "(one bias per filter F)")
    if activation is not None:
        choice("activation", activation, ACTIVATIONS)
    if mode == "convolution":
        w = _flip(w)
    if algorithm == "direct":
        out = np.empty((x.shape[0], out_h, out_w, w.shape[3]), dtype=x.dtype)
        _conv.conv_forward_direct(x, w, b, out, stride, pad)
        if activation is not None:
            _dense.bias_activation(
                out.reshape(-1, w.shape[3]), np.zeros_like(b), ACTIVATION_CODES[activation]
            )
        return (out, None) if return_patches else out
    code = ACTIVATION_CODES[activation]
    if _per_image(x):
        out = _conv_forward_per_image(x, w, b, stride, pad, out_h, out_w, code)
        return (out, None) if return_patches else out
    out, patches = _conv_forward_im2col(x, w, b, stride, pad, out_h, out_w, code)
    return (out, patches) if return_patches else out


def conv2d_backward(
    dout: np.ndarray,
    x: np.ndarray,
    w: np.ndarray,
    stride: int = 1,
    pad: int = 0,
    mode: str = "cross-correlation",
    *,
    algorithm: str = "im2col",
    input_gradient: bool = True,
    patches: np.ndarray | None = None,
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """Gradients of the convolution layer, given the upstream gradient dout = ∂J/∂out.

    For cross-correlation::

        dx[n, r, q, c]   = Σ_{i, j, k1, k2 : r = i·s + k1 − pad, q = j·s + k2 − pad}
                               Σ_f dout[n, i, j, f] · w[k1, k2, c, f]
        dw[k1, k2, c, f] = Σ_n Σ_i Σ_j in[n, i·s + k1, j·s + k2, c] · dout[n, i, j, f]
        db[f]            = Σ_n Σ_i Σ_j dout[n, i, j, f]

    For ``mode="convolution"`` the filter is flipped going in and dw is flipped coming out.
    Shapes: dout (N, Ho, Wo, F), x (N, H, W, C), w (KH, KW, C, F) → dx like x, dw like w, db (F,).
    Input pixels that no window reaches (when stride does not divide evenly) get zero gradient.
    ``input_gradient=False`` skips dx (returned as None): the first layer of a network needs no
    gradient with respect to its input image. ``patches``, the patch matrix that
    ``conv2d(x, …, return_patches=True)`` returned for this same x, spares rebuilding it for dw
    (im2col algorithm only; None rebuilds it).

    Twin :func:`verify.naive.conv.conv2d_backward`, :doc:`/derivations/convolution`.
    """
    x, w, stride, pad, out_h, out_w = _conv_arguments(x, w, stride, pad, mode, algorithm)
    dout = float_array("dout", dout, 4, "(N, Ho, Wo, F)")
    same_dtype(dout=dout, x=x, w=w)
    n, f = x.shape[0], w.shape[3]
    exact_shape("dout", dout, (n, out_h, out_w, f), "(N, Ho, Wo, F) of the forward output")
    if not isinstance(input_gradient, bool):
        raise TypeError(f"input_gradient must be True or False, got {input_gradient!r}")
    if patches is not None:
        _check_patches(patches, x, w, out_h, out_w, algorithm)
    if mode == "convolution":
        w = _flip(w)
    if algorithm == "direct":
        dx = np.zeros_like(x) if input_gradient else None
        dw = np.zeros_like(w)
        if input_gradient:
            _conv.conv_backward_input_direct(dout, w, dx, stride, pad)
        _conv.conv_backward_filter_direct(dout, x, dw, stride, pad)
    elif _per_image(x):
        dx, dw = _conv_backward_per_image(dout, x, w, stride, pad, out_h, out_w, input_gradient)
    else:
        dx, dw = _conv_backward_im2col(
            dout, x, w, stride, pad, out_h, out_w, input_gradient, patches
        )
    db = np.empty(f, dtype=x.dtype)
    _dense.sum_rows(dout.reshape(-1, f), db)
    if mode == "convolution":
        dw = _flip(dw)
    return dx, dw, db


def _check_patches(patches, x, w, out_h, out_w, algorithm) -> None:
    if algorithm != "im2col":
        raise ValueError(f"patches are used by the im2col algorithm only, not {algorithm!r}")
    if not isinstance(patches, np.ndarray) or patches.dtype != x.dtype:
        raise TypeError(
            f"patches must be the {x.dtype} array conv2d(..., return_patches=True) returned, "
            f"got {type(patches).__name__} {getattr(patches, 'dtype', '')}"
        )
    rows, columns = x.shape[0] * out_h * out_w, w.shape[0] * w.shape[1] * w.shape[2]
    exact_shape("patches", patches, (rows, columns), "(N·Ho·Wo, KH·KW·C)")
