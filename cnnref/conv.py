"""2-D convolution on NHWC images with (K, K, C, F) filter banks: forward and its gradients.

The functions here are the formulas: they check their arguments, flip the filter for
mode="convolution" and hand the cross-correlation to :mod:`cnnref.conv_paths`, which picks how it is
computed.
"""

from __future__ import annotations

import numpy as np

from . import conv_paths as paths
from .kernels import dense as _dense
from .threads import openmp_threads
from .validation import (
    ACTIVATIONS,
    Array,
    choice,
    conv_geometry,
    exact_shape,
    float_array,
    last_axis_length,
    memory_for,
    same_dtype,
)


def _flip(w: Array) -> Array:
    """w[KH − 1 − k1, KW − 1 − k2, c, f]: turns convolution into cross-correlation and back."""
    return np.ascontiguousarray(w[::-1, ::-1])


def conv2d(
    x: Array, w: Array, b: Array, stride: int = 1, pad: int = 0, mode: str = "cross-correlation"
) -> Array:
    """Convolution layer forward pass.

    Cross-correlation (the default; what frameworks call convolution)::

        out[n, i, j, f] = b[f] + Σ_{k1} Σ_{k2} Σ_c in[n, i·s + k1, j·s + k2, c] · w[k1, k2, c, f]

    ``mode="convolution"`` is the notes' formula
    out[i, j] = Σ_{k1} Σ_{k2} Σ_c in[i − k1, j − k2, c] · filter[c, k1, k2] restricted to the valid
    region, i.e. the same sum with the filter flipped: w[KH − 1 − k1, KW − 1 − k2, c, f].
    ``in`` is x zero-padded by ``pad`` on each side of H and W.

    Shapes: x (N, H, W, C), w (KH, KW, C, F), b (F,) → out (N, Ho, Wo, F) with
    Ho = (H + 2·pad − KH) // stride + 1 and Wo likewise. How it is computed (SIMD micro-kernels,
    im2col + BLAS) is cnnref.conv_paths' business; :func:`cnnref.conv.conv2d_direct` is the same
    sum by the direct index loops.

    Twin :func:`verify.naive.conv.conv2d`, :doc:`/derivations/convolution`.
    """
    return conv2d_activation(x, w, b, None, stride, pad, mode)


def conv2d_backward(
    dout: Array, x: Array, w: Array, stride: int = 1, pad: int = 0, mode: str = "cross-correlation"
) -> tuple[Array, Array, Array]:
    """Gradients of the convolution layer, given the upstream gradient dout = ∂J/∂out.

    For cross-correlation::

        dx[n, r, q, c]   = Σ_{i, j, k1, k2 : r = i·s + k1 − pad, q = j·s + k2 − pad}
                               Σ_f dout[n, i, j, f] · w[k1, k2, c, f]
        dw[k1, k2, c, f] = Σ_n Σ_i Σ_j in[n, i·s + k1, j·s + k2, c] · dout[n, i, j, f]
        db[f]            = Σ_n Σ_i Σ_j dout[n, i, j, f]

    For ``mode="convolution"`` the filter is flipped going in and dw is flipped coming out.
    Shapes: dout (N, Ho, Wo, F), x (N, H, W, C), w (KH, KW, C, F) → dx like x, dw like w, db (F,).
    Input pixels that no window reaches (when stride does not divide evenly) get zero gradient.

    Twin :func:`verify.naive.conv.conv2d_backward`, :doc:`/derivations/convolution`.
    """
    return _backward(dout, x, w, stride, pad, mode, paths.backward, input_gradient=True)


# The paths the layers and the seed network take. Each equals a composition of the formula
# functions above (named in its docstring) and is tested against it; they exist only to save a
# pass over memory or a product.


def conv2d_activation(
    x: Array,
    w: Array,
    b: Array,
    activation: str | None,
    stride: int = 1,
    pad: int = 0,
    mode: str = "cross-correlation",
) -> Array:
    """z = σ(conv2d(x, w, b, stride, pad, mode)) with σ ("relu", "sigmoid", "tanh"; None for the
    identity) applied in the same pass as the bias: the same values as the two calls."""
    return _forward(x, w, b, activation, stride, pad, mode, paths.forward)


def conv2d_parameter_gradients(
    dout: Array, x: Array, w: Array, stride: int = 1, pad: int = 0, mode: str = "cross-correlation"
) -> tuple[Array, Array]:
    """(dw, db) of :func:`cnnref.conv2d_backward` without dx: the first layer of a network needs no
    gradient with respect to its input image."""
    _, dw, db = _backward(dout, x, w, stride, pad, mode, paths.backward, input_gradient=False)
    return dw, db


# The direct index loops: the same sums computed the readable way, a compiled reference the oracle
# checks the fast paths against (verify's conv.conv2d_direct cases).


def conv2d_direct(
    x: Array, w: Array, b: Array, stride: int = 1, pad: int = 0, mode: str = "cross-correlation"
) -> Array:
    """:func:`cnnref.conv2d` by the direct index loops of its formula."""
    return _forward(x, w, b, None, stride, pad, mode, paths.forward_direct)


def conv2d_backward_direct(
    dout: Array, x: Array, w: Array, stride: int = 1, pad: int = 0, mode: str = "cross-correlation"
) -> tuple[Array, Array, Array]:
    """:func:`cnnref.conv2d_backward` by the direct index loops of its formulas."""
    return _backward(dout, x, w, stride, pad, mode, paths.backward_direct, input_gradient=True)


def _forward(x, w, b, activation, stride, pad, mode, path):
    """Validate, flip for mode="convolution", and compute σ(x ⋆ w + b) by ``path``."""
    x, w, stride, pad, out_h, out_w = conv_geometry(x, w, stride, pad, mode, last_axis_length(b, 1))
    b = float_array("b", b, 1, "(F,)")
    same_dtype(x=x, w=w, b=b)
    exact_shape("b", b, (w.shape[3],), "(one bias per filter F)")
    if activation is not None:
        choice("activation", activation, ACTIVATIONS)
    if x.shape[0] == 0:
        return np.empty((0, out_h, out_w, w.shape[3]), dtype=x.dtype)
    if mode == "convolution":
        w = _flip(w)
    out_shape = (x.shape[0], out_h, out_w, w.shape[3])
    with memory_for("x and w", "the output (N, Ho, Wo, F)", out_shape, x.dtype):
        return path(x, w, b, activation, stride, pad, out_h, out_w)


def _backward(dout, x, w, stride, pad, mode, path, input_gradient):
    """(dx or None, dw, db) of :func:`conv2d_backward` by ``path``, dx only with
    ``input_gradient``."""
    x, w, stride, pad, out_h, out_w = conv_geometry(
        x, w, stride, pad, mode, last_axis_length(dout, 4)
    )
    dout = float_array("dout", dout, 4, "(N, Ho, Wo, F)")
    same_dtype(dout=dout, x=x, w=w)
    n, f = x.shape[0], w.shape[3]
    exact_shape("dout", dout, (n, out_h, out_w, f), "(N, Ho, Wo, F) of the forward output")
    if n == 0:
        dx = np.zeros_like(x) if input_gradient else None
        return dx, np.zeros_like(w), np.zeros(f, dtype=x.dtype)
    if mode == "convolution":
        w = _flip(w)
    dx, dw = path(dout, x, w, stride, pad, input_gradient)
    db = np.empty(f, dtype=x.dtype)
    _dense.sum_rows(dout.reshape(-1, f), db, openmp_threads())
    if mode == "convolution":
        dw = _flip(dw)
    return dx, dw, db
