"""An L-layer dense network and its backpropagation by the delta recursion.

a^(l) = Z^(l−1) W^(l) + b^(l),  Z^(l) = σ(a^(l)) for l < L,  Y = softmax(a^(L)),  Z^(0) = X.
W^(l) has size M⁽ˡ⁻¹⁾ × M⁽ˡ⁾ with M⁽⁰⁾ = D and M⁽ᴸ⁾ = K. Gradients are of J (ascent convention).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ._checks import ACTIVATIONS, choice, float_array
from .activations import activate
from .gradients import bias_gradient, hidden_delta, output_delta, weight_gradient
from .linear import dense
from .output import softmax


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
    """Forward pass: returns ([Z^(1), …, Z^(L−1)], Y).

    Shapes: x (N, D); weights[l−1] (M⁽ˡ⁻¹⁾, M⁽ˡ⁾); biases[l−1] (M⁽ˡ⁾,) → Z^(l) (N, M⁽ˡ⁾), Y (N, K).
    """
    _check_layers(weights, biases, "biases")
    choice("activation", activation, ACTIVATIONS)
    z = float_array("x", x, 2, "(N, D)")
    hidden = []
    for layer, (w, b) in enumerate(zip(weights, biases, strict=True), start=1):
        a = dense(z, w, b)
        if layer == len(weights):
            return hidden, softmax(a)
        z = activate(a, activation)
        hidden.append(z)
    raise AssertionError("unreachable")


def delta_recursion(
    weights: Sequence[np.ndarray],
    zs: Sequence[np.ndarray],
    t: np.ndarray,
    y: np.ndarray,
    activation: str,
) -> list[np.ndarray]:
    """[δ^(1), …, δ^(L)] by δ^(L) = T − Y and δ^(l) = (δ^(l+1) W^(l+1)ᵀ) ⊙ Z^(l)′ for l = L−1 … 1.

    ``zs`` = [X, Z^(1), …, Z^(L−1)] (one entry per layer; X itself is not used). δ^(l) is (N, M⁽ˡ⁾).
    """
    _check_layers(weights, zs, "zs")
    choice("activation", activation, ACTIVATIONS)
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
    """∇_{W^(l)} J = Z^(l−1)ᵀ δ^(l) and ∇_{b^(l)} J = Σₙ δ^(l) for every layer l = 1 … L.

    Returns ([∇W^(1), …, ∇W^(L)], [∇b^(1), …, ∇b^(L)]), each shaped like its parameter.
    """
    hidden, y = mlp_forward(weights, biases, x, activation)
    zs = [float_array("x", x, 2, "(N, D)"), *hidden]
    deltas = delta_recursion(weights, zs, t, y, activation)
    grads_w = [weight_gradient(z, d) for z, d in zip(zs, deltas, strict=True)]
    grads_b = [bias_gradient(d) for d in deltas]
    return grads_w, grads_b
