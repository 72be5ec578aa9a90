from builtins import range
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def affine_forward(x, w, b):
    out = None
    out = np.matmul(x.reshape(x.shape[0], w.shape[0]), w) + b
    cache = (x, w, b)
    return out, cache


def affine_backward(dout, cache):
    x, w, b = cache
    dx = np.matmul(dout, w.T).reshape(x.shape)
    dw = np.matmul(x.reshape(x.shape[0], w.shape[0]).T, dout)
    db = dout.sum(0)
    return dx, dw, db


def relu_forward(x):
    out = np.where(x > 0, x, 0)
    return out, x


def relu_backward(dout, cache):
    x = cache
    dx = np.array(dout, copy=True)
    dx[x < 0] = 0
    return dx


def conv_forward_naive(x, w, b, conv_param):
    s, p = conv_param['stride'], conv_param['pad']
    F, C, HH, WW = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    win = sliding_window_view(xp, (HH, WW), axis=(2, 3))[:, :, ::s, ::s]
    out = np.einsum('nchwij,fcij->nfhw', win, w) + b[:, None, None]
    cache = (x, w, b, conv_param)
    return out, cache


def conv_backward_naive(dout, cache):
    x, w, b, conv_param = cache
    s, p = conv_param['stride'], conv_param['pad']
    F, C, HH, WW = w.shape
    N, _, H, W = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    win = sliding_window_view(xp, (HH, WW), axis=(2, 3))[:, :, ::s, ::s]
    dw = np.einsum('nchwij,nfhw->fcij', win, dout)
    db = dout.sum(axis=(0, 2, 3))
    dxp = np.zeros_like(xp)
    Ho, Wo = dout.shape[2], dout.shape[3]
    for i in range(HH):
        for j in range(WW):
            dxp[:, :, i:i + s * Ho:s, j:j + s * Wo:s] += np.einsum('nfhw,fc->nchw', dout, w[:, :, i, j])
    dx = dxp[:, :, p:p + H, p:p + W]
    return dx, dw, db


def max_pool_forward_naive(x, pool_param):
    ph, pw, s = pool_param['pool_height'], pool_param['pool_width'], pool_param['stride']
    out = sliding_window_view(x, (ph, pw), axis=(2, 3))[:, :, ::s, ::s].max(axis=(-2, -1))
    return out, (x, pool_param)


def max_pool_backward_naive(dout, cache):
    x, pool_param = cache
    ph, pw, s = pool_param['pool_height'], pool_param['pool_width'], pool_param['stride']
    win = sliding_window_view(x, (ph, pw), axis=(2, 3))[:, :, ::s, ::s]
    N, C, Ho, Wo = dout.shape
    k = win.reshape(N, C, Ho, Wo, -1).argmax(-1)
    dx = np.zeros_like(x)
    n_idx, c_idx, i_idx, j_idx = np.indices((N, C, Ho, Wo))
    np.add.at(dx, (n_idx, c_idx, i_idx * s + k // pw, j_idx * s + k % pw), dout)
    return dx


def softmax_loss(x, y):
    m = np.max(x, axis=1, keepdims=True)
    logsumexp = m + np.log(np.sum(np.exp(x - m), axis=1, keepdims=True))
    N = x.shape[0]
    loss = np.mean(logsumexp[:, 0] - x[np.arange(N), y])
    dx = np.exp(x - logsumexp)
    dx[np.arange(N), y] -= 1
    dx /= N
    return loss, dx
