"""Row-wise softmax and the log-likelihood J = Σₙ Σₖ tₙₖ log yₙₖ."""

from libc.math cimport exp, log
from cython cimport floating


def softmax_kernel(const floating[:, ::1] a, floating[:, ::1] y):
    """yₙₖ = exp(aₙₖ − maxₖ′ aₙₖ′) / Σₖ′ exp(aₙₖ′ − maxₖ′ aₙₖ′), one row per sample."""
    cdef Py_ssize_t n, k, rows = a.shape[0], cols = a.shape[1]
    cdef double peak, total
    with nogil:
        for n in range(rows):
            peak = a[n, 0]
            for k in range(1, cols):
                if a[n, k] > peak:
                    peak = a[n, k]
            total = 0
            for k in range(cols):
                total = total + exp(a[n, k] - peak)
            for k in range(cols):
                y[n, k] = <floating>(exp(a[n, k] - peak) / total)


def log_likelihood_kernel(const floating[::1] t, const floating[::1] y, double floor):
    """Σ t log max(y, floor) over entries with t ≠ 0, accumulated in double precision.

    Entries with t = 0 contribute 0 (the limit of t log y), so a y that underflowed to 0 is harmless
    there; where t ≠ 0 the floor keeps J finite.
    """
    cdef Py_ssize_t i, n = t.shape[0]
    cdef double total = 0
    cdef double value
    with nogil:
        for i in range(n):
            if t[i] != 0:
                value = y[i]
                if value < floor:
                    value = floor
                total += t[i] * log(value)
    return total
