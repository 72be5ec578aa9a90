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
* per image (``conv_*_per_image``, the default for batches of an image per thread): OpenMP across
  the images, each thread building one image's patch matrix and calling a one-thread BLAS product
  on it, so that a single thread pool does all the work;
* the SIMD micro-kernels (``conv_forward_simd`` and its adjoints for the filter and input
  gradients, ``conv_backward_simd``; direct_conv.h): the direct sum again, but blocked
  for the vector units (6 output pixels × 16 floats / 8 doubles of filters in registers), the bias
  and relu fused into its stores, OpenMP across the images; no patch matrix at all. It runs where
  the CPU has AVX2 and FMA (checked at run time) and the vectorized channels (F; C for the input
  gradient) are a multiple of 16 (float32) or 8 (float64). The input gradient is computed in
  scatter form, visiting only the taps whose target lies inside the image.
"""

from cython.parallel cimport prange, threadid
from cython cimport floating
from cnnref.kernels.blas cimport gemm
from cnnref.kernels.float_env cimport cnnref_flush_subnormals, cnnref_restore_float_env

import numpy as np

cdef extern from "direct_conv.h" nogil:
    void cnnref_direct_conv_f(
        const float* x, Py_ssize_t Wp, Py_ssize_t C, const float* w, const float* bias,
        float* out, Py_ssize_t Ho, Py_ssize_t Wo, Py_ssize_t KH, Py_ssize_t KW, Py_ssize_t stride,
        Py_ssize_t F, int relu,
    )
    void cnnref_direct_conv_d(
        const double* x, Py_ssize_t Wp, Py_ssize_t C, const double* w, const double* bias,
        double* out, Py_ssize_t Ho, Py_ssize_t Wo, Py_ssize_t KH, Py_ssize_t KW,
        Py_ssize_t stride, Py_ssize_t F, int relu,
    )
    void cnnref_filter_gradient_f(
        const float* x, Py_ssize_t Wp, Py_ssize_t C, const float* dout, float* dw, Py_ssize_t Ho,
        Py_ssize_t Wo, Py_ssize_t KH, Py_ssize_t KW, Py_ssize_t stride, Py_ssize_t F,
    )
    void cnnref_filter_gradient_d(
        const double* x, Py_ssize_t Wp, Py_ssize_t C, const double* dout, double* dw,
        Py_ssize_t Ho, Py_ssize_t Wo, Py_ssize_t KH, Py_ssize_t KW, Py_ssize_t stride,
        Py_ssize_t F,
    )
    void cnnref_input_gradient_f(
        const float* dout, Py_ssize_t Ho, Py_ssize_t Wo, Py_ssize_t F, const float* wt, float* dx,
        Py_ssize_t H, Py_ssize_t W, Py_ssize_t C, Py_ssize_t KH, Py_ssize_t KW, Py_ssize_t stride,
        Py_ssize_t pad,
    )
    void cnnref_input_gradient_d(
        const double* dout, Py_ssize_t Ho, Py_ssize_t Wo, Py_ssize_t F, const double* wt,
        double* dx, Py_ssize_t H, Py_ssize_t W, Py_ssize_t C, Py_ssize_t KH, Py_ssize_t KW,
        Py_ssize_t stride, Py_ssize_t pad,
    )
    void cnnref_input_gradient_gather_f(
        const float* dout, Py_ssize_t Ho, Py_ssize_t Wo, Py_ssize_t F, const float* w, float* dx,
        Py_ssize_t H, Py_ssize_t W, Py_ssize_t C, Py_ssize_t KH, Py_ssize_t KW, Py_ssize_t pad,
    )
    void cnnref_input_gradient_gather_d(
        const double* dout, Py_ssize_t Ho, Py_ssize_t Wo, Py_ssize_t F, const double* w,
        double* dx, Py_ssize_t H, Py_ssize_t W, Py_ssize_t C, Py_ssize_t KH, Py_ssize_t KW,
        Py_ssize_t pad,
    )
    int cnnref_use_avx2()
    int cnnref_use_avx512()


# Multiply-adds below which a direct kernel runs on one thread: starting an OpenMP team costs more
# than such a loop, and far more (milliseconds of spinning) when other processes hold the cores.
cdef Py_ssize_t PARALLEL_MIN_WORK = 1 << 18


cdef struct Geometry:
    # One convolution's sizes: image H × W × C, kernel KH × KW, stride, pad, output Ho × Wo.
    Py_ssize_t H, W, C, KH, KW, stride, pad, Ho, Wo


cdef inline Geometry _geometry(
    const Py_ssize_t* image, const Py_ssize_t* kernel, const Py_ssize_t* output,
    Py_ssize_t stride, Py_ssize_t pad,
) noexcept nogil:
    """The Geometry of (N, H, W, C) images, (KH, KW, ·, ·) filters and (N, Ho, Wo, ·) outputs,
    from the three shapes."""
    cdef Geometry g
    g.H, g.W, g.C = image[1], image[2], image[3]
    g.KH, g.KW = kernel[0], kernel[1]
    g.Ho, g.Wo = output[1], output[2]
    g.stride, g.pad = stride, pad
    return g


cdef inline Py_ssize_t _tap(
    Py_ssize_t o, Py_ssize_t k, Py_ssize_t stride, Py_ssize_t pad, Py_ssize_t size
) noexcept nogil:
    """The input row (or column) o·s + k − p that tap k of output row (column) o reads, or -1
    where that is padding (outside 0 .. size − 1)."""
    cdef Py_ssize_t r = o * stride + k - pad
    return r if 0 <= r < size else -1


def conv_forward_direct(const floating[:, :, :, ::1] x, const floating[:, :, :, ::1] w,
                        const floating[::1] b, floating[:, :, :, ::1] out,
                        Py_ssize_t stride, Py_ssize_t pad):
    """out = x ⋆ w + b by the index sums above (out is overwritten)."""
    cdef Geometry g = _geometry(x.shape, w.shape, out.shape, stride, pad)
    cdef Py_ssize_t N = x.shape[0], F = w.shape[3], n, i, j, k1, k2, c, f, r, s
    cdef floating xv
    cdef bint parallel = N * g.Ho * g.Wo * g.KH * g.KW * g.C * F >= PARALLEL_MIN_WORK
    for n in prange(N, nogil=True, schedule="static", use_threads_if=parallel):
        for i in range(g.Ho):
            for j in range(g.Wo):
                for f in range(F):
                    out[n, i, j, f] = b[f]
                for k1 in range(g.KH):
                    r = _tap(i, k1, stride, pad, g.H)
                    for k2 in range(g.KW):
                        s = _tap(j, k2, stride, pad, g.W)
                        if r < 0 or s < 0:
                            continue  # a tap in the padding is skipped, not read as a zero
                        for c in range(g.C):
                            xv = x[n, r, s, c]
                            for f in range(F):
                                out[n, i, j, f] += xv * w[k1, k2, c, f]


def conv_backward_input_direct(const floating[:, :, :, ::1] dout,
                               const floating[:, :, :, ::1] w, floating[:, :, :, ::1] dx,
                               Py_ssize_t stride, Py_ssize_t pad):
    """dx[n, r, q, c] = Σ_k1 Σ_k2 Σ_f dout[n, i, j, f] · w[k1, k2, c, f] over the taps that read
    pixel (r, q): r = i·s + k1 − p and q = j·s + k2 − p for an output pixel (i, j) (dx is
    overwritten)."""
    cdef Geometry g = _geometry(dx.shape, w.shape, dout.shape, stride, pad)
    cdef Py_ssize_t N = dx.shape[0], F = w.shape[3], n, r, q, c, k1, k2, f, i, j, row, column
    cdef floating total
    cdef bint parallel = N * g.H * g.W * g.KH * g.KW * g.C * F >= PARALLEL_MIN_WORK
    for n in prange(N, nogil=True, schedule="static", use_threads_if=parallel):
        for r in range(g.H):
            for q in range(g.W):
                for c in range(g.C):
                    total = 0
                    for k1 in range(g.KH):
                        row = r + pad - k1
                        if row < 0 or row % stride != 0 or row // stride >= g.Ho:
                            continue
                        i = row // stride
                        for k2 in range(g.KW):
                            column = q + pad - k2
                            if column < 0 or column % stride != 0 or column // stride >= g.Wo:
                                continue
                            j = column // stride
                            for f in range(F):
                                total = total + dout[n, i, j, f] * w[k1, k2, c, f]
                    dx[n, r, q, c] = total


def conv_backward_filter_direct(const floating[:, :, :, ::1] dout,
                                const floating[:, :, :, ::1] x, floating[:, :, :, ::1] dw,
                                Py_ssize_t stride, Py_ssize_t pad):
    """dw[k1, k2, c, f] = Σ_n Σ_i Σ_j x[n, i·s + k1 − p, j·s + k2 − p, c] · dout[n, i, j, f]
    (dw must be zeroed). Threads split the (k1, k2, c) entries, so no two write the same element."""
    cdef Geometry g = _geometry(x.shape, dw.shape, dout.shape, stride, pad)
    cdef Py_ssize_t N = x.shape[0], F = dw.shape[3], entry, n, i, j, k1, k2, c, f, r, s
    cdef floating xv
    cdef bint parallel = N * g.Ho * g.Wo * g.KH * g.KW * g.C * F >= PARALLEL_MIN_WORK
    for entry in prange(g.KH * g.KW * g.C, nogil=True, schedule="static",
                        use_threads_if=parallel):
        k1 = entry // (g.KW * g.C)
        k2 = (entry // g.C) % g.KW
        c = entry % g.C
        for n in range(N):
            for i in range(g.Ho):
                r = _tap(i, k1, stride, pad, g.H)
                if r < 0:
                    continue
                for j in range(g.Wo):
                    s = _tap(j, k2, stride, pad, g.W)
                    if s < 0:
                        continue
                    xv = x[n, r, s, c]
                    for f in range(F):
                        dw[k1, k2, c, f] += xv * dout[n, i, j, f]


cdef inline void _run_bounds(
    Geometry g, Py_ssize_t j, Py_ssize_t* start, Py_ssize_t* lo, Py_ssize_t* hi
) noexcept nogil:
    """Window column j reads the run of KW·C entries of an image row from column start = j·s − p
    on; entries lo .. hi − 1 of the run lie inside the image, the others in the padding."""
    start[0] = j * g.stride - g.pad
    lo[0] = 0 if start[0] >= 0 else -start[0] * g.C
    hi[0] = g.KW * g.C if start[0] + g.KW <= g.W else (g.W - start[0]) * g.C


cdef void _im2col_image(const floating* x, floating* cols, Geometry g) noexcept nogil:
    """The Ho·Wo patch rows of one image x (H, W·C) into cols (Ho·Wo, KH·KW·C), zero padded."""
    cdef Py_ssize_t run = g.KW * g.C, P = g.KH * run
    cdef Py_ssize_t i, j, k1, e, r, start, lo, hi
    cdef floating* out
    for i in range(g.Ho):
        for j in range(g.Wo):
            _run_bounds(g, j, &start, &lo, &hi)
            for k1 in range(g.KH):
                out = cols + (i * g.Wo + j) * P + k1 * run
                r = _tap(i, k1, g.stride, g.pad, g.H)
                if r < 0 or hi <= lo:
                    for e in range(run):
                        out[e] = 0
                    continue
                for e in range(lo):
                    out[e] = 0
                for e in range(lo, hi):
                    out[e] = x[(r * g.W + start) * g.C + e]
                for e in range(hi, run):
                    out[e] = 0


cdef void _col2im_image(const floating* cols, floating* dx, Geometry g) noexcept nogil:
    """The adjoint of _im2col_image: dx (H, W·C) += every patch entry of cols that reads it."""
    cdef Py_ssize_t run = g.KW * g.C, P = g.KH * run
    cdef Py_ssize_t i, j, k1, e, r, start, lo, hi
    cdef const floating* source
    for i in range(g.Ho):
        for j in range(g.Wo):
            _run_bounds(g, j, &start, &lo, &hi)
            for k1 in range(g.KH):
                r = _tap(i, k1, g.stride, g.pad, g.H)
                if r < 0:
                    continue
                source = cols + (i * g.Wo + j) * P + k1 * run
                for e in range(lo, hi):
                    dx[(r * g.W + start) * g.C + e] += source[e]


def im2col(
    const floating[:, :, ::1] x, floating[:, ::1] cols, Geometry g, Py_ssize_t first_image=0
):
    """cols[(n·Ho + i)·Wo + j, (k1·KW + k2)·C + c] = x[n0 + n, i·s + k1 − p, j·s + k2 − p, c]
    (0 in the padding) for the cols.shape[0] // (Ho·Wo) images from n0 = ``first_image`` on.

    x is passed as (N, H, W·C), the NHWC image with each pixel row flattened: the KW·C entries of
    one kernel row (fixed k1) are then one contiguous run x[n, r, (j·s − p)·C : (j·s − p + KW)·C],
    copied in one loop; only runs that overlap the padding are clipped. ``g`` holds the sizes
    (a dict with the fields of Geometry from Python).
    """
    cdef Py_ssize_t n, images = cols.shape[0] // (g.Ho * g.Wo)
    with nogil:
        for n in range(images):
            _im2col_image(&x[first_image + n, 0, 0], &cols[n * g.Ho * g.Wo, 0], g)


def col2im(
    const floating[:, ::1] cols, floating[:, :, ::1] dx, Geometry g, Py_ssize_t first_image=0
):
    """The adjoint of im2col: dx[first_image + n, r, s, c] += cols[row, col] for every patch entry
    that reads it (dx must be zeroed; entries that fall in the padding are dropped). dx is passed as
    (N, H, W·C); each (patch, k1) adds one contiguous run of KW·C values, as in im2col."""
    cdef Py_ssize_t n, images = cols.shape[0] // (g.Ho * g.Wo)
    with nogil:
        for n in range(images):
            _col2im_image(&cols[n * g.Ho * g.Wo, 0], &dx[first_image + n, 0, 0], g)


# One image's share of the per-image passes below, its patch matrix in cols (Ho·Wo, KH·KW·C), the
# image x or dx passed as (H, W·C) and the filters w as the (KH·KW·C, F) matrix.

cdef inline void _patch_product(
    const floating* x, floating* cols, const floating* w, floating* out, Geometry g, Py_ssize_t F
) noexcept nogil:
    """out (Ho·Wo, F) = im2col(x) · w."""
    cdef int rows = <int>(g.Ho * g.Wo), P = <int>(g.KH * g.KW * g.C)
    _im2col_image(x, cols, g)
    gemm(False, False, rows, <int>F, P, cols, P, w, <int>F, 0, out, <int>F)


cdef inline void _patch_filter_gradient(
    const floating* x, floating* cols, const floating* dout, floating* dw, Geometry g,
    Py_ssize_t F,
) noexcept nogil:
    """dw (KH·KW·C, F) += im2col(x)ᵀ · dout, dout the image's (Ho·Wo, F) rows."""
    cdef int rows = <int>(g.Ho * g.Wo), P = <int>(g.KH * g.KW * g.C)
    _im2col_image(x, cols, g)
    gemm(True, False, P, <int>F, rows, cols, P, dout, <int>F, 1, dw, <int>F)


