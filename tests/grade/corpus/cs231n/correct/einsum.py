import numpy as np


def affine_forward(x, w, b):
    X = x.reshape(len(x), -1)
    out = np.einsum("nd,dm->nm", X, w) + b
    return out, (x, w, b)


def affine_backward(dout, cache):
    x, w, b = cache
    X = x.reshape(len(x), -1)
    dx = np.einsum("nm,dm->nd", dout, w).reshape(x.shape)
    dw = np.einsum("nd,nm->dm", X, dout)
    db = np.einsum("nm->m", dout)
    return dx, dw, db


def relu_forward(x):
    return np.clip(x, 0, None), x


def relu_backward(dout, cache):
    return dout * (cache > 0).astype(dout.dtype)


def conv_forward_naive(x, w, b, conv_param):
    s, p = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    Ho, Wo = (H + 2 * p - HH) // s + 1, (W + 2 * p - WW) // s + 1
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    out = np.empty((N, F, Ho, Wo))
    for i in range(Ho):
        for j in range(Wo):
            out[:, :, i, j] = np.einsum("nchw,fchw->nf", xp[:, :, i * s:i * s + HH, j * s:j * s + WW], w)
    out += b[None, :, None, None]
    return out, (x, w, b, conv_param)


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
    db = np.einsum("nfhw->f", dout)
    H, W = x.shape[2:]
    return dxp[:, :, p:p + H, p:p + W], dw, db


def max_pool_forward_naive(x, pool_param):
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    N, C, H, W = x.shape
    Ho, Wo = (H - ph) // s + 1, (W - pw) // s + 1
    out = np.zeros((N, C, Ho, Wo))
    for i in range(Ho):
        for j in range(Wo):
            out[..., i, j] = x[..., i * s:i * s + ph, j * s:j * s + pw].reshape(N, C, -1).max(-1)
    return out, (x, pool_param)


def max_pool_backward_naive(dout, cache):
    x, pool_param = cache
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    dx = np.zeros_like(x)
    N, C = x.shape[:2]
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            win = x[..., i * s:i * s + ph, j * s:j * s + pw]
            mask = win == win.max(axis=(2, 3), keepdims=True)
            dx[..., i * s:i * s + ph, j * s:j * s + pw] += mask * dout[..., i, j][..., None, None]
    return dx


def softmax_loss(x, y):
    z = x - x.max(1, keepdims=True)
    lse = np.log(np.exp(z).sum(1))
    n = len(x)
    loss = np.mean(lse - z[np.arange(n), y])
    dx = np.exp(z - lse[:, None])
    dx[np.arange(n), y] -= 1
    return loss, dx / n
