"""A buggy ``cs231n`` submission: max-pool backward gives every element of the window the upstream
gradient.

base: correct
"""

import numpy as np


def max_pool_backward_naive(dout, cache):
    x, pool_param = cache
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    dx = np.zeros_like(x)
    for n in range(x.shape[0]):
        for c in range(x.shape[1]):
            for i in range(dout.shape[2]):
                for j in range(dout.shape[3]):
                    dx[n, c, i * s : i * s + ph, j * s : j * s + pw] += dout[n, c, i, j]
    return dx
