"""Naive twins of ``cnnref/activations.py``: σ, tanh, relu and their derivatives, element by
element."""

from __future__ import annotations

import numpy as np

from .arguments import ACTIVATIONS, Array, copied_array, one_of, refuse_complex


def _sigmoid_scalar(a):
    """σ(a) = 1 / (1 + e^(−a)), written as e^a / (1 + e^a) for Re a < 0 so nothing overflows."""
    if a.real >= 0:
        return 1.0 / (1.0 + np.exp(-a))
    e = np.exp(a)
    return e / (1.0 + e)


def sigmoid(a: Array) -> Array:
    """z = σ(a) = 1 / (1 + exp(−a)), element by element; any shape, complex allowed."""
    a = copied_array("a", a)
    z = np.empty_like(a)
    for index in np.ndindex(a.shape):
        z[index] = _sigmoid_scalar(a[index])
    return z


def tanh(a: Array) -> Array:
    """z = tanh(a), element by element; any shape, complex allowed."""
    a = copied_array("a", a)
    z = np.empty_like(a)
    for index in np.ndindex(a.shape):
        z[index] = np.tanh(a[index])
    return z


def relu(a: Array) -> Array:
    """z = max(a, 0), element by element (NaN propagates); any shape, real only."""
    a = copied_array("a", a)
    refuse_complex("a", a, "relu is not analytic at 0")
    z = np.empty_like(a)
    for index in np.ndindex(a.shape):
        z[index] = 0.0 if a[index] <= 0 else a[index]
    return z


def activate(a: Array, kind: str) -> Array:
    """z = σ(a) for ``kind`` ∈ {sigmoid, tanh, relu}, element by element."""
    return {"sigmoid": sigmoid, "tanh": tanh, "relu": relu}[kind](a)


def activation_derivative(z: Array, kind: str) -> Array:
    """Z′ = ∂z/∂a in terms of the output z, element by element; any shape.

    sigmoid: z (1 − z);  tanh: 1 − z²;  relu: the step u(z) = 1 where z > 0, else 0 (0 at z = 0).
    """
    one_of("kind", kind, ACTIVATIONS)
    z = copied_array("z", z)
    if kind == "relu":
        refuse_complex("z", z, "the relu step is not analytic")
    dz = np.empty_like(z)
    for index in np.ndindex(z.shape):
        value = z[index]
        if kind == "sigmoid":
            dz[index] = value * (1.0 - value)
        elif kind == "tanh":
            dz[index] = 1.0 - value * value
        else:
            dz[index] = 1.0 if value > 0 else 0.0
    return dz
