"""Cross-correlation kernels on NHWC images with (KH, KW, C, F) filter banks.

out[n, i, j, f] = b[f] + Σ_k1 Σ_k2 Σ_c x[n, i·s + k1 − p, j·s + k2 − p, c] · w[k1, k2, c, f]
with zero padding p and stride s. True convolution is the same with flipped filters; the Python
layer does the flip. Two paths compute the same thing:

* direct loops (``*_direct``): the formula index by index, the readable reference path, threaded
  across the batch with OpenMP;
* im2col / col2im: copy every receptive field into one row of a patch matrix so that the whole
  layer is one BLAS matrix product; row (n·Ho + i)·Wo + j holds patch (n, i, j) with column
  (k1·KW + k2)·C + c. These copies run serially: they sit between BLAS calls, and OpenBLAS's own
  threads, still spinning after a product, would fight OpenMP's for the same cores.
"""

from cython.parallel cimport prange, threadid
from cython cimport floating

import numpy as np

# Multiply-adds below which a direct kernel runs on one thread: starting an OpenMP team costs more
# than such a loop, and far more (milliseconds of spinning) when other processes hold the cores.
cdef Py_ssize_t PARALLEL_MIN_WORK = 1 << 18


def conv_forward_direct(
    const floating[:, :, :, ::1] x,
    const floating[:, :, :, ::1] w,
    const floating[::1] b,
    floating[:, :, :, ::1] out,
    Py_ssize_t stride,
    Py_ssize_t pad,
):
    """out = x ⋆ w + b by the index sums above (out is overwritten)."""
    cdef Py_ssize_t N = x.shape[0], H = x.shape[1], W = x.shape[2], C = x.shape[3]
    cdef Py_ssize_t KH = w.shape[0], KW = w.shape[1], F = w.shape[3]
    cdef Py_ssize_t Ho = out.shape[1], Wo = out.shape[2]
    cdef Py_ssize_t n, i, j, k1, k2, c, f, r, s
    cdef floating xv
    cdef bint parallel = N * Ho * Wo * KH * KW * C * F >= PARALLEL_MIN_WORK
    for n in prange(N, nogil=True, schedule="static", use_threads_if=parallel):
        for i in range(Ho):
            for j in range(Wo):
                for f in range(F):
                    out[n, i, j, f] = b[f]
                for k1 in range(KH):
                    r = i * stride + k1 - pad
                    if r < 0 or r >= H:
                        continue
                    for k2 in range(KW):
                        s = j * stride + k2 - pad
                        if s < 0 or s >= W:
                            continue
                        for c in range(C):
                            xv = x[n, r, s, c]
                            for f in range(F):
                                out[n, i, j, f] += xv * w[k1, k2, c, f]


def conv_backward_input_direct(
    const floating[:, :, :, ::1] dout,
    const floating[:, :, :, ::1] w,
    floating[:, :, :, ::1] dx,
    Py_ssize_t stride,
    Py_ssize_t pad,
):
    """dx[n, r, s, c] = Σ over (i, j, k1, k2) with r = i·s + k1 − p, s = j·s + k2 − p of
    dout[n, i, j, f] · w[k1, k2, c, f] (dx must be zeroed)."""
    cdef Py_ssize_t N = dx.shape[0], H = dx.shape[1], W = dx.shape[2], C = dx.shape[3]
    cdef Py_ssize_t KH = w.shape[0], KW = w.shape[1], F = w.shape[3]
    cdef Py_ssize_t Ho = dout.shape[1], Wo = dout.shape[2]
    cdef Py_ssize_t n, i, j, k1, k2, c, f, r, s
    cdef floating total
    cdef bint parallel = N * Ho * Wo * KH * KW * C * F >= PARALLEL_MIN_WORK
    for n in prange(N, nogil=True, schedule="static", use_threads_if=parallel):
        for i in range(Ho):
            for j in range(Wo):
                for k1 in range(KH):
                    r = i * stride + k1 - pad
                    if r < 0 or r >= H:
                        continue
                    for k2 in range(KW):
                        s = j * stride + k2 - pad
                        if s < 0 or s >= W:
                            continue
                        for c in range(C):
                            total = 0
                            for f in range(F):
                                total = total + dout[n, i, j, f] * w[k1, k2, c, f]
                            dx[n, r, s, c] += total


