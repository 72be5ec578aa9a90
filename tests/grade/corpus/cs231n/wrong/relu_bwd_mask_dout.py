"""relu_backward: the mask taken from dout instead of x.

base: loops
expect: relu_backward = RELU_MASK_OF_DOUT
"""
import numpy as np

def relu_backward(dout, cache):
    dx = dout * (dout > 0)
    return dx
