"""max_pool_backward_naive: the mask written with = over the window.

base: notebook_style
expect: max_pool_backward_naive = OVERLAP_ASSIGN
"""
import numpy as np

def max_pool_backward_naive(dout, cache):
    x, pool_param = cache
    N, C, H, W = x.shape
    pool_height = pool_param['pool_height']
    pool_width = pool_param['pool_width']
    stride = pool_param['stride']
    _, _, H_prime, W_prime = dout.shape
    dx = np.zeros(x.shape)
    for n in range(N):
        for c in range(C):
            for h_p in range(H_prime):
                for w_p in range(W_prime):
                    hs, ws = stride * h_p, stride * w_p
                    x_window = x[n, c, hs:hs + pool_height, ws:ws + pool_width]
                    mask = (x_window == np.max(x_window))
                    region = dx[n, c, hs:hs + pool_height, ws:ws + pool_width]
                    region[mask] = dout[n, c, h_p, w_p]
    return dx
