"""affine_backward: db summed with keepdims=True.

base: loops
expect: affine_backward = BIAS_KEEPDIMS
"""
import numpy as np

def affine_backward(dout, cache):
    x, w, b = cache
    N = x.shape[0]
    dx = dout.dot(w.T).reshape(x.shape)
    dw = x.reshape(N, -1).T.dot(dout)
    db = np.sum(dout, axis=0, keepdims=True)
    return dx, dw, db
