"""Wrong implementations modelled on real student mistakes: the oracle must reject every one.

Each :class:`Mutant` has the signature of the cnnref function it replaces (``target``) and a short
``label`` naming the mistake; the grader uses the labels to diagnose a submission whose errors match
a mutant's. ``MUTANTS`` is the catalogue.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

import cnnref


@dataclass(frozen=True)
class Mutant:
    """A wrong version of ``target``, named and labelled with the mistake it makes."""

    name: str
    label: str
    target: str
    function: Callable


def _pool_geometry(x: np.ndarray, size: int, stride: int | None):
    step = size if stride is None else stride
    _n, h, w, _c = x.shape
    return step, (h - size) // step + 1, (w - size) // step + 1


# ------------------------------------------------------------------ output layer


def output_delta_sign(t, y):
    """δ = Y − T: the descent sign mixed into the ascent convention."""
    return y - np.asarray(t, dtype=y.dtype)


def output_delta_diagonal(t, y):
    """δₖ = (tₖ/yₖ)·yₖ(1 − yₖ): only the diagonal of the softmax Jacobian."""
    return np.asarray(t, dtype=y.dtype) * (1 - y)


def grad_V_transposed(z, t, y):
    """(T − Y)ᵀ Z: the right numbers in a K × M matrix."""
    return (np.asarray(t, dtype=y.dtype) - y).T @ z


def grad_c_wrong_axis(t, y):
    """Σₖ (T − Y): summed over classes instead of samples."""
    return (np.asarray(t, dtype=y.dtype) - y).sum(axis=1)


def grad_c_mean(t, y):
    """(1/N) Σₙ (T − Y): mean instead of sum."""
    return (np.asarray(t, dtype=y.dtype) - y).mean(axis=0)


# ------------------------------------------------------------------ hidden layer


def _derivative_at_z_as_preactivation(z, activation):
    if activation == "sigmoid":
        s = 1 / (1 + np.exp(-z))
        return s * (1 - s)
    if activation == "tanh":
        return 1 - np.tanh(z) ** 2
    return (z > 0).astype(z.dtype)


def grad_W_no_derivative(x, z, v, t, y, activation):
    """Xᵀ [(T − Y) Vᵀ]: the activation derivative Z′ forgotten."""
    return x.T @ ((np.asarray(t, dtype=y.dtype) - y) @ v.T)


def grad_W_derivative_of_z(x, z, v, t, y, activation):
    """σ′ evaluated at z as if z were the pre-activation: σ(z)(1 − σ(z)) instead of z(1 − z)."""
    delta = ((np.asarray(t, dtype=y.dtype) - y) @ v.T) * _derivative_at_z_as_preactivation(
        z, activation
    )
    return x.T @ delta


def grad_b_wrong_axis(z, v, t, y, activation):
    """The hidden delta summed over units instead of samples."""
    delta = (np.asarray(t, dtype=y.dtype) - y) @ v.T * cnnref.activation_derivative(z, activation)
    return delta.sum(axis=1)


def activation_derivative_of_z(z, kind):
    """σ′(z) instead of σ′(a) = z(1 − z): the derivative formula applied to the output."""
    return _derivative_at_z_as_preactivation(np.asarray(z), kind).astype(np.asarray(z).dtype)


def hidden_delta_untransposed(delta_next, w_next, z, activation):
    """δ W instead of δ Wᵀ."""
    return (delta_next @ w_next) * cnnref.activation_derivative(z, activation)


def hidden_delta_in_place(delta_next, w_next, z, activation):
    """Right values, but Z′ is written over the caller's z."""
    z[...] = cnnref.activation_derivative(z, activation)
    return (delta_next @ w_next.T) * z


def weight_gradient_mean(z_prev, delta):
    """(1/N) Zᵀ δ: mean instead of sum over the batch."""
    return z_prev.T @ delta / z_prev.shape[0]


def weight_gradient_transposed(z_prev, delta):
    """δᵀ Z instead of Zᵀ δ."""
    return delta.T @ z_prev


def bias_gradient_dropped(delta):
    """The bias gradient never computed: zeros."""
    return np.zeros(delta.shape[1], dtype=delta.dtype)


