"""Loops of the dense layer a = X W + b around the BLAS matrix products (which NumPy provides),
and the products themselves split across OpenMP threads (cnnref.threads)."""

from libc.math cimport exp, tanh as c_tanh
from cython cimport floating
from cython.parallel cimport prange

from cnnref.kernels.blas cimport gemm, gemv_row
from cnnref.kernels.float_env cimport cnnref_flush_subnormals, cnnref_restore_float_env

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


cdef inline void _bias_activation_row(
    floating* a, const floating* b, Py_ssize_t cols, int kind
) noexcept nogil:
    """a[m] ← σ(a[m] + b[m]) along one row (the activation's branch outside the loop)."""
    cdef Py_ssize_t m
    if kind == C_IDENTITY:
        for m in range(cols):
            a[m] += b[m]
    elif kind == C_RELU:
        for m in range(cols):
            a[m] = _activate(a[m] + b[m], C_RELU)
    else:
        for m in range(cols):
            a[m] = _activate(a[m] + b[m], kind)


def bias_activation(floating[:, ::1] a, const floating[::1] b, int kind, int threads=1):
    """a[n, m] ← σ(a[n, m] + b[m]) in place, one pass over a; σ given by its code (IDENTITY, RELU,
    SIGMOID, TANH). ``threads`` > 1 only where no BLAS thread competes (cnnref.threads)."""
    cdef Py_ssize_t n, rows = a.shape[0], cols = a.shape[1]
    if rows == 0 or cols == 0:
        return
    for n in prange(rows, nogil=True, num_threads=threads,
                    use_threads_if=threads > 1 and rows * cols >= 1 << 16):
        _bias_activation_row(&a[n, 0], &b[0], cols, kind)


# How many runs of consecutive rows sum_rows sums apart before adding the runs' sums: a fixed
# count, so that the sum does not depend on the thread count.
cdef Py_ssize_t SUM_BLOCKS = 16


cdef extern from "row_sums.h" nogil:
    void _add_rows_f "cnnref_add_rows_f"(
        const float* delta, Py_ssize_t first, Py_ssize_t last, Py_ssize_t cols, double* total)
    void _add_rows_d "cnnref_add_rows_d"(
        const double* delta, Py_ssize_t first, Py_ssize_t last, Py_ssize_t cols, double* total)


cdef inline void _add_rows(
    const floating* delta, Py_ssize_t first, Py_ssize_t last, Py_ssize_t cols, double* total
) noexcept nogil:
    """total[m] += delta[n, m] for the rows first ≤ n < last, row by row (memory order;
    row_sums.h keeps the totals of 16 columns at a time in registers)."""
    if floating is float:
        _add_rows_f(delta, first, last, cols, total)
    else:
        _add_rows_d(delta, first, last, cols, total)


def sum_rows(const floating[:, ::1] delta, floating[::1] out, int threads=1):
    """out[m] = Σₙ delta[n, m], accumulated in double precision: the rows in SUM_BLOCKS fixed runs
    of consecutive rows (each run row by row, on the OpenMP threads), then the runs' sums in order,
    rounded once to the dtype. The bits depend on the shape only, not on the thread count."""
    cdef Py_ssize_t rows = delta.shape[0], cols = delta.shape[1], block, m
    cdef Py_ssize_t blocks = max(1, min(SUM_BLOCKS, rows))
    cdef double[:, ::1] partial = np.zeros((blocks, cols), dtype=np.float64)
    cdef double total
    if rows == 0 or cols == 0:
        out[:] = 0
        return
    for block in prange(blocks, nogil=True, schedule="dynamic", num_threads=threads,
                        use_threads_if=threads > 1 and rows * cols >= 1 << 16):
        _add_rows(&delta[0, 0], block * rows // blocks, (block + 1) * rows // blocks, cols,
                  &partial[block, 0])
    for m in range(cols):
        total = 0
        for block in range(blocks):
            total = total + partial[block, m]
        out[m] = <floating>total


