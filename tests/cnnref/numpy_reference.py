"""A plain NumPy implementation of cnnref's functions, written for the tests.

It shares no code with cnnref: convolutions are loops over kernel offsets with einsum, pooling loops
over windows, the gradients of the network follow the chain rule with derivatives taken from the
pre-activations a (not from z). Everything is computed in float64 whatever the input dtype, so it
can serve as the reference for float32 results too.
"""

from __future__ import annotations

import numpy as np


def _f64(*arrays: np.ndarray) -> list[np.ndarray]:
    return [np.asarray(a, dtype=np.float64) for a in arrays]


def _padded(x: np.ndarray, pad: int) -> np.ndarray:
    return np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))


def _out_size(size: int, kernel: int, stride: int, pad: int) -> int:
    return (size + 2 * pad - kernel) // stride + 1


def _filter_tap(w: np.ndarray, k1: int, k2: int, mode: str) -> np.ndarray:
    """The (C, F) slice of w that multiplies the input at offset (k1, k2) of a window.

    Cross-correlation uses w[k1, k2]. The notes' convolution
    out[i, j] = Σ in[i − k1, j − k2] f[k1, k2], re-indexed to the valid region, multiplies
    in[i + KH − 1 − k1, …] by f[k1, k2]: window offset (k1, k2) meets f[KH − 1 − k1, KW − 1 − k2].
    """
    if mode == "convolution":
        return w[w.shape[0] - 1 - k1, w.shape[1] - 1 - k2]
    return w[k1, k2]


def conv2d(x, w, b, stride: int = 1, pad: int = 0, mode: str = "cross-correlation") -> np.ndarray:
    """out[n, i, j, f] = b[f] + Σ_{k1, k2, c} in[n, i·s + k1, j·s + k2, c] · tap(k1, k2)[c, f]."""
    x, w, b = _f64(x, w, b)
    kh, kw = w.shape[:2]
    ho = _out_size(x.shape[1], kh, stride, pad)
    wo = _out_size(x.shape[2], kw, stride, pad)
    xp = _padded(x, pad)
    out = np.zeros((x.shape[0], ho, wo, w.shape[3])) + b
    for k1 in range(kh):
        for k2 in range(kw):
            patch = xp[:, k1 : k1 + stride * ho : stride, k2 : k2 + stride * wo : stride, :]
            out += np.einsum("nijc,cf->nijf", patch, _filter_tap(w, k1, k2, mode))
    return out


