"""Element-wise activation kernels and their derivatives written in terms of the output z."""

from libc.math cimport exp, tanh as c_tanh
from cython cimport floating
from cython.parallel cimport prange


cdef inline bint _parallel(Py_ssize_t n, int threads) noexcept nogil:
    """Whether a loop over n elements is worth an OpenMP team (cnnref.threads allows one)."""
    return threads > 1 and n >= 1 << 16


def sigmoid_kernel(const floating[::1] a, floating[::1] z, int threads=1):
    """z = 1 / (1 + exp(−a)), evaluated without overflow for either sign of a."""
    cdef Py_ssize_t i, n = a.shape[0]
    cdef double e
    for i in prange(n, nogil=True, num_threads=threads, use_threads_if=_parallel(n, threads)):
        if a[i] >= 0:
            z[i] = <floating>(1.0 / (1.0 + exp(-a[i])))
        else:
            e = exp(a[i])
            z[i] = <floating>(e / (1.0 + e))


def tanh_kernel(const floating[::1] a, floating[::1] z, int threads=1):
    """z = tanh(a)."""
    cdef Py_ssize_t i, n = a.shape[0]
    for i in prange(n, nogil=True, num_threads=threads, use_threads_if=_parallel(n, threads)):
        z[i] = <floating>c_tanh(a[i])


def relu_kernel(const floating[::1] a, floating[::1] z, int threads=1):
    """z = max(a, 0); NaN propagates. Written as a select, not a branch, so the loop vectorises
    and does not mispredict on data whose signs are random."""
    cdef Py_ssize_t i, n = a.shape[0]
    for i in prange(n, nogil=True, num_threads=threads, use_threads_if=_parallel(n, threads)):
        z[i] = 0 if a[i] <= 0 else a[i]


def sigmoid_derivative_kernel(const floating[::1] z, floating[::1] dz, int threads=1):
    """σ′ = z (1 − z)."""
    cdef Py_ssize_t i, n = z.shape[0]
    for i in prange(n, nogil=True, num_threads=threads, use_threads_if=_parallel(n, threads)):
        dz[i] = z[i] * (1 - z[i])


def tanh_derivative_kernel(const floating[::1] z, floating[::1] dz, int threads=1):
    """tanh′ = 1 − z²."""
    cdef Py_ssize_t i, n = z.shape[0]
    for i in prange(n, nogil=True, num_threads=threads, use_threads_if=_parallel(n, threads)):
        dz[i] = 1 - z[i] * z[i]


def relu_derivative_kernel(const floating[::1] z, floating[::1] dz, int threads=1):
    """relu′ = u(z), the step function: 1 where z > 0, else 0 (0 at the kink)."""
    cdef Py_ssize_t i, n = z.shape[0]
    for i in prange(n, nogil=True, num_threads=threads, use_threads_if=_parallel(n, threads)):
        dz[i] = 1 if z[i] > 0 else 0


def times_derivative_kernel(
    const floating[::1] upstream, const floating[::1] z, floating[::1] out, int kind, int threads=1
):
    """out = upstream ⊙ σ′ with σ′ written in terms of z (kind 1 relu: u(z); 2 sigmoid: z (1 − z);
    3 tanh: 1 − z²), one pass; the step from ∂J/∂z to the delta ∂J/∂a. σ′ is rounded to the dtype
    before the product, as the separate derivative kernels round it, so both give the same bits."""
    cdef Py_ssize_t i, n = z.shape[0]
    cdef bint parallel = _parallel(n, threads)
    if kind == 1:
        for i in prange(n, nogil=True, num_threads=threads, use_threads_if=parallel):
            out[i] = upstream[i] * (1 if z[i] > 0 else 0)
    elif kind == 2:
        for i in prange(n, nogil=True, num_threads=threads, use_threads_if=parallel):
            out[i] = upstream[i] * <floating>(z[i] * (1 - z[i]))
    else:
        for i in prange(n, nogil=True, num_threads=threads, use_threads_if=parallel):
            out[i] = upstream[i] * <floating>(1 - z[i] * z[i])
