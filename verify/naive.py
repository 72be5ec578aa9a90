"""Naive index-summation versions of every cnnref forward pass and closed-form gradient.

Each function is the notes' formula written before vectorizing: explicit Python loops over the
indices n, k, m, d, i, j, k1, k2, c, one scalar product at a time. They share no code with cnnref
(this module does not import it): an oracle that called the code under test would prove nothing.

Contract: the same names, argument order and return conventions as cnnref's functional API, so the
registry can pair each vectorized function with its naive twin. Conventions are the notes': NHWC
images x (N, H, W, C), filters (KH, KW, C, F), dense a = X W + b with W (D, M), gradient *ascent* on
J = Σₙ Σₖ tₙₖ log yₙₖ, output delta T − Y.

Computation is in float64 (float32 inputs are widened), and results are float64. Complex inputs
stay complex128 throughout wherever the function is analytic (sigmoid, tanh, softmax,
log_likelihood, dense, conv, average pooling, the polynomial derivatives z(1 − z) and 1 − z², and
the gradients built from them), so the complex-step method can call these functions. relu, its
step derivative and max pooling are not analytic and refuse complex input with a TypeError: NumPy
orders complex numbers lexicographically, so a max over them would pass silently and be wrong.

The loops are meant for the small shapes the oracle uses; they are slow on large arrays.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np

ACTIVATIONS = ("sigmoid", "tanh", "relu")
CONV_MODES = ("cross-correlation", "convolution")


# ---------------------------------------------------------------- argument checks


def _array(name: str, value, ndim: int | None = None, layout: str = "") -> np.ndarray:
    """A float64 (or complex128) copy of ``value``; the caller's array is never touched."""
    arr = np.asarray(value)
    if arr.dtype.kind not in "fc":
        raise TypeError(f"{name} must be a real or complex floating-point array, got {arr.dtype}")
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(
            f"{name} must be a {ndim}-D array {layout}".rstrip() + f", got shape {arr.shape}"
        )
    return arr.astype(np.complex128 if arr.dtype.kind == "c" else np.float64)


def _targets(name: str, value, y: np.ndarray) -> np.ndarray:
    """Targets t as a float64 copy shaped like y; bool, integer or real float dtype."""
    arr = np.asarray(value)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must have a bool, integer or real float dtype, got {arr.dtype}")
    if arr.shape != y.shape:
        raise ValueError(f"{name} must have the same shape as y {y.shape}, got shape {arr.shape}")
    return arr.astype(np.float64)


def _real(name: str, arr: np.ndarray, why: str) -> None:
    """Refuse complex input to a function that is not analytic."""
    if arr.dtype.kind == "c":
        raise TypeError(f"{name} must be real: {why}, so complex input (complex step) is refused")


def _sizes_agree(what: str, **sizes: int) -> None:
    """Require every named axis length to be equal, e.g. the batch size N of x, t and y."""
    if len(set(sizes.values())) > 1:
        listed = ", ".join(f"{name} has {size}" for name, size in sizes.items())
        raise ValueError(f"the arrays must agree on {what}: {listed}")


def _result_dtype(*arrays: np.ndarray) -> type:
    """complex128 when any operand is complex, else float64."""
    return np.complex128 if any(arr.dtype.kind == "c" for arr in arrays) else np.float64


def _positive_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer >= 1, got {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {value}")
    return int(value)


def _nonnegative_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer >= 0, got {value!r}")
    if value < 0:
        raise ValueError(f"{name} must be an integer >= 0, got {value}")
    return int(value)


def _option(name: str, value, options: tuple[str, ...]) -> str:
    if value not in options:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, options))}; got {value!r}")
    return value


def _windows(name: str, size_in: int, window: int, stride: int, what: str) -> int:
    """How many windows of length ``window``, moved by ``stride``, fit in ``size_in``."""
    if window > size_in:
        raise ValueError(f"{what} {window} is larger than the (padded) input {name} {size_in}")
    return (size_in - window) // stride + 1


# ---------------------------------------------------------------- activations


def _sigmoid_scalar(a):
    """σ(a) = 1 / (1 + e^(−a)), written as e^a / (1 + e^a) for Re a < 0 so nothing overflows."""
    if a.real >= 0:
        return 1.0 / (1.0 + np.exp(-a))
    e = np.exp(a)
    return e / (1.0 + e)


def sigmoid(a: np.ndarray) -> np.ndarray:
    """z = σ(a) = 1 / (1 + exp(−a)), element by element; any shape, complex allowed."""
    a = _array("a", a)
    z = np.empty_like(a)
    for index in np.ndindex(a.shape):
        z[index] = _sigmoid_scalar(a[index])
    return z


def tanh(a: np.ndarray) -> np.ndarray:
    """z = tanh(a), element by element; any shape, complex allowed."""
    a = _array("a", a)
    z = np.empty_like(a)
    for index in np.ndindex(a.shape):
        z[index] = np.tanh(a[index])
    return z


