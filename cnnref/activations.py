"""Hidden-unit activations z = σ(a) and their derivatives written in terms of z."""

from __future__ import annotations

import numpy as np

from .kernels import activations as _activations
from .threads import kernel_threads
from .validation import ACTIVATIONS, choice, float_array

_DERIVATIVE_KERNELS = {
    "sigmoid": _activations.sigmoid_derivative_kernel,
    "tanh": _activations.tanh_derivative_kernel,
    "relu": _activations.relu_derivative_kernel,
}


def _elementwise(kernel, name: str, value) -> np.ndarray:
    arr = float_array(name, value)
    out = np.empty_like(arr)
    kernel(arr.reshape(-1), out.reshape(-1))
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
    arr = float_array("a", a)
    out = np.empty_like(arr)
    _activations.relu_kernel(arr.reshape(-1), out.reshape(-1), kernel_threads())
    return out


def activate(a: np.ndarray, kind: str) -> np.ndarray:
    """z = σ(a) for σ named by ``kind`` ∈ {"sigmoid", "tanh", "relu"}.

    Twin :func:`verify.naive.activations.activate`, :doc:`/derivations/activations`.
    """
    choice("activation", kind, ACTIVATIONS)
    return {"sigmoid": sigmoid, "tanh": tanh, "relu": relu}[kind](a)


_KIND_CODES = {"relu": 1, "sigmoid": 2, "tanh": 3}


def activation_derivative(
    z: np.ndarray, kind: str, *, upstream: np.ndarray | None = None
) -> np.ndarray:
    """Z′ = ∂z/∂a written in terms of the output z, element-wise:

    sigmoid: z (1 − z);  tanh: 1 − z²;  relu: u(z), the step function (1 where z > 0, else 0).

    With ``upstream`` = ∂J/∂z (same shape and dtype as z) it returns upstream ⊙ Z′ = ∂J/∂a, the
    delta of the layer, in one pass, equal to
    ``upstream * activation_derivative(z, kind)``.

    Twin :func:`verify.naive.activations.activation_derivative`, :doc:`/derivations/activations`.
    """
    choice("kind", kind, ACTIVATIONS)
    if upstream is None:
        return _elementwise(_DERIVATIVE_KERNELS[kind], "z", z)
    z = float_array("z", z)
    upstream = float_array("upstream", upstream)
    if upstream.dtype != z.dtype or upstream.shape != z.shape:
        raise ValueError(
            f"upstream must have the shape and dtype of z {z.shape} {z.dtype}, "
            f"got {upstream.shape} {upstream.dtype}"
        )
    out = np.empty_like(z)
    _activations.times_derivative_kernel(
        upstream.reshape(-1), z.reshape(-1), out.reshape(-1), _KIND_CODES[kind], kernel_threads()
    )
    return out
