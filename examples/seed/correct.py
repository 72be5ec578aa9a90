"""A correct submission for the ``seed`` assignment: plain NumPy, the notes' conventions.

NHWC images, (K, K, C, F) filters, a = X W + b, gradient ascent on J = Σ t log y (delta T − Y).
"""

import numpy as np


def _pad(x, pad):
    return np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))


def _windows(x, kh, kw, stride):
    """patches[n, i, j, k1, k2, c] = x[n, i*stride + k1, j*stride + k2, c]."""
    n, h, w, c = x.shape
    oh, ow = (h - kh) // stride + 1, (w - kw) // stride + 1
    s = x.strides
    shape = (n, oh, ow, kh, kw, c)
    strides = (s[0], s[1] * stride, s[2] * stride, s[1], s[2], s[3])
    return np.lib.stride_tricks.as_strided(x, shape, strides, writeable=False)


def conv2d(x, w, b, stride=1, pad=0, mode="cross-correlation"):
    if mode == "convolution":
        w = w[::-1, ::-1]
    patches = _windows(_pad(x, pad), w.shape[0], w.shape[1], stride)
    return np.einsum("nijabc,abcf->nijf", patches, w) + b


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
    dx = dxp[:, pad : pad + x.shape[1], pad : pad + x.shape[2], :]
    db = dout.sum(axis=(0, 1, 2))
    return dx, (dw[::-1, ::-1] if flip else dw), db


def _pool_windows(x, size, stride):
    """The size × size windows of x, ``stride`` apart (side by side when stride is None)."""
    return _windows(x, size, size, size if stride is None else stride)


def maxpool2d(x, size=2, stride=None):
    return _pool_windows(x, size, stride).max(axis=(3, 4))


def maxpool2d_backward(dout, x, size=2, stride=None):
    stride = size if stride is None else stride
    dx = np.zeros_like(x)
    n, oh, ow, c = dout.shape
    for i in range(oh):
        for j in range(ow):
            window = x[:, i * stride : i * stride + size, j * stride : j * stride + size, :]
            flat = window.reshape(n, size * size, c)
            winner = flat.argmax(axis=1)
            k1, k2 = np.divmod(winner, size)
            nn, cc = np.meshgrid(np.arange(n), np.arange(c), indexing="ij")
            np.add.at(dx, (nn, i * stride + k1, j * stride + k2, cc), dout[:, i, j, :])
    return dx


def avgpool2d(x, size=2, stride=None):
    return _pool_windows(x, size, stride).mean(axis=(3, 4))


def avgpool2d_backward(dout, x, size=2, stride=None):
    stride = size if stride is None else stride
    dx = np.zeros_like(x)
    for i in range(dout.shape[1]):
        for j in range(dout.shape[2]):
            share = dout[:, i : i + 1, j : j + 1, :] / size**2
            dx[:, i * stride : i * stride + size, j * stride : j * stride + size, :] += share
    return dx


def dense(x, w, b):
    return x @ w + b


def dense_backward(delta, x, w):
    return delta @ w.T, x.T @ delta, delta.sum(axis=0)


def sigmoid(a):
    return 0.5 * (1.0 + np.tanh(0.5 * a))


def tanh(a):
    return np.tanh(a)


def relu(a):
    return np.maximum(a, 0.0)


def activation_derivative(z, kind):
    if kind == "sigmoid":
        return z * (1 - z)
    if kind == "tanh":
        return 1 - z**2
    return (z > 0).astype(z.dtype)


def softmax(a):
    e = np.exp(a - a.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def log_likelihood(t, y):
    hit = t > 0  # 0 · log 0 counts 0: only the targets' terms
    return float(np.sum(t[hit] * np.log(y[hit])))


def grad_V(z, t, y):
    return z.T @ (t - y)


def grad_c(t, y):
    return (t - y).sum(axis=0)


def hidden_delta_named(t, y, v, z, activation):
    return ((t - y) @ v.T) * activation_derivative(z, activation)


def grad_W(x, z, v, t, y, activation):
    return x.T @ hidden_delta_named(t, y, v, z, activation)


def grad_b(z, v, t, y, activation):
    return hidden_delta_named(t, y, v, z, activation).sum(axis=0)


def delta_recursion(weights, zs, t, y, activation):
    deltas = [t - y]
    for layer in range(len(weights) - 1, 0, -1):
        back = deltas[-1] @ weights[layer].T
        deltas.append(back * activation_derivative(zs[layer], activation))
    return deltas[::-1]


def backprop(weights, biases, x, t, activation):
    zs = [x]
    for w, b in zip(weights[:-1], biases[:-1], strict=True):
        a = dense(zs[-1], w, b)
        zs.append({"sigmoid": sigmoid, "tanh": tanh, "relu": relu}[activation](a))
    y = softmax(dense(zs[-1], weights[-1], biases[-1]))
    deltas = delta_recursion(weights, zs, t, y, activation)
    return [z.T @ d for z, d in zip(zs, deltas, strict=True)], [d.sum(axis=0) for d in deltas]