def relu(a: np.ndarray) -> np.ndarray:
    """z = max(a, 0), element by element (NaN propagates); any shape, real only."""
    a = _array("a", a)
    _real("a", a, "relu is not analytic at 0")
    z = np.empty_like(a)
    for index in np.ndindex(a.shape):
        z[index] = 0.0 if a[index] <= 0 else a[index]
    return z


def _activate(a: np.ndarray, kind: str) -> np.ndarray:
    return {"sigmoid": sigmoid, "tanh": tanh, "relu": relu}[kind](a)


def activation_derivative(z: np.ndarray, kind: str) -> np.ndarray:
    """Z′ = ∂z/∂a in terms of the output z, element by element; any shape.

    sigmoid: z (1 − z);  tanh: 1 − z²;  relu: the step u(z) = 1 where z > 0, else 0 (0 at z = 0).
    """
    _option("kind", kind, ACTIVATIONS)
    z = _array("z", z)
    if kind == "relu":
        _real("z", z, "the relu step is not analytic")
    dz = np.empty_like(z)
    for index in np.ndindex(z.shape):
        value = z[index]
        if kind == "sigmoid":
            dz[index] = value * (1.0 - value)
        elif kind == "tanh":
            dz[index] = 1.0 - value * value
        else:
            dz[index] = 1.0 if value > 0 else 0.0
    return dz


# ---------------------------------------------------------------- softmax output and objective


def softmax(a: np.ndarray) -> np.ndarray:
    """yₙₖ = exp(aₙₖ − pₙ) / Σₖ′ exp(aₙₖ′ − pₙ) with pₙ = maxₖ Re aₙₖ.

    The shift pₙ cancels in the ratio and keeps every exponent ≤ 0, so no logit overflows.
    Shapes: a (N, K) → y (N, K); a 1-D a (K,) is one sample. Complex allowed.
    """
    a = _array("a", a)
    if a.ndim not in (1, 2) or a.shape[-1] == 0:
        raise ValueError(f"a must be (N, K) or (K,) with K >= 1 classes, got shape {a.shape}")
    rows = a.reshape(-1, a.shape[-1])
    n_rows, n_classes = rows.shape
    y = np.empty_like(rows)
    for n in range(n_rows):
        peak = max(rows[n, k].real for k in range(n_classes))
        total = 0.0
        for k in range(n_classes):
            total += np.exp(rows[n, k] - peak)
        for k in range(n_classes):
            y[n, k] = np.exp(rows[n, k] - peak) / total
    return y.reshape(a.shape)


def log_likelihood(t: np.ndarray, y: np.ndarray) -> float | complex:
    """J = Σₙ Σₖ tₙₖ log yₙₖ, the objective the notes maximize (cross-entropy is −J).

    Terms with tₙₖ = 0 are skipped; where tₙₖ ≠ 0, a yₙₖ whose real part is below the smallest
    normal number of y's dtype (np.finfo(dtype).tiny) is raised to it. Shapes: t and y alike (any
    shape, usually (N, K)) → a float, or a complex for complex y with positive real part.
    """
    given = np.asarray(y)
    y = _array("y", given)
    floor = float(np.finfo(given.dtype).tiny)
    t = _targets("t", t, y)
    total = 0.0
    for index in np.ndindex(y.shape):
        if t[index] != 0:
            value = y[index]
            if value.real < floor:
                value = floor
            total += t[index] * np.log(value)
    return complex(total) if y.dtype.kind == "c" else float(total)


# ---------------------------------------------------------------- dense layer


