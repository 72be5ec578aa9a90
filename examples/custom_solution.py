"""A student's solution to examples/custom_assignment.py (NHWC average pooling, leaky relu)."""

import numpy as np


def leaky_relu(a):
    return np.where(a > 0, a, 0.01 * a)


def avgpool2d_backward(dout, x, size):
    dx = np.zeros_like(x)
    for i in range(dout.shape[1]):
        for j in range(dout.shape[2]):
            share = dout[:, i : i + 1, j : j + 1, :] / size**2
            dx[:, i * size : (i + 1) * size, j * size : (j + 1) * size, :] += share
    return dx
