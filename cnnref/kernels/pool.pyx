"""Max and average pooling kernels on NHWC images, windows size × size moved by stride.

Tie rule of max pooling: the window is scanned row by row (k1, then k2); the first element holding
the maximum wins, and only it receives the gradient. A NaN counts as larger than any number, so a
NaN in a window propagates forward and receives the gradient.
"""

from cython cimport floating
from cython.parallel cimport prange


cdef extern from *:
    """
    /* The tie rule as C expressions, so that compilers use compare masks, blends and setcc
       instead of branches (which mispredict on random data). BEATS: a later candidate replaces
       the current maximum best. LARGER: the new maximum (this form vectorises over channels).
       MATCHES: v equals the window's maximum, NaN matching NaN; the first match is the winner. */
    #define CNNREF_BEATS(candidate, best) \\
        (((candidate) > (best)) | (((candidate) != (candidate)) & ((best) == (best))))
    #define CNNREF_LARGER(candidate, best) \\
        (((candidate) > (best) || ((candidate) != (candidate) && (best) == (best))) \\
         ? (candidate) : (best))
    #define CNNREF_MATCHES(v, best) (((v) == (best)) | (((v) != (v)) & ((best) != (best))))
    """
    bint _beats_f "CNNREF_BEATS"(float candidate, float best) noexcept nogil
    bint _beats_d "CNNREF_BEATS"(double candidate, double best) noexcept nogil
    float _larger_f "CNNREF_LARGER"(float candidate, float best) noexcept nogil
    double _larger_d "CNNREF_LARGER"(double candidate, double best) noexcept nogil
    int _matches_f "CNNREF_MATCHES"(float v, float best) noexcept nogil
    int _matches_d "CNNREF_MATCHES"(double v, double best) noexcept nogil


cdef inline bint _beats(floating candidate, floating best) noexcept nogil:
    """Whether ``candidate`` replaces the current maximum ``best`` under the tie rule."""
    if floating is float:
        return _beats_f(candidate, best)
    else:
        return _beats_d(candidate, best)


cdef inline floating _larger(floating candidate, floating best) noexcept nogil:
    """The maximum of best and a later candidate under the tie rule."""
    if floating is float:
        return _larger_f(candidate, best)
    else:
        return _larger_d(candidate, best)


cdef inline int _matches(floating v, floating best) noexcept nogil:
    """Whether v is the window maximum best (NaN matches NaN): the window's first match wins."""
    if floating is float:
        return _matches_f(v, best)
    else:
        return _matches_d(v, best)


def maxpool_forward(
    const floating[:, :, :, ::1] x, floating[:, :, :, ::1] out, Py_ssize_t size, Py_ssize_t stride
):
    """out[n, i, j, c] = max over k1, k2 < size of x[n, i·stride + k1, j·stride + k2, c]."""
    cdef Py_ssize_t N = x.shape[0], C = x.shape[3], Ho = out.shape[1], Wo = out.shape[2]
    cdef Py_ssize_t n, i, j, c, k1, k2
    cdef floating best, v
    if size == 2 and stride == 2:
        with nogil:
            _maxpool_2x2(x, out)
        return
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


def maxpool_forward_argmax(
    const floating[:, :, :, ::1] x,
    floating[:, :, :, ::1] out,
    Py_ssize_t[:, :, :, ::1] argmax,
    Py_ssize_t size,
    Py_ssize_t stride,
    int threads=1,
):
    """out as in maxpool_forward; argmax[n, i, j, c] = flat (C-order) index into x of the winner.
    The 2 × 2 case runs ``threads`` OpenMP threads across the images."""
    cdef Py_ssize_t N = x.shape[0], H = x.shape[1], W = x.shape[2], C = x.shape[3]
    cdef Py_ssize_t Ho = out.shape[1], Wo = out.shape[2]
    cdef Py_ssize_t n, i, j, c, k1, k2, r, s, best_at
    cdef floating best, v
    if size == 2 and stride == 2:
        with nogil:
            _maxpool_2x2_argmax(x, out, argmax, threads)
        return
    with nogil:
        for n in range(N):
            for i in range(Ho):
                for j in range(Wo):
                    for c in range(C):
                        best_at = ((n * H + i * stride) * W + j * stride) * C + c
                        best = x[n, i * stride, j * stride, c]
                        for k1 in range(size):
                            r = i * stride + k1
                            for k2 in range(size):
                                s = j * stride + k2
                                v = x[n, r, s, c]
                                if _beats(v, best):
                                    best = v
                                    best_at = ((n * H + r) * W + s) * C + c
                        out[n, i, j, c] = best
                        argmax[n, i, j, c] = best_at


cdef void _maxpool_2x2(
    const floating[:, :, :, ::1] x, floating[:, :, :, ::1] out
) noexcept nogil:
    """maxpool_forward for size = stride = 2: straight-line compares over contiguous channels."""
    cdef Py_ssize_t N = x.shape[0], C = x.shape[3], Ho = out.shape[1], Wo = out.shape[2]
    cdef Py_ssize_t n, i, j, c
    cdef const floating* top
    cdef const floating* bottom
    cdef floating* o
    cdef floating best
    if N == 0 or Ho == 0 or Wo == 0 or C == 0:
        return
    for n in range(N):
        for i in range(Ho):
            for j in range(Wo):
                top = &x[n, 2 * i, 2 * j, 0]
                bottom = &x[n, 2 * i + 1, 2 * j, 0]
                o = &out[n, i, j, 0]
                for c in range(C):
                    best = _larger(top[C + c], top[c])
                    best = _larger(bottom[c], best)
                    o[c] = _larger(bottom[C + c], best)