cdef inline void _patch_input_gradient(
    const floating* dout, const floating* w, floating* cols, floating* dx, Geometry g,
    Py_ssize_t F,
) noexcept nogil:
    """dx += col2im(dout · wᵀ), dout the image's (Ho·Wo, F) rows."""
    cdef int rows = <int>(g.Ho * g.Wo), P = <int>(g.KH * g.KW * g.C)
    gemm(False, True, rows, P, <int>F, dout, <int>F, w, <int>F, 0, cols, P)
    _col2im_image(cols, dx, g)


def conv_forward_per_image(
    const floating[:, :, ::1] x,
    const floating[:, ::1] w,
    floating[:, ::1] out,
    floating[:, :, ::1] buffers,
    Geometry g,
):
    """out rows of image n = im2col(x[n]) · w, with x passed as (N, H, W·C), w the (KH·KW·C, F)
    filter matrix and out (N·Ho·Wo, F). OpenMP across the images, at most buffers.shape[0]
    threads, thread t building one image's patch matrix at a time in buffers[t] (Ho·Wo, KH·KW·C),
    small enough to stay in cache, then one BLAS product per image. Images are handed out one at a
    time (dynamic schedule), so a thread on a busy core takes fewer. The BLAS must run one thread
    per call here (cnnref.threads), or its threads and OpenMP's fight for the cores."""
    cdef Py_ssize_t N = x.shape[0], rows = g.Ho * g.Wo, F = w.shape[1], n
    cdef int threads = <int>buffers.shape[0]
    if N == 0:
        return
    for n in prange(N, nogil=True, schedule="dynamic", num_threads=threads):
        _patch_product(&x[n, 0, 0], &buffers[threadid(), 0, 0], &w[0, 0], &out[n * rows, 0], g, F)


