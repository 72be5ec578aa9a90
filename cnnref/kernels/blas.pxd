"""A row-major BLAS matrix product callable without the GIL, from OpenMP threads (SciPy's
cython_blas, which resolves the BLAS SciPy ships at import time)."""

from cython cimport floating
from scipy.linalg.cython_blas cimport dgemm, dgemv, sgemm, sgemv


cdef inline void gemm(
    bint trans_a,
    bint trans_b,
    int m,
    int n,
    int k,
    const floating* a,
    int lda,
    const floating* b,
    int ldb,
    floating beta,
    floating* c,
    int ldc,
) noexcept nogil:
    """Row-major C (m, n) ← op(A) op(B) + β C with BLAS, which is column-major: the same memory
    read column-major is Cᵀ = op(B)ᵀ op(A)ᵀ, so A and B swap places."""
    cdef char ta = b"T" if trans_a else b"N"
    cdef char tb = b"T" if trans_b else b"N"
    cdef float one_f = 1, beta_f = beta
    cdef double one_d = 1, beta_d = beta
    if floating is float:
        sgemm(&tb, &ta, &n, &m, &k, &one_f, <float*>b, &ldb, <float*>a, &lda, &beta_f, c, &ldc)
    else:
        dgemm(&tb, &ta, &n, &m, &k, &one_d, <double*>b, &ldb, <double*>a, &lda, &beta_d, c, &ldc)


cdef inline void gemv_row(
    bint trans_b,
    int n,
    int k,
    const floating* x,
    const floating* b,
    int ldb,
    floating* y,
) noexcept nogil:
    """Row-major y (1, n) ← x (1, k) · op(B) with BLAS's matrix-vector product: B (k, n), or
    (n, k) with ``trans_b``, rows ldb apart. Read column-major, B's memory holds Bᵀ, so
    y = op(B)ᵀ x is BLAS's "N" product of that matrix, or its "T" product for a transposed B."""
    cdef char trans = b"T" if trans_b else b"N"
    cdef int rows = k if trans_b else n, cols = n if trans_b else k, one = 1
    cdef float one_f = 1, zero_f = 0
    cdef double one_d = 1, zero_d = 0
    if floating is float:
        sgemv(&trans, &rows, &cols, &one_f, <float*>b, &ldb, <float*>x, &one, &zero_f, y, &one)
    else:
        dgemv(&trans, &rows, &cols, &one_d, <double*>b, &ldb, <double*>x, &one, &zero_d, y, &one)
