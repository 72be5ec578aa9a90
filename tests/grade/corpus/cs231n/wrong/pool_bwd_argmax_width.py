"""max_pool_backward_naive: the flat argmax split with pool_height.

base: im2col
expect: max_pool_backward_naive = WINDOW_HW_SWAPPED
"""
import numpy as np

def max_pool_backward_naive(dout, cache):
    x, pool_param = cache
    N, C, H, W = x.shape
    ph, pw, stride = pool_param['pool_height'], pool_param['pool_width'], pool_param['stride']
    _, _, H_out, W_out = dout.shape
    dx = np.zeros(x.shape)
    for n in range(N):
        for c in range(C):
            for i in range(H_out):
                for j in range(W_out):
                    region = x[n, c, i * stride:i * stride + ph, j * stride:j * stride + pw]
                    idx = np.argmax(region)
                    dx[n, c, i * stride + idx // ph, j * stride + idx % ph] += dout[n, c, i, j]
    return dx
