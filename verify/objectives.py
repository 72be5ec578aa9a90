"""The scalar functions the oracle differentiates, written in NumPy independently of cnnref.

Every forward here is float64 (or complex128 where the function is analytic) and *batched*: any
argument may carry extra leading axes, which broadcast, so finite differences can evaluate
hundreds of perturbed inputs in one call. Non-analytic pieces (relu, max) refuse complex input,
because NumPy orders complex numbers lexicographically and would silently return a wrong "max".

Each network piece also exposes its *kink pattern* — the signs of relu pre-activations and the
winning index of every max-pool window — so a finite-difference step that crosses a kink can be
detected exactly (:mod:`verify.kinks`).
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided


class NotAnalyticError(TypeError):
    """Raised when complex input reaches a function that is not complex-analytic (max, relu)."""


def refuse_complex(name: str, *arrays: np.ndarray) -> None:
    """Raise :class:`NotAnalyticError` if any array is complex: ``name`` is not analytic."""
    if any(np.iscomplexobj(a) for a in arrays):
        raise NotAnalyticError(
            f"{name} is not complex-analytic (it compares values, and NumPy orders complex "
            "numbers lexicographically); the complex step does not apply to it"
        )


def sigmoid(a: np.ndarray) -> np.ndarray:
    """σ(a) = 1 / (1 + exp(−a)); analytic, any shape."""
    return 1.0 / (1.0 + np.exp(-a))


def relu(a: np.ndarray) -> np.ndarray:
    """max(a, 0); not analytic (refuses complex input)."""
    refuse_complex("relu", a)
    return np.maximum(a, 0.0)


def activate(a: np.ndarray, kind: str) -> np.ndarray:
    """z = σ(a) for σ ∈ {"sigmoid", "tanh", "relu"}."""
    if kind == "sigmoid":
        return sigmoid(a)
    if kind == "tanh":
        return np.tanh(a)
    if kind == "relu":
        return relu(a)
    raise ValueError(f"activation must be 'sigmoid', 'tanh' or 'relu', got {kind!r}")


def log_softmax(a: np.ndarray) -> np.ndarray:
    """log yₖ = aₖ − c − log Σⱼ exp(aⱼ − c), c = max Re a over the last axis (exact for any c)."""
    shift = np.max(a.real, axis=-1, keepdims=True)
    e = np.exp(a - shift)
    return a - shift - np.log(np.sum(e, axis=-1, keepdims=True))


def softmax(a: np.ndarray) -> np.ndarray:
    """yₖ = exp(aₖ) / Σⱼ exp(aⱼ) over the last axis."""
    return np.exp(log_softmax(a))


def log_likelihood(t: np.ndarray, a: np.ndarray) -> np.ndarray:
    """J = Σₙ Σₖ tₙₖ log softmax(a)ₙₖ, summed over the last two axes (leading axes are a batch)."""
    return np.sum(t * log_softmax(a), axis=(-2, -1))


def weighted_sum(g: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Σ g ⊙ out over g's axes: out (…, shape of g) → (…), the upstream-weighted sum that turns a
    layer's output into the scalar J = ⟨g, out⟩ of a gradient case; one matrix–vector product, no
    g ⊙ out in memory."""
    lead = out.shape[: out.ndim - g.ndim]
    return out.reshape(*lead, g.size) @ g.reshape(g.size)