def conv_backward_filter_direct(
    const floating[:, :, :, ::1] dout,
    const floating[:, :, :, ::1] x,
    floating[:, :, :, ::1] dw,
    Py_ssize_t stride,
    Py_ssize_t pad,
):
    """dw[k1, k2, c, f] = Σ_n Σ_i Σ_j x[n, i·s + k1 − p, j·s + k2 − p, c] · dout[n, i, j, f]
    (dw must be zeroed). Threads split the (k1, k2, c) entries, so no two write the same element."""
    cdef Py_ssize_t N = x.shape[0], H = x.shape[1], W = x.shape[2], C = x.shape[3]
    cdef Py_ssize_t KH = dw.shape[0], KW = dw.shape[1], F = dw.shape[3]
    cdef Py_ssize_t Ho = dout.shape[1], Wo = dout.shape[2]
    cdef Py_ssize_t entry, n, i, j, k1, k2, c, f, r, s
    cdef floating xv
    cdef bint parallel = N * Ho * Wo * KH * KW * C * F >= PARALLEL_MIN_WORK
    for entry in prange(KH * KW * C, nogil=True, schedule="static", use_threads_if=parallel):
        k1 = entry // (KW * C)
        k2 = (entry // C) % KW
        c = entry % C
        for n in range(N):
            for i in range(Ho):
                r = i * stride + k1 - pad
                if r < 0 or r >= H:
                    continue
                for j in range(Wo):
                    s = j * stride + k2 - pad
                    if s < 0 or s >= W:
                        continue
                    xv = x[n, r, s, c]
                    for f in range(F):
                        dw[k1, k2, c, f] += xv * dout[n, i, j, f]


def im2col(
    const floating[:, :, ::1] x,
    floating[:, ::1] cols,
    Py_ssize_t C,
    Py_ssize_t KH,
    Py_ssize_t KW,
    Py_ssize_t stride,
    Py_ssize_t pad,
    Py_ssize_t Ho,
    Py_ssize_t Wo,
    Py_ssize_t first_image=0,
):
    """cols[(n·Ho + i)·Wo + j, (k1·KW + k2)·C + c] = x[n0 + n, i·s + k1 − p, j·s + k2 − p, c]
    (0 in the padding) for the cols.shape[0] // (Ho·Wo) images from n0 = ``first_image`` on.

    x is passed as (N, H, W·C), the NHWC image with each pixel row flattened: the KW·C entries of
    one kernel row (fixed k1) are then one contiguous run x[n, r, (j·s − p)·C : (j·s − p + KW)·C],
    copied in one loop; only runs that overlap the padding are clipped.
    """
    cdef Py_ssize_t H = x.shape[1], W = x.shape[2] // C
    cdef Py_ssize_t images = cols.shape[0] // (Ho * Wo), run = KW * C
    cdef Py_ssize_t n, i, j, k1, e, r, s0, row, lo, hi
    with nogil:
        for n in range(images):
            for i in range(Ho):
                for j in range(Wo):
                    row = (n * Ho + i) * Wo + j
                    s0 = j * stride - pad
                    lo = 0 if s0 >= 0 else -s0 * C
                    hi = run if s0 + KW <= W else (W - s0) * C
                    for k1 in range(KH):
                        r = i * stride + k1 - pad
                        if r < 0 or r >= H or hi <= lo:
                            for e in range(run):
                                cols[row, k1 * run + e] = 0
                            continue
                        for e in range(lo):
                            cols[row, k1 * run + e] = 0
                        for e in range(lo, hi):
                            cols[row, k1 * run + e] = x[first_image + n, r, s0 * C + e]
                        for e in range(hi, run):
                            cols[row, k1 * run + e] = 0


def col2im(
    const floating[:, ::1] cols,
    floating[:, :, ::1] dx,
    Py_ssize_t C,
    Py_ssize_t KH,
    Py_ssize_t KW,
    Py_ssize_t stride,
    Py_ssize_t pad,
    Py_ssize_t Ho,
    Py_ssize_t Wo,
    Py_ssize_t first_image=0,
):
    """The adjoint of im2col: dx[first_image + n, r, s, c] += cols[row, col] for every patch entry
    that reads it (dx must be zeroed; entries that fall in the padding are dropped). dx is passed as
    (N, H, W·C); each (patch, k1) adds one contiguous run of KW·C values, as in im2col."""
    cdef Py_ssize_t H = dx.shape[1], W = dx.shape[2] // C
    cdef Py_ssize_t images = cols.shape[0] // (Ho * Wo), run = KW * C
    cdef Py_ssize_t n, i, j, k1, e, r, s0, row, lo, hi
    with nogil:
        for n in range(images):
            for i in range(Ho):
                for j in range(Wo):
                    row = (n * Ho + i) * Wo + j
                    s0 = j * stride - pad
                    lo = 0 if s0 >= 0 else -s0 * C
                    hi = run if s0 + KW <= W else (W - s0) * C
                    for k1 in range(KH):
                        r = i * stride + k1 - pad
                        if r < 0 or r >= H:
                            continue
                        for e in range(lo, hi):
                            dx[first_image + n, r, s0 * C + e] += cols[row, k1 * run + e]


def openmp_threads():
    """How many threads the prange loops of these kernels use (1 when built without OpenMP)."""
    cdef int[::1] seen = np.zeros(256, dtype=np.intc)
    cdef Py_ssize_t i
    for i in prange(256, nogil=True, schedule="static", chunksize=1):
        seen[i] = threadid()
    return int(np.max(seen)) + 1
