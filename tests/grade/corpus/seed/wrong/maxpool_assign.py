"""maxpool2d_backward: = instead of += where windows overlap.

base: correct
expect: maxpool2d_backward = OVERLAP_ASSIGN
"""

import numpy as np


def maxpool2d_backward(dout, x, size=2, stride=None):
    stride = size if stride is None else stride
    dx = np.zeros_like(x)
    n, oh, ow, c = dout.shape
    for i in range(oh):
        for j in range(ow):
            window = x[:, i * stride : i * stride + size, j * stride : j * stride + size, :]
            winner = window.reshape(n, size * size, c).argmax(axis=1)
            k1, k2 = np.divmod(winner, size)
            nn, cc = np.meshgrid(np.arange(n), np.arange(c), indexing="ij")
            dx[nn, i * stride + k1, j * stride + k2, cc] = dout[:, i, j, :]
    return dx