def conv_backward_per_image(
    const floating[:, :, ::1] x,
    const floating[:, ::1] dout,
    const floating[:, ::1] w,
    floating[:, :, ::1] dw_parts,
    floating[:, :, ::1] dx,
    bint filter_gradient,
    bint input_gradient,
    floating[:, :, ::1] buffers,
    Geometry g,
):
    """With ``filter_gradient``, dw_parts[g] += Σ over the images n of group g of
    im2col(x[n])ᵀ · (dout rows of n), for the caller to sum over g (dw_parts (G, KH·KW·C, F),
    zeroed); with ``input_gradient``, dx[n] += col2im((dout rows of n) · wᵀ) (dx zeroed, passed
    as (N, H, W·C)).

    The N images fall into G = dw_parts.shape[0] fixed groups of consecutive images
    (group g: n from g·N // G to (g + 1)·N // G), handed to the threads one group at a time
    (dynamic schedule): each group's sum runs in image order whichever thread takes it, so dw has
    the same bits for any thread count and any timing. Threads and buffers as in
    conv_forward_per_image."""
    cdef Py_ssize_t N = x.shape[0], rows = g.Ho * g.Wo, F = w.shape[1]
    cdef Py_ssize_t G = dw_parts.shape[0], n, group
    cdef int threads = <int>buffers.shape[0]
    if N == 0:
        return
    for group in prange(G, nogil=True, schedule="dynamic", num_threads=threads):
        for n in range(group * N // G, (group + 1) * N // G):
            if filter_gradient:
                _patch_filter_gradient(
                    &x[n, 0, 0], &buffers[threadid(), 0, 0], &dout[n * rows, 0],
                    &dw_parts[group, 0, 0], g, F,
                )
            if input_gradient:
                _patch_input_gradient(
                    &dout[n * rows, 0], &w[0, 0], &buffers[threadid(), 0, 0], &dx[n, 0, 0], g, F
                )


def simd_level():
    """The widest clone of the SIMD micro-kernels this CPU runs: "avx512" (vectors of 16 floats or
    8 doubles, where the vectorized channels fill one), "avx2" or "none" (the Python layer then
    keeps the im2col path). CNNREF_SIMD=avx2 in the environment, read once at the first kernel
    call, keeps AVX2 on an AVX-512 CPU."""
    if cnnref_use_avx512():
        return "avx512"
    return "avx2" if cnnref_use_avx2() else "none"


def simd_available():
    """Whether conv_forward_simd runs its AVX2 + FMA code on this CPU (else it would run a slow
    generic build, and the Python layer keeps the im2col path)."""
    return bool(cnnref_use_avx2())


cdef const floating* _padded_image(
    const floating* x, floating* padded, Geometry g
) noexcept nogil:
    """x (H, W, C) itself when pad is 0, else padded (H + 2·pad, W + 2·pad, C) filled with x and a
    border of pad zeros."""
    cdef Py_ssize_t Wp = g.W + 2 * g.pad, r, e
    if g.pad == 0:
        return x
    for e in range((g.H + 2 * g.pad) * Wp * g.C):
        padded[e] = 0
    for r in range(g.H):
        for e in range(g.W * g.C):
            padded[((r + g.pad) * Wp + g.pad) * g.C + e] = x[r * g.W * g.C + e]
    return padded


# One image's share of the SIMD passes below: the micro-kernel of its dtype (direct_conv.h), the
# image first copied into padded (one thread's scratch) where pad > 0, with subnormal numbers
# flushed to zero meanwhile (float_env.h).

cdef inline void _simd_forward(
    const floating* x, floating* padded, const floating* w, const floating* b, floating* out,
    Geometry g, Py_ssize_t F, bint relu, Py_ssize_t first, Py_ssize_t last,
) noexcept nogil:
    """out[first:last] (of (Ho, Wo, F)) = σ(x ⋆ w + b) for one image x (H, W, C), σ = relu or
    the identity: the output rows first ≤ i < last. Each row is the micro-kernel's own pass, so a
    row's bits do not depend on the band it is computed in."""
    cdef unsigned int saved = cnnref_flush_subnormals()
    cdef Py_ssize_t Wp = g.W + 2 * g.pad
    cdef const floating* source = _padded_image(x, padded, g) + first * g.stride * Wp * g.C
    out = out + first * g.Wo * F
    if floating is float:
        cnnref_direct_conv_f(
            source, Wp, g.C, w, b, out, last - first, g.Wo, g.KH, g.KW, g.stride, F, relu
        )
    else:
        cnnref_direct_conv_d(
            source, Wp, g.C, w, b, out, last - first, g.Wo, g.KH, g.KW, g.stride, F, relu
        )
    cnnref_restore_float_env(saved)


cdef inline void _simd_filter_gradient(
    const floating* x, floating* padded, const floating* dout, floating* dw, Geometry g,
    Py_ssize_t F,
) noexcept nogil:
    """dw (KH, KW, C, F) += the filter gradient of one image x (H, W, C) with dout (Ho, Wo, F)."""
    cdef unsigned int saved = cnnref_flush_subnormals()
    cdef const floating* source = _padded_image(x, padded, g)
    if floating is float:
        cnnref_filter_gradient_f(
            source, g.W + 2 * g.pad, g.C, dout, dw, g.Ho, g.Wo, g.KH, g.KW, g.stride, F
        )
    else:
        cnnref_filter_gradient_d(
            source, g.W + 2 * g.pad, g.C, dout, dw, g.Ho, g.Wo, g.KH, g.KW, g.stride, F
        )
    cnnref_restore_float_env(saved)


cdef inline void _simd_input_gradient(
    const floating* dout, const floating* wt, floating* dx, Geometry g, Py_ssize_t F
) noexcept nogil:
    """dx (H, W, C) = the input gradient of one image, from dout (Ho, Wo, F) and wt (KH, KW, F, C)
    (overwritten)."""
    cdef unsigned int saved = cnnref_flush_subnormals()
    if floating is float:
        cnnref_input_gradient_f(
            dout, g.Ho, g.Wo, F, wt, dx, g.H, g.W, g.C, g.KH, g.KW, g.stride, g.pad
        )
    else:
        cnnref_input_gradient_d(
            dout, g.Ho, g.Wo, F, wt, dx, g.H, g.W, g.C, g.KH, g.KW, g.stride, g.pad
        )
    cnnref_restore_float_env(saved)


cdef inline void _gather_input_gradient(
    const floating* dout, const floating* w, floating* dx, Geometry g, Py_ssize_t F
) noexcept nogil:
    """dx (H, W, C) = the input gradient of one image at stride 1, from dout (Ho, Wo, F) and the
    filters w (KH, KW, C, F) (overwritten)."""
    cdef unsigned int saved = cnnref_flush_subnormals()
    if floating is float:
        cnnref_input_gradient_gather_f(
            dout, g.Ho, g.Wo, F, w, dx, g.H, g.W, g.C, g.KH, g.KW, g.pad
        )
    else:
        cnnref_input_gradient_gather_d(
            dout, g.Ho, g.Wo, F, w, dx, g.H, g.W, g.C, g.KH, g.KW, g.pad
        )
    cnnref_restore_float_env(saved)


def conv_forward_simd(
    const floating[:, :, :, ::1] x,
    const floating[:, :, :, ::1] w,
    const floating[::1] b,
    floating[:, :, :, ::1] out,
    Py_ssize_t stride,
    Py_ssize_t pad,
    bint relu,
    floating[:, ::1] padded,
):
    """out = σ(x ⋆ w + b) by the SIMD micro-kernel, σ = relu or the identity; OpenMP across the
    images (dynamic schedule), at most padded.shape[0] threads; with fewer images than threads,
    each image's output rows are split into one band per thread (the same bits). With pad > 0 a
    thread first copies its image into padded[t] ((H + 2·pad)·(W + 2·pad)·C entries). Needs F a
    multiple of 16 (float) or 8 (double)."""
    cdef Geometry g = _geometry(x.shape, w.shape, out.shape, stride, pad)
    cdef Py_ssize_t N = x.shape[0], F = w.shape[3], task, n, band
    cdef int threads = <int>padded.shape[0]
    cdef Py_ssize_t bands = min(threads, g.Ho) if N < threads else 1
    if N == 0 or g.Ho == 0 or g.Wo == 0:
        return
    for task in prange(N * bands, nogil=True, schedule="dynamic", num_threads=threads,
                       use_threads_if=threads > 1 and N * bands > 1):
        n = task // bands
        band = task % bands
        _simd_forward(
            &x[n, 0, 0, 0], &padded[threadid(), 0], &w[0, 0, 0, 0], &b[0], &out[n, 0, 0, 0], g, F,
            relu, band * g.Ho // bands, (band + 1) * g.Ho // bands,
        )


def conv_backward_simd(
    const floating[:, :, :, ::1] x,
    const floating[:, :, :, ::1] dout,
    const floating[:, :, :, ::1] wt,
    floating[:, :, :, :, ::1] dw_parts,
    floating[:, :, :, ::1] dx,
    Py_ssize_t stride,
    Py_ssize_t pad,
    floating[:, ::1] padded,
    bint filter_gradient,
    bint input_gradient,
    bint gather=False,
):
    """The SIMD kernels' backward pass, image by image; for image n of group g:

    * with ``filter_gradient``, dw_parts[g] += dw of image n,
      dw[k1, k2, c, f] = Σ_i Σ_j x[n, i·s + k1 − p, j·s + k2 − p, c] · dout[n, i, j, f]
      (dw_parts (G, KH, KW, C, F) zeroed, for the caller to sum over g; images padded into
      padded[t] as in conv_forward_simd; needs F a multiple of 16 (float) or 8 (double));
    * with ``input_gradient``, dx[n] = Σ_f dout[n, i, j, f] · wt[k1, k2, f, c] summed into
      dx[n, i·s + k1 − p, j·s + k2 − p, c] (overwritten; wt is w transposed to (KH, KW, F, C);
      needs C a multiple of 16 (float) or 8 (double));
    * with ``input_gradient`` and ``gather``, dx[n] by the gather form instead,
      dx[n, r, s, c] = Σ_(k1, k2) Σ_f dout[n, r + p − k1, s + p − k2, f] · w[k1, k2, c, f] over
      the dout pixels that exist (stride 1, any C; the SIMD kernel vectorized over the filters,
      needs F a multiple of 8 (float) or 4 (double)), wt then being w itself (KH, KW, C, F): the
      first layer's few channels, computed while image n's dout is still in cache. The readable
      twin: conv_backward_input_direct.

    The N images fall into G = dw_parts.shape[0] fixed groups of consecutive images
    (group g: n from g·N // G to (g + 1)·N // G), handed to the threads one group at a time
    (dynamic schedule): each group's sum runs in image order whichever thread takes it, so dw has
    the same bits for any thread count and any timing. At most padded.shape[0] threads."""
    cdef Geometry g = _geometry(x.shape, wt.shape, dout.shape, stride, pad)
    cdef Py_ssize_t N = x.shape[0], F = wt.shape[3 if gather else 2], G = dw_parts.shape[0]
    cdef Py_ssize_t n, group
    cdef int threads = <int>padded.shape[0]
    if N == 0 or g.Ho == 0 or g.Wo == 0:
        return
    for group in prange(G, nogil=True, schedule="dynamic", num_threads=threads,
                        use_threads_if=threads > 1 and G > 1):
        for n in range(group * N // G, (group + 1) * N // G):
            if filter_gradient:
                _simd_filter_gradient(
                    &x[n, 0, 0, 0], &padded[threadid(), 0], &dout[n, 0, 0, 0],
                    &dw_parts[group, 0, 0, 0, 0], g, F,
                )
            if input_gradient and gather:
                _gather_input_gradient(&dout[n, 0, 0, 0], &wt[0, 0, 0, 0], &dx[n, 0, 0, 0], g, F)
            elif input_gradient:
                _simd_input_gradient(&dout[n, 0, 0, 0], &wt[0, 0, 0, 0], &dx[n, 0, 0, 0], g, F)


def openmp_threads(Py_ssize_t slots=256):
    """How many threads the prange loops of these kernels use (1 when built without OpenMP), if
    at most ``slots``: one loop of ``slots`` iterations, one each in turn, records the threads
    that ran (a larger team would be reported as ``slots``)."""
    cdef int[::1] seen = np.zeros(max(slots, 1), dtype=np.intc)
    cdef Py_ssize_t i
    for i in prange(seen.shape[0], nogil=True, schedule="static", chunksize=1):
        seen[i] = threadid()
    return int(np.max(seen)) + 1
