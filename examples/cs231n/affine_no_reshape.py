"""A buggy ``cs231n`` submission: affine_backward returns dx in the flattened (N, D) shape.

base: correct
"""


def affine_backward(dout, cache):
    x, w, _ = cache
    dx = dout @ w.T
    dw = x.reshape(x.shape[0], -1).T @ dout
    db = dout.sum(axis=0)
    return dx, dw, db