def dense_backward_bias_dropped(delta, x, w):
    """dx and dw right, db left at zero."""
    dx, dw, _ = cnnref.dense_backward(delta, x, w)
    return dx, dw, np.zeros_like(dw[0])


def dense_backward_float32(delta, x, w):
    """dw accumulated in float32 even when the inputs are float64."""
    dx, _, db = cnnref.dense_backward(delta, x, w)
    dw = (x.astype(np.float32).T @ delta.astype(np.float32)).astype(x.dtype)
    return dx, dw, db


def delta_recursion_wrong_layer(weights, zs, t, y, activation):
    """δ^(l) = (δ^(l+1) W^(l+1)ᵀ) ⊙ Z^(l−1)′: the derivative of the layer below."""
    deltas = [cnnref.output_delta(t, y)]
    for layer in range(len(weights) - 1, 0, -1):
        derivative = cnnref.activation_derivative(zs[layer - 1], activation)
        deltas.append((deltas[-1] @ weights[layer].T) * derivative)
    return deltas[::-1]


def backprop_descent(weights, biases, x, t, activation):
    """−∇J, the gradient of the cross-entropy, returned where ∇J is asked for."""
    grads_w, grads_b = cnnref.backprop(weights, biases, x, t, activation)
    return [-g for g in grads_w], [-g for g in grads_b]


def log_likelihood_mean(t, y):
    """J divided by N: mean instead of sum over the batch."""
    return cnnref.log_likelihood(t, y) / np.shape(y)[0]


def softmax_no_max(a):
    """exp(a) / Σ exp(a) without subtracting max a: overflows for large logits."""
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(a)
        return e / e.sum(axis=-1, keepdims=True)


# ------------------------------------------------------------------ convolution


def conv2d_not_flipped(x, w, b, stride=1, pad=0, mode="cross-correlation", *, algorithm="im2col"):
    """Convolution mode computed as cross-correlation: the filter is never flipped."""
    return cnnref.conv2d(x, w, b, stride, pad, "cross-correlation", algorithm=algorithm)


def conv2d_backward_not_flipped(
    dout, x, w, stride=1, pad=0, mode="cross-correlation", *, algorithm="im2col"
):
    """Convolution-mode gradients computed as for cross-correlation: no flips at all."""
    return cnnref.conv2d_backward(dout, x, w, stride, pad, "cross-correlation", algorithm=algorithm)


def conv2d_backward_flipped_twice(
    dout, x, w, stride=1, pad=0, mode="cross-correlation", *, algorithm="im2col"
):
    """The filter gradient flipped once more on the way out (left in the flipped frame)."""
    dx, dw, db = cnnref.conv2d_backward(dout, x, w, stride, pad, mode, algorithm=algorithm)
    if mode == "convolution":
        dw = np.ascontiguousarray(dw[::-1, ::-1])
    return dx, dw, db


def _conv_input_gradient(dout, w, x_shape, stride, pad, mode, row_step, crop):
    """dx scattered as dout·wᵀ into a padded buffer; ``row_step``, ``crop`` carry the mistakes."""
    if mode == "convolution":
        w = w[::-1, ::-1]
    n, h, wd, c = x_shape
    kh, kw = w.shape[:2]
    _, ho, wo, _ = dout.shape
    buffer = np.zeros((n, h + 2 * pad + kh + row_step * ho, wd + 2 * pad + kw + row_step * wo, c))
    for k1 in range(kh):
        for k2 in range(kw):
            contribution = dout @ w[k1, k2].T
            buffer[:, k1 : k1 + row_step * ho : row_step, k2 : k2 + row_step * wo : row_step] += (
                contribution
            )
    return buffer[:, crop : crop + h, crop : crop + wd].astype(dout.dtype)


def conv2d_backward_pad_off_by_one(
    dout, x, w, stride=1, pad=0, mode="cross-correlation", *, algorithm="im2col"
):
    """dx cropped from the padded gradient at pad + 1 instead of pad."""
    _, dw, db = cnnref.conv2d_backward(dout, x, w, stride, pad, mode, algorithm=algorithm)
    return _conv_input_gradient(dout, w, x.shape, stride, pad, mode, stride, pad + 1), dw, db


