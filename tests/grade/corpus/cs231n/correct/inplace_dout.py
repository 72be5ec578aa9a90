import numpy as np


def affine_forward(x, w, b):
    N = x.shape[0]
    out = np.dot(x.reshape(N, -1), w)
    out += b
    cache = (x, w, b)
    return out, cache


def affine_backward(dout, cache):
    x, w, b = cache
    db = np.sum(dout, axis=0)
    dw = np.dot(x.reshape(x.shape[0], -1).T, dout)
    dx = np.dot(dout, w.T).reshape(x.shape)
    return dx, dw, db


def relu_forward(x):
    out = x.copy()
    out[out < 0] = 0
    cache = x
    return out, cache


def relu_backward(dout, cache):
    x = cache
    dout[x <= 0] = 0
    dx = dout
    return dx


def conv_forward_naive(x, w, b, conv_param):
    N, C, H, W = x.shape
    F, C, HH, WW = w.shape
    S, P = conv_param['stride'], conv_param['pad']
    Hn = (H - HH + 2 * P) // S + 1
    Wn = (W - WW + 2 * P) // S + 1
    xp = np.zeros((N, C, H + 2 * P, W + 2 * P))
    xp[:, :, P:P + H, P:P + W] = x
    out = np.zeros((N, F, Hn, Wn))
    for n in range(N):
        for f in range(F):
            for hi in range(Hn):
                for wi in range(Wn):
                    out[n, f, hi, wi] = (xp[n, :, hi * S:hi * S + HH, wi * S:wi * S + WW] * w[f, :, :, :]).sum() + b[f]
    cache = (x, w, b, conv_param)
    return out, cache


def conv_backward_naive(dout, cache):
    x, w, b, conv_param = cache
    N, C, H, W = x.shape
    F, C, HH, WW = w.shape
    S, P = conv_param['stride'], conv_param['pad']
    Hn, Wn = dout.shape[2], dout.shape[3]
    xp = np.zeros((N, C, H + 2 * P, W + 2 * P))
    xp[:, :, P:P + H, P:P + W] = x
    dxp = np.zeros(xp.shape)
    dw = np.zeros(w.shape)
    db = np.sum(dout, axis=(0, 2, 3))
    for n in range(N):
        for f in range(F):
            for hi in range(Hn):
                for wi in range(Wn):
                    dw[f] += xp[n, :, hi * S:hi * S + HH, wi * S:wi * S + WW] * dout[n, f, hi, wi]
                    dxp[n, :, hi * S:hi * S + HH, wi * S:wi * S + WW] += w[f] * dout[n, f, hi, wi]
    dx = dxp[:, :, P:H + P, P:W + P]
    return dx, dw, db


def max_pool_forward_naive(x, pool_param):
    N, C, H, W = x.shape
    PH, PW, S = pool_param['pool_height'], pool_param['pool_width'], pool_param['stride']
    Hn, Wn = (H - PH) // S + 1, (W - PW) // S + 1
    out = np.zeros((N, C, Hn, Wn))
    for hi in range(Hn):
        for wi in range(Wn):
            out[:, :, hi, wi] = np.max(x[:, :, hi * S:hi * S + PH, wi * S:wi * S + PW], axis=(-1, -2))
    cache = (x, pool_param)
    return out, cache


def max_pool_backward_naive(dout, cache):
    x, pool_param = cache
    N, C, H, W = x.shape
    PH, PW, S = pool_param['pool_height'], pool_param['pool_width'], pool_param['stride']
    dx = np.zeros_like(x)
    for n in range(N):
        for c in range(C):
            for hi in range(dout.shape[2]):
                for wi in range(dout.shape[3]):
                    patch = x[n, c, hi * S:hi * S + PH, wi * S:wi * S + PW]
                    m = np.max(patch)
                    dx[n, c, hi * S:hi * S + PH, wi * S:wi * S + PW] += (patch == m) * dout[n, c, hi, wi]
    return dx


def softmax_loss(x, y):
    x -= np.max(x, axis=1, keepdims=True)
    probs = np.exp(x)
    probs /= np.sum(probs, axis=1, keepdims=True)
    N = x.shape[0]
    loss = -np.sum(np.log(probs[np.arange(N), y])) / N
    dx = probs.copy()
    dx[np.arange(N), y] -= 1
    dx /= N
    return loss, dx
