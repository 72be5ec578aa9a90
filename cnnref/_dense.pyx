"""Loops of the dense layer a = X W + b around the BLAS matrix products (which NumPy provides)."""

from libc.math cimport exp, tanh as c_tanh
from cython cimport floating

import numpy as np

# Codes of the activation fused into bias_activation (C constants, and their Python names).
cdef enum:
    C_IDENTITY = 0
    C_RELU = 1
    C_SIGMOID = 2
    C_TANH = 3

IDENTITY = C_IDENTITY
RELU = C_RELU
SIGMOID = C_SIGMOID
TANH = C_TANH


cdef inline floating _activate(floating v, int kind) noexcept nogil:
    """σ(v) for the activation code ``kind`` (the same formulas as the _activations kernels)."""
    cdef double e
    if kind == C_RELU:
        return 0 if v <= 0 else v
    if kind == C_SIGMOID:
        if v >= 0:
            return <floating>(1.0 / (1.0 + exp(-v)))
        e = exp(v)
        return <floating>(e / (1.0 + e))
    if kind == C_TANH:
        return <floating>c_tanh(v)
    return v


def bias_activation(floating[:, ::1] a, const floating[::1] b, int kind):
    """a[n, m] ← σ(a[n, m] + b[m]) in place, one pass over a; σ given by its code (IDENTITY, RELU,
    SIGMOID, TANH). Serial: it runs between BLAS calls, whose threads would compete with ours."""
    cdef Py_ssize_t n, m, rows = a.shape[0], cols = a.shape[1]
    with nogil:
        if kind == C_IDENTITY:
            for n in range(rows):
                for m in range(cols):
                    a[n, m] += b[m]
        elif kind == C_RELU:
            for n in range(rows):
                for m in range(cols):
                    a[n, m] = _activate(a[n, m] + b[m], C_RELU)
        else:
            for n in range(rows):
                for m in range(cols):
                    a[n, m] = _activate(a[n, m] + b[m], kind)


def sum_rows(const floating[:, ::1] delta, floating[::1] out):
    """out[m] = Σₙ delta[n, m], accumulated in double precision row by row (so delta is read in
    memory order)."""
    cdef Py_ssize_t n, m, rows = delta.shape[0], cols = delta.shape[1]
    cdef double[::1] total = np.zeros(cols, dtype=np.float64)
    with nogil:
        for n in range(rows):
            for m in range(cols):
                total[m] += delta[n, m]
        for m in range(cols):
            out[m] = <floating>total[m]
