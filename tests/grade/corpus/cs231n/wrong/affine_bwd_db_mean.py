"""affine_backward: db the mean over the batch.

base: loops
expect: affine_backward = MEAN_NOT_SUM
"""
import numpy as np

def affine_backward(dout, cache):
    x, w, b = cache
    N = x.shape[0]
    dx = dout.dot(w.T).reshape(x.shape)
    dw = x.reshape(N, -1).T.dot(dout)
    db = np.mean(dout, axis=0)
    return dx, dw, db
