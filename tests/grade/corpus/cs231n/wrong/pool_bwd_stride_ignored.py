"""max_pool_backward_naive: window rows and columns at i and j.

base: loops
expect: max_pool_backward_naive = STRIDE_IGNORED
"""
import numpy as np

def max_pool_backward_naive(dout, cache):
    x, pool_param = cache
    N, C, H, W = x.shape
    ph = pool_param['pool_height']
    pw = pool_param['pool_width']
    stride = pool_param['stride']
    dx = np.zeros_like(x)
    for n in range(N):
        for c in range(C):
            for i in range(dout.shape[2]):
                for j in range(dout.shape[3]):
                    window = x[n, c, i:i + ph, j:j + pw]
                    a, b = np.unravel_index(np.argmax(window), window.shape)
                    dx[n, c, i + a, j + b] += dout[n, c, i, j]
    return dx
