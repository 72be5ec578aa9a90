"""2-D convolution on NHWC images with (K, K, C, F) filter banks: forward and its gradients."""

from __future__ import annotations

import numpy as np

from .kernels import conv as _conv
from .kernels import dense as _dense
from .linear import ACTIVATION_CODES, matmul
from .padding import filter_gradient_padding_nans, forward_padding_nans
from .threads import one_blas_thread, openmp_threads
from .validation import (
    ACTIVATIONS,
    choice,
    conv_geometry,
    exact_shape,
    float_array,
    last_axis_length,
    same_dtype,
)

ALGORITHMS = ("im2col", "direct")
# The im2col path builds the patch matrix of at most this many entries at a time (32 MB in float32):
# a large batch is split into chunks of whole images, reusing one buffer, so memory stays bounded.
# Chunks are kept large on purpose: every chunk is one BLAS call, and on a busy machine each call's
# thread hand-off costs more than the cache misses of a large patch matrix (docs/performance.md).
_CHUNK_ENTRIES = 1 << 23
# The per-image backward pass sums the filter gradient in this many fixed groups of images, handed
# to the threads one at a time: enough for a thread on a busy core to take fewer, few enough that
# the partial sums stay small; fixed, so that dw does not depend on the thread count.
_DW_GROUPS = 16


def _conv_arguments(x, w, stride, pad, mode, algorithm, filters=None):
    """Validate the arguments shared by forward and backward; return them normalized."""
    x, w, stride, pad, out_h, out_w = conv_geometry(x, w, stride, pad, mode, filters)
    choice("algorithm", algorithm, ALGORITHMS)
    return x, w, stride, pad, out_h, out_w


def _flip(w: np.ndarray) -> np.ndarray:
    """w[KH − 1 − k1, KW − 1 − k2, c, f]: turns convolution into cross-correlation and back."""
    return np.ascontiguousarray(w[::-1, ::-1])


