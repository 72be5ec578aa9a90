"""affine_forward: the bias forgotten.

base: loops
expect: affine_forward = BIAS_FORGOTTEN
"""
import numpy as np

def affine_forward(x, w, b):
    N = x.shape[0]
    out = x.reshape(N, -1).dot(w)
    cache = (x, w, b)
    return out, cache
