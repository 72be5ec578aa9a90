"""The notes' closed-form gradients as typed loops around BLAS products (SciPy's cython_blas).

Gradient ascent on J = Σₙ Σₖ tₙₖ log yₙₖ. With δ^(L) = T − Y and, for a hidden layer,
δ^(l) = (δ^(l+1) W^(l+1)ᵀ) ⊙ Z^(l)′:

* output_delta:       out = T − Y
* hidden_delta:       out = (δ_next · W_nextᵀ) ⊙ σ′(Z), the product by BLAS, ⊙ σ′ fused in one pass
* weight_gradient:    out = Z_prevᵀ · δ (BLAS)
* bias_gradient:      out = Σₙ δ, accumulated in double precision row by row
* output_bias_gradient: ∇_c J = Σₙ (T − Y) (the notes' grad_c) without forming T − Y

σ′ is written in terms of z (kind 1 relu: u(z); 2 sigmoid: z (1 − z); 3 tanh: 1 − z²) and rounded
to the dtype before the product, as cnnref.activations computes it. The BLAS must be held to one
thread around these calls (cnnref.threads); the Python layer does it.
"""

from cython cimport floating
from cnnref.kernels.blas cimport gemm

import numpy as np


cdef inline floating _derivative(floating z, int kind) noexcept nogil:
    """σ′ in terms of z, rounded to the dtype."""
    if kind == 1:
        return 1 if z > 0 else 0
    if kind == 2:
        return <floating>(z * (1 - z))
    return <floating>(1 - z * z)


def output_delta(const floating[:, ::1] t, const floating[:, ::1] y, floating[:, ::1] out):
    """out[n, k] = t[n, k] − y[n, k]."""
    cdef Py_ssize_t n, k
    with nogil:
        for n in range(y.shape[0]):
            for k in range(y.shape[1]):
                out[n, k] = t[n, k] - y[n, k]


def hidden_delta(
    const floating[:, ::1] delta_next,
    const floating[:, ::1] w_next,
    const floating[:, ::1] z,
    floating[:, ::1] out,
    int kind,
):
    """out (N, M) = (delta_next (N, M_next) · w_next (M, M_next)ᵀ) ⊙ σ′(z (N, M))."""
    cdef int rows = <int>z.shape[0], cols = <int>z.shape[1], inner = <int>delta_next.shape[1]
    cdef Py_ssize_t n, m
    if rows == 0 or cols == 0:
        return
    with nogil:
        if inner == 0:
            for n in range(rows):
                for m in range(cols):
                    out[n, m] = 0
        else:
            gemm(False, True, rows, cols, inner, &delta_next[0, 0], inner, &w_next[0, 0], inner,
                 0, &out[0, 0], cols)
        for n in range(rows):
            for m in range(cols):
                out[n, m] = out[n, m] * _derivative(z[n, m], kind)


def weight_gradient(
    const floating[:, ::1] z_prev, const floating[:, ::1] delta, floating[:, ::1] out
):
    """out (M_prev, M) = z_prev (N, M_prev)ᵀ · delta (N, M)."""
    cdef int samples = <int>z_prev.shape[0], rows = <int>z_prev.shape[1]
    cdef int cols = <int>delta.shape[1]
    if rows == 0 or cols == 0:
        return
    if samples == 0:
        out[:, :] = 0
        return
    with nogil:
        gemm(True, False, rows, cols, samples, &z_prev[0, 0], rows, &delta[0, 0], cols,
             0, &out[0, 0], cols)


def bias_gradient(const floating[:, ::1] delta, floating[::1] out):
    """out[m] = Σₙ delta[n, m], accumulated in double precision in row order."""
    cdef Py_ssize_t n, m
    cdef double[::1] total = np.zeros(delta.shape[1], dtype=np.float64)
    with nogil:
        for n in range(delta.shape[0]):
            for m in range(delta.shape[1]):
                total[m] += delta[n, m]
        for m in range(delta.shape[1]):
            out[m] = <floating>total[m]


def output_bias_gradient(const floating[:, ::1] t, const floating[:, ::1] y, floating[::1] out):
    """out[k] = Σₙ (t[n, k] − y[n, k]), each difference rounded to the dtype and summed in double
    precision in row order (the same bits as bias_gradient of output_delta)."""
    cdef Py_ssize_t n, k
    cdef double[::1] total = np.zeros(y.shape[1], dtype=np.float64)
    cdef floating difference
    with nogil:
        for n in range(y.shape[0]):
            for k in range(y.shape[1]):
                difference = t[n, k] - y[n, k]
                total[k] += difference
        for k in range(y.shape[1]):
            out[k] = <floating>total[k]
