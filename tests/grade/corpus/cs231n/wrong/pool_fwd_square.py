"""max_pool_forward_naive: pool_height used for the width too.

base: im2col
expect: max_pool_forward_naive = WINDOW_HW_SWAPPED
"""
import numpy as np

def max_pool_forward_naive(x, pool_param):
    N, C, H, W = x.shape
    ph, stride = pool_param['pool_height'], pool_param['stride']
    H_out = (H - ph) // stride + 1
    W_out = (W - ph) // stride + 1
    out = np.zeros((N, C, H_out, W_out))
    for i in range(H_out):
        for j in range(W_out):
            out[:, :, i, j] = np.amax(x[:, :, i * stride:i * stride + ph, j * stride:j * stride + ph], axis=(2, 3))
    cache = (x, pool_param)
    return out, cache