def conv2d_backward(
    dout, x, w, stride: int = 1, pad: int = 0, mode: str = "cross-correlation"
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(dx, dw, db) of :func:`conv2d` for the upstream gradient dout, by scattering per offset."""
    dout, x, w = _f64(dout, x, w)
    kh, kw = w.shape[:2]
    ho, wo = dout.shape[1:3]
    xp = _padded(x, pad)
    dxp = np.zeros_like(xp)
    dw = np.zeros_like(w)
    for k1 in range(kh):
        for k2 in range(kw):
            rows = slice(k1, k1 + stride * ho, stride)
            cols = slice(k2, k2 + stride * wo, stride)
            tap = _filter_tap(w, k1, k2, mode)
            dxp[:, rows, cols, :] += np.einsum("nijf,cf->nijc", dout, tap)
            dtap = np.einsum("nijc,nijf->cf", xp[:, rows, cols, :], dout)
            if mode == "convolution":
                dw[kh - 1 - k1, kw - 1 - k2] += dtap
            else:
                dw[k1, k2] += dtap
    dx = dxp[:, pad : pad + x.shape[1], pad : pad + x.shape[2], :]
    return dx, dw, dout.sum(axis=(0, 1, 2))


def _windows(x: np.ndarray, size: int, stride: int):
    """Yield (i, j, rows, cols) for every pooling window that fits inside x."""
    ho = (x.shape[1] - size) // stride + 1
    wo = (x.shape[2] - size) // stride + 1
    for i in range(ho):
        for j in range(wo):
            yield i, j, slice(i * stride, i * stride + size), slice(j * stride, j * stride + size)


def _pool_shape(x: np.ndarray, size: int, stride: int) -> tuple[int, int, int, int]:
    n, h, w, c = x.shape
    return n, (h - size) // stride + 1, (w - size) // stride + 1, c


def maxpool2d(x, size: int = 2, stride: int | None = None) -> np.ndarray:
    """out[n, i, j, c] = the largest element of window (i, j) of channel c."""
    (x,) = _f64(x)
    stride = size if stride is None else stride
    out = np.empty(_pool_shape(x, size, stride))
    for i, j, rows, cols in _windows(x, size, stride):
        out[:, i, j, :] = x[:, rows, cols, :].max(axis=(1, 2))
    return out


def maxpool2d_backward(dout, x, size: int = 2, stride: int | None = None) -> np.ndarray:
    """Each window's gradient goes to its first maximum in row-major order (np.argmax's rule)."""
    dout, x = _f64(dout, x)
    stride = size if stride is None else stride
    dx = np.zeros_like(x)
    n, c = x.shape[0], x.shape[3]
    for i, j, rows, cols in _windows(x, size, stride):
        flat = x[:, rows, cols, :].reshape(n, size * size, c)
        winner = flat.argmax(axis=1)
        for batch in range(n):
            for channel in range(c):
                k1, k2 = divmod(int(winner[batch, channel]), size)
                r, s = rows.start + k1, cols.start + k2
                dx[batch, r, s, channel] += dout[batch, i, j, channel]
    return dx


def avgpool2d(x, size: int = 2, stride: int | None = None) -> np.ndarray:
    """out[n, i, j, c] = the mean of window (i, j) of channel c."""
    (x,) = _f64(x)
    stride = size if stride is None else stride
    out = np.empty(_pool_shape(x, size, stride))
    for i, j, rows, cols in _windows(x, size, stride):
        out[:, i, j, :] = x[:, rows, cols, :].mean(axis=(1, 2))
    return out


def avgpool2d_backward(dout, x, size: int = 2, stride: int | None = None) -> np.ndarray:
    """Each window spreads dout / size² over all its elements."""
    dout, x = _f64(dout, x)
    stride = size if stride is None else stride
    dx = np.zeros_like(x)
    for i, j, rows, cols in _windows(x, size, stride):
        dx[:, rows, cols, :] += dout[:, i, j, None, None, :] / size**2
    return dx


def dense(x, w, b) -> np.ndarray:
    """a[n, m] = Σ_d x[n, d] w[d, m] + b[m]."""
    x, w, b = _f64(x, w, b)
    return np.einsum("nd,dm->nm", x, w) + b


def dense_backward(delta, x, w) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """dx[n, d] = Σ_m δ[n, m] w[d, m];  dw[d, m] = Σ_n x[n, d] δ[n, m];  db[m] = Σ_n δ[n, m]."""
    delta, x, w = _f64(delta, x, w)
    return (
        np.einsum("nm,dm->nd", delta, w),
        np.einsum("nd,nm->dm", x, delta),
        delta.sum(axis=0),
    )


def activate(a, kind: str) -> np.ndarray:
    """σ(a) for kind ∈ {"sigmoid", "tanh", "relu"}."""
    (a,) = _f64(a)
    if kind == "sigmoid":
        return 0.5 * (1.0 + np.tanh(0.5 * a))
    if kind == "tanh":
        return np.tanh(a)
    return np.where(a > 0, a, 0.0)


def activation_slope(a, kind: str) -> np.ndarray:
    """dσ/da evaluated at the pre-activation a (relu: 0 at a = 0)."""
    (a,) = _f64(a)
    if kind == "sigmoid":
        return 0.25 / np.cosh(0.5 * a) ** 2
    if kind == "tanh":
        return 1.0 / np.cosh(a) ** 2
    return (a > 0).astype(np.float64)


def softmax(a) -> np.ndarray:
    """y = exp(a − logsumexp(a)) over the last axis."""
    (a,) = _f64(a)
    peak = a.max(axis=-1, keepdims=True)
    log_norm = peak + np.log(np.exp(a - peak).sum(axis=-1, keepdims=True))
    return np.exp(a - log_norm)


def log_likelihood(t, y) -> float:
    """Σ t log y over the entries with t ≠ 0."""
    t, y = _f64(t, y)
    mask = t != 0
    return float((t[mask] * np.log(y[mask])).sum())


def mlp_forward(weights, biases, x, kind: str) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Pre-activations [a^(1), …, a^(L)] and outputs [Z^(0) = X, Z^(1), …, Z^(L−1), Y]."""
    z = np.asarray(x, dtype=np.float64)
    pre, outs = [], [z]
    for layer, (w, b) in enumerate(zip(weights, biases, strict=True), start=1):
        a = dense(z, w, b)
        pre.append(a)
        z = softmax(a) if layer == len(weights) else activate(a, kind)
        outs.append(z)
    return pre, outs


def mlp_gradients(weights, biases, x, t, kind: str):
    """∂J/∂a^(l), ∂J/∂W^(l), ∂J/∂b^(l) for J = Σ t log Y, by the chain rule through each layer."""
    pre, outs = mlp_forward(weights, biases, x, kind)
    (t,) = _f64(t)
    dj_da = t - outs[-1] * t.sum(axis=1, keepdims=True)
    deltas = [dj_da]
    for layer in range(len(weights) - 1, 0, -1):
        (w,) = _f64(weights[layer])
        dj_dz = np.einsum("nk,mk->nm", deltas[0], w)
        deltas.insert(0, dj_dz * activation_slope(pre[layer - 1], kind))
    grads_w = [np.einsum("nd,nm->dm", z, d) for z, d in zip(outs[:-1], deltas, strict=True)]
    grads_b = [d.sum(axis=0) for d in deltas]
    return deltas, grads_w, grads_b
