"""Max and average pooling kernels on NHWC images, windows size × size moved by stride.

Tie rule of max pooling: the window is scanned row by row (k1, then k2); the first element holding
the maximum wins, and only it receives the gradient. A NaN counts as larger than any number, so a
NaN in a window propagates forward and receives the gradient.

The winners a max-pool keeps for its backward pass are offsets within their windows: the winner
at (i·stride + k1, j·stride + k2) of window (i, j) is k = k1·size + k2, one byte per output element
for windows of up to 256 elements (uint8), four beyond (uint32). The max-pool kernels run OpenMP
across the images (dynamic schedule) when the batch holds enough elements to be worth a team.
"""

from libc.string cimport memset
from cython cimport floating
from cython.parallel cimport prange

ctypedef fused offset:
    unsigned char
    unsigned int


cdef extern from "pool_window.h":
    # The tie rule as a C expression (pool_window.h). A type-generic macro, declared once with
    # double: Cython hands it float arguments as they are (no conversion), so the float kernels
    # compare floats.
    bint _beats "CNNREF_BEATS"(double candidate, double best) noexcept nogil


cdef inline floating _derivative(floating z, int kind) noexcept nogil:
    """σ′ written in terms of z = σ(a), rounded to the dtype (kind 1 relu: u(z); 2 sigmoid:
    z (1 − z); 3 tanh: 1 − z²), as the activation kernels compute it."""
    if kind == 1:
        return 1 if z > 0 else 0
    if kind == 2:
        return <floating>(z * (1 - z))
    return <floating>(1 - z * z)


# Elements of a batch below which a max-pool runs on one thread: an OpenMP team costs more (and
# far more, milliseconds, when other processes hold the cores).
cdef Py_ssize_t PARALLEL_MIN_ELEMENTS = 1 << 16


cdef struct Geometry:
    # One image's input (H, W, C) and output (Ho, Wo, C) extents, and the window's.
    Py_ssize_t H, W, C, Ho, Wo, size, stride


cdef inline Geometry _geometry(
    const Py_ssize_t* image, const Py_ssize_t* pooled, Py_ssize_t size, Py_ssize_t stride
) noexcept nogil:
    """The geometry of an (N, H, W, C) batch pooled to (N, Ho, Wo, C), from the two shapes."""
    cdef Geometry g
    g.H, g.W, g.C = image[1], image[2], image[3]
    g.Ho, g.Wo = pooled[1], pooled[2]
    g.size, g.stride = size, stride
    return g


cdef inline bint _is_2x2(Geometry g) noexcept nogil:
    return g.size == 2 and g.stride == 2


cdef inline bint _threaded(Py_ssize_t images, Geometry g, int threads) noexcept nogil:
    """Whether a pass over ``images`` images is worth ``threads`` OpenMP threads."""
    return threads > 1 and images > 1 and images * g.H * g.W * g.C >= PARALLEL_MIN_ELEMENTS


# ---- forward: the window maxima, and their winners' offsets ----

cdef extern from "pool_window.h" nogil:
    void _max_2x2_f "cnnref_max_2x2_image_f"(
        const float* x, float* out, Py_ssize_t W, Py_ssize_t C, Py_ssize_t Ho, Py_ssize_t Wo)
    void _max_2x2_d "cnnref_max_2x2_image_d"(
        const double* x, double* out, Py_ssize_t W, Py_ssize_t C, Py_ssize_t Ho, Py_ssize_t Wo)
    void _winners_2x2_f "cnnref_winners_2x2_image_f"(
        const float* x, float* out, unsigned char* winners, Py_ssize_t W, Py_ssize_t C,
        Py_ssize_t Ho, Py_ssize_t Wo)
    void _winners_2x2_d "cnnref_winners_2x2_image_d"(
        const double* x, double* out, unsigned char* winners, Py_ssize_t W, Py_ssize_t C,
        Py_ssize_t Ho, Py_ssize_t Wo)


