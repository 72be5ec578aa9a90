"""dense: the product computed in float32, the result handed back as float64.

base: correct
expect: dense = SINGLE_PRECISION
expect: backprop = SINGLE_PRECISION
"""

import numpy as np


def dense(x, w, b):
    a = x.astype(np.float32) @ w.astype(np.float32) + b.astype(np.float32)
    return a.astype(np.float64)
