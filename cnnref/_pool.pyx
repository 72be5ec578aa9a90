"""Max and average pooling kernels on NHWC images, windows size × size moved by stride.

Tie rule of max pooling: the window is scanned row by row (k1, then k2); the first element holding
the maximum wins, and only it receives the gradient. A NaN counts as larger than any number, so a
NaN in a window propagates forward and receives the gradient.
"""

from cython cimport floating


cdef inline bint _beats(floating candidate, floating best) noexcept nogil:
    """Whether ``candidate`` replaces the current maximum ``best`` under the tie rule."""
    if best != best:
        return False
    return candidate > best or candidate != candidate


def maxpool_forward(
    const floating[:, :, :, ::1] x, floating[:, :, :, ::1] out, Py_ssize_t size, Py_ssize_t stride
):
    """out[n, i, j, c] = max over k1, k2 < size of x[n, i·stride + k1, j·stride + k2, c]."""
    cdef Py_ssize_t N = x.shape[0], C = x.shape[3], Ho = out.shape[1], Wo = out.shape[2]
    cdef Py_ssize_t n, i, j, c, k1, k2
    cdef floating best, v
    with nogil:
        for n in range(N):
            for i in range(Ho):
                for j in range(Wo):
                    for c in range(C):
                        best = x[n, i * stride, j * stride, c]
                        for k1 in range(size):
                            for k2 in range(size):
                                v = x[n, i * stride + k1, j * stride + k2, c]
                                if _beats(v, best):
                                    best = v
                        out[n, i, j, c] = best


def maxpool_backward(
    const floating[:, :, :, ::1] dout,
    const floating[:, :, :, ::1] x,
    floating[:, :, :, ::1] dx,
    Py_ssize_t size,
    Py_ssize_t stride,
):
    """dx[winner of window (n, i, j, c)] += dout[n, i, j, c]; dx must be zeroed."""
    cdef Py_ssize_t N = x.shape[0], C = x.shape[3], Ho = dout.shape[1], Wo = dout.shape[2]
    cdef Py_ssize_t n, i, j, c, k1, k2, r, s, best_r, best_s
    cdef floating best, v
    with nogil:
        for n in range(N):
            for i in range(Ho):
                for j in range(Wo):
                    for c in range(C):
                        best_r = i * stride
                        best_s = j * stride
                        best = x[n, best_r, best_s, c]
                        for k1 in range(size):
                            r = i * stride + k1
                            for k2 in range(size):
                                s = j * stride + k2
                                v = x[n, r, s, c]
                                if _beats(v, best):
                                    best = v
                                    best_r = r
                                    best_s = s
                        dx[n, best_r, best_s, c] += dout[n, i, j, c]


def avgpool_forward(
    const floating[:, :, :, ::1] x, floating[:, :, :, ::1] out, Py_ssize_t size, Py_ssize_t stride
):
    """out[n, i, j, c] = (1 / size²) Σ_k1 Σ_k2 x[n, i·stride + k1, j·stride + k2, c]."""
    cdef Py_ssize_t N = x.shape[0], C = x.shape[3], Ho = out.shape[1], Wo = out.shape[2]
    cdef Py_ssize_t n, i, j, c, k1, k2
    cdef double total
    cdef double scale = 1.0 / (size * size)
    with nogil:
        for n in range(N):
            for i in range(Ho):
                for j in range(Wo):
                    for c in range(C):
                        total = 0
                        for k1 in range(size):
                            for k2 in range(size):
                                total = total + x[n, i * stride + k1, j * stride + k2, c]
                        out[n, i, j, c] = <floating>(total * scale)


def avgpool_backward(
    const floating[:, :, :, ::1] dout, floating[:, :, :, ::1] dx, Py_ssize_t size, Py_ssize_t stride
):
    """dx[n, i·stride + k1, j·stride + k2, c] += dout[n, i, j, c] / size²; dx must be zeroed."""
    cdef Py_ssize_t N = dx.shape[0], C = dx.shape[3], Ho = dout.shape[1], Wo = dout.shape[2]
    cdef Py_ssize_t n, i, j, c, k1, k2
    cdef floating share
    cdef double scale = 1.0 / (size * size)
    with nogil:
        for n in range(N):
            for i in range(Ho):
                for j in range(Wo):
                    for c in range(C):
                        share = <floating>(dout[n, i, j, c] * scale)
                        for k1 in range(size):
                            for k2 in range(size):
                                dx[n, i * stride + k1, j * stride + k2, c] += share
