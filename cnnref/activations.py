"""Hidden-unit activations z = σ(a) and their derivatives written in terms of z."""

from __future__ import annotations

import numpy as np

from .kernels import activations as _activations
from .threads import openmp_threads
from .validation import ACTIVATIONS, choice, exact_shape, float_array, same_dtype

_DERIVATIVE_KERNELS = {
    "sigmoid": _activations.sigmoid_derivative_kernel,
    "tanh": _activations.tanh_derivative_kernel,
    "relu": _activations.relu_derivative_kernel,
}


def _elementwise(kernel, name: str, value) -> np.ndarray:
    arr = float_array(name, value)
    out = np.empty_like(arr)
    kernel(arr.reshape(-1), out.reshape(-1), openmp_threads())
    return out


def sigmoid(a: np.ndarray) -> np.ndarray:
    """z = σ(a) = 1 / (1 + exp(−a)), element-wise; any shape.

    Twin :func:`verify.naive.activations.sigmoid`, :doc:`/derivations/activations`.
    """
    return _elementwise(_activations.sigmoid_kernel, "a", a)


def tanh(a: np.ndarray) -> np.ndarray:
    """z = tanh(a), element-wise; any shape.

    Twin :func:`verify.naive.activations.tanh`, :doc:`/derivations/activations`.
    """
    return _elementwise(_activations.tanh_kernel, "a", a)


def relu(a: np.ndarray) -> np.ndarray:
    """z = max(a, 0), element-wise; any shape.

    Twin :func:`verify.naive.activations.relu`, :doc:`/derivations/activations`.
    """
    return _elementwise(_activations.relu_kernel, "a", a)


def activate(a: np.ndarray, kind: str) -> np.ndarray:
    """z = σ(a) for σ named by ``kind`` ∈ {"sigmoid", "tanh", "relu"}.

    Twin :func:`verify.naive.activations.activate`, :doc:`/derivations/activations`.
    """
    choice("activation", kind, ACTIVATIONS)
    return {"sigmoid": sigmoid, "tanh": tanh, "relu": relu}[kind](a)


# The codes of σ′ that the compiled kernels take (activations, pool, gradients).
DERIVATIVE_CODES = {"relu": 1, "sigmoid": 2, "tanh": 3}


def activation_derivative(z: np.ndarray, kind: str) -> np.ndarray:
    """Z′ = ∂z/∂a written in terms of the output z, element-wise:

    sigmoid: z (1 − z);  tanh: 1 − z²;  relu: u(z), the step function (1 where z > 0, else 0).

    Twin :func:`verify.naive.activations.activation_derivative`, :doc:`/derivations/activations`.
    """
    choice("kind", kind, ACTIVATIONS)
    return _elementwise(_DERIVATIVE_KERNELS[kind], "z", z)


# The path the layers and the seed network take: it equals a composition of the formula functions
# above and is tested against it.


def times_activation_derivative(upstream: np.ndarray, z: np.ndarray, kind: str) -> np.ndarray:
    """upstream ⊙ Z′ = ∂J/∂a from upstream = ∂J/∂z (same shape and dtype as z), in one pass: the
    same values as ``upstream * activation_derivative(z, kind)``."""
    choice("kind", kind, ACTIVATIONS)
    z = float_array("z", z)
    upstream = float_array("upstream", upstream)
    same_dtype(z=z, upstream=upstream)
    exact_shape("upstream", upstream, z.shape, "(the shape of z)")
    out = np.empty_like(z)
    _activations.times_derivative_kernel(
        upstream.reshape(-1),
        z.reshape(-1),
        out.reshape(-1),
        DERIVATIVE_CODES[kind],
        openmp_threads(),
    )
    return out
