import numpy as np
from numpy.lib.stride_tricks import as_strided


def _windows(a, hh, ww, stride):
    n, c, h, w = a.shape
    ho, wo = (h - hh) // stride + 1, (w - ww) // stride + 1
    sn, sc, sh, sw = a.strides
    return as_strided(a, shape=(n, c, ho, wo, hh, ww), strides=(sn, sc, sh * stride, sw * stride, sh, sw), writeable=False)


def affine_forward(x, w, b):
    out = x.reshape(x.shape[0], -1).dot(w) + b
    return out, (x, w, b)


def affine_backward(dout, cache):
    x, w, b = cache
    return dout.dot(w.T).reshape(x.shape), x.reshape(x.shape[0], -1).T.dot(dout), dout.sum(0)


def relu_forward(x):
    return x.clip(min=0), x


def relu_backward(dout, cache):
    return np.multiply(dout, cache > 0)


def conv_forward_naive(x, w, b, conv_param):
    stride, pad = conv_param['stride'], conv_param['pad']
    xp = np.ascontiguousarray(np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad))))
    win = _windows(xp, w.shape[2], w.shape[3], stride)
    out = np.tensordot(win, w, axes=([1, 4, 5], [1, 2, 3]))  # n, ho, wo, f
    out = out.transpose(0, 3, 1, 2) + b.reshape(1, -1, 1, 1)
    return out, (x, w, b, conv_param)


def conv_backward_naive(dout, cache):
    x, w, b, conv_param = cache
    stride, pad = conv_param['stride'], conv_param['pad']
    F, C, HH, WW = w.shape
    xp = np.ascontiguousarray(np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad))))
    win = _windows(xp, HH, WW, stride)
    dw = np.tensordot(dout, win, axes=([0, 2, 3], [0, 2, 3]))  # f, c, hh, ww
    db = dout.sum(axis=(0, 2, 3))
    dxp = np.zeros_like(xp)
    Ho, Wo = dout.shape[2:]
    for a in range(HH):
        for c in range(WW):
            contrib = np.tensordot(dout, w[:, :, a, c], axes=([1], [0]))  # n, ho, wo, C
            dxp[:, :, a:a + stride * Ho:stride, c:c + stride * Wo:stride] += contrib.transpose(0, 3, 1, 2)
    H, W = x.shape[2:]
    return dxp[:, :, pad:pad + H, pad:pad + W], dw, db


def max_pool_forward_naive(x, pool_param):
    win = _windows(np.ascontiguousarray(x), pool_param['pool_height'], pool_param['pool_width'], pool_param['stride'])
    return win.max(axis=(4, 5)), (x, pool_param)


def max_pool_backward_naive(dout, cache):
    x, pool_param = cache
    ph, pw, s = pool_param['pool_height'], pool_param['pool_width'], pool_param['stride']
    win = _windows(np.ascontiguousarray(x), ph, pw, s)
    n, c, ho, wo = dout.shape
    flat = win.reshape(n, c, ho, wo, ph * pw).argmax(axis=-1)
    dx = np.zeros_like(x)
    for i in range(ho):
        for j in range(wo):
            r = i * s + flat[:, :, i, j] // pw
            q = j * s + flat[:, :, i, j] % pw
            for nn in range(n):
                for cc in range(c):
                    dx[nn, cc, r[nn, cc], q[nn, cc]] += dout[nn, cc, i, j]
    return dx


def softmax_loss(x, y):
    shifted = x - np.max(x, axis=1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    N = x.shape[0]
    loss = -np.sum(log_probs[np.arange(N), y]) / N
    dx = np.exp(log_probs)
    dx[np.arange(N), y] -= 1
    dx /= N
    return loss, dx
