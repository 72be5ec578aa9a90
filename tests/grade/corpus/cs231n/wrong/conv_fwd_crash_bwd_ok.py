"""conv_forward_naive crashes; its backward is right (graded with the canonical cache).

base: loops
expect: conv_forward_naive = None
"""
import numpy as np

def conv_forward_naive(x, w, b, conv_param):
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    stride, pad = conv_param['stride'], conv_param['pad']
    H_out = 1 + (H + 2 * pad - HH) // stride
    W_out = 1 + (W + 2 * pad - WW) // stride
    out = np.zeros((N, F, H_out, W_out))
    for n in range(N):
        for f in range(F):
            out[n, f] = np.convolve(x[n], w[f])
    cache = (x, w, b, conv_param)
    return out, cache
