"""The optimizer's updates written into the parameters in place: one pass over θ, v and ∇J.

Each splits its arrays into one contiguous run per OpenMP thread (when large enough to be worth a
team) and runs a plain loop over each run, which the compiler vectorises, with subnormal numbers
flushed to zero (float_env.h: the velocities of a network that has fit its batch decay into them).
"""

from libc.math cimport frexp
from cython cimport floating
from cython.parallel cimport prange
from cnnref.kernels.float_env cimport cnnref_flush_subnormals, cnnref_restore_float_env


# Elements below which an update runs on one thread: an OpenMP team costs more.
cdef Py_ssize_t PARALLEL_MIN_ELEMENTS = 1 << 16


cdef inline int _runs(Py_ssize_t n, int threads) noexcept nogil:
    """How many contiguous runs (one per thread) an array of n elements is split into."""
    return threads if threads > 1 and n >= PARALLEL_MIN_ELEMENTS else 1


cdef inline Py_ssize_t _run_start(int run, int runs, Py_ssize_t n) noexcept nogil:
    """Where run ``run`` of ``runs`` starts: run r covers elements r·n // runs up to
    (r + 1)·n // runs."""
    return run * n // runs


cdef void _sgd_run(
    floating* theta, floating* velocity, const floating* grad, Py_ssize_t n, floating mu,
    floating eta, floating size, bint power_of_two,
) noexcept nogil:
    """v ← μ·v + g / B, θ ← θ + η·v over one run. For B a power of two, g · (1 / B) is g / B
    exactly (the reciprocal is exact and both are rounded once), without the slow division."""
    cdef Py_ssize_t i
    cdef floating inverse = 1 / size, v
    cdef unsigned int saved = cnnref_flush_subnormals()
    if power_of_two:
        for i in range(n):
            v = velocity[i] * mu + grad[i] * inverse
            velocity[i] = v
            theta[i] = theta[i] + eta * v
    else:
        for i in range(n):
            v = velocity[i] * mu + grad[i] / size
            velocity[i] = v
            theta[i] = theta[i] + eta * v
    cnnref_restore_float_env(saved)


def sgd_momentum(
    floating[::1] theta,
    floating[::1] velocity,
    const floating[::1] grad,
    double lr,
    double momentum,
    double batch,
    int threads=1,
):
    """v ← μ·v + g / B, then θ ← θ + η·v, element by element in one pass (g = ∇J summed over a
    batch of B; B = 1 for g itself). μ, η and B are rounded to the dtype and every product, quotient
    and sum to the dtype, as NumPy's in-place ``v *= μ; v += g / B; θ += η * v`` rounds them, so the
    bits are those (but for subnormal numbers, flushed to zero)."""
    cdef Py_ssize_t n = theta.shape[0], first
    cdef int run, runs = _runs(n, threads), exponent
    cdef bint power_of_two = frexp(batch, &exponent) == 0.5
    if n == 0:
        return
    for run in prange(runs, nogil=True, schedule="static", num_threads=runs,
                      use_threads_if=runs > 1):
        first = _run_start(run, runs, n)
        _sgd_run(&theta[first], &velocity[first], &grad[first],
                 _run_start(run + 1, runs, n) - first, <floating>momentum, <floating>lr,
                 <floating>batch, power_of_two)


cdef void _ascent_run(
    floating* theta, const floating* grad, Py_ssize_t n, floating eta
) noexcept nogil:
    """θ ← θ + η·g over one run."""
    cdef Py_ssize_t i
    cdef unsigned int saved = cnnref_flush_subnormals()
    for i in range(n):
        theta[i] = theta[i] + eta * grad[i]
    cnnref_restore_float_env(saved)


def ascent_step(floating[::1] theta, const floating[::1] grad, double lr, int threads=1):
    """θ ← θ + η·g in one pass, η and the product rounded to the dtype as NumPy's in-place
    ``θ += η * g`` rounds them (the same bits but for subnormals, flushed to zero), without its
    temporary η·g."""
    cdef Py_ssize_t n = theta.shape[0], first
    cdef int run, runs = _runs(n, threads)
    if n == 0:
        return
    for run in prange(runs, nogil=True, schedule="static", num_threads=runs,
                      use_threads_if=runs > 1):
        first = _run_start(run, runs, n)
        _ascent_run(&theta[first], &grad[first], _run_start(run + 1, runs, n) - first, <floating>lr)
