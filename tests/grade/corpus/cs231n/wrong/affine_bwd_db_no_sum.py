"""affine_backward: db = dout, never summed over the batch.

base: einsum
expect: affine_backward = BIAS_NO_BATCH_SUM
"""
import numpy as np

def affine_backward(dout, cache):
    x, w, b = cache
    X = x.reshape(len(x), -1)
    dx = np.einsum("nm,dm->nd", dout, w).reshape(x.shape)
    dw = np.einsum("nd,nm->dm", X, dout)
    db = dout
    return dx, dw, db
