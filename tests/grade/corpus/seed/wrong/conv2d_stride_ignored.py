"""conv2d: windows at (i, j) whatever the stride, cropped to the output size.

base: correct
expect: conv2d = STRIDE_IGNORED
"""

import numpy as np


def conv2d(x, w, b, stride=1, pad=0, mode="cross-correlation"):
    if mode == "convolution":
        w = w[::-1, ::-1]
    xp = _pad(x, pad)
    oh = (xp.shape[1] - w.shape[0]) // stride + 1
    ow = (xp.shape[2] - w.shape[1]) // stride + 1
    patches = _windows(xp, w.shape[0], w.shape[1], 1)[:, :oh, :ow]
    return np.einsum("nijabc,abcf->nijf", patches, w) + b