cdef void _maxpool_2x2_argmax(
    const floating[:, :, :, ::1] x,
    floating[:, :, :, ::1] out,
    Py_ssize_t[:, :, :, ::1] argmax,
    int threads,
) noexcept nogil:
    """maxpool_forward_argmax for size = stride = 2, OpenMP across the images."""
    cdef Py_ssize_t N = x.shape[0], H = x.shape[1], W = x.shape[2], C = x.shape[3]
    cdef Py_ssize_t Ho = out.shape[1], Wo = out.shape[2]
    cdef Py_ssize_t n, i, j, c, at
    cdef const floating* top
    cdef const floating* bottom
    cdef floating* o
    cdef Py_ssize_t* winner
    cdef Py_ssize_t after0, after1, after2
    cdef floating best
    if N == 0 or Ho == 0 or Wo == 0 or C == 0:
        return
    for n in prange(N, schedule="static", num_threads=threads, use_threads_if=threads > 1):
        for i in range(Ho):
            for j in range(Wo):
                top = &x[n, 2 * i, 2 * j, 0]
                bottom = &x[n, 2 * i + 1, 2 * j, 0]
                o = &out[n, i, j, 0]
                winner = &argmax[n, i, j, 0]
                at = ((n * H + 2 * i) * W + 2 * j) * C
                for c in range(C):
                    # k: offset of the winner from the window's top-left, updated without branches
                    best = _larger(top[C + c], top[c])
                    best = _larger(bottom[c], best)
                    o[c] = _larger(bottom[C + c], best)
                for c in range(C):
                    # the winner is the first element matching the maximum; afterK = 1 when it
                    # lies after the K-th element of the window (arithmetic, no branches)
                    after0 = 1 - _matches(top[c], o[c])
                    after1 = after0 * (1 - _matches(top[C + c], o[c]))
                    after2 = after1 * (1 - _matches(bottom[c], o[c]))
                    winner[c] = at + c + after0 * C + after1 * (W * C - C) + after2 * C


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


def maxpool_backward_2x2(
    const floating[:, :, :, ::1] dout, const floating[:, :, :, ::1] x, floating[:, :, :, ::1] dx
):
    """maxpool_backward for size = stride = 2, writing every element of each window (the winner
    gets dout, the others 0), so dx only needs zeroing outside the windows (odd H or W)."""
    cdef Py_ssize_t N = x.shape[0], W = x.shape[2], C = x.shape[3]
    cdef Py_ssize_t Ho = dout.shape[1], Wo = dout.shape[2]
    cdef Py_ssize_t n, i, j, c, after0, after1, after2
    cdef const floating* top
    cdef const floating* bottom
    cdef floating* dtop
    cdef const floating* g
    cdef floating best
    if N == 0 or Ho == 0 or Wo == 0 or C == 0:
        return
    with nogil:
        for n in range(N):
            for i in range(Ho):
                for j in range(Wo):
                    top = &x[n, 2 * i, 2 * j, 0]
                    bottom = &x[n, 2 * i + 1, 2 * j, 0]
                    dtop = &dx[n, 2 * i, 2 * j, 0]
                    g = &dout[n, i, j, 0]
                    for c in range(C):
                        # the window maxima, vectorised, parked in dx's bottom-right slots
                        best = _larger(top[C + c], top[c])
                        best = _larger(bottom[c], best)
                        dtop[W * C + C + c] = _larger(bottom[C + c], best)
                    for c in range(C):
                        # the winner is the first element matching the maximum; afterK = 1 when it
                        # lies after the K-th element of the window (arithmetic, no branches)
                        best = dtop[W * C + C + c]
                        after0 = 1 - _matches(top[c], best)
                        after1 = after0 * (1 - _matches(top[C + c], best))
                        after2 = after1 * (1 - _matches(bottom[c], best))
                        dtop[c] = 0
                        dtop[C + c] = 0
                        dtop[W * C + c] = 0
                        dtop[W * C + C + c] = 0
                        dtop[c + after0 * C + after1 * (W * C - C) + after2 * C] = g[c]


def maxpool_backward_argmax(
    const floating[:, :, :, ::1] dout, const Py_ssize_t[:, :, :, ::1] argmax, floating[::1] dx
) -> bool:
    """dx[argmax[n, i, j, c]] += dout[n, i, j, c] on the flat dx; dx must be zeroed. Returns False
    if an index lies outside dx (that element is skipped)."""
    cdef Py_ssize_t N = dout.shape[0], Ho = dout.shape[1], Wo = dout.shape[2], C = dout.shape[3]
    cdef Py_ssize_t size = dx.shape[0]
    cdef Py_ssize_t n, i, j, c, at
    cdef bint inside = True
    with nogil:
        for n in range(N):
            for i in range(Ho):
                for j in range(Wo):
                    for c in range(C):
                        at = argmax[n, i, j, c]
                        if 0 <= at < size:
                            dx[at] += dout[n, i, j, c]
                        else:
                            inside = False
    return inside


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
