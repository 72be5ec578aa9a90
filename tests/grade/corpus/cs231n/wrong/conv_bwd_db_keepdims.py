"""conv_backward_naive: db with keepdims=True, shape (1, F, 1, 1).

base: einsum
expect: conv_backward_naive = BIAS_KEEPDIMS
"""
import numpy as np

def conv_backward_naive(dout, cache):
    x, w, b, conv_param = cache
    s, p = conv_param["stride"], conv_param["pad"]
    F, _, HH, WW = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    dxp, dw = np.zeros(xp.shape), np.zeros(w.shape)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            win = xp[:, :, i * s:i * s + HH, j * s:j * s + WW]
            dw += np.einsum("nf,nchw->fchw", dout[:, :, i, j], win)
            dxp[:, :, i * s:i * s + HH, j * s:j * s + WW] += np.einsum("nf,fchw->nchw", dout[:, :, i, j], w)
    db = np.sum(dout, axis=(0, 2, 3), keepdims=True)
    H, W = x.shape[2:]
    return dxp[:, :, p:p + H, p:p + W], dw, db