def matmul_split(
    const floating[:, ::1] a,
    const floating[:, ::1] b,
    floating[:, ::1] c,
    bint trans_a,
    bint trans_b,
    int threads,
    int blocks,
    bint vector=False,
    const floating[::1] bias=None,
    int kind=C_IDENTITY,
):
    """c = op(a) · op(b), op = transpose where asked, with c's columns split into ``blocks``
    contiguous blocks, one BLAS product per block, the blocks handed out to ``threads`` OpenMP
    threads (the BLAS runs one thread per call: cnnref.threads). A BLAS may sum a product of
    another width in another order, so the blocks, not the threads, fix the bits. With
    ``vector``, one row of c is BLAS's matrix-vector product (which a BLAS may thread by itself
    from fewer multiply-adds than a matrix product); for x · b (b not transposed) the blocks are
    runs of b's rows instead, whose products are added in order (_vector_by_rows).
    An inner dimension of 1 is the outer product c[i, j] = op(a)[i, 0] · op(b)[0, j], its rows
    split instead. With ``bias`` (n,), each block's rows then get c[i, j] ← σ(c[i, j] + bias[j])
    as bias_activation computes it (σ by its code ``kind``), by the thread that formed them.
    Each block's product runs with subnormal numbers flushed to zero (float_env.h; not the bias
    and σ, which keep the bits of bias_activation). Shapes: c (m, n); op(a) (m, k); op(b) (k, n).
    """
    cdef int m = <int>c.shape[0], n = <int>c.shape[1]
    cdef int k = <int>(a.shape[0] if trans_a else a.shape[1])
    cdef int lda = <int>a.shape[1], ldb = <int>b.shape[1], ldc = n
    cdef int block, first, width, row
    cdef unsigned int saved
    cdef bint biased = bias is not None
    cdef const floating* column
    cdef floating[:, ::1] part
    if m == 0 or n == 0:
        return
    if k <= 1:
        if k == 0:
            c[:, :] = 0
        else:
            _outer(&a[0, 0], &b[0, 0], c, threads)
        if biased:
            bias_activation(c, bias, kind, threads)
        return
    blocks = max(1, min(blocks, n))
    threads = max(1, min(threads, blocks))
    if vector and m == 1 and not trans_b and blocks > 1 and k >= 2 * blocks:
        part = np.empty((blocks, n), dtype=np.float32 if floating is float else np.float64)
        _vector_by_rows(&a[0, 0], b, c, part, threads)
        if biased:
            bias_activation(c, bias, kind, 1)
        return
    for block in prange(
        blocks, nogil=True, schedule="dynamic", num_threads=threads, use_threads_if=threads > 1
    ):
        saved = cnnref_flush_subnormals()
        first = block * n // blocks
        width = (block + 1) * n // blocks - first
        column = &b[first, 0] if trans_b else &b[0, first]
        if vector and m == 1:
            gemv_row(trans_b, width, k, &a[0, 0], column, ldb, &c[0, first])
        else:
            gemm(trans_a, trans_b, m, width, k, &a[0, 0], lda, column, ldb, 0, &c[0, first], ldc)
        cnnref_restore_float_env(saved)
        if biased:
            for row in range(m):
                _bias_activation_row(&c[row, first], &bias[first], width, kind)


cdef void _vector_by_rows(
    const floating* x, const floating[:, ::1] b, floating[:, ::1] c, floating[:, ::1] part,
    int threads,
) noexcept:
    """c (1, n) = x (1, k) · b (k, n) as the sum over part.shape[0] contiguous runs of b's rows
    of their matrix-vector products (into part's rows), added in order: each thread streams
    whole rows of b, where blocks of columns would read every row in pieces (2 threads,
    800 × 1000: float32 46–55 µs against 62–81, float64 114–122 against 133–157)."""
    cdef int n = <int>b.shape[1], k = <int>b.shape[0], blocks = <int>part.shape[0]
    cdef int block, first, rows
    cdef Py_ssize_t j
    cdef unsigned int saved
    cdef floating total
    for block in prange(
        blocks, nogil=True, schedule="dynamic", num_threads=threads, use_threads_if=threads > 1
    ):
        saved = cnnref_flush_subnormals()
        first = block * k // blocks
        rows = (block + 1) * k // blocks - first
        gemv_row(False, n, rows, x + first, &b[first, 0], n, &part[block, 0])
        cnnref_restore_float_env(saved)
    for j in range(n):
        total = part[0, j]
        for block in range(1, blocks):
            total = total + part[block, j]
        c[0, j] = total


cdef void _outer(const floating* x, const floating* y, floating[:, ::1] c, int threads) noexcept:
    """c[i, j] = x[i] · y[j], the rows split over ``threads`` OpenMP threads (the same products,
    rounded once, that BLAS forms with an inner dimension of 1)."""
    cdef Py_ssize_t i, j, rows = c.shape[0], cols = c.shape[1]
    for i in prange(rows, nogil=True, schedule="static", num_threads=threads,
                    use_threads_if=threads > 1):
        for j in range(cols):
            c[i, j] = x[i] * y[j]
