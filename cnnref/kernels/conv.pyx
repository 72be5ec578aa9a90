"""Cross-correlation kernels on NHWC images with (KH, KW, C, F) filter banks.

out[n, i, j, f] = b[f] + Σ_k1 Σ_k2 Σ_c x[n, i·s + k1 − p, j·s + k2 − p, c] · w[k1, k2, c, f]
with zero padding p and stride s. True convolution is the same with flipped filters; the Python
layer does the flip. Two paths compute the same thing:

* direct loops (``*_direct``): the formula index by index, the readable reference path, threaded
  across the batch with OpenMP;
* im2col / col2im: copy every receptive field into one row of a patch matrix so that the whole
  layer is one BLAS matrix product; row (n·Ho + i)·Wo + j holds patch (n, i, j) with column
  (k1·KW + k2)·C + c. These copies run serially: they sit between BLAS calls, and OpenBLAS's own
  threads, still spinning after a product, would fight OpenMP's for the same cores;
* per image (``conv_*_per_image``, used inside cnnref.threads.single_thread_blas): OpenMP across
  the images, each thread building one image's patch matrix and calling a one-thread BLAS product
  on it, so that a single thread pool does all the work.
"""

from cython.parallel cimport prange, threadid
from cython cimport floating
from cnnref.kernels.blas cimport gemm

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


cdef void _im2col_image(
    const floating* x,
    floating* cols,
    Py_ssize_t H,
    Py_ssize_t W,
    Py_ssize_t C,
    Py_ssize_t KH,
    Py_ssize_t KW,
    Py_ssize_t stride,
    Py_ssize_t pad,
    Py_ssize_t Ho,
    Py_ssize_t Wo,
) noexcept nogil:
    """The Ho·Wo patch rows of one image x (H, W·C) into cols (Ho·Wo, KH·KW·C), zero padded."""
    cdef Py_ssize_t run = KW * C, P = KH * KW * C
    cdef Py_ssize_t i, j, k1, e, r, s0, lo, hi
    cdef floating* out
    for i in range(Ho):
        for j in range(Wo):
            s0 = j * stride - pad
            lo = 0 if s0 >= 0 else -s0 * C
            hi = run if s0 + KW <= W else (W - s0) * C
            for k1 in range(KH):
                out = cols + (i * Wo + j) * P + k1 * run
                r = i * stride + k1 - pad
                if r < 0 or r >= H or hi <= lo:
                    for e in range(run):
                        out[e] = 0
                    continue
                for e in range(lo):
                    out[e] = 0
                for e in range(lo, hi):
                    out[e] = x[r * W * C + s0 * C + e]
                for e in range(hi, run):
                    out[e] = 0


cdef void _col2im_image(
    const floating* cols,
    floating* dx,
    Py_ssize_t H,
    Py_ssize_t W,
    Py_ssize_t C,
    Py_ssize_t KH,
    Py_ssize_t KW,
    Py_ssize_t stride,
    Py_ssize_t pad,
    Py_ssize_t Ho,
    Py_ssize_t Wo,
) noexcept nogil:
    """The adjoint of _im2col_image: dx (H, W·C) += every patch entry of cols that reads it."""
    cdef Py_ssize_t run = KW * C, P = KH * KW * C
    cdef Py_ssize_t i, j, k1, e, r, s0, lo, hi
    cdef const floating* source
    for i in range(Ho):
        for j in range(Wo):
            s0 = j * stride - pad
            lo = 0 if s0 >= 0 else -s0 * C
            hi = run if s0 + KW <= W else (W - s0) * C
            for k1 in range(KH):
                r = i * stride + k1 - pad
                if r < 0 or r >= H:
                    continue
                source = cols + (i * Wo + j) * P + k1 * run
                for e in range(lo, hi):
                    dx[r * W * C + s0 * C + e] += source[e]


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
    cdef Py_ssize_t images = cols.shape[0] // (Ho * Wo), n
    if images == 0:
        return
    with nogil:
        for n in range(images):
            _im2col_image(
                &x[first_image + n, 0, 0], &cols[n * Ho * Wo, 0], H, W, C, KH, KW, stride, pad,
                Ho, Wo,
            )


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
    cdef Py_ssize_t images = cols.shape[0] // (Ho * Wo), n
    if images == 0:
        return
    with nogil:
        for n in range(images):
            _col2im_image(
                &cols[n * Ho * Wo, 0], &dx[first_image + n, 0, 0], H, W, C, KH, KW, stride, pad,
                Ho, Wo,
            )


