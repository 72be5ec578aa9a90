"""A buggy ``seed`` submission: max-pool backward sends the upstream gradient to every element of
the window.

NHWC images, (K, K, C, F) filters, a = X W + b, gradient ascent on J = Σ t log y (delta T − Y).

base: correct
"""

import numpy as np


def maxpool2d_backward(dout, x, size=2, stride=None):
    stride = size if stride is None else stride
    dx = np.zeros_like(x)
    _, oh, ow, _ = dout.shape
    for i in range(oh):
        for j in range(ow):
            dx[:, i * stride : i * stride + size, j * stride : j * stride + size, :] += dout[
                :, i : i + 1, j : j + 1, :
            ]
    return dx