def _images_per_chunk(n: int, rows_per_image: int, patch: int) -> int:
    """How many images' patch rows make one chunk of about _CHUNK_ENTRIES entries (at least 1)."""
    return max(1, min(n, _CHUNK_ENTRIES // max(1, rows_per_image * patch)))


def _conv_forward_im2col(x, w, b, stride, pad, out_h, out_w, activation_code):
    """out = σ(im2col(x) · w + b) chunk by chunk, as (N·Ho·Wo, F) rows."""
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
        _dense.bias_activation(chunk_out, b, activation_code, openmp_threads())
    return out.reshape(n, out_h, out_w, f)


# The SIMD micro-kernel holds 16 float32 or 8 float64 filters per block: F must be a multiple.
_SIMD_FILTER_BLOCK = {np.dtype(np.float32): 16, np.dtype(np.float64): 8}


def _simd_applies(x: np.ndarray, filters: int) -> bool:
    """Whether the SIMD micro-kernel computes this layer: an AVX2 + FMA CPU and F a multiple of
    its filter block (the seed network's 16 and 32 filters are)."""
    return filters % _SIMD_FILTER_BLOCK[x.dtype] == 0 and _conv.simd_available()


def _simd_threads(n: int, work: int) -> int:
    return openmp_threads() if n > 1 and work >= _SIMD_PARALLEL_MIN_WORK else 1


# Multiply-adds below which the micro-kernel runs on one thread (starting the team costs more).
_SIMD_PARALLEL_MIN_WORK = 1 << 18


def _conv_forward_simd(x, w, b, stride, pad, out_h, out_w, activation):
    """out = σ(x ⋆ w + b) by the SIMD micro-kernel; relu is fused into its stores, sigmoid and tanh
    follow in a second pass."""
    n, h, width, c = x.shape
    f = w.shape[3]
    out = np.empty((n, out_h, out_w, f), dtype=x.dtype)
    threads = _simd_threads(n, n * out_h * out_w * f * w.shape[0] * w.shape[1] * c)
    scratch = (h + 2 * pad) * (width + 2 * pad) * c if pad > 0 else 1
    padded = np.empty((threads, scratch), dtype=x.dtype)
    _conv.conv_forward_simd(x, w, b, out, stride, pad, activation == "relu", padded)
    if activation not in (None, "relu"):
        code = ACTIVATION_CODES[activation]
        _dense.bias_activation(out.reshape(-1, f), np.zeros_like(b), code, openmp_threads())
    return out


def _per_image(x: np.ndarray) -> bool:
    """Batches with an image for every OpenMP thread go image by image; smaller ones build one
    patch matrix and split its products across the threads instead (cnnref.threads)."""
    return x.shape[0] >= openmp_threads()


def _conv_forward_per_image(x, w, b, stride, pad, out_h, out_w, activation_code):
    """out = σ(im2col(x) · w + b), one image per OpenMP iteration (see cnnref.threads)."""
    n, c = x.shape[0], x.shape[3]
    kh, kw, f = w.shape[0], w.shape[1], w.shape[3]
    rows, patch = out_h * out_w, kh * kw * c
    out = np.empty((n * rows, f), dtype=x.dtype)
    buffers = np.empty((openmp_threads(), rows, patch), dtype=x.dtype)
    x_rows = x.reshape(n, x.shape[1], x.shape[2] * c)
    with one_blas_thread():
        _conv.conv_forward_per_image(
            x_rows, w.reshape(patch, f), out, buffers, c, kh, kw, stride, pad, out_h, out_w
        )
    _dense.bias_activation(out, b, activation_code, openmp_threads())
    return out.reshape(n, out_h, out_w, f)


def _conv_backward_per_image(dout, x, w, stride, pad, out_h, out_w, input_gradient):
    """dw = Σₙ im2col(x[n])ᵀ · dout[n] and dx[n] = col2im(dout[n] · wᵀ), one image per OpenMP
    iteration (see cnnref.threads)."""
    n, c = x.shape[0], x.shape[3]
    kh, kw, f = w.shape[0], w.shape[1], w.shape[3]
    rows, patch = out_h * out_w, kh * kw * c
    buffers = np.empty((openmp_threads(), rows, patch), dtype=x.dtype)
    dw_parts = np.zeros((min(n, _DW_GROUPS), patch, f), dtype=x.dtype)
    dx = np.zeros_like(x) if input_gradient else None
    with one_blas_thread():
        _conv.conv_backward_per_image(
            x.reshape(n, x.shape[1], x.shape[2] * c),
            dout.reshape(-1, f),
            w.reshape(patch, f),
            dw_parts,
            dx.reshape(n, x.shape[1], x.shape[2] * c) if input_gradient else buffers[:0],
            input_gradient,
            buffers,
            c, kh, kw, stride, pad, out_h, out_w,
        )  # fmt: skip
    return dx, dw_parts.sum(axis=0).reshape(w.shape)


def _conv_backward_simd(dout, x, w, stride, pad, input_gradient):
    """dw = Σₙ Σ_i Σ_j in[n, i·s + k1, j·s + k2, c] · dout[n, i, j, f] and, with
    ``input_gradient``, dx[n, i·s + k1 − p, j·s + k2 − p, c] += Σ_f dout[n, i, j, f] · w[k1, k2, c, f],
    by the SIMD kernels in one pass over the images, dw summed in fixed groups of images."""
    n, h, width, c = x.shape
    kh, kw, _, f = w.shape
    groups = min(n, _DW_GROUPS)
    dw_parts = np.zeros((groups, *w.shape), dtype=x.dtype)
    dx = np.empty_like(x) if input_gradient else x[:0]
    work = n * dout.shape[1] * dout.shape[2] * kh * kw * c * f * (2 if input_gradient else 1)
    threads = _simd_threads(n, work)
    scratch = (h + 2 * pad) * (width + 2 * pad) * c if pad > 0 else 1
    padded = np.empty((threads, scratch), dtype=x.dtype)
    w_t = np.ascontiguousarray(w.transpose(0, 1, 3, 2))
    _conv.conv_backward_simd(x, dout, w_t, dw_parts, dx, stride, pad, padded, True, input_gradient)
    return (dx if input_gradient else None), dw_parts.sum(axis=0)


def _conv_backward_im2col(dout, x, w, stride, pad, out_h, out_w, input_gradient):
    """dw = Σ_chunks im2col(x)ᵀ · dout and dx = col2im(dout · wᵀ), chunk by chunk."""
    n, c = x.shape[0], x.shape[3]
    kh, kw, f = w.shape[0], w.shape[1], w.shape[3]
    rows_per_image, patch = out_h * out_w, kh * kw * c
    w_matrix = w.reshape(patch, f)
    x_rows = x.reshape(n, x.shape[1], x.shape[2] * c)
    dout_rows = dout.reshape(-1, f)
    dx = np.zeros_like(x) if input_gradient else None
    dx_rows = dx.reshape(n, x.shape[1], x.shape[2] * c) if input_gradient else None
    dw_matrix = np.zeros((patch, f), dtype=x.dtype)
    step = _images_per_chunk(n, rows_per_image, patch)
    cols = np.empty((step * rows_per_image, patch), dtype=x.dtype)
    dw_part = np.empty_like(dw_matrix)
    for first in range(0, n, step):
        count = min(step, n - first)
        chunk_cols = cols[: count * rows_per_image]
        chunk_dout = dout_rows[first * rows_per_image : (first + count) * rows_per_image]
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
) -> np.ndarray:
    """Convolution layer forward pass.

    Cross-correlation (the default; what frameworks call convolution)::

        out[n, i, j, f] = b[f] + Σ_{k1} Σ_{k2} Σ_c in[n, i·s + k1, j·s + k2, c] · w[k1, k2, c, f]

    ``mode="convolution"`` is the notes' formula
    out[i, j] = Σ_{k1} Σ_{k2} Σ_c in[i − k1, j − k2, c] · filter[c, k1, k2] restricted to the valid
    region, i.e. the same sum with the filter flipped: w[KH − 1 − k1, KW − 1 − k2, c, f].
    ``in`` is x zero-padded by ``pad`` on each side of H and W.

    Shapes: x (N, H, W, C), w (KH, KW, C, F), b (F,) → out (N, Ho, Wo, F) with
    Ho = (H + 2·pad − KH) // stride + 1 and Wo likewise. ``algorithm`` picks the fast path
    (default "im2col": a SIMD direct micro-kernel where the CPU has AVX2 + FMA and F is a multiple
    of 16 in float32 or 8 in float64, else im2col + BLAS) or the direct index loops ("direct",
    the readable reference); all compute the same sum, to float rounding.

    Twin :func:`verify.naive.conv.conv2d`, :doc:`/derivations/convolution`.
    """
    return conv2d_activation(x, w, b, None, stride, pad, mode, algorithm=algorithm)


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

        dx[n, r, q, c]   = Σ_{i, j, k1, k2 : r = i·s + k1 − pad, q = j·s + k2 − pad}
                               Σ_f dout[n, i, j, f] · w[k1, k2, c, f]
        dw[k1, k2, c, f] = Σ_n Σ_i Σ_j in[n, i·s + k1, j·s + k2, c] · dout[n, i, j, f]
        db[f]            = Σ_n Σ_i Σ_j dout[n, i, j, f]

    For ``mode="convolution"`` the filter is flipped going in and dw is flipped coming out.
    Shapes: dout (N, Ho, Wo, F), x (N, H, W, C), w (KH, KW, C, F) → dx like x, dw like w, db (F,).
    Input pixels that no window reaches (when stride does not divide evenly) get zero gradient.

    Twin :func:`verify.naive.conv.conv2d_backward`, :doc:`/derivations/convolution`.
    """
    return _backward(dout, x, w, stride, pad, mode, algorithm, input_gradient=True)


# The paths the layers and the seed network take. Each equals a composition of the formula
# functions above (named in its docstring) and is tested against it; they exist only to save a
# pass over memory or a product.


def conv2d_activation(
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray,
    activation: str | None,
    stride: int = 1,
    pad: int = 0,
    mode: str = "cross-correlation",
    *,
    algorithm: str = "im2col",
) -> np.ndarray:
    """z = σ(conv2d(x, w, b, stride, pad, mode)) with σ ("relu", "sigmoid", "tanh"; None for the
    identity) applied in the same pass as the bias: the same values as the two calls."""
    x, w, stride, pad, out_h, out_w = _conv_arguments(
        x, w, stride, pad, mode, algorithm, last_axis_length(b, 1)
    )
    b = float_array("b", b, 1, "(F,)")
    same_dtype(x=x, w=w, b=b)
    exact_shape("b", b, (w.shape[3],), "(one bias per filter F)")
    if activation is not None:
        choice("activation", activation, ACTIVATIONS)
    if x.shape[0] == 0:
        return np.empty((0, out_h, out_w, w.shape[3]), dtype=x.dtype)
    if mode == "convolution":
        w = _flip(w)
    code = ACTIVATION_CODES[activation]
    if algorithm == "direct":
        out = np.empty((x.shape[0], out_h, out_w, w.shape[3]), dtype=x.dtype)
        _conv.conv_forward_direct(x, w, b, out, stride, pad)
        forward_padding_nans(out, w, x.shape, stride, pad)
        if activation is not None:
            _dense.bias_activation(out.reshape(-1, w.shape[3]), np.zeros_like(b), code)
        return out
    if _simd_applies(x, w.shape[3]):
        out = _conv_forward_simd(x, w, b, stride, pad, out_h, out_w, activation)
        forward_padding_nans(out, w, x.shape, stride, pad)
        return out
    if _per_image(x):
        return _conv_forward_per_image(x, w, b, stride, pad, out_h, out_w, code)
    return _conv_forward_im2col(x, w, b, stride, pad, out_h, out_w, code)


def conv2d_parameter_gradients(
    dout: np.ndarray,
    x: np.ndarray,
    w: np.ndarray,
    stride: int = 1,
    pad: int = 0,
    mode: str = "cross-correlation",
) -> tuple[np.ndarray, np.ndarray]:
    """(dw, db) of :func:`cnnref.conv2d_backward` without dx: the first layer of a network needs no
    gradient with respect to its input image."""
    _, dw, db = _backward(dout, x, w, stride, pad, mode, "im2col", input_gradient=False)
    return dw, db


def _backward(dout, x, w, stride, pad, mode, algorithm, input_gradient):
    """(dx or None, dw, db) of :func:`conv2d_backward`, dx only with ``input_gradient``."""
    x, w, stride, pad, out_h, out_w = _conv_arguments(
        x, w, stride, pad, mode, algorithm, last_axis_length(dout, 4)
    )
    dout = float_array("dout", dout, 4, "(N, Ho, Wo, F)")
    same_dtype(dout=dout, x=x, w=w)
    n, f = x.shape[0], w.shape[3]
    exact_shape("dout", dout, (n, out_h, out_w, f), "(N, Ho, Wo, F) of the forward output")
    if n == 0:
        dx = np.zeros_like(x) if input_gradient else None
        return dx, np.zeros_like(w), np.zeros(f, dtype=x.dtype)
    if mode == "convolution":
        w = _flip(w)
    if algorithm == "direct":
        dx = np.zeros_like(x) if input_gradient else None
        dw = np.zeros_like(w)
        if input_gradient:
            _conv.conv_backward_input_direct(dout, w, dx, stride, pad)
        _conv.conv_backward_filter_direct(dout, x, dw, stride, pad)
    elif _simd_applies(x, f) and (not input_gradient or _simd_applies(x, x.shape[3])):
        dx, dw = _conv_backward_simd(dout, x, w, stride, pad, input_gradient)
    elif _per_image(x):
        dx, dw = _conv_backward_per_image(dout, x, w, stride, pad, out_h, out_w, input_gradient)
    else:
        dx, dw = _conv_backward_im2col(dout, x, w, stride, pad, out_h, out_w, input_gradient)
    filter_gradient_padding_nans(dw, dout, x.shape, stride, pad)  # the paths that skip padded taps
    db = np.empty(f, dtype=x.dtype)
    _dense.sum_rows(dout.reshape(-1, f), db)
    if mode == "convolution":
        dw = _flip(dw)
    return dx, dw, db
