"""The seed network's training step as a user following the notes writes it: only the formula
functions of the functional API (``cnnref.conv2d``, ``relu``, ``maxpool2d``, ``dense``, their
backward passes and ``activation_derivative``), each called on its own, and the update in NumPy.

``cnnref bench`` times it beside the fused functional step (cnnref.nn.seed_step) to show what the
fused paths save: this loop computes conv1's input gradient it then drops, makes a pass of its own
for each relu, its derivative and each product with it, and finds each max-pool window's winner
again in the backward pass.
"""

from __future__ import annotations

import numpy as np

from ..activations import activation_derivative, relu
from ..conv import conv2d, conv2d_backward
from ..gradients import output_delta
from ..linear import dense, dense_backward
from ..output import log_likelihood, softmax
from ..pool import maxpool2d, maxpool2d_backward


def formula_step(
    params: dict[str, np.ndarray], x: np.ndarray, t: np.ndarray, learning_rate: float
) -> float:
    """θ ← θ + η ∇_θ J for every parameter of ``params`` (in place), by the formula functions one
    call at a time; returns J of the batch before the update."""
    z1 = relu(conv2d(x, params["w1"], params["b1"]))
    p1 = maxpool2d(z1)
    z2 = relu(conv2d(p1, params["w2"], params["b2"]))
    p2 = maxpool2d(z2)
    flat = p2.reshape(len(x), -1)
    z3 = relu(dense(flat, params["w3"], params["b3"]))
    y = softmax(dense(z3, params["w4"], params["b4"]))
    dz3, dw4, db4 = dense_backward(output_delta(t, y), z3, params["w4"])
    delta3 = dz3 * activation_derivative(z3, "relu")
    dflat, dw3, db3 = dense_backward(delta3, flat, params["w3"])
    dz2 = maxpool2d_backward(dflat.reshape(p2.shape), z2)
    dp1, dw2, db2 = conv2d_backward(dz2 * activation_derivative(z2, "relu"), p1, params["w2"])
    dz1 = maxpool2d_backward(dp1, z1)
    _, dw1, db1 = conv2d_backward(dz1 * activation_derivative(z1, "relu"), x, params["w1"])
    grads = {"w1": dw1, "b1": db1, "w2": dw2, "b2": db2, "w3": dw3, "b3": db3, "w4": dw4, "b4": db4}
    for name, g in grads.items():
        params[name] += learning_rate * g
    return log_likelihood(t, y)