def _product(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a @ b. A real a times a complex b is one real product of a with b's (real, imaginary)
    pairs, the layout complex128 is stored in: b (…, K, M) is (…, K, 2M) float64, and the
    product's pairs are the complex result; NumPy would make a complex a and take a complex
    product, twice the arithmetic."""
    if np.iscomplexobj(b) and not np.iscomplexobj(a):
        pairs = np.ascontiguousarray(b).view(np.float64)
        return (a @ pairs).view(np.complex128)
    return a @ b


def dense(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a = X W + b: x (…, N, D), w (…, D, M), b (…, M) → (…, N, M)."""
    return x @ w + b[..., None, :]


def _windows(
    x: np.ndarray,
    kh: int,
    kw: int,
    stride: int,
    out_h: int,
    out_w: int,
    *,
    taps_first: bool = False,
) -> np.ndarray:
    """x (…, N, H, W, C) → (…, N, out_h, out_w, C, kh, kw), or (…, N, out_h, out_w, kh, kw, C)
    with ``taps_first``: every window of the strided slide, x[…, n, i·stride + k1, j·stride + k2, c]
    at window (i, j), tap (k1, k2), channel c. A view, made from x's strides directly (NumPy's
    sliding_window_view takes several times as long to make the same view)."""
    *lead, row, column, channel = x.strides
    if taps_first:
        window, steps = (kh, kw, x.shape[-1]), (row, column, channel)
    else:
        window, steps = (x.shape[-1], kh, kw), (channel, row, column)
    shape = (*x.shape[:-3], out_h, out_w, *window)
    return as_strided(x, shape, (*lead, row * stride, column * stride, *steps), writeable=False)


def _tap(x: np.ndarray, k1: int, k2: int, stride: int, out_h: int, out_w: int) -> np.ndarray:
    """x[…, i·stride + k1, j·stride + k2, :] for every output position (i, j): one tap of every
    window, as a view (…, N, out_h, out_w, C)."""
    return x[
        ...,
        k1 : k1 + (out_h - 1) * stride + 1 : stride,
        k2 : k2 + (out_w - 1) * stride + 1 : stride,
        :,
    ]


def conv_output_shape(
    x_shape: tuple[int, ...], w_shape: tuple[int, ...], stride: int, pad: int
) -> tuple[int, int, int, int]:
    """(N, Ho, Wo, F) of :func:`conv` for x (N, H, W, C) and w (KH, KW, C, F):
    Ho = (H + 2·pad − KH) // stride + 1, Wo likewise."""
    n, h, width, _ = x_shape
    kh, kw, _, f = w_shape
    return n, (h + 2 * pad - kh) // stride + 1, (width + 2 * pad - kw) // stride + 1, f


def _patches(
    x: np.ndarray, w: np.ndarray, stride: int, pad: int, mode: str
) -> tuple[np.ndarray, np.ndarray, tuple[int, int, int, int]]:
    """The two factors of :func:`conv`'s product and its output shape (N, Ho, Wo, F): the patch
    matrix (…, N·Ho·Wo, KH·KW·C) of ``in`` (x zero-padded by ``pad``) and the filter matrix
    (…, KH·KW·C, F) of w′ (w, flipped in both spatial axes for convolution). Patches are laid out
    (k1, k2, c), the order of w's own axes, so the filters need no copy and each copied patch row
    is C-contiguous runs of the image."""
    if mode == "convolution":
        w = w[..., ::-1, ::-1, :, :]
    kh, kw, c, f = w.shape[-4:]
    padded = x
    if pad:
        *lead, h, width, channels = x.shape
        padded = np.zeros((*lead, h + 2 * pad, width + 2 * pad, channels), dtype=x.dtype)
        padded[..., pad : pad + h, pad : pad + width, :] = x
    shape = conv_output_shape(x.shape[-4:], w.shape[-4:], stride, pad)
    win = _windows(padded, kh, kw, stride, shape[1], shape[2], taps_first=True)
    patches = win.reshape(*win.shape[:-6], -1, kh * kw * c)
    return patches, w.reshape(*w.shape[:-4], kh * kw * c, f), shape


def conv(
    x: np.ndarray, w: np.ndarray, b: np.ndarray, stride: int, pad: int, mode: str
) -> np.ndarray:
    """out[n,i,j,f] = b[f] + Σ_{k1,k2,c} in[n, i·s + k1, j·s + k2, c] · w′[k1,k2,c,f].

    w′ = w for cross-correlation, w flipped in both spatial axes for convolution; ``in`` is x
    zero-padded by ``pad``. x (…, N, H, W, C), w (…, KH, KW, C, F), b (…, F) → (…, N, Ho, Wo, F):
    the patch matrix times the filter matrix (``_patches``), plus b.
    """
    patches, filters, shape = _patches(x, w, stride, pad, mode)
    out = _product(patches, filters)
    out = out.reshape(*out.shape[:-2], *shape)
    bias = b[..., None, None, None, :]
    if np.broadcast_shapes(out.shape, bias.shape) != out.shape or not np.can_cast(b, out.dtype):
        return out + bias
    out += bias  # the product is a new array: the bias goes into it, not into another copy
    return out


def weighted_conv(
    g: np.ndarray, x: np.ndarray, w: np.ndarray, b: np.ndarray, stride: int, pad: int, mode: str
) -> np.ndarray:
    """J = Σ g ⊙ conv(x, w, b) = Σ_{m,K,f} P[m,K] · w′[K,f] · g[m,f] + Σ_f b[f] · Σ_m g[m,f], the
    scalar of a convolution's gradient case: g (N, Ho, Wo, F) fixed, x, w, b as in :func:`conv`
    (each possibly batched) → (…).

    The same triple sum as ``weighted_sum(g, conv(…))``, contracted in the cheaper order when the
    filters carry no batch axis: g·w′ᵀ (N·Ho·Wo, KH·KW·C) once, then one dot product with each
    batch row's patch matrix P, instead of a product with the filters and another with g per row.
    """
    if w.ndim > 4:
        return weighted_sum(g, conv(x, w, b, stride, pad, mode))
    patches, filters, (n, out_h, out_w, f) = _patches(x, w, stride, pad, mode)
    upstream = g.reshape(n * out_h * out_w, f)
    through_filters = upstream @ filters.T
    lead = patches.shape[:-2]
    image_term = patches.reshape(*lead, -1) @ through_filters.reshape(-1)
    return image_term + b @ upstream.sum(axis=0)


def pool_windows(x: np.ndarray, size: int, stride: int) -> np.ndarray:
    """x (…, N, H, W, C) → (…, N, Ho, Wo, C, size·size), windows flattened in row-major order."""
    out_h = (x.shape[-3] - size) // stride + 1
    out_w = (x.shape[-2] - size) // stride + 1
    win = _windows(x, size, size, stride, out_h, out_w)
    return win.reshape(*win.shape[:-2], size * size)


def _pool_taps(x: np.ndarray, size: int, stride: int) -> list[np.ndarray]:
    """The size² taps of every pool window (:func:`_tap`), in row-major window order."""
    out_h = (x.shape[-3] - size) // stride + 1
    out_w = (x.shape[-2] - size) // stride + 1
    return [_tap(x, k1, k2, stride, out_h, out_w) for k1 in range(size) for k2 in range(size)]


def maxpool(x: np.ndarray, size: int, stride: int) -> np.ndarray:
    """out = max over each size × size window (NaN wins); not analytic (refuses complex input).

    Taken tap by tap (an element-wise maximum of size² strided views), so no copy of the windows.
    """
    refuse_complex("max pooling", x)
    taps = _pool_taps(x, size, stride)
    out = taps[0].copy()
    for tap in taps[1:]:
        np.maximum(out, tap, out=out)
    return out


def maxpool_winners(x: np.ndarray, size: int, stride: int) -> np.ndarray:
    """Kink pattern of max pooling: the row-major index of each window's (first) maximum."""
    return pool_windows(x.real, size, stride).argmax(axis=-1)


def maxpool_winner_positions(x: np.ndarray, size: int, stride: int) -> np.ndarray:
    """The offset k = k1·size + k2 within its window of each window's (first) maximum: the
    winners that cnnref's ``maxpool2d_with_winners`` returns, (N, Ho, Wo, C), uint8 for windows of
    up to 256 elements, else uint32."""
    dtype = np.uint8 if size * size <= 256 else np.uint32
    return maxpool_winners(x, size, stride).astype(dtype)


def avgpool(x: np.ndarray, size: int, stride: int) -> np.ndarray:
    """out = mean over each size × size window, summed tap by tap; analytic."""
    taps = _pool_taps(x, size, stride)
    total = taps[0].copy()
    for tap in taps[1:]:
        total += tap
    return total / (size * size)


def mlp_logits(
    weights: list[np.ndarray],
    biases: list[np.ndarray],
    x: np.ndarray,
    activation: str,
    shifts: list[np.ndarray] | None = None,
) -> tuple[np.ndarray, list[np.ndarray]]:
    """a^(L) of the L-layer network and the hidden pre-activations [a^(1) … a^(L−1)].

    a^(l) = Z^(l−1) W^(l) + b^(l) (+ shifts[l−1], an additive perturbation whose gradient is δ^(l)),
    Z^(l) = σ(a^(l)), Z^(0) = X.
    """
    z = x
    pre = []
    for layer, (w, b) in enumerate(zip(weights, biases, strict=True)):
        a = dense(z, w, b)
        if shifts is not None:
            a = a + shifts[layer]
        if layer == len(weights) - 1:
            return a, pre
        pre.append(a)
        z = activate(a, activation)
    raise ValueError("weights must hold at least one matrix")
