"""Cross-correlation kernels on NHWC images with (KH, KW, C, F) filter banks.

out[n, i, j, f] = b[f] + Σ_k1 Σ_k2 Σ_c x[n, i·s + k1 − p, j·s + k2 − p, c] · w[k1, k2, c, f]
with zero padding p and stride s. True convolution is the same with flipped filters; the Python layer
does the flip. Two paths compute the same thing:

* direct loops (``*_direct``): the formula index by index, the readable reference path;
* im2col / col2im: copy every receptive field into one row of a patch matrix so that the whole layer
  is one BLAS matrix product; row (n·Ho + i)·Wo + j holds patch (n, i, j) with column (k1·KW + k2)·C + c.
"""

from cython.parallel cimport prange
from cython cimport floating


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
    for n in prange(N, nogil=True, schedule="static"):
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
    for n in prange(N, nogil=True, schedule="static"):
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
    for entry in prange(KH * KW * C, nogil=True, schedule="static"):
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
    const floating[:, :, :, ::1] x,
    floating[:, ::1] cols,
    Py_ssize_t KH,
    Py_ssize_t KW,
    Py_ssize_t stride,
    Py_ssize_t pad,
    Py_ssize_t Ho,
    Py_ssize_t Wo,
):
    """cols[(n·Ho + i)·Wo + j, (k1·KW + k2)·C + c] = x[n, i·s + k1 − p, j·s + k2 − p, c], 0 in the padding."""
    cdef Py_ssize_t N = x.shape[0], H = x.shape[1], W = x.shape[2], C = x.shape[3]
    cdef Py_ssize_t n, i, j, k1, k2, c, r, s, row, col
    for n in prange(N, nogil=True, schedule="static"):
        for i in range(Ho):
            for j in range(Wo):
                row = (n * Ho + i) * Wo + j
                for k1 in range(KH):
                    r = i * stride + k1 - pad
                    for k2 in range(KW):
                        s = j * stride + k2 - pad
                        col = (k1 * KW + k2) * C
                        if r < 0 or r >= H or s < 0 or s >= W:
                            for c in range(C):
                                cols[row, col + c] = 0
                        else:
                            for c in range(C):
                                cols[row, col + c] = x[n, r, s, c]


def col2im(
    const floating[:, ::1] cols,
    floating[:, :, :, ::1] dx,
    Py_ssize_t KH,
    Py_ssize_t KW,
    Py_ssize_t stride,
    Py_ssize_t pad,
    Py_ssize_t Ho,
    Py_ssize_t Wo,
):
    """The adjoint of im2col: dx[n, r, s, c] += cols[row, col] for every patch entry that reads it
    (dx must be zeroed; entries that fall in the padding are dropped)."""
    cdef Py_ssize_t N = dx.shape[0], H = dx.shape[1], W = dx.shape[2], C = dx.shape[3]
    cdef Py_ssize_t n, i, j, k1, k2, c, r, s, row, col
    for n in prange(N, nogil=True, schedule="static"):
        for i in range(Ho):
            for j in range(Wo):
                row = (n * Ho + i) * Wo + j
                for k1 in range(KH):
                    r = i * stride + k1 - pad
                    if r < 0 or r >= H:
                        continue
                    for k2 in range(KW):
                        s = j * stride + k2 - pad
                        if s < 0 or s >= W:
                            continue
                        col = (k1 * KW + k2) * C
                        for c in range(C):
                            dx[n, r, s, c] += cols[row, col + c]
