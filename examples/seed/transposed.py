"""A buggy ``seed`` submission: ∇V and the dense layer's dw come out transposed; the bias gradient
of
the dense layer is summed over the wrong axis.

NHWC images, (K, K, C, F) filters, a = X W + b, gradient ascent on J = Σ t log y (delta T − Y).

base: correct
"""


def dense_backward(delta, x, w):
    return delta @ w.T, delta.T @ x, delta.sum(axis=1)


def grad_V(z, t, y):
    return (t - y).T @ z