def conv2d_backward_stride_ignored(
    dout, x, w, stride=1, pad=0, mode="cross-correlation", *, algorithm="im2col"
):
    """dx routed with r = i + k1 instead of r = i·stride + k1."""
    _, dw, db = cnnref.conv2d_backward(dout, x, w, stride, pad, mode, algorithm=algorithm)
    return _conv_input_gradient(dout, w, x.shape, stride, pad, mode, 1, pad), dw, db


# ------------------------------------------------------------------ pooling


def _route_max(dout, x, size, stride, rule):
    step, ho, wo = _pool_geometry(x, size, stride)
    dx = np.zeros_like(x)
    for i in range(ho):
        for j in range(wo):
            window = x[:, i * step : i * step + size, j * step : j * step + size, :]
            flat = window.reshape(x.shape[0], size * size, x.shape[3])
            top = flat.max(axis=1, keepdims=True)
            if rule == "every":
                share = np.ones_like(flat)
            elif rule == "split":
                share = (flat == top) / np.sum(flat == top, axis=1, keepdims=True)
            else:
                last = size * size - 1 - np.argmax((flat == top)[:, ::-1], axis=1)
                share = np.arange(size * size)[None, :, None] == last[:, None, :]
            routed = (share * dout[:, i : i + 1, j, :]).reshape(window.shape)
            dx[:, i * step : i * step + size, j * step : j * step + size, :] += routed
    return dx


def maxpool2d_backward_every(dout, x, size=2, stride=None):
    """The window's upstream gradient sent to every element, not only the maximum."""
    return _route_max(dout, x, size, stride, "every")


def maxpool2d_backward_split_ties(dout, x, size=2, stride=None):
    """Ties split the gradient equally (the stated rule gives it all to the first maximum)."""
    return _route_max(dout, x, size, stride, "split")


def maxpool2d_backward_last_tie(dout, x, size=2, stride=None):
    """Ties broken toward the last maximum in row-major order instead of the first."""
    return _route_max(dout, x, size, stride, "last")


def avgpool2d_backward_no_divide(dout, x, size=2, stride=None):
    """The average-pool gradient not divided by size²."""
    return cnnref.avgpool2d_backward(dout, x, size, stride) * (size * size)


def avgpool2d_backward_hardcoded(dout, x, size=2, stride=None):
    """The notes' 32 × 32 image size written into the code."""
    dx = np.zeros((x.shape[0], 32, 32, x.shape[3]), dtype=x.dtype)
    step = size if stride is None else stride
    for k1 in range(size):
        for k2 in range(size):
            rows = slice(k1, k1 + step * dout.shape[1], step)
            cols = slice(k2, k2 + step * dout.shape[2], step)
            dx[:, rows, cols, :] += dout / (size * size)
    return dx