def conv_forward_per_image(
    const floating[:, :, ::1] x,
    const floating[:, ::1] w,
    floating[:, ::1] out,
    floating[:, :, ::1] buffers,
    Py_ssize_t C,
    Py_ssize_t KH,
    Py_ssize_t KW,
    Py_ssize_t stride,
    Py_ssize_t pad,
    Py_ssize_t Ho,
    Py_ssize_t Wo,
):
    """out rows of image n = im2col(x[n]) · w, with x passed as (N, H, W·C), w the (KH·KW·C, F)
    filter matrix and out (N·Ho·Wo, F). OpenMP across the images, at most buffers.shape[0]
    threads, thread t building one image's patch matrix at a time in buffers[t] (Ho·Wo, KH·KW·C),
    small enough to stay in cache, then one BLAS product per image. The BLAS must run one thread
    per call here (cnnref.threads), or its threads and OpenMP's fight for the cores."""
    cdef Py_ssize_t N = x.shape[0], H = x.shape[1], W = x.shape[2] // C
    cdef Py_ssize_t rows = Ho * Wo, P = KH * KW * C, F = w.shape[1], n
    cdef int threads = <int>buffers.shape[0]
    cdef floating* cols
    if N == 0:
        return
    for n in prange(N, nogil=True, schedule="static", num_threads=threads):
        cols = &buffers[threadid(), 0, 0]
        _im2col_image(&x[n, 0, 0], cols, H, W, C, KH, KW, stride, pad, Ho, Wo)
        gemm(
            False, False, <int>rows, <int>F, <int>P, cols, <int>P, &w[0, 0], <int>F,
            0, &out[n * rows, 0], <int>F,
        )


def conv_backward_per_image(
    const floating[:, :, ::1] x,
    const floating[:, ::1] dout,
    const floating[:, ::1] w,
    floating[:, :, ::1] dw_parts,
    floating[:, :, ::1] dx,
    bint input_gradient,
    floating[:, :, ::1] buffers,
    Py_ssize_t C,
    Py_ssize_t KH,
    Py_ssize_t KW,
    Py_ssize_t stride,
    Py_ssize_t pad,
    Py_ssize_t Ho,
    Py_ssize_t Wo,
):
    """dw_parts[t] += Σ over thread t's images n of im2col(x[n])ᵀ · (dout rows of n), for the
    caller to sum over t (dw_parts (threads, KH·KW·C, F), zeroed); with ``input_gradient``,
    dx[n] += col2im((dout rows of n) · wᵀ) (dx zeroed, passed as (N, H, W·C)). Threads and
    buffers as in conv_forward_per_image; dw_parts.shape[0] ≥ buffers.shape[0]."""
    cdef Py_ssize_t N = x.shape[0], H = x.shape[1], W = x.shape[2] // C
    cdef Py_ssize_t rows = Ho * Wo, P = KH * KW * C, F = w.shape[1], n
    cdef int threads = <int>min(buffers.shape[0], dw_parts.shape[0])
    cdef floating* cols
    cdef int t
    if N == 0:
        return
    for n in prange(N, nogil=True, schedule="static", num_threads=threads):
        t = threadid()
        cols = &buffers[t, 0, 0]
        _im2col_image(&x[n, 0, 0], cols, H, W, C, KH, KW, stride, pad, Ho, Wo)
        gemm(
            True, False, <int>P, <int>F, <int>rows, cols, <int>P, &dout[n * rows, 0],
            <int>F, 1, &dw_parts[t, 0, 0], <int>F,
        )
        if input_gradient:
            gemm(
                False, True, <int>rows, <int>P, <int>F, &dout[n * rows, 0], <int>F,
                &w[0, 0], <int>F, 0, cols, <int>P,
            )
            _col2im_image(cols, &dx[n, 0, 0], H, W, C, KH, KW, stride, pad, Ho, Wo)


def openmp_threads():
    """How many threads the prange loops of these kernels use (1 when built without OpenMP)."""
    cdef int[::1] seen = np.zeros(256, dtype=np.intc)
    cdef Py_ssize_t i
    for i in prange(256, nogil=True, schedule="static", chunksize=1):
        seen[i] = threadid()
    return int(np.max(seen)) + 1
