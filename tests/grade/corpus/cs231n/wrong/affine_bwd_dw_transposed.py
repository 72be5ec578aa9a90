"""affine_backward: dw = dout.T x, the transpose.

base: loops
expect: affine_backward = TRANSPOSED
"""
import numpy as np

def affine_backward(dout, cache):
    x, w, b = cache
    N = x.shape[0]
    dx = dout.dot(w.T).reshape(x.shape)
    dw = dout.T.dot(x.reshape(N, -1))
    db = np.sum(dout, axis=0)
    return dx, dw, db
