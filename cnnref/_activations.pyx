"""Element-wise activation kernels and their derivatives written in terms of the output z."""

from cython.parallel cimport prange
from libc.math cimport exp, tanh as c_tanh
from cython cimport floating


def sigmoid_kernel(const floating[::1] a, floating[::1] z):
    """z = 1 / (1 + exp(−a)), evaluated without overflow for either sign of a."""
    cdef Py_ssize_t i, n = a.shape[0]
    cdef double e
    for i in prange(n, nogil=True, schedule="static"):
        if a[i] >= 0:
            z[i] = <floating>(1.0 / (1.0 + exp(-a[i])))
        else:
            e = exp(a[i])
            z[i] = <floating>(e / (1.0 + e))


def tanh_kernel(const floating[::1] a, floating[::1] z):
    """z = tanh(a)."""
    cdef Py_ssize_t i, n = a.shape[0]
    for i in prange(n, nogil=True, schedule="static"):
        z[i] = <floating>c_tanh(a[i])


def relu_kernel(const floating[::1] a, floating[::1] z):
    """z = max(a, 0); NaN propagates."""
    cdef Py_ssize_t i, n = a.shape[0]
    for i in prange(n, nogil=True, schedule="static"):
        if a[i] <= 0:
            z[i] = 0
        else:
            z[i] = a[i]


def sigmoid_derivative_kernel(const floating[::1] z, floating[::1] dz):
    """σ′ = z (1 − z)."""
    cdef Py_ssize_t i, n = z.shape[0]
    for i in prange(n, nogil=True, schedule="static"):
        dz[i] = z[i] * (1 - z[i])


def tanh_derivative_kernel(const floating[::1] z, floating[::1] dz):
    """tanh′ = 1 − z²."""
    cdef Py_ssize_t i, n = z.shape[0]
    for i in prange(n, nogil=True, schedule="static"):
        dz[i] = 1 - z[i] * z[i]


def relu_derivative_kernel(const floating[::1] z, floating[::1] dz):
    """relu′ = u(z), the step function: 1 where z > 0, else 0 (0 at the kink)."""
    cdef Py_ssize_t i, n = z.shape[0]
    for i in prange(n, nogil=True, schedule="static"):
        if z[i] > 0:
            dz[i] = 1
        else:
            dz[i] = 0
