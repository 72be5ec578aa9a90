"""How cnnref computes a convolution: the machinery behind the formula functions of conv.py.

Every function here takes arguments that conv.py has already validated (x (N, H, W, C),
w (KH, KW, C, F) already flipped for mode="convolution", N ≥ 1) and computes the
cross-correlation of conv.py's docstrings. :func:`forward` and :func:`backward` pick the fastest
path that applies:

* the SIMD micro-kernels (kernels/direct_conv.h): the direct sum blocked for the vector units,
  OpenMP across the images; where the CPU has AVX2 + FMA and the output (forward, filter
  gradient) or input (input gradient) channel count is a multiple of 16 in float32 or 8 in
  float64; at stride 1, an input gradient whose C is not such a multiple goes by the gather-form
  kernel instead, vectorized over F (the few channels of a first layer);
* im2col + BLAS, one image per OpenMP thread with a one-thread BLAS (batches of an image per
  thread), or chunked patch matrices with the BLAS's own threads (smaller batches);
* the direct index loops (:func:`forward_direct`, :func:`backward_direct`), the readable compiled
  reference that the oracle checks the fast paths against.
"""

from __future__ import annotations

import numpy as np

from .kernels import conv as _conv
from .kernels import dense as _dense
from .linear import ACTIVATION_CODES, matmul
from .padding import filter_gradient_padding_nans, forward_padding_nans
from .threads import one_blas_thread, openmp_threads, pool_threads

# The im2col path builds the patch matrix of at most this many entries at a time (32 MB in float32):
# a large batch is split into chunks of whole images, reusing one buffer, so memory stays bounded.
# Chunks are kept large on purpose: every chunk is one BLAS call, and on a busy machine each call's
# thread hand-off costs more than the cache misses of a large patch matrix (docs/performance.md).
_CHUNK_ENTRIES = 1 << 23
# The per-image backward passes sum the filter gradient in this many fixed groups of images, handed
# to the threads one at a time: enough for a thread on a busy core to take fewer, few enough that
# the partial sums stay small; fixed, so that dw does not depend on the thread count.
_DW_GROUPS = 16
# The SIMD micro-kernels hold 16 float32 or 8 float64 channels per block.
_SIMD_CHANNEL_BLOCK = {np.dtype(np.float32): 16, np.dtype(np.float64): 8}
# Multiply-adds below which a SIMD kernel runs on one thread (starting the team costs more).
_SIMD_PARALLEL_MIN_WORK = 1 << 18


def simd_applies(x: np.ndarray, channels: int) -> bool:
    """Whether the SIMD micro-kernels handle ``channels`` (the vectorized axis: F for the forward
    pass and the filter gradient, C for the input gradient): an AVX2 + FMA CPU and a multiple of
    the channel block (the seed network's 16 and 32 are)."""
    return channels % _SIMD_CHANNEL_BLOCK[x.dtype] == 0 and _conv.simd_available()


def forward(x, w, b, activation, stride, pad, out_h, out_w) -> np.ndarray:
    """out = σ(x ⋆ w + b), (N, Ho, Wo, F), by the fastest path that applies."""
    if simd_applies(x, w.shape[3]):
        out = forward_simd(x, w, b, activation, stride, pad, out_h, out_w)
    elif x.shape[0] >= pool_threads():
        out = forward_per_image(x, w, b, activation, stride, pad, out_h, out_w)
    else:
        out = forward_im2col(x, w, b, activation, stride, pad, out_h, out_w)
    forward_padding_nans(out, w, x.shape, stride, pad)
    return out


def backward(dout, x, w, stride, pad, input_gradient) -> tuple[np.ndarray | None, np.ndarray]:
    """(dx or None, dw) of the cross-correlation, dx only with ``input_gradient``, by the fastest
    path that applies."""
    if simd_applies(x, w.shape[3]):
        gather = not simd_applies(x, x.shape[3])
        by_simd = input_gradient and (stride == 1 or not gather)
        dx, dw = backward_simd(dout, x, w, stride, pad, by_simd, gather)
        if input_gradient and dx is None:
            dx, _ = backward_per_image(dout, x, w, stride, pad, True, filter_gradient=False)
    elif x.shape[0] >= pool_threads():
        dx, dw = backward_per_image(dout, x, w, stride, pad, input_gradient)
    else:
        dx, dw = backward_im2col(dout, x, w, stride, pad, input_gradient)
    filter_gradient_padding_nans(dw, dout, x.shape, stride, pad)
    return dx, dw


def _activate(out, activation, first_pass_bias=None) -> None:
    """σ applied in place to out viewed as (rows, F) rows, after adding ``first_pass_bias``."""
    f = out.shape[-1]
    bias = np.zeros(f, dtype=out.dtype) if first_pass_bias is None else first_pass_bias
    _dense.bias_activation(out.reshape(-1, f), bias, ACTIVATION_CODES[activation], openmp_threads())


