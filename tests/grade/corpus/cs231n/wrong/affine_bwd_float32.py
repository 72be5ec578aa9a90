"""affine_backward: the products computed in float32.

base: loops
expect: affine_backward = SINGLE_PRECISION
"""
import numpy as np

def affine_backward(dout, cache):
    x, w, b = cache
    N = x.shape[0]
    x32, w32, d32 = x.astype(np.float32), w.astype(np.float32), dout.astype(np.float32)
    dx = d32.dot(w32.T).reshape(x.shape)
    dw = x32.reshape(N, -1).T.dot(d32)
    db = np.sum(dout, axis=0)
    return dx, dw, db
