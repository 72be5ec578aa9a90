"""The optimizer's update written into the parameters in place: one pass over θ, v and ∇J."""

from cython cimport floating
from cython.parallel cimport prange


# Elements below which an update runs on one thread: an OpenMP team costs more.
cdef Py_ssize_t PARALLEL_MIN_ELEMENTS = 1 << 16


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
    bits are those. ``threads`` OpenMP threads split a large array."""
    cdef Py_ssize_t i, n = theta.shape[0]
    cdef floating mu = <floating>momentum, eta = <floating>lr, size = <floating>batch, v
    for i in prange(n, nogil=True, schedule="static", num_threads=threads,
                    use_threads_if=threads > 1 and n >= PARALLEL_MIN_ELEMENTS):
        v = velocity[i] * mu
        v = v + grad[i] / size
        velocity[i] = v
        theta[i] = theta[i] + eta * v


def ascent_step(floating[::1] theta, const floating[::1] grad, double lr, int threads=1):
    """θ ← θ + η·g in one pass, η and the product rounded to the dtype as NumPy's in-place
    ``θ += η * g`` rounds them (the same bits), without its temporary η·g."""
    cdef Py_ssize_t i, n = theta.shape[0]
    cdef floating eta = <floating>lr
    for i in prange(n, nogil=True, schedule="static", num_threads=threads,
                    use_threads_if=threads > 1 and n >= PARALLEL_MIN_ELEMENTS):
        theta[i] = theta[i] + eta * grad[i]
