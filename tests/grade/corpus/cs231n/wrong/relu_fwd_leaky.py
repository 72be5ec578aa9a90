"""relu_forward: a leaky relu (0.01·x below zero) where the assignment asks for relu.

base: loops
expect: relu_forward = None
"""
import numpy as np


def relu_forward(x):
    out = np.where(x > 0, x, 0.01 * x)
    cache = x
    return out, cache