def _simd_threads(n: int, work: int, splits_an_image: bool = False) -> int:
    """Threads for a SIMD pass of ``work`` multiply-adds over n images: one below the team's
    worth, or for a single image unless the kernel splits one image's rows across threads."""
    enough = work >= _SIMD_PARALLEL_MIN_WORK and (n > 1 or splits_an_image)
    return openmp_threads() if enough else 1


def _padded_scratch(x, pad, threads) -> np.ndarray:
    """One zero-padded image per thread for the SIMD kernels ((1, 1) when pad = 0: unused)."""
    _, h, width, c = x.shape
    size = (h + 2 * pad) * (width + 2 * pad) * c if pad > 0 else 1
    return np.empty((threads, size), dtype=x.dtype)


def forward_simd(x, w, b, activation, stride, pad, out_h, out_w) -> np.ndarray:
    """out = σ(x ⋆ w + b) by the SIMD micro-kernel; relu is fused into its stores, sigmoid and tanh
    follow in a second pass."""
    n, f = x.shape[0], w.shape[3]
    out = np.empty((n, out_h, out_w, f), dtype=x.dtype)
    work = out.size * w.shape[0] * w.shape[1] * x.shape[3]
    padded = _padded_scratch(x, pad, _simd_threads(n, work, splits_an_image=True))
    _conv.conv_forward_simd(x, w, b, out, stride, pad, activation == "relu", padded)
    if activation not in (None, "relu"):
        _activate(out, activation)
    return out


def backward_simd(dout, x, w, stride, pad, input_gradient, gather=False):
    """dw = Σₙ Σ_i Σ_j in[n, i·s + k1, j·s + k2, c] · dout[n, i, j, f] and, with
    ``input_gradient``, dx[n, i·s + k1 − p, j·s + k2 − p, c] += Σ_f dout[n, i, j, f] ·
    w[k1, k2, c, f], by the SIMD kernels in one pass over the images (each image's dout read
    once), dw summed in fixed groups of images. dx goes by the scatter form (C a multiple of the
    channel block) or, with ``gather``, by the gather form (stride 1, vectorized over F: for the
    few channels of a first layer, where the scatter kernel's C-vectors do not apply); it is
    None without ``input_gradient``."""
    n = x.shape[0]
    kh, kw, c, _ = w.shape
    dw_parts = np.zeros((min(n, _DW_GROUPS), *w.shape), dtype=x.dtype)
    dx = np.empty_like(x) if input_gradient else x[:0]
    work = dout.size * kh * kw * c * (2 if input_gradient else 1)
    padded = _padded_scratch(x, pad, _simd_threads(n, work))
    filters = w if gather else np.ascontiguousarray(w.transpose(0, 1, 3, 2))
    _conv.conv_backward_simd(
        x, dout, filters, dw_parts, dx, stride, pad, padded, True, input_gradient, gather
    )
    return (dx if input_gradient else None), dw_parts.sum(axis=0)


def _geometry(x, w, stride, pad, out_h, out_w) -> dict[str, int]:
    """The sizes the im2col kernels take (their Geometry struct)."""
    _, h, width, c = x.shape
    kh, kw = w.shape[:2]
    return {"H": h, "W": width, "C": c, "KH": kh, "KW": kw, "stride": stride, "pad": pad,
            "Ho": out_h, "Wo": out_w}  # fmt: skip


def _patch_sizes(x, w, out_h, out_w) -> tuple[int, int]:
    """(patch rows per image Ho·Wo, patch length KH·KW·C)."""
    return out_h * out_w, w.shape[0] * w.shape[1] * x.shape[3]


def _rows(image: np.ndarray) -> np.ndarray:
    """An NHWC batch as (N, H, W·C): the kernels' view, each pixel row flattened."""
    return image.reshape(image.shape[0], image.shape[1], image.shape[2] * image.shape[3])


def forward_per_image(x, w, b, activation, stride, pad, out_h, out_w) -> np.ndarray:
    """out = σ(im2col(x) · w + b), one image per OpenMP iteration (see cnnref.threads)."""
    (n, f), (rows, patch) = (x.shape[0], w.shape[3]), _patch_sizes(x, w, out_h, out_w)
    out = np.empty((n * rows, f), dtype=x.dtype)
    buffers = np.empty((openmp_threads(), rows, patch), dtype=x.dtype)
    geometry = _geometry(x, w, stride, pad, out_h, out_w)
    with one_blas_thread():
        _conv.conv_forward_per_image(_rows(x), w.reshape(patch, f), out, buffers, geometry)
    _activate(out, activation, b)
    return out.reshape(n, out_h, out_w, f)


