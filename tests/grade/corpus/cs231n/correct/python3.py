"""CS231n assignment 2 layers, Python 3.10."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]


@dataclass(frozen=True)
class ConvCache:
    x: Array
    w: Array
    b: Array
    stride: int
    pad: int


def affine_forward(x: Array, w: Array, b: Array) -> tuple[Array, tuple]:
    out = x.reshape(x.shape[0], -1) @ w + b
    return out, (x, w, b)


def affine_backward(dout: Array, cache: tuple) -> tuple[Array, Array, Array]:
    x, w, _ = cache
    return (dout @ w.T).reshape(x.shape), x.reshape(len(x), -1).T @ dout, dout.sum(axis=0)


def relu_forward(x: Array) -> tuple[Array, Array]:
    return np.maximum(x, 0.0), x


def relu_backward(dout: Array, cache: Array) -> Array:
    return dout * (cache > 0)


def _out_size(size: int, window: int, stride: int, pad: int = 0) -> int:
    if (extra := size + 2 * pad - window) % stride:
        raise ValueError(f"window {window} with stride {stride} does not fit {size}")
    return extra // stride + 1


def conv_forward_naive(x: Array, w: Array, b: Array, conv_param: dict) -> tuple[Array, ConvCache]:
    stride, pad = conv_param["stride"], conv_param["pad"]
    n, _, h, wd = x.shape
    f, _, hh, ww = w.shape
    ho, wo = _out_size(h, hh, stride, pad), _out_size(wd, ww, stride, pad)
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = np.zeros((n, f, ho, wo))
    for i, j in np.ndindex(ho, wo):
        patch = xp[:, :, i * stride:i * stride + hh, j * stride:j * stride + ww]
        out[:, :, i, j] = patch.reshape(n, -1) @ w.reshape(f, -1).T + b
    return out, ConvCache(x, w, b, stride, pad)


def conv_backward_naive(dout: Array, cache: ConvCache) -> tuple[Array, Array, Array]:
    x, w, stride, pad = cache.x, cache.w, cache.stride, cache.pad
    n, c, h, wd = x.shape
    f, _, hh, ww = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dxp, dw = np.zeros_like(xp), np.zeros_like(w)
    for i, j in np.ndindex(*dout.shape[2:]):
        rows, cols = slice(i * stride, i * stride + hh), slice(j * stride, j * stride + ww)
        g = dout[:, :, i, j]
        dw += (g.T @ xp[:, :, rows, cols].reshape(n, -1)).reshape(w.shape)
        dxp[:, :, rows, cols] += (g @ w.reshape(f, -1)).reshape(n, c, hh, ww)
    return dxp[:, :, pad:pad + h, pad:pad + wd], dw, dout.sum(axis=(0, 2, 3))


def max_pool_forward_naive(x: Array, pool_param: dict) -> tuple[Array, tuple]:
    ph, pw, s = (pool_param[k] for k in ("pool_height", "pool_width", "stride"))
    ho, wo = _out_size(x.shape[2], ph, s), _out_size(x.shape[3], pw, s)
    out = np.stack(
        [np.stack([x[:, :, i * s:i * s + ph, j * s:j * s + pw].max(axis=(2, 3)) for j in range(wo)], axis=-1) for i in range(ho)],
        axis=-2,
    )
    return out, (x, pool_param)


def max_pool_backward_naive(dout: Array, cache: tuple) -> Array:
    x, pool_param = cache
    ph, pw, s = (pool_param[k] for k in ("pool_height", "pool_width", "stride"))
    dx = np.zeros_like(x)
    for n, c, i, j in np.ndindex(*dout.shape):
        window = x[n, c, i * s:i * s + ph, j * s:j * s + pw]
        r, q = divmod(int(window.argmax()), pw)
        dx[n, c, i * s + r, j * s + q] += dout[n, c, i, j]
    return dx


def softmax_loss(x: Array, y: NDArray[np.int64]) -> tuple[float, Array]:
    n = len(x)
    z = x - x.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    loss = float(-log_p[np.arange(n), y].mean())
    dx = np.exp(log_p)
    dx[np.arange(n), y] -= 1.0
    return loss, dx / n
