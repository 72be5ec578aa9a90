"""affine_forward: x.dot(w) without reshaping x into rows.

base: loops
expect: affine_forward = NOT_FLATTENED
"""
import numpy as np

def affine_forward(x, w, b):
    out = x.dot(w) + b
    cache = (x, w, b)
    return out, cache
