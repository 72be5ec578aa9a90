"""relu_backward: the mask returned, dout never multiplied in.

base: vectorized
expect: relu_backward = RELU_NO_UPSTREAM
"""
import numpy as np

def relu_backward(dout, cache):
    x = cache
    return (x > 0).astype(float)
