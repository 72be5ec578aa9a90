"""A buggy ``seed`` submission: weight and bias gradients are averaged over the batch instead of
summed,
and the log-likelihood is a mean.

NHWC images, (K, K, C, F) filters, a = X W + b, gradient ascent on J = Σ t log y (delta T − Y).

base: correct
"""

import numpy as np


def log_likelihood(t, y):
    hit = t > 0
    return float(np.sum(t[hit] * np.log(y[hit]))) / len(t)


def grad_V(z, t, y):
    return z.T @ (t - y) / len(z)


def grad_c(t, y):
    return (t - y).mean(axis=0)


def grad_W(x, z, v, t, y, activation):
    return x.T @ hidden_delta_named(t, y, v, z, activation) / len(x)


def grad_b(z, v, t, y, activation):
    return hidden_delta_named(t, y, v, z, activation).mean(axis=0)