def backward_per_image(dout, x, w, stride, pad, input_gradient, filter_gradient=True):
    """dw = Σₙ im2col(x[n])ᵀ · dout[n] (None without ``filter_gradient``) and, with
    ``input_gradient``, dx[n] = col2im(dout[n] · wᵀ), one image per OpenMP iteration (see
    cnnref.threads)."""
    (n, f), (rows, patch) = (x.shape[0], w.shape[3]), _patch_sizes(x, w, *dout.shape[1:3])
    buffers = np.empty((openmp_threads(), rows, patch), dtype=x.dtype)
    dw_parts = np.zeros((min(n, _DW_GROUPS), patch, f), dtype=x.dtype)
    dx = np.zeros_like(x) if input_gradient else x[:0]
    geometry = _geometry(x, w, stride, pad, *dout.shape[1:3])
    with one_blas_thread():
        _conv.conv_backward_per_image(
            _rows(x), dout.reshape(-1, f), w.reshape(patch, f), dw_parts, _rows(dx),
            filter_gradient, input_gradient, buffers, geometry,
        )  # fmt: skip
    dw = dw_parts.sum(axis=0).reshape(w.shape) if filter_gradient else None
    return (dx if input_gradient else None), dw


def _chunks(n: int, rows_per_image: int, patch: int):
    """(first image, image count) of chunks of about _CHUNK_ENTRIES patch-matrix entries."""
    step = max(1, min(n, _CHUNK_ENTRIES // max(1, rows_per_image * patch)))
    return step, [(first, min(step, n - first)) for first in range(0, n, step)]


def forward_im2col(x, w, b, activation, stride, pad, out_h, out_w) -> np.ndarray:
    """out = σ(im2col(x) · w + b) chunk by chunk, as (N·Ho·Wo, F) rows."""
    (n, f), (rows, patch) = (x.shape[0], w.shape[3]), _patch_sizes(x, w, out_h, out_w)
    w_matrix, x_rows = w.reshape(patch, f), _rows(x)
    geometry = _geometry(x, w, stride, pad, out_h, out_w)
    out = np.empty((n * rows, f), dtype=x.dtype)
    step, chunks = _chunks(n, rows, patch)
    cols = np.empty((step * rows, patch), dtype=x.dtype)
    for first, count in chunks:
        chunk_cols, chunk_out = cols[: count * rows], out[first * rows : (first + count) * rows]
        _conv.im2col(x_rows, chunk_cols, geometry, first)
        matmul(chunk_cols, w_matrix, out=chunk_out)
        _activate(chunk_out, activation, b)
    return out.reshape(n, out_h, out_w, f)


def backward_im2col(dout, x, w, stride, pad, input_gradient):
    """dw = Σ_chunks im2col(x)ᵀ · dout and dx = col2im(dout · wᵀ), chunk by chunk."""
    (n, f), (rows, patch) = (x.shape[0], w.shape[3]), _patch_sizes(x, w, *dout.shape[1:3])
    w_matrix, x_rows, dout_rows = w.reshape(patch, f), _rows(x), dout.reshape(-1, f)
    geometry = _geometry(x, w, stride, pad, *dout.shape[1:3])
    dx = np.zeros_like(x) if input_gradient else None
    dw_matrix = np.zeros((patch, f), dtype=x.dtype)
    dw_part = np.empty_like(dw_matrix)
    step, chunks = _chunks(n, rows, patch)
    cols = np.empty((step * rows, patch), dtype=x.dtype)
    for first, count in chunks:
        chunk_cols = cols[: count * rows]
        chunk_dout = dout_rows[first * rows : (first + count) * rows]
        _conv.im2col(x_rows, chunk_cols, geometry, first)
        matmul(chunk_cols, chunk_dout, trans_a=True, out=dw_part)
        dw_matrix += dw_part
        if input_gradient:
            matmul(chunk_dout, w_matrix, trans_b=True, out=chunk_cols)
            _conv.col2im(chunk_cols, _rows(dx), geometry, first)
    return dx, dw_matrix.reshape(w.shape)


def forward_direct(x, w, b, activation, stride, pad, out_h, out_w) -> np.ndarray:
    """out = σ(x ⋆ w + b) by the direct index loops (padded taps skipped, then given the padding's
    NaNs: cnnref.padding)."""
    out = np.empty((x.shape[0], out_h, out_w, w.shape[3]), dtype=x.dtype)
    _conv.conv_forward_direct(x, w, b, out, stride, pad)
    forward_padding_nans(out, w, x.shape, stride, pad)
    if activation is not None:
        _activate(out, activation)
    return out


def backward_direct(dout, x, w, stride, pad, input_gradient):
    """(dx or None, dw) by the direct index loops."""
    dx = np.empty_like(x) if input_gradient else None
    dw = np.zeros_like(w)
    if input_gradient:
        _conv.conv_backward_input_direct(dout, w, dx, stride, pad)
    _conv.conv_backward_filter_direct(dout, x, dw, stride, pad)
    filter_gradient_padding_nans(dw, dout, x.shape, stride, pad)
    return dx, dw
