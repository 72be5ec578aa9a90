"""conv_forward_naive: Python 2 xrange, never imported.

base: notebook_style
expect: conv_forward_naive = XRANGE
"""
import numpy as np

def conv_forward_naive(x, w, b, conv_param):
    stride = conv_param['stride']
    pad = conv_param['pad']
    N, C, H, W = x.shape
    F, C, HH, WW = w.shape
    H_prime = 1 + (H + 2 * pad - HH) // stride
    W_prime = 1 + (W + 2 * pad - WW) // stride
    out = np.zeros((N, F, H_prime, W_prime))
    x_padded = np.pad(x, ((0,), (0,), (pad,), (pad,)), mode='constant', constant_values=0)
    for n in xrange(N):
        for f in xrange(F):
            for h_p in xrange(H_prime):
                for w_p in xrange(W_prime):
                    x_window = x_padded[n, :, stride * h_p:stride * h_p + HH, stride * w_p:stride * w_p + WW]
                    out[n, f, h_p, w_p] = np.sum(w[f] * x_window) + b[f]
    cache = (x, w, b, conv_param)
    return out, cache
