"""A buggy ``seed`` submission: the hidden delta forgets the activation derivative Z′.

NHWC images, (K, K, C, F) filters, a = X W + b, gradient ascent on J = Σ t log y (delta T − Y).

base: correct
"""


def hidden_delta_named(t, y, v, z, activation):
    return (t - y) @ v.T


def delta_recursion(weights, zs, t, y, activation):
    deltas = [t - y]
    for layer in range(len(weights) - 1, 0, -1):
        back = deltas[-1] @ weights[layer].T
        deltas.append(back)
    return deltas[::-1]