cdef inline void _forward_2x2_image(
    const floating* x, floating* out, unsigned char* winners, Geometry g
) noexcept nogil:
    """One image's 2 × 2 maxima at stride 2 and, unless ``winners`` is NULL, their winners'
    offsets (one byte: a 2 × 2 window's are 0…3), in one call (pool_window.h: branch-free masks,
    so that the loops over the channels vectorise)."""
    if floating is float:
        if winners == NULL:
            _max_2x2_f(x, out, g.W, g.C, g.Ho, g.Wo)
        else:
            _winners_2x2_f(x, out, winners, g.W, g.C, g.Ho, g.Wo)
    elif winners == NULL:
        _max_2x2_d(x, out, g.W, g.C, g.Ho, g.Wo)
    else:
        _winners_2x2_d(x, out, winners, g.W, g.C, g.Ho, g.Wo)


cdef inline Py_ssize_t _window_winner(
    const floating* corner, Py_ssize_t row, Py_ssize_t C, Py_ssize_t size, floating* best
) noexcept nogil:
    """The offset of the winner of one channel's size × size window starting at ``corner``;
    its value goes to best[0]."""
    cdef Py_ssize_t k1, k2, at = 0
    cdef floating v, top = corner[0]
    for k1 in range(size):
        for k2 in range(size):
            v = corner[k1 * row + k2 * C]
            if _beats(v, top):
                top = v
                at = k1 * size + k2
    best[0] = top
    return at


cdef void _forward_image(
    const floating* x, floating* out, offset* winners, Geometry g
) noexcept nogil:
    """One image's window maxima into out and, unless ``winners`` is NULL, their offsets (2 × 2
    windows at stride 2 by their own loops; any other window, and offsets of another type than
    one byte, by the general one)."""
    cdef Py_ssize_t i, j, c, C = g.C, row = g.W * g.C, k
    cdef const floating* corner
    if _is_2x2(g) and winners == NULL:
        _forward_2x2_image(x, out, <unsigned char*>NULL, g)
        return
    if offset is uchar:
        if _is_2x2(g):
            _forward_2x2_image(x, out, winners, g)
            return
    for i in range(g.Ho):
        for j in range(g.Wo):
            corner = x + (i * g.stride * g.W + j * g.stride) * C
            for c in range(C):
                k = _window_winner(corner + c, row, C, g.size, out + (i * g.Wo + j) * C + c)
                if winners != NULL:
                    winners[(i * g.Wo + j) * C + c] = <offset>k


cdef void _forward_batch(
    const floating[:, :, :, ::1] x, floating[:, :, :, ::1] out, offset* winners, Py_ssize_t size,
    Py_ssize_t stride, int threads,
):
    """_forward_image over the batch, OpenMP across the images; ``winners`` is NULL or the start
    of an (N, Ho, Wo, C) array. Without winners the images go through a loop of their own, in
    which the compiler sees the NULL and drops the winner code."""
    cdef Geometry g = _geometry(x.shape, out.shape, size, stride)
    cdef Py_ssize_t n, N = x.shape[0], per_image = g.Ho * g.Wo * g.C
    cdef bint threaded = _threaded(N, g, threads)
    if out.size == 0:
        return
    if winners == NULL:
        for n in prange(N, nogil=True, schedule="dynamic", num_threads=threads,
                        use_threads_if=threaded):
            _forward_image(&x[n, 0, 0, 0], &out[n, 0, 0, 0], <offset*>NULL, g)
    else:
        for n in prange(N, nogil=True, schedule="dynamic", num_threads=threads,
                        use_threads_if=threaded):
            _forward_image(&x[n, 0, 0, 0], &out[n, 0, 0, 0], winners + n * per_image, g)


def maxpool_forward(
    const floating[:, :, :, ::1] x,
    floating[:, :, :, ::1] out,
    Py_ssize_t size,
    Py_ssize_t stride,
    int threads=1,
):
    """out[n, i, j, c] = max over k1, k2 < size of x[n, i·stride + k1, j·stride + k2, c]."""
    _forward_batch(x, out, <unsigned char*>NULL, size, stride, threads)


def maxpool_forward_winners(
    const floating[:, :, :, ::1] x,
    floating[:, :, :, ::1] out,
    offset[:, :, :, ::1] winners,
    Py_ssize_t size,
    Py_ssize_t stride,
    int threads=1,
):
    """out as in maxpool_forward; winners[n, i, j, c] = the offset k1·size + k2 of its winner."""
    _forward_batch(x, out, &winners[0, 0, 0, 0] if winners.size else NULL, size, stride, threads)


