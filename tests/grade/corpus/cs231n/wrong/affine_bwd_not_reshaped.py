"""affine_backward: dx left in the (N, D) shape.

base: vectorized
expect: affine_backward = NOT_RESHAPED
"""
import numpy as np

def affine_backward(dout, cache):
    x, w, b = cache
    x2 = np.reshape(x, (x.shape[0], -1))
    dx = dout @ w.T
    dw = x2.T @ dout
    db = dout.sum(axis=0)
    return dx, dw, db