MUTANTS: list[Mutant] = [
    Mutant(
        "output_delta_sign",
        "sign convention (Y − T instead of T − Y)",
        "output_delta",
        output_delta_sign,
    ),
    Mutant(
        "output_delta_diagonal",
        "softmax Jacobian reduced to its diagonal (t ⊙ (1 − y))",
        "output_delta",
        output_delta_diagonal,
    ),
    Mutant(
        "grad_V_transposed",
        "transposed gradient ((T − Y)ᵀ Z instead of Zᵀ (T − Y))",
        "grad_V",
        grad_V_transposed,
    ),
    Mutant(
        "grad_c_wrong_axis",
        "bias gradient summed over the wrong axis (classes, not samples)",
        "grad_c",
        grad_c_wrong_axis,
    ),
    Mutant("grad_c_mean", "mean instead of sum over the batch", "grad_c", grad_c_mean),
    Mutant(
        "grad_W_no_derivative",
        "activation derivative missing (Z′ left out)",
        "grad_W",
        grad_W_no_derivative,
    ),
    Mutant(
        "grad_W_derivative_of_z",
        "activation derivative of the pre-activation formula applied to z (σ′(z), not z(1 − z))",
        "grad_W",
        grad_W_derivative_of_z,
    ),
    Mutant(
        "grad_b_wrong_axis",
        "bias gradient summed over the wrong axis (units, not samples)",
        "grad_b",
        grad_b_wrong_axis,
    ),
    Mutant(
        "activation_derivative_of_z",
        "activation derivative of the pre-activation formula applied to z (σ′(z), not z(1 − z))",
        "activation_derivative",
        activation_derivative_of_z,
    ),
    Mutant(
        "hidden_delta_untransposed",
        "transposed weight in the delta recursion (δ W, not δ Wᵀ)",
        "hidden_delta",
        hidden_delta_untransposed,
    ),
    Mutant(
        "hidden_delta_in_place",
        "inputs modified in place (Z′ written over z)",
        "hidden_delta",
        hidden_delta_in_place,
    ),
    Mutant(
        "weight_gradient_mean",
        "mean instead of sum over the batch",
        "weight_gradient",
        weight_gradient_mean,
    ),
    Mutant(
        "weight_gradient_transposed",
        "transposed gradient (δᵀ Z instead of Zᵀ δ)",
        "weight_gradient",
        weight_gradient_transposed,
    ),
    Mutant(
        "bias_gradient_dropped",
        "bias gradient dropped (returned as zeros)",
        "bias_gradient",
        bias_gradient_dropped,
    ),
    Mutant(
        "dense_backward_bias_dropped",
        "bias gradient dropped (returned as zeros)",
        "dense_backward",
        dense_backward_bias_dropped,
    ),
    Mutant(
        "dense_backward_float32",
        "float32 downcast inside a float64 computation",
        "dense_backward",
        dense_backward_float32,
    ),
    Mutant(
        "delta_recursion_wrong_layer",
        "activation derivative of the wrong layer (Z^(l−1)′ instead of Z^(l)′)",
        "delta_recursion",
        delta_recursion_wrong_layer,
    ),
    Mutant(
        "backprop_descent",
        "sign convention (returns −∇J, the descent direction)",
        "backprop",
        backprop_descent,
    ),
    Mutant(
        "log_likelihood_mean",
        "mean instead of sum over the batch",
        "log_likelihood",
        log_likelihood_mean,
    ),
    Mutant(
        "softmax_no_max",
        "softmax without max subtraction (overflows on large logits)",
        "softmax",
        softmax_no_max,
    ),
    Mutant(
        "conv2d_not_flipped",
        "filters not flipped in convolution mode",
        "conv2d",
        conv2d_not_flipped,
    ),
    Mutant(
        "conv2d_backward_not_flipped",
        "filters not flipped in convolution mode",
        "conv2d_backward",
        conv2d_backward_not_flipped,
    ),
    Mutant(
        "conv2d_backward_flipped_twice",
        "filter gradient flipped twice (left in flipped frame)",
        "conv2d_backward",
        conv2d_backward_flipped_twice,
    ),
    Mutant(
        "conv2d_backward_pad_off_by_one",
        "padding off by one (dx cropped at pad + 1)",
        "conv2d_backward",
        conv2d_backward_pad_off_by_one,
    ),
    Mutant(
        "conv2d_backward_stride_ignored",
        "stride off (dx routed to i + k1, not i·s + k1)",
        "conv2d_backward",
        conv2d_backward_stride_ignored,
    ),
    Mutant(
        "maxpool2d_backward_every",
        "pool gradient sent to every element of the window",
        "maxpool2d_backward",
        maxpool2d_backward_every,
    ),
    Mutant(
        "maxpool2d_backward_split_ties",
        "pool gradient split among tied maxima",
        "maxpool2d_backward",
        maxpool2d_backward_split_ties,
    ),
    Mutant(
        "maxpool2d_backward_last_tie",
        "pool ties broken toward the last maximum, not the first",
        "maxpool2d_backward",
        maxpool2d_backward_last_tie,
    ),
    Mutant(
        "avgpool2d_backward_no_divide",
        "average-pool gradient not divided by size²",
        "avgpool2d_backward",
        avgpool2d_backward_no_divide,
    ),
    Mutant(
        "avgpool2d_backward_hardcoded",
        "shapes hard-coded to 32 × 32",
        "avgpool2d_backward",
        avgpool2d_backward_hardcoded,
    ),
]


def by_name(name: str) -> Mutant:
    """The mutant called ``name``."""
    for mutant in MUTANTS:
        if mutant.name == name:
            return mutant
    raise ValueError(f"name: no mutant called {name!r}")
