"""Loops of the dense layer a = X W + b around the BLAS matrix products (which NumPy provides)."""

from cython.parallel cimport prange
from cython cimport floating


def add_row_vector(floating[:, ::1] a, const floating[::1] b):
    """a[n, m] += b[m] in place, for the bias of a = X W + b."""
    cdef Py_ssize_t n, m, rows = a.shape[0], cols = a.shape[1]
    for n in prange(rows, nogil=True, schedule="static"):
        for m in range(cols):
            a[n, m] += b[m]


def sum_rows(const floating[:, ::1] delta, floating[::1] out):
    """out[m] = Σₙ delta[n, m], accumulated in double precision."""
    cdef Py_ssize_t n, m, rows = delta.shape[0], cols = delta.shape[1]
    cdef double total
    for m in prange(cols, nogil=True, schedule="static"):
        total = 0
        for n in range(rows):
            total = total + delta[n, m]
        out[m] = <floating>total