# ---- backward: the upstream gradient to the winners ----

cdef extern from "pool_window.h" nogil:
    Py_ssize_t _backward_2x2_f_u8 "cnnref_backward_2x2_image_f_u8"(
        const float* dout, const unsigned char* winners, const float* z, const float* pooled,
        float* dx, Py_ssize_t H, Py_ssize_t W, Py_ssize_t C, Py_ssize_t Ho, Py_ssize_t Wo, int kind)
    Py_ssize_t _backward_2x2_f_u32 "cnnref_backward_2x2_image_f_u32"(
        const float* dout, const unsigned int* winners, const float* z, const float* pooled,
        float* dx, Py_ssize_t H, Py_ssize_t W, Py_ssize_t C, Py_ssize_t Ho, Py_ssize_t Wo, int kind)
    Py_ssize_t _backward_2x2_d_u8 "cnnref_backward_2x2_image_d_u8"(
        const double* dout, const unsigned char* winners, const double* z, const double* pooled,
        double* dx, Py_ssize_t H, Py_ssize_t W, Py_ssize_t C, Py_ssize_t Ho, Py_ssize_t Wo,
        int kind)
    Py_ssize_t _backward_2x2_d_u32 "cnnref_backward_2x2_image_d_u32"(
        const double* dout, const unsigned int* winners, const double* z, const double* pooled,
        double* dx, Py_ssize_t H, Py_ssize_t W, Py_ssize_t C, Py_ssize_t Ho, Py_ssize_t Wo,
        int kind)


cdef inline Py_ssize_t _backward_2x2_image(
    const floating* dout, const offset* winners, const floating* z, const floating* pooled,
    floating* dx, Geometry g, int kind,
) noexcept nogil:
    """One image's dx for 2 × 2 windows at stride 2, every element written (pool_window.h): each
    window's winner gets dout (times σ′ of z there unless kind is 0), the rest 0, the last row and
    column too when no window covers them (odd H or W). Returns how many offsets exceed 3."""
    if floating is float:
        if offset is uchar:
            return _backward_2x2_f_u8(dout, winners, z, pooled, dx, g.H, g.W, g.C, g.Ho, g.Wo, kind)
        return _backward_2x2_f_u32(dout, winners, z, pooled, dx, g.H, g.W, g.C, g.Ho, g.Wo, kind)
    if offset is uchar:
        return _backward_2x2_d_u8(dout, winners, z, pooled, dx, g.H, g.W, g.C, g.Ho, g.Wo, kind)
    return _backward_2x2_d_u32(dout, winners, z, pooled, dx, g.H, g.W, g.C, g.Ho, g.Wo, kind)


