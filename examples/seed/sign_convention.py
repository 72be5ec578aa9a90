"""A buggy ``seed`` submission: the output delta is Y − T (cross-entropy's sign) instead of T − Y.

NHWC images, (K, K, C, F) filters, a = X W + b, gradient ascent on J = Σ t log y (delta T − Y).

base: correct
"""


def grad_V(z, t, y):
    return z.T @ (y - t)


def grad_c(t, y):
    return (y - t).sum(axis=0)


def hidden_delta_named(t, y, v, z, activation):
    return ((y - t) @ v.T) * activation_derivative(z, activation)


def delta_recursion(weights, zs, t, y, activation):
    deltas = [y - t]
    for layer in range(len(weights) - 1, 0, -1):
        back = deltas[-1] @ weights[layer].T
        deltas.append(back * activation_derivative(zs[layer], activation))
    return deltas[::-1]