def dense(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a_nm = b_m + Σ_d x_nd W_dm (the notes' a = Wᵀx + b for each sample).

    Shapes: x (N, D), w (D, M), b (M,) → a (N, M).
    """
    x = _array("x", x, 2, "(N, D)")
    w = _array("w", w, 2, "(D, M)")
    b = _array("b", b, 1, "(M,)")
    _sizes_agree("D (features)", x_columns=x.shape[1], w_rows=w.shape[0])
    _sizes_agree("M (outputs)", w_columns=w.shape[1], b_length=b.shape[0])
    (n_samples, n_features), n_out = x.shape, w.shape[1]
    a = np.zeros((n_samples, n_out), dtype=_result_dtype(x, w, b))
    for n in range(n_samples):
        for m in range(n_out):
            total = b[m]
            for d in range(n_features):
                total += x[n, d] * w[d, m]
            a[n, m] = total
    return a


def dense_backward(
    delta: np.ndarray, x: np.ndarray, w: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of a = X W + b given δ = ∂J/∂a, each by its own index sum:

    dx_nd = Σ_m δ_nm W_dm  (N, D),   dW_dm = Σ_n x_nd δ_nm  (D, M),   db_m = Σ_n δ_nm  (M,).
    """
    x = _array("x", x, 2, "(N, D)")
    w = _array("w", w, 2, "(D, M)")
    delta = _array("delta", delta, 2, "(N, M)")
    _sizes_agree("D (features)", x_columns=x.shape[1], w_rows=w.shape[0])
    _sizes_agree("N (samples)", delta_rows=delta.shape[0], x_rows=x.shape[0])
    _sizes_agree("M (outputs)", delta_columns=delta.shape[1], w_columns=w.shape[1])
    (n_samples, n_features), n_out = x.shape, w.shape[1]
    dtype = _result_dtype(delta, x, w)
    dx = np.zeros((n_samples, n_features), dtype=dtype)
    dw = np.zeros((n_features, n_out), dtype=dtype)
    db = np.zeros(n_out, dtype=dtype)
    for n in range(n_samples):
        for d in range(n_features):
            for m in range(n_out):
                dx[n, d] += delta[n, m] * w[d, m]
    for d in range(n_features):
        for m in range(n_out):
            for n in range(n_samples):
                dw[d, m] += x[n, d] * delta[n, m]
    for m in range(n_out):
        for n in range(n_samples):
            db[m] += delta[n, m]
    return dx, dw, db


# ---------------------------------------------------------------- convolution


def _conv_arguments(x, w, stride, pad, mode):
    x = _array("x", x, 4, "(N, H, W, C)")
    w = _array("w", w, 4, "(KH, KW, C, F)")
    stride = _positive_int("stride", stride)
    pad = _nonnegative_int("pad", pad)
    _option("mode", mode, CONV_MODES)
    _sizes_agree("C (input channels)", x_axis_3=x.shape[3], w_axis_2=w.shape[2])
    out_h = _windows("height", x.shape[1] + 2 * pad, w.shape[0], stride, "kernel height")
    out_w = _windows("width", x.shape[2] + 2 * pad, w.shape[1], stride, "kernel width")
    return x, w, stride, pad, out_h, out_w


def _zero_padded(x: np.ndarray, pad: int) -> np.ndarray:
    """in[n, r, s, c] = x[n, r − pad, s − pad, c] inside the image, 0 in the border of width pad."""
    n_samples, height, width, channels = x.shape
    padded = np.zeros((n_samples, height + 2 * pad, width + 2 * pad, channels), dtype=x.dtype)
    for n in range(n_samples):
        for r in range(height):
            for s in range(width):
                for c in range(channels):
                    padded[n, r + pad, s + pad, c] = x[n, r, s, c]
    return padded


def _tap(i: int, k: int, kernel: int, stride: int, mode: str) -> int:
    """Row (or column) of the padded input that output position i reads through filter tap k.

    Cross-correlation reads in[i·s + k]. Convolution is the notes' in[p − k] at output position
    p = i·s + K − 1: the valid region starts where p − k stays ≥ 0 for every tap k < K.
    """
    if mode == "cross-correlation":
        return i * stride + k
    return i * stride + kernel - 1 - k


def conv2d(
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray,
    stride: int = 1,
    pad: int = 0,
    mode: str = "cross-correlation",
) -> np.ndarray:
    """Convolution layer forward pass, one scalar product at a time.

    Cross-correlation::

        out[n, i, j, f] = b[f] + Σ_k1 Σ_k2 Σ_c in[n, i·s + k1, j·s + k2, c] · w[k1, k2, c, f]

    Convolution, the notes' formula over the valid region, at p = i·s + KH − 1, q = j·s + KW − 1::

        out[n, i, j, f] = b[f] + Σ_k1 Σ_k2 Σ_c in[n, p − k1, q − k2, c] · w[k1, k2, c, f]

    ``in`` is x zero-padded by ``pad`` on each side of H and W. Shapes: x (N, H, W, C),
    w (KH, KW, C, F), b (F,) → out (N, Ho, Wo, F), Ho = (H + 2·pad − KH) // s + 1, Wo likewise.
    """
    x, w, stride, pad, out_h, out_w = _conv_arguments(x, w, stride, pad, mode)
    b = _array("b", b, 1, "(F,)")
    _sizes_agree("F (filters)", w_axis_3=w.shape[3], b_length=b.shape[0])
    padded = _zero_padded(x, pad)
    n_samples, channels = x.shape[0], x.shape[3]
    kh, kw, n_filters = w.shape[0], w.shape[1], w.shape[3]
    out = np.zeros((n_samples, out_h, out_w, n_filters), dtype=_result_dtype(x, w, b))
    for n in range(n_samples):
        for i in range(out_h):
            for j in range(out_w):
                for f in range(n_filters):
                    total = b[f]
                    for k1 in range(kh):
                        r = _tap(i, k1, kh, stride, mode)
                        for k2 in range(kw):
                            s = _tap(j, k2, kw, stride, mode)
                            for c in range(channels):
                                total += padded[n, r, s, c] * w[k1, k2, c, f]
                    out[n, i, j, f] = total
    return out


def conv2d_backward(
    dout: np.ndarray,
    x: np.ndarray,
    w: np.ndarray,
    stride: int = 1,
    pad: int = 0,
    mode: str = "cross-correlation",
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The three gradients of the convolution layer by the chain rule, term by term.

    Every term in[n, r, s, c] · w[k1, k2, c, f] of out[n, i, j, f] (r, s the rows and columns that
    :func:`conv2d` reads for either mode) contributes, with g = dout[n, i, j, f] = ∂J/∂out::

        d_in[n, r, s, c] += g · w[k1, k2, c, f]      dw[k1, k2, c, f] += g · in[n, r, s, c]
        db[f] += g  (once per output element)

    and dx is d_in with the zero-padding border cut off (pixels no window reaches keep 0).
    Shapes: dout (N, Ho, Wo, F), x (N, H, W, C), w (KH, KW, C, F) → dx like x, dw like w, db (F,).
    """
    x, w, stride, pad, out_h, out_w = _conv_arguments(x, w, stride, pad, mode)
    dout = _array("dout", dout, 4, "(N, Ho, Wo, F)")
    n_samples, height, width, channels = x.shape
    kh, kw, n_filters = w.shape[0], w.shape[1], w.shape[3]
    if dout.shape != (n_samples, out_h, out_w, n_filters):
        raise ValueError(
            f"dout must have shape {(n_samples, out_h, out_w, n_filters)} (N, Ho, Wo, F) of the "
            f"forward output, got shape {dout.shape}"
        )
    dtype = _result_dtype(dout, x, w)
    padded = _zero_padded(x, pad)
    d_padded = np.zeros(padded.shape, dtype=dtype)
    dw = np.zeros(w.shape, dtype=dtype)
    db = np.zeros(n_filters, dtype=dtype)
    for n in range(n_samples):
        for i in range(out_h):
            for j in range(out_w):
                for f in range(n_filters):
                    g = dout[n, i, j, f]
                    db[f] += g
                    for k1 in range(kh):
                        r = _tap(i, k1, kh, stride, mode)
                        for k2 in range(kw):
                            s = _tap(j, k2, kw, stride, mode)
                            for c in range(channels):
                                d_padded[n, r, s, c] += g * w[k1, k2, c, f]
                                dw[k1, k2, c, f] += g * padded[n, r, s, c]
    dx = np.zeros(x.shape, dtype=dtype)
    for n in range(n_samples):
        for r in range(height):
            for s in range(width):
                for c in range(channels):
                    dx[n, r, s, c] = d_padded[n, r + pad, s + pad, c]
    return dx, dw, db


# ---------------------------------------------------------------- pooling


def _pool_arguments(x, size, stride):
    x = _array("x", x, 4, "(N, H, W, C)")
    size = _positive_int("size", size)
    stride = size if stride is None else _positive_int("stride", stride)
    out_h = _windows("height", x.shape[1], size, stride, "pool size")
    out_w = _windows("width", x.shape[2], size, stride, "pool size")
    return x, size, stride, (x.shape[0], out_h, out_w, x.shape[3])


def _upstream(dout, out_shape: tuple[int, ...]) -> np.ndarray:
    dout = _array("dout", dout, 4, "(N, Ho, Wo, C)")
    if dout.shape != out_shape:
        raise ValueError(
            f"dout must have shape {out_shape} (N, Ho, Wo, C) of the forward output, "
            f"got shape {dout.shape}"
        )
    return dout


def _winner(x: np.ndarray, n: int, i: int, j: int, c: int, size: int, stride: int):
    """(r, s) of window (n, i, j, c)'s maximum: the first NaN in row-major order if there is one,
    else the first cell equal to the maximum (smallest k1, then smallest k2)."""
    cells = [(i * stride + k1, j * stride + k2) for k1 in range(size) for k2 in range(size)]
    values = [x[n, r, s, c] for r, s in cells]
    for cell, value in zip(cells, values, strict=True):
        if np.isnan(value):
            return cell
    peak = max(values)
    for cell, value in zip(cells, values, strict=True):
        if value == peak:
            return cell
    raise AssertionError("a window without NaN always holds its maximum")


def maxpool2d(x: np.ndarray, size: int = 2, stride: int | None = None) -> np.ndarray:
    """out[n, i, j, c] = max_{0 ≤ k1, k2 < size} x[n, i·stride + k1, j·stride + k2, c].

    A NaN counts as the maximum. Shapes: x (N, H, W, C) → (N, (H − size) // stride + 1,
    (W − size) // stride + 1, C); stride defaults to size; windows past the edge are dropped.
    Real input only.
    """
    x, size, stride, out_shape = _pool_arguments(x, size, stride)
    _real("x", x, "max pooling is not analytic (NumPy orders complex numbers lexicographically)")
    out = np.empty(out_shape, dtype=np.float64)
    for n, i, j, c in np.ndindex(out_shape):
        r, s = _winner(x, n, i, j, c, size, stride)
        out[n, i, j, c] = x[n, r, s, c]
    return out


def maxpool2d_backward(
    dout: np.ndarray, x: np.ndarray, size: int = 2, stride: int | None = None
) -> np.ndarray:
    """dx[n, r, s, c] = Σ over windows (i, j) whose winner is (r, s) of dout[n, i, j, c].

    Tie rule: the first maximum in row-major window order wins and alone gets the gradient; a NaN
    counts as the maximum. Shapes: dout (N, Ho, Wo, C), x (N, H, W, C) → dx (N, H, W, C).
    Real input only.
    """
    x, size, stride, out_shape = _pool_arguments(x, size, stride)
    _real("x", x, "max pooling is not analytic (NumPy orders complex numbers lexicographically)")
    dout = _upstream(dout, out_shape)
    _real("dout", dout, "max pooling is not analytic")
    dx = np.zeros(x.shape, dtype=np.float64)
    for n, i, j, c in np.ndindex(out_shape):
        r, s = _winner(x, n, i, j, c, size, stride)
        dx[n, r, s, c] += dout[n, i, j, c]
    return dx


def avgpool2d(x: np.ndarray, size: int = 2, stride: int | None = None) -> np.ndarray:
    """out[n, i, j, c] = (1 / size²) Σ_k1 Σ_k2 x[n, i·stride + k1, j·stride + k2, c].

    Shapes as for :func:`maxpool2d`. Complex allowed.
    """
    x, size, stride, out_shape = _pool_arguments(x, size, stride)
    out = np.zeros(out_shape, dtype=x.dtype)
    for n, i, j, c in np.ndindex(out_shape):
        total = 0.0
        for k1 in range(size):
            for k2 in range(size):
                total += x[n, i * stride + k1, j * stride + k2, c]
        out[n, i, j, c] = total / (size * size)
    return out


def avgpool2d_backward(
    dout: np.ndarray, x: np.ndarray, size: int = 2, stride: int | None = None
) -> np.ndarray:
    """dx[n, r, s, c] = Σ over windows (i, j) containing (r, s) of dout[n, i, j, c] / size².

    Shapes: dout (N, Ho, Wo, C), x (N, H, W, C) → dx (N, H, W, C). Complex allowed.
    """
    x, size, stride, out_shape = _pool_arguments(x, size, stride)
    dout = _upstream(dout, out_shape)
    dx = np.zeros(x.shape, dtype=_result_dtype(dout, x))
    for n, i, j, c in np.ndindex(out_shape):
        for k1 in range(size):
            for k2 in range(size):
                dx[n, i * stride + k1, j * stride + k2, c] += dout[n, i, j, c] / (size * size)
    return dx


# ---------------------------------------------------------------- the notes' closed-form gradients


def output_delta(t: np.ndarray, y: np.ndarray) -> np.ndarray:
    """δ^(L)_nk = tₙₖ − yₙₖ, the derivative of J with respect to the softmax input.  (N, K)"""
    y = _array("y", y, 2, "(N, K)")
    t = _targets("t", t, y)
    delta = np.empty_like(y)
    n_samples, n_classes = y.shape
    for n in range(n_samples):
        for k in range(n_classes):
            delta[n, k] = t[n, k] - y[n, k]
    return delta


def hidden_delta(
    delta_next: np.ndarray, w_next: np.ndarray, z: np.ndarray, activation: str
) -> np.ndarray:
    """δ^(l)_nm = (Σ_j δ^(l+1)_nj W^(l+1)_mj) z^(l)′_nm, one step of the delta recursion.

    Shapes: δ^(l+1) (N, M⁽ˡ⁺¹⁾), W^(l+1) (M⁽ˡ⁾, M⁽ˡ⁺¹⁾), Z^(l) (N, M⁽ˡ⁾) → δ^(l) (N, M⁽ˡ⁾).
    """
    _option("activation", activation, ACTIVATIONS)
    delta_next = _array("delta", delta_next, 2, "(N, M_next)")
    w_next = _array("w", w_next, 2, "(M, M_next)")
    z = _array("z", z, 2, "(N, M)")
    _sizes_agree("N (samples)", delta_rows=delta_next.shape[0], z_rows=z.shape[0])
    _sizes_agree("M (units of this layer)", w_rows=w_next.shape[0], z_columns=z.shape[1])
    _sizes_agree(
        "M_next (units of the next layer)",
        delta_columns=delta_next.shape[1],
        w_columns=w_next.shape[1],
    )
    z_prime = activation_derivative(z, activation)
    n_samples, n_units = z.shape
    delta = np.zeros((n_samples, n_units), dtype=_result_dtype(delta_next, w_next, z))
    for n in range(n_samples):
        for m in range(n_units):
            back = 0.0
            for j in range(w_next.shape[1]):
                back += delta_next[n, j] * w_next[m, j]
            delta[n, m] = back * z_prime[n, m]
    return delta


def weight_gradient(z_prev: np.ndarray, delta: np.ndarray) -> np.ndarray:
    """∂J/∂W^(l)_ij = Σₙ z^(l−1)_ni δ^(l)_nj.

    Shapes: Z^(l−1) (N, M⁽ˡ⁻¹⁾), δ^(l) (N, M⁽ˡ⁾) → (M⁽ˡ⁻¹⁾, M⁽ˡ⁾).
    """
    z_prev = _array("z", z_prev, 2, "(N, M_prev)")
    delta = _array("delta", delta, 2, "(N, M)")
    _sizes_agree("N (samples)", z_rows=z_prev.shape[0], delta_rows=delta.shape[0])
    n_samples, n_in = z_prev.shape
    n_out = delta.shape[1]
    grad = np.zeros((n_in, n_out), dtype=_result_dtype(z_prev, delta))
    for i in range(n_in):
        for j in range(n_out):
            for n in range(n_samples):
                grad[i, j] += z_prev[n, i] * delta[n, j]
    return grad


def bias_gradient(delta: np.ndarray) -> np.ndarray:
    """∂J/∂b^(l)_m = Σₙ δ^(l)_nm.  Shapes: δ^(l) (N, M) → (M,)."""
    delta = _array("delta", delta, 2, "(N, M)")
    n_samples, n_units = delta.shape
    grad = np.zeros(n_units, dtype=delta.dtype)
    for m in range(n_units):
        for n in range(n_samples):
            grad[m] += delta[n, m]
    return grad


def _network_arrays(t, y, per_sample: dict, parameters: dict) -> tuple:
    """Checks shared by grad_V … grad_b1_three_layer: y (N, K), t like y, every array 2-D, and the
    per-sample arrays (x, z, …) with the same N rows as y. Returns t, y and the named arrays."""
    y = _array("y", y, 2, "(N, K)")
    t = _targets("t", t, y)
    arrays = {name: _array(name, value, 2) for name, value in {**per_sample, **parameters}.items()}
    _sizes_agree(
        "N (samples)",
        y_rows=y.shape[0],
        **{f"{name}_rows": arrays[name].shape[0] for name in per_sample},
    )
    return t, y, arrays


def grad_V(z: np.ndarray, t: np.ndarray, y: np.ndarray) -> np.ndarray:
    """∂J/∂V_mk = Σₙ (tₙₖ − yₙₖ) z_nm.  Shapes: z (N, M), t and y (N, K) → (M, K)."""
    t, y, arrays = _network_arrays(t, y, {"z": z}, {})
    z = arrays["z"]
    (n_samples, n_hidden), n_classes = z.shape, y.shape[1]
    grad = np.zeros((n_hidden, n_classes), dtype=_result_dtype(z, y))
    for m in range(n_hidden):
        for k in range(n_classes):
            for n in range(n_samples):
                grad[m, k] += (t[n, k] - y[n, k]) * z[n, m]
    return grad


def grad_c(t: np.ndarray, y: np.ndarray) -> np.ndarray:
    """∂J/∂c_k = Σₙ (tₙₖ − yₙₖ).  Shapes: t and y (N, K) → (K,)."""
    t, y, _ = _network_arrays(t, y, {}, {})
    n_samples, n_classes = y.shape
    grad = np.zeros(n_classes, dtype=y.dtype)
    for k in range(n_classes):
        for n in range(n_samples):
            grad[k] += t[n, k] - y[n, k]
    return grad


def grad_W(
    x: np.ndarray, z: np.ndarray, v: np.ndarray, t: np.ndarray, y: np.ndarray, activation: str
) -> np.ndarray:
    """∂J/∂W_dm = Σₖ Σₙ (tₙₖ − yₙₖ) V_mk z′_nm x_nd, z′ the activation derivative in terms of z.

    Shapes: x (N, D), z (N, M), v (M, K), t and y (N, K) → (D, M).
    """
    _option("activation", activation, ACTIVATIONS)
    t, y, arrays = _network_arrays(t, y, {"x": x, "z": z}, {"v": v})
    x, z, v = arrays["x"], arrays["z"], arrays["v"]
    _sizes_agree("M (hidden units)", z_columns=z.shape[1], v_rows=v.shape[0])
    _sizes_agree("K (classes)", v_columns=v.shape[1], y_columns=y.shape[1])
    z_prime = activation_derivative(z, activation)
    (n_samples, n_features), n_hidden, n_classes = x.shape, z.shape[1], y.shape[1]
    grad = np.zeros((n_features, n_hidden), dtype=_result_dtype(x, z, v, y))
    for d in range(n_features):
        for m in range(n_hidden):
            for k in range(n_classes):
                for n in range(n_samples):
                    grad[d, m] += (t[n, k] - y[n, k]) * v[m, k] * z_prime[n, m] * x[n, d]
    return grad


def grad_b(
    z: np.ndarray, v: np.ndarray, t: np.ndarray, y: np.ndarray, activation: str
) -> np.ndarray:
    """∂J/∂b_m = Σₖ Σₙ (tₙₖ − yₙₖ) V_mk z′_nm.  Shapes: z (N, M), v (M, K), t, y (N, K) → (M,)."""
    _option("activation", activation, ACTIVATIONS)
    t, y, arrays = _network_arrays(t, y, {"z": z}, {"v": v})
    z, v = arrays["z"], arrays["v"]
    _sizes_agree("M (hidden units)", z_columns=z.shape[1], v_rows=v.shape[0])
    _sizes_agree("K (classes)", v_columns=v.shape[1], y_columns=y.shape[1])
    z_prime = activation_derivative(z, activation)
    (n_samples, n_hidden), n_classes = z.shape, y.shape[1]
    grad = np.zeros(n_hidden, dtype=_result_dtype(z, v, y))
    for m in range(n_hidden):
        for k in range(n_classes):
            for n in range(n_samples):
                grad[m] += (t[n, k] - y[n, k]) * v[m, k] * z_prime[n, m]
    return grad


def _three_layer_arrays(per_sample: dict, w2, w3, t, y, activation: str) -> tuple:
    _option("activation", activation, ACTIVATIONS)
    t, y, arrays = _network_arrays(t, y, per_sample, {"w2": w2, "w3": w3})
    z1, z2, w2, w3 = arrays["z1"], arrays["z2"], arrays["w2"], arrays["w3"]
    _sizes_agree("M⁽¹⁾ (first hidden layer)", z1_columns=z1.shape[1], w2_rows=w2.shape[0])
    _sizes_agree(
        "M⁽²⁾ (second hidden layer)",
        z2_columns=z2.shape[1],
        w2_columns=w2.shape[1],
        w3_rows=w3.shape[0],
    )
    _sizes_agree("K (classes)", w3_columns=w3.shape[1], y_columns=y.shape[1])
    return t, y, arrays


def grad_W1_three_layer(
    x: np.ndarray,
    z1: np.ndarray,
    z2: np.ndarray,
    w2: np.ndarray,
    w3: np.ndarray,
    t: np.ndarray,
    y: np.ndarray,
    activation: str,
) -> np.ndarray:
    """The notes' first-layer gradient of a network with two hidden layers, with its sum over m⁽²⁾:

        ∂J/∂W⁽¹⁾_dm⁽¹⁾ =
            Σ_m⁽²⁾ Σₖ Σₙ (tₙₖ − yₙₖ) W⁽³⁾_m⁽²⁾k z⁽²⁾′_nm⁽²⁾ W⁽²⁾_m⁽¹⁾m⁽²⁾ z⁽¹⁾′_nm⁽¹⁾ x_nd

    Shapes: x (N, D), z1 (N, M⁽¹⁾), z2 (N, M⁽²⁾), w2 (M⁽¹⁾, M⁽²⁾), w3 (M⁽²⁾, K), t and y (N, K)
    → (D, M⁽¹⁾).
    """
    t, y, arrays = _three_layer_arrays({"x": x, "z1": z1, "z2": z2}, w2, w3, t, y, activation)
    x, z1, z2, w2, w3 = (arrays[name] for name in ("x", "z1", "z2", "w2", "w3"))
    z1_prime = activation_derivative(z1, activation)
    z2_prime = activation_derivative(z2, activation)
    (n_samples, n_features), n_first, n_second = x.shape, z1.shape[1], z2.shape[1]
    grad = np.zeros((n_features, n_first), dtype=_result_dtype(x, z1, z2, w2, w3, y))
    for d in range(n_features):
        for m1 in range(n_first):
            for m2 in range(n_second):
                for k in range(y.shape[1]):
                    for n in range(n_samples):
                        grad[d, m1] += (
                            (t[n, k] - y[n, k])
                            * w3[m2, k]
                            * z2_prime[n, m2]
                            * w2[m1, m2]
                            * z1_prime[n, m1]
                            * x[n, d]
                        )
    return grad


def grad_b1_three_layer(
    z1: np.ndarray,
    z2: np.ndarray,
    w2: np.ndarray,
    w3: np.ndarray,
    t: np.ndarray,
    y: np.ndarray,
    activation: str,
) -> np.ndarray:
    """The first-layer bias gradient of a network with two hidden layers:

        ∂J/∂b⁽¹⁾_m⁽¹⁾ = Σ_m⁽²⁾ Σₖ Σₙ (tₙₖ − yₙₖ) W⁽³⁾_m⁽²⁾k z⁽²⁾′_nm⁽²⁾ W⁽²⁾_m⁽¹⁾m⁽²⁾ z⁽¹⁾′_nm⁽¹⁾

    Shapes: z1 (N, M⁽¹⁾), z2 (N, M⁽²⁾), w2 (M⁽¹⁾, M⁽²⁾), w3 (M⁽²⁾, K), t and y (N, K) → (M⁽¹⁾,).
    """
    t, y, arrays = _three_layer_arrays({"z1": z1, "z2": z2}, w2, w3, t, y, activation)
    z1, z2, w2, w3 = (arrays[name] for name in ("z1", "z2", "w2", "w3"))
    z1_prime = activation_derivative(z1, activation)
    z2_prime = activation_derivative(z2, activation)
    (n_samples, n_first), n_second = z1.shape, z2.shape[1]
    grad = np.zeros(n_first, dtype=_result_dtype(z1, z2, w2, w3, y))
    for m1 in range(n_first):
        for m2 in range(n_second):
            for k in range(y.shape[1]):
                for n in range(n_samples):
                    grad[m1] += (
                        (t[n, k] - y[n, k])
                        * w3[m2, k]
                        * z2_prime[n, m2]
                        * w2[m1, m2]
                        * z1_prime[n, m1]
                    )
    return grad


# ---------------------------------------------------------------- an L-layer network


def _check_layers(weights: Sequence, other: Sequence, other_name: str) -> None:
    if len(weights) == 0:
        raise ValueError("weights must hold at least one matrix (the output layer)")
    if len(other) != len(weights):
        raise ValueError(
            f"{other_name} must have one entry per layer: len(weights) = {len(weights)}, "
            f"len({other_name}) = {len(other)}"
        )


def mlp_forward(
    weights: Sequence[np.ndarray], biases: Sequence[np.ndarray], x: np.ndarray, activation: str
) -> tuple[list[np.ndarray], np.ndarray]:
    """a^(l) = Z^(l−1) W^(l) + b^(l), Z^(l) = σ(a^(l)) for l < L, Y = softmax(a^(L)), Z^(0) = X.

    Returns ([Z^(1), …, Z^(L−1)], Y). Shapes: x (N, D); weights[l−1] (M⁽ˡ⁻¹⁾, M⁽ˡ⁾);
    biases[l−1] (M⁽ˡ⁾,) → Z^(l) (N, M⁽ˡ⁾), Y (N, K).
    """
    _check_layers(weights, biases, "biases")
    _option("activation", activation, ACTIVATIONS)
    z = _array("x", x, 2, "(N, D)")
    hidden: list[np.ndarray] = []
    for layer in range(len(weights)):
        a = dense(z, weights[layer], biases[layer])
        if layer == len(weights) - 1:
            return hidden, softmax(a)
        z = _activate(a, activation)
        hidden.append(z)
    raise AssertionError("the last layer always returns")


def delta_recursion(
    weights: Sequence[np.ndarray],
    zs: Sequence[np.ndarray],
    t: np.ndarray,
    y: np.ndarray,
    activation: str,
) -> list[np.ndarray]:
    """[δ^(1), …, δ^(L)], element by element:

        δ^(L)_nk = tₙₖ − yₙₖ,    δ^(l)_nm = (Σ_j δ^(l+1)_nj W^(l+1)_mj) z^(l)′_nm  for l = L−1 … 1.

    ``zs`` = [X, Z^(1), …, Z^(L−1)] (one entry per layer; X itself is not used). δ^(l) is (N, M⁽ˡ⁾).
    """
    _check_layers(weights, zs, "zs")
    _option("activation", activation, ACTIVATIONS)
    deltas = [output_delta(t, y)]
    for layer in range(len(weights) - 1, 0, -1):
        deltas.append(hidden_delta(deltas[-1], weights[layer], zs[layer], activation))
    return deltas[::-1]


def backprop(
    weights: Sequence[np.ndarray],
    biases: Sequence[np.ndarray],
    x: np.ndarray,
    t: np.ndarray,
    activation: str,
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """∂J/∂W^(l)_ij = Σₙ z^(l−1)_ni δ^(l)_nj and ∂J/∂b^(l)_j = Σₙ δ^(l)_nj for l = 1 … L.

    Returns ([∇W^(1), …, ∇W^(L)], [∇b^(1), …, ∇b^(L)]), each shaped like its parameter.
    """
    hidden, y = mlp_forward(weights, biases, x, activation)
    zs = [_array("x", x, 2, "(N, D)"), *hidden]
    deltas = delta_recursion(weights, zs, t, y, activation)
    grads_w = [weight_gradient(z, delta) for z, delta in zip(zs, deltas, strict=True)]
    grads_b = [bias_gradient(delta) for delta in deltas]
    return grads_w, grads_b
