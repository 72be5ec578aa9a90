"""Naive twins of ``cnnref/activations.py``: σ, tanh, relu and their derivatives, element by
element."""

from __future__ import annotations

from . import scalars
from .arguments import ACTIVATIONS, Array, array, copied_array, one_of, refuse_complex


def _sigmoid_scalar(a):
    """σ(a) = 1 / (1 + e^(−a)), written as e^a / (1 + e^a) for Re a < 0 so nothing overflows."""
    if a.real >= 0:
        return 1.0 / (1.0 + scalars.exp(-a))
    e = scalars.exp(a)
    return e / (1.0 + e)


def _relu_scalar(a):
    return 0.0 if a <= 0 else a


def _elementwise(a: Array, scalar) -> Array:
    """``scalar`` applied to every element of a, one at a time (in C order)."""
    values = [scalar(value) for value in a.reshape(-1).tolist()]
    return array(values, a.shape, a.dtype)


def sigmoid(a: Array) -> Array:
    """z = σ(a) = 1 / (1 + exp(−a)), element by element; any shape, complex allowed."""
    return _elementwise(copied_array("a", a), _sigmoid_scalar)


def tanh(a: Array) -> Array:
    """z = tanh(a), element by element; any shape, complex allowed."""
    return _elementwise(copied_array("a", a), scalars.tanh)


def relu(a: Array) -> Array:
    """z = max(a, 0), element by element (NaN propagates); any shape, real only."""
    a = copied_array("a", a)
    refuse_complex("a", a, "relu is not analytic at 0")
    return _elementwise(a, _relu_scalar)


def activate(a: Array, kind: str) -> Array:
    """z = σ(a) for ``kind`` ∈ {sigmoid, tanh, relu}, element by element."""
    return {"sigmoid": sigmoid, "tanh": tanh, "relu": relu}[kind](a)


def _sigmoid_derivative(z):
    return z * (1.0 - z)


def _tanh_derivative(z):
    return 1.0 - z * z


def _relu_step(z):
    return 1.0 if z > 0 else 0.0


def activation_derivative(z: Array, kind: str) -> Array:
    """Z′ = ∂z/∂a in terms of the output z, element by element; any shape.

    sigmoid: z (1 − z);  tanh: 1 − z²;  relu: the step u(z) = 1 where z > 0, else 0 (0 at z = 0).
    """
    one_of("kind", kind, ACTIVATIONS)
    z = copied_array("z", z)
    if kind == "relu":
        refuse_complex("z", z, "the relu step is not analytic")
    derivative = {"sigmoid": _sigmoid_derivative, "tanh": _tanh_derivative, "relu": _relu_step}
    return _elementwise(z, derivative[kind])
