# Assignment 2 -- layers.py (copied out of my notebook)
from builtins import range
import numpy as np
import math

np.random.seed(231)


def affine_forward(x, w, b):
    """Computes the forward pass for an affine layer."""
    num_inputs = x.shape[0]
    input_shape = x.shape[1:]
    output_dim = b.shape[0]
    out = np.dot(x.reshape(num_inputs, -1), w) + b
    cache = (x, w, b)
    return out, cache


def affine_backward(dout, cache):
    x, w, b = cache
    dx, dw, db = None, None, None
    dx = np.dot(dout, w.T)
    dx = np.reshape(dx, x.shape)
    x_row = x.reshape(x.shape[0], -1)
    dw = np.dot(x_row.T, dout)
    db = np.sum(dout, axis=0, keepdims=True).reshape(-1)
    return dx, dw, db


def relu_forward(x):
    out = None
    out = x.copy()
    out[x <= 0] = 0.0
    cache = x
    return out, cache


def relu_backward(dout, cache):
    dx, x = None, cache
    dx = (x > 0) * dout
    return dx


def batchnorm_forward(x, gamma, beta, bn_param):
    raise NotImplementedError("batchnorm is next week")


def conv_forward_naive(x, w, b, conv_param):
    out = None
    stride = conv_param['stride']
    pad = conv_param['pad']
    N, C, H, W = x.shape
    F, C, HH, WW = w.shape
    H_prime = int(1 + (H + 2 * pad - HH) / stride)
    W_prime = int(1 + (W + 2 * pad - WW) / stride)
    out = np.zeros((N, F, H_prime, W_prime))
    x_padded = np.pad(x, ((0,), (0,), (pad,), (pad,)), mode='constant', constant_values=0)
    for n in range(N):
        for f in range(F):
            for h_p in range(H_prime):
                for w_p in range(W_prime):
                    x_window = x_padded[n, :, stride * h_p:stride * h_p + HH, stride * w_p:stride * w_p + WW]
                    out[n, f, h_p, w_p] = np.sum(w[f] * x_window) + b[f]
    cache = (x, w, b, conv_param)
    return out, cache


def conv_backward_naive(dout, cache):
    dx, dw, db = None, None, None
    x, w, b, conv_param = cache
    stride = conv_param['stride']
    pad = conv_param['pad']
    N, C, H, W = x.shape
    F, C, HH, WW = w.shape
    _, _, H_prime, W_prime = dout.shape
    x_padded = np.pad(x, ((0,), (0,), (pad,), (pad,)), mode='constant', constant_values=0)
    dx_padded = np.zeros(x_padded.shape)
    dw = np.zeros(w.shape)
    db = np.zeros(b.shape)
    for n in range(N):
        for f in range(F):
            for h_p in range(H_prime):
                for w_p in range(W_prime):
                    x_window = x_padded[n, :, stride * h_p:stride * h_p + HH, stride * w_p:stride * w_p + WW]
                    dw[f] += x_window * dout[n, f, h_p, w_p]
                    db[f] += dout[n, f, h_p, w_p]
                    dx_padded[n, :, stride * h_p:stride * h_p + HH, stride * w_p:stride * w_p + WW] += w[f] * dout[n, f, h_p, w_p]
    dx = dx_padded[:, :, pad:pad + H, pad:pad + W]
    return dx, dw, db


def max_pool_forward_naive(x, pool_param):
    out = None
    N, C, H, W = x.shape
    pool_height = pool_param['pool_height']
    pool_width = pool_param['pool_width']
    stride = pool_param['stride']
    H_prime = int(1 + (H - pool_height) / stride)
    W_prime = int(1 + (W - pool_width) / stride)
    out = np.zeros((N, C, H_prime, W_prime))
    for n in range(N):
        for h_p in range(H_prime):
            for w_p in range(W_prime):
                x_window = x[n, :, stride * h_p:stride * h_p + pool_height, stride * w_p:stride * w_p + pool_width]
                out[n, :, h_p, w_p] = np.max(x_window, axis=(-1, -2))
    cache = (x, pool_param)
    return out, cache


def max_pool_backward_naive(dout, cache):
    dx = None
    x, pool_param = cache
    N, C, H, W = x.shape
    pool_height = pool_param['pool_height']
    pool_width = pool_param['pool_width']
    stride = pool_param['stride']
    _, _, H_prime, W_prime = dout.shape
    dx = np.zeros(x.shape)
    for n in range(N):
        for c in range(C):
            for h_p in range(H_prime):
                for w_p in range(W_prime):
                    x_window = x[n, c, stride * h_p:stride * h_p + pool_height, stride * w_p:stride * w_p + pool_width]
                    mask = (x_window == np.max(x_window))
                    dx[n, c, stride * h_p:stride * h_p + pool_height, stride * w_p:stride * w_p + pool_width] += mask * dout[n, c, h_p, w_p]
    return dx


def softmax_loss(x, y):
    probs = np.exp(x - np.max(x, axis=1, keepdims=True))
    probs /= np.sum(probs, axis=1, keepdims=True)
    N = x.shape[0]
    loss = -np.sum(np.log(probs[np.arange(N), y])) / N
    dx = probs.copy()
    dx[np.arange(N), y] -= 1
    dx /= N
    return loss, dx


print("all layers defined")
