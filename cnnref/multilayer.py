"""An L-layer dense network and its backpropagation by the delta recursion.

a^(l) = Z^(l−1) W^(l) + b^(l),  Z^(l) = σ(a^(l)) for l < L,  Y = softmax(a^(L)),  Z^(0) = X.
W^(l) has size M⁽ˡ⁻¹⁾ × M⁽ˡ⁾ with M⁽⁰⁾ = D and M⁽ᴸ⁾ = K. Gradients are of J (ascent convention).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .activations import activate
from .gradients import bias_gradient, hidden_delta_named, output_delta, weight_gradient
from .linear import dense
from .output import softmax
from .validation import ACTIVATIONS, Array, choice, exact_shape, float_array, same_dtype


def _check_layers(weights: Sequence, other: Sequence, other_name: str) -> None:
    for name, value in (("weights", weights), (other_name, other)):
        if not isinstance(value, Sequence | np.ndarray) or isinstance(value, str | bytes):
            raise TypeError(
                f"{name} must be a list with one array per layer, got {type(value).__name__}"
            )
    if len(weights) == 0:
        raise ValueError("weights must hold at least one matrix (the output layer)")
    if len(other) != len(weights):
        raise ValueError(
            f"{other_name} must have one entry per layer: len(weights) = {len(weights)}, "
            f"len({other_name}) = {len(other)}"
        )


def _layer_parameters(index: int, w, b, z: Array) -> tuple[Array, Array]:
    """weights[index] and biases[index], checked to chain onto the layer input z (N, M_prev)."""
    w = float_array(f"weights[{index}]", w, 2, "(M_prev, M)")
    b = float_array(f"biases[{index}]", b, 1, "(M,)")
    same_dtype(x=z, **{f"weights[{index}]": w, f"biases[{index}]": b})
    if w.shape[0] != z.shape[1]:
        source = "x" if index == 0 else f"layer {index}'s output"
        raise ValueError(
            f"weights[{index}] must have shape (M_prev, M) with M_prev = {z.shape[1]} "
            f"(the width of {source}), got shape {w.shape}"
        )
    exact_shape(f"biases[{index}]", b, (w.shape[1],), f"(one bias per column of weights[{index}])")
    return w, b


def mlp_forward(
    weights: Sequence[Array], biases: Sequence[Array], x: Array, activation: str
) -> tuple[list[Array], Array]:
    """Forward pass: returns ([Z^(1), …, Z^(L−1)], Y).

    Shapes: x (N, D); weights[l−1] (M⁽ˡ⁻¹⁾, M⁽ˡ⁾); biases[l−1] (M⁽ˡ⁾,) → Z^(l) (N, M⁽ˡ⁾), Y (N, K).

    Twin :func:`verify.naive.multilayer.mlp_forward`, :doc:`/derivations/delta-recursion`.
    """
    _check_layers(weights, biases, "biases")
    choice("activation", activation, ACTIVATIONS)
    z = float_array("x", x, 2, "(N, D)")
    hidden = []
    for index, (w, b) in enumerate(zip(weights, biases, strict=True)):
        a = dense(z, *_layer_parameters(index, w, b, z))
        if index == len(weights) - 1:
            return hidden, softmax(a)
        z = activate(a, activation)
        hidden.append(z)
    raise AssertionError("unreachable")


def delta_recursion(
    weights: Sequence[Array], zs: Sequence[Array], t: Array, y: Array, activation: str
) -> list[Array]:
    """[δ^(1), …, δ^(L)] by δ^(L) = T − Y and δ^(l) = (δ^(l+1) W^(l+1)ᵀ) ⊙ Z^(l)′ for l = L−1 … 1.

    ``zs`` = [X, Z^(1), …, Z^(L−1)] (one entry per layer; X itself is not used). δ^(l) is (N, M⁽ˡ⁾).

    Twin :func:`verify.naive.multilayer.delta_recursion`, :doc:`/derivations/delta-recursion`.
    """
    _check_layers(weights, zs, "zs")
    choice("activation", activation, ACTIVATIONS)
    deltas = [output_delta(t, y)]
    for layer in range(len(weights) - 1, 0, -1):
        names = (f"delta of layer {layer + 1}", f"weights[{layer}]", f"zs[{layer}]")
        deltas.append(hidden_delta_named(deltas[-1], weights[layer], zs[layer], activation, names))
    return deltas[::-1]


def backprop(
    weights: Sequence[Array], biases: Sequence[Array], x: Array, t: Array, activation: str
) -> tuple[list[Array], list[Array]]:
    """∇_{W^(l)} J = Z^(l−1)ᵀ δ^(l) and ∇_{b^(l)} J = Σₙ δ^(l) for every layer l = 1 … L.

    Returns ([∇W^(1), …, ∇W^(L)], [∇b^(1), …, ∇b^(L)]), each shaped like its parameter.

    Twin :func:`verify.naive.multilayer.backprop`, :doc:`/derivations/delta-recursion`.
    """
    hidden, y = mlp_forward(weights, biases, x, activation)
    if np.shape(t) != y.shape:
        raise ValueError(
            f"t must have shape (N, K) = {y.shape} (one row per sample of x, one column per "
            f"output of weights[-1]), got shape {np.shape(t)}"
        )
    zs = [float_array("x", x, 2, "(N, D)"), *hidden]
    deltas = delta_recursion(weights, zs, t, y, activation)
    grads_w = [weight_gradient(z, d) for z, d in zip(zs, deltas, strict=True)]
    grads_b = [bias_gradient(d) for d in deltas]
    return grads_w, grads_b
