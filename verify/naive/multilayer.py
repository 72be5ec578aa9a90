"""Naive twins of ``cnnref/multilayer.py``: an L-layer network's forward pass, delta recursion and
backpropagation, built from the naive layer, activation, softmax and gradient functions.
"""

from __future__ import annotations

from .activations import activate
from .arguments import ACTIVATIONS, Array, Arrays, copied_array, one_of
from .gradients import bias_gradient, hidden_delta, output_delta, weight_gradient
from .linear import dense
from .output import softmax


def _check_layers(weights: Arrays, other: Arrays, other_name: str) -> None:
    """At least one layer, and one entry of ``other`` (biases or zs) per weight matrix."""
    layers, entries = len(weights), len(other)
    if not layers:
        raise ValueError("weights must hold at least one matrix (the output layer)")
    if entries != layers:
        raise ValueError(
            f"{other_name} must have one entry per layer: len(weights) = {layers}, "
            f"len({other_name}) = {entries}"
        )


def mlp_forward(
    weights: Arrays, biases: Arrays, x: Array, activation: str
) -> tuple[list[Array], Array]:
    """a^(l) = Z^(l−1) W^(l) + b^(l), Z^(l) = σ(a^(l)) for l < L, Y = softmax(a^(L)), Z^(0) = X.

    Returns ([Z^(1), …, Z^(L−1)], Y). Shapes: x (N, D); weights[l−1] (M⁽ˡ⁻¹⁾, M⁽ˡ⁾);
    biases[l−1] (M⁽ˡ⁾,) → Z^(l) (N, M⁽ˡ⁾), Y (N, K).
    """
    _check_layers(weights, biases, "biases")
    one_of("activation", activation, ACTIVATIONS)
    zs = [copied_array("x", x, 2, "(N, D)")]
    for w, b in zip(weights[:-1], biases[:-1], strict=True):
        zs.append(activate(dense(zs[-1], w, b), activation))
    return zs[1:], softmax(dense(zs[-1], weights[-1], biases[-1]))


def delta_recursion(
    weights: Arrays, zs: Arrays, t: Array, y: Array, activation: str
) -> list[Array]:
    """[δ^(1), …, δ^(L)], element by element:

        δ^(L)_nk = tₙₖ − yₙₖ,    δ^(l)_nm = (Σ_j δ^(l+1)_nj W^(l+1)_mj) z^(l)′_nm  for l = L−1 … 1.

    ``zs`` = [X, Z^(1), …, Z^(L−1)] (one entry per layer; X itself is not used). δ^(l) is (N, M⁽ˡ⁾).
    """
    _check_layers(weights, zs, "zs")
    one_of("activation", activation, ACTIVATIONS)
    deltas = [output_delta(t, y)]
    for layer in range(len(weights) - 1, 0, -1):
        deltas.append(hidden_delta(deltas[-1], weights[layer], zs[layer], activation))
    return deltas[::-1]


def backprop(
    weights: Arrays, biases: Arrays, x: Array, t: Array, activation: str
) -> tuple[list[Array], list[Array]]:
    """∂J/∂W^(l)_ij = Σₙ z^(l−1)_ni δ^(l)_nj and ∂J/∂b^(l)_j = Σₙ δ^(l)_nj for l = 1 … L.

    Returns ([∇W^(1), …, ∇W^(L)], [∇b^(1), …, ∇b^(L)]), each shaped like its parameter.
    """
    hidden, y = mlp_forward(weights, biases, x, activation)
    zs = [copied_array("x", x, 2, "(N, D)"), *hidden]
    deltas = delta_recursion(weights, zs, t, y, activation)
    grads_w = [weight_gradient(z, delta) for z, delta in zip(zs, deltas, strict=True)]
    grads_b = [bias_gradient(delta) for delta in deltas]
    return grads_w, grads_b
