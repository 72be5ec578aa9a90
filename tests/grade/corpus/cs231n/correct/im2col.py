"""Layers for assignment 2, written with my own im2col (the fast version from class was too slow
to build on my laptop)."""
from builtins import range
import numpy as np


def im2col(x_pad, HH, WW, stride, H_out, W_out):
    N, C = x_pad.shape[:2]
    cols = np.zeros((C * HH * WW, N * H_out * W_out))
    col = 0
    for n in range(N):
        for i in range(H_out):
            for j in range(W_out):
                patch = x_pad[n, :, i * stride:i * stride + HH, j * stride:j * stride + WW]
                cols[:, col] = patch.reshape(-1)
                col += 1
    return cols


def col2im(cols, shape, HH, WW, stride, H_out, W_out):
    N, C = shape[:2]
    x_pad = np.zeros(shape)
    col = 0
    for n in range(N):
        for i in range(H_out):
            for j in range(W_out):
                x_pad[n, :, i * stride:i * stride + HH, j * stride:j * stride + WW] += cols[:, col].reshape(C, HH, WW)
                col += 1
    return x_pad


def affine_forward(x, w, b):
    out = x.reshape(x.shape[0], -1).dot(w) + b
    cache = (x, w, b)
    return out, cache


def affine_backward(dout, cache):
    x, w, b = cache
    dx = dout.dot(w.T).reshape(*x.shape)
    dw = x.reshape(x.shape[0], -1).T.dot(dout)
    db = np.sum(dout, axis=0)
    return dx, dw, db


def relu_forward(x):
    out = np.maximum(x, 0)
    cache = x
    return out, cache


def relu_backward(dout, cache):
    x = cache
    dx = dout.copy()
    dx[x <= 0] = 0
    return dx


def conv_forward_naive(x, w, b, conv_param):
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    stride, pad = conv_param['stride'], conv_param['pad']
    H_out = (H + 2 * pad - HH) // stride + 1
    W_out = (W + 2 * pad - WW) // stride + 1
    x_pad = np.pad(x, [(0, 0), (0, 0), (pad, pad), (pad, pad)], 'constant')
    cols = im2col(x_pad, HH, WW, stride, H_out, W_out)
    res = w.reshape(F, -1).dot(cols) + b.reshape(-1, 1)
    out = res.reshape(F, N, H_out, W_out).transpose(1, 0, 2, 3)
    cache = (x, w, b, conv_param, cols)
    return out, cache


def conv_backward_naive(dout, cache):
    x, w, b, conv_param, cols = cache
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    stride, pad = conv_param['stride'], conv_param['pad']
    _, _, H_out, W_out = dout.shape
    dout_r = dout.transpose(1, 0, 2, 3).reshape(F, -1)
    db = dout_r.sum(axis=1)
    dw = dout_r.dot(cols.T).reshape(w.shape)
    dcols = w.reshape(F, -1).T.dot(dout_r)
    dx_pad = col2im(dcols, (N, C, H + 2 * pad, W + 2 * pad), HH, WW, stride, H_out, W_out)
    dx = dx_pad[:, :, pad:pad + H, pad:pad + W]
    return dx, dw, db


def max_pool_forward_naive(x, pool_param):
    N, C, H, W = x.shape
    ph, pw, stride = pool_param['pool_height'], pool_param['pool_width'], pool_param['stride']
    H_out = (H - ph) // stride + 1
    W_out = (W - pw) // stride + 1
    out = np.zeros((N, C, H_out, W_out))
    for i in range(H_out):
        for j in range(W_out):
            out[:, :, i, j] = np.amax(x[:, :, i * stride:i * stride + ph, j * stride:j * stride + pw], axis=(2, 3))
    cache = (x, pool_param)
    return out, cache


def max_pool_backward_naive(dout, cache):
    x, pool_param = cache
    N, C, H, W = x.shape
    ph, pw, stride = pool_param['pool_height'], pool_param['pool_width'], pool_param['stride']
    _, _, H_out, W_out = dout.shape
    dx = np.zeros(x.shape)
    for n in range(N):
        for c in range(C):
            for i in range(H_out):
                for j in range(W_out):
                    region = x[n, c, i * stride:i * stride + ph, j * stride:j * stride + pw]
                    idx = np.argmax(region)
                    dx[n, c, i * stride + idx // pw, j * stride + idx % pw] += dout[n, c, i, j]
    return dx


def softmax_loss(x, y):
    num_train = x.shape[0]
    scores = x - np.max(x, axis=1).reshape(-1, 1)
    exp_scores = np.exp(scores)
    probs = exp_scores / np.sum(exp_scores, axis=1).reshape(-1, 1)
    loss = np.sum(-np.log(probs[range(num_train), y])) / num_train
    dscores = probs
    dscores[range(num_train), y] -= 1
    dscores /= num_train
    return loss, dscores
