"""conv2d_backward: dx cropped with [pad:-pad] (empty at pad 0).

base: correct
expect: conv2d_backward = PAD_SLICE
"""

import numpy as np


def conv2d_backward(dout, x, w, stride=1, pad=0, mode="cross-correlation"):
    flip = mode == "convolution"
    if flip:
        w = w[::-1, ::-1]
    kh, kw = w.shape[:2]
    xp = _pad(x, pad)
    dw = np.einsum("nijabc,nijf->abcf", _windows(xp, kh, kw, stride), dout)
    dxp = np.zeros_like(xp)
    for i in range(dout.shape[1]):
        for j in range(dout.shape[2]):
            r, s = i * stride, j * stride
            dxp[:, r : r + kh, s : s + kw, :] += np.einsum("nf,abcf->nabc", dout[:, i, j], w)
    dx = dxp[:, pad:-pad, pad:-pad, :]
    db = dout.sum(axis=(0, 1, 2))
    return dx, (dw[::-1, ::-1] if flip else dw), db
