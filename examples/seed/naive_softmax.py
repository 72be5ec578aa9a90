"""A buggy ``seed`` submission: softmax without subtracting the max, and the sigmoid derivative
re-applies σ to z.

NHWC images, (K, K, C, F) filters, a = X W + b, gradient ascent on J = Σ t log y (delta T − Y).

base: correct
"""

import numpy as np


def activation_derivative(z, kind):
    if kind == "sigmoid":
        return sigmoid(z) * (1 - sigmoid(z))
    if kind == "tanh":
        return 1 - z**2
    return (z > 0).astype(z.dtype)


def softmax(a):
    e = np.exp(a)
    return e / e.sum(axis=-1, keepdims=True)
