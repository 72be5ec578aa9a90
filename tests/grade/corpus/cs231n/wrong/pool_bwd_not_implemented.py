"""max_pool_backward_naive: raises NotImplementedError.

base: python3
expect: max_pool_backward_naive = NOT_IMPLEMENTED
"""
import numpy as np

def max_pool_backward_naive(dout, cache):
    raise NotImplementedError("TODO")