cdef Py_ssize_t _backward_image(
    const floating* dout, const offset* winners, const floating* z, const floating* pooled,
    floating* dx, Geometry g, int kind,
) noexcept nogil:
    """One image's dx for any window and stride: zeroed, then dx[winner] += dout (times σ′ of z
    there unless kind is 0) window by window; z at the winner read from ``pooled`` (Ho, Wo, C)
    unless it is NULL (the same value: the forward pass copied it). Returns how many offsets are
    ≥ size² (skipped)."""
    cdef Py_ssize_t i, j, c, C = g.C, k, at, out_at, bad = 0
    cdef floating d
    if _is_2x2(g):
        return _backward_2x2_image(dout, winners, z, pooled, dx, g, kind)
    memset(dx, 0, g.H * g.W * C * sizeof(floating))
    for i in range(g.Ho):
        for j in range(g.Wo):
            out_at = (i * g.Wo + j) * C
            for c in range(C):
                k = winners[out_at + c]
                if k >= g.size * g.size:
                    bad += 1
                    continue
                at = ((i * g.stride + k // g.size) * g.W + j * g.stride + k % g.size) * C + c
                d = dout[out_at + c]
                if kind != 0:
                    d = d * _derivative(z[at] if pooled == NULL else pooled[out_at + c], kind)
                dx[at] += d
    return bad


def maxpool_backward_winners(
    const floating[:, :, :, ::1] dout,
    const offset[:, :, :, ::1] winners,
    const floating[:, :, :, ::1] z,
    floating[:, :, :, ::1] dx,
    Py_ssize_t size,
    Py_ssize_t stride,
    int kind,
    int threads=1,
    const floating[:, :, :, ::1] pooled=None,
) -> bool:
    """dx[n, i·stride + k // size, j·stride + k % size, c] += dout[n, i, j, c] · σ′(z there) for
    k = winners[n, i, j, c], every other element 0 (dx need not be zeroed; kind 0 multiplies by
    1, else by σ′ of code kind: 1 relu, 2 sigmoid, 3 tanh). Each winner reached once (windows that
    do not overlap), the same bits as scattering first and multiplying after. With ``pooled``
    (N, Ho, Wo, C), the forward output, σ′ is read from it instead of from z (the same values: a
    pass over a quarter of the memory). Returns False if an offset is ≥ size² (that element is
    skipped)."""
    cdef Geometry g = _geometry(z.shape, dout.shape, size, stride)
    cdef Py_ssize_t n, N = z.shape[0], bad = 0
    cdef bint from_pooled = pooled is not None
    if z.size == 0:
        return True
    for n in prange(N, nogil=True, schedule="dynamic", num_threads=threads,
                    use_threads_if=_threaded(N, g, threads)):
        bad += _backward_image(
            &dout[n, 0, 0, 0], &winners[n, 0, 0, 0], &z[n, 0, 0, 0],
            &pooled[n, 0, 0, 0] if from_pooled else NULL, &dx[n, 0, 0, 0], g, kind
        )
    return bad == 0


# ---- average pooling ----

cdef void _average_windows(
    floating* image, floating* pooled, Py_ssize_t N, Geometry g, bint spread
) noexcept nogil:
    """The window loops of average pooling in either direction: pooled[n, i, j, c] = (1 / size²)
    Σ_k1 Σ_k2 image[n, i·stride + k1, j·stride + k2, c], or with ``spread`` the adjoint,
    image[n, i·stride + k1, j·stride + k2, c] += pooled[n, i, j, c] / size² (image zeroed)."""
    cdef Py_ssize_t n, i, j, c, k1, k2, C = g.C, at, out_at
    cdef double total, scale = 1.0 / (g.size * g.size)
    cdef floating share
    for n in range(N):
        for i in range(g.Ho):
            for j in range(g.Wo):
                for c in range(C):
                    out_at = ((n * g.Ho + i) * g.Wo + j) * C + c
                    at = ((n * g.H + i * g.stride) * g.W + j * g.stride) * C + c
                    if spread:
                        share = <floating>(pooled[out_at] * scale)
                    total = 0
                    for k1 in range(g.size):
                        for k2 in range(g.size):
                            if spread:
                                image[at + (k1 * g.W + k2) * C] += share
                            else:
                                total = total + image[at + (k1 * g.W + k2) * C]
                    if not spread:
                        pooled[out_at] = <floating>(total * scale)


def avgpool_forward(
    const floating[:, :, :, ::1] x, floating[:, :, :, ::1] out, Py_ssize_t size, Py_ssize_t stride
):
    """out[n, i, j, c] = (1 / size²) Σ_k1 Σ_k2 x[n, i·stride + k1, j·stride + k2, c]."""
    if out.size == 0:
        return
    with nogil:
        _average_windows(<floating*>&x[0, 0, 0, 0], &out[0, 0, 0, 0], x.shape[0],
                         _geometry(x.shape, out.shape, size, stride), False)


def avgpool_backward(
    const floating[:, :, :, ::1] dout, floating[:, :, :, ::1] dx, Py_ssize_t size, Py_ssize_t stride
):
    """dx[n, i·stride + k1, j·stride + k2, c] += dout[n, i, j, c] / size²; dx must be zeroed."""
    if dout.size == 0:
        return
    with nogil:
        _average_windows(&dx[0, 0, 0, 0], <floating*>&dout[0, 0, 0, 0], dx.shape[0],
                         _geometry(dx.shape, dout.shape, size, stride), True)
