"""Naive twins of the paths cnnref's layers and seed network take
(``cnnref.conv.conv2d_activation``, ``cnnref.pool.maxpool2d_with_winners``, …): each is the
composition of naive formula functions that the fast path claims to equal, so the oracle checks the
code training actually runs against the same index sums as the formulas. The names are the fast
paths' dotted names under :mod:`cnnref` (``conv.conv2d_activation`` is :func:`conv2d_activation`
here), resolved by :func:`verify.oracle.naive_function`.
"""

from __future__ import annotations

import numpy as np

from .activations import activate, activation_derivative
from .arguments import Array
from .conv import conv2d, conv2d_backward
from .linear import dense, dense_backward
from .pool import maxpool2d, maxpool2d_backward, window_winner


def conv2d_activation(x, w, b, activation, stride=1, pad=0, mode="cross-correlation") -> Array:
    """σ(conv2d(x, w, b, stride, pad, mode)), σ the identity for ``activation=None``."""
    out = conv2d(x, w, b, stride, pad, mode)
    return out if activation is None else activate(out, activation)


# The direct index loops compute the formulas themselves.
conv2d_direct = conv2d
conv2d_backward_direct = conv2d_backward


def conv2d_parameter_gradients(dout, x, w, stride=1, pad=0, mode="cross-correlation"):
    """(dw, db) of conv2d_backward."""
    _, dw, db = conv2d_backward(dout, x, w, stride, pad, mode)
    return dw, db


def dense_activation(x, w, b, activation) -> Array:
    """σ(dense(x, w, b)), σ the identity for ``activation=None``."""
    out = dense(x, w, b)
    return out if activation is None else activate(out, activation)


def dense_parameter_gradients(delta, x, w):
    """(dw, db) of dense_backward."""
    _, dw, db = dense_backward(delta, x, w)
    return dw, db


def times_activation_derivative(upstream, z, kind) -> Array:
    """upstream ⊙ Z′, element by element."""
    return np.asarray(upstream, dtype=np.float64) * activation_derivative(z, kind)


def maxpool2d_with_winners(x, size=2, stride=None):
    """(maxpool2d(x, size, stride), winners): winners[n, i, j, c] = k1·size + k2, the offset
    within window (n, i, j, c) of its winner x[n, i·stride + k1, j·stride + k2, c] under the tie
    rule; uint8 for windows of up to 256 elements, else uint32."""
    out = maxpool2d(x, size, stride)
    step = size if stride is None else stride
    x = np.asarray(x).tolist()
    winners = np.empty(out.shape, dtype=np.uint8 if size * size <= 256 else np.uint32)
    for n, i, j, c in np.ndindex(out.shape):
        r, s = window_winner(x, n, i, j, c, size, step)
        winners[n, i, j, c] = (r - i * step) * size + (s - j * step)
    return out, winners


def maxpool2d_backward_to_winners(dout, x, winners, size=2, stride=None) -> Array:
    """maxpool2d_backward(dout, x, size, stride): the winners are found again, not read."""
    return maxpool2d_backward(dout, x, size, stride)


def activation_delta_through_maxpool(
    dout, z, winners, kind, size=2, stride=None, pooled=None
) -> Array:
    """maxpool2d_backward(dout, z, size, stride) ⊙ Z′: the delta through σ and the pool (Z′ from z,
    whether or not the pooled output is given)."""
    return maxpool2d_backward(dout, z, size, stride) * activation_derivative(z, kind)
