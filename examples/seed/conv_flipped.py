"""A buggy ``seed`` submission: conv2d always flips the filters (the notes' convolution formula), so
cross-correlation mode is computed as convolution and vice versa.

NHWC images, (K, K, C, F) filters, a = X W + b, gradient ascent on J = Σ t log y (delta T − Y).

base: correct
"""

import numpy as np


def conv2d(x, w, b, stride=1, pad=0, mode="cross-correlation"):
    if mode == "cross-correlation":
        w = w[::-1, ::-1]
    patches = _windows(_pad(x, pad), w.shape[0], w.shape[1], stride)
    return np.einsum("nijabc,abcf->nijf", patches, w) + b


def conv2d_backward(dout, x, w, stride=1, pad=0, mode="cross-correlation"):
    flip = mode == "cross-correlation"
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
    dx = dxp[:, pad : pad + x.shape[1], pad : pad + x.shape[2], :]
    db = dout.sum(axis=(0, 1, 2))
    return dx, (dw[::-1, ::-1] if flip else dw), db
