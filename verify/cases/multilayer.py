"""The oracle's cases for ``cnnref/multilayer.py`` (naive twin :mod:`verify.naive.multilayer`): the
registry builders and settings of an L-layer network's forward pass, delta recursion and backprop
(L = 3 also checked against the notes' three-layer formulas), and the mutants they must reject.
"""

from __future__ import annotations

import numpy as np

import cnnref

from .. import generators as gen
from .. import objectives as obj
from .case import (
    ACTIVATIONS,
    DTYPES,
    NEAR_KINK_SETTINGS,
    Case,
    Entry,
    Mutant,
    activation_settings,
    cast,
    f64,
    grid,
)


def _network(rng, dtype, layers: int, activation: str, near_kink: bool):
    widths = gen.distinct_sizes(rng, layers + 1, 2, 7)
    n = int(rng.integers(2, 6))
    x = cast(gen.values(rng, (n, widths[0])), dtype)
    weights, biases = gen.relu_safe_layers(rng, f64(x), widths, activation, near_kink)
    weights = [cast(w, dtype) for w in weights]
    biases = [cast(b, dtype) for b in biases]
    t = gen.targets(rng, n, widths[-1], soft=False)
    return x, weights, biases, t


def _network_case(target, setting, t, x64, network_of, *, args, outputs, params, **more) -> Case:
    """A gradient case of J = Σ t log softmax(a^(L)) through the L-layer network that
    ``network_of(p)`` reads from the variables p: (weights, biases, pre-activation shifts or None).
    ``setting`` is (dtype, layers, activation, near_kink); for relu the kinks are the signs of the
    hidden pre-activations."""
    dtype, layers, activation, near_kink = setting

    def forward(p):
        weights, biases, shifts = network_of(p)
        return obj.mlp_logits(weights, biases, x64, activation, shifts)

    def pattern(p):
        return [a.real > 0 for a in forward(p)[1]]

    settings = activation_settings(dtype, activation, near_kink, targets="one-hot")
    return Case(
        target,
        "gradient",
        {**settings, "layers": f"L={layers}"},
        np.dtype(dtype),
        args,
        outputs,
        params=params,
        objective=lambda p: obj.log_likelihood(t, forward(p)[0]),
        pattern=pattern if activation == "relu" else None,
        analytic=activation != "relu",
        **more,
    )


def build_delta_recursion(rng, dtype, layers, activation, near_kink=False) -> Case:
    x, weights, biases, t = _network(rng, dtype, layers, activation, near_kink)
    w64, b64, x64 = [f64(w) for w in weights], [f64(b) for b in biases], f64(x)
    logits, pre = obj.mlp_logits(w64, b64, x64, activation)
    zs = [x, *(cast(obj.activate(a, activation), dtype) for a in pre)]
    names = [f"a{layer}" for layer in range(1, layers + 1)]
    shift_shapes = [*(a.shape for a in pre), logits.shape]
    args = {
        "weights": weights,
        "zs": zs,
        "t": cast(t, dtype),
        "y": cast(obj.softmax(logits), dtype),
        "activation": activation,
    }
    return _network_case(
        "delta_recursion",
        (dtype, layers, activation, near_kink),
        t,
        x64,
        lambda p: (w64, b64, [p[name] for name in names]),
        args=args,
        outputs=lambda r: dict(zip(names, r, strict=True)),
        params={name: np.zeros(shape) for name, shape in zip(names, shift_shapes, strict=True)},
    )


def build_backprop(rng, dtype, layers, activation, near_kink=False) -> Case:
    x, weights, biases, t = _network(rng, dtype, layers, activation, near_kink)
    x64 = f64(x)
    w_names = [f"w{layer}" for layer in range(1, layers + 1)]
    b_names = [f"b{layer}" for layer in range(1, layers + 1)]

    def outputs(r):
        return {**dict(zip(w_names, r[0], strict=True)), **dict(zip(b_names, r[1], strict=True))}

    params = {
        **{name: f64(w) for name, w in zip(w_names, weights, strict=True)},
        **{name: f64(b) for name, b in zip(b_names, biases, strict=True)},
    }
    extra = {}
    if layers == 3:
        extra = {
            "w1": lambda naive: _three_layer_naive(
                naive, "grad_W1_three_layer", params, x64, t, activation
            ),
            "b1": lambda naive: _three_layer_naive(
                naive, "grad_b1_three_layer", params, x64, t, activation
            ),
        }
    return _network_case(
        "backprop",
        (dtype, layers, activation, near_kink),
        t,
        x64,
        lambda p: ([p[name] for name in w_names], [p[name] for name in b_names], None),
        args={
            "weights": weights,
            "biases": biases,
            "x": x,
            "t": cast(t, dtype),
            "activation": activation,
        },
        outputs=outputs,
        params=params,
        naive_extra=extra,
    )


def _three_layer_naive(naive, name: str, params, x64, t, activation) -> np.ndarray:
    """The notes' 3-layer first-layer formula (with its sum over m⁽²⁾), from verify.naive."""
    weights = [params["w1"], params["w2"], params["w3"]]
    biases = [params["b1"], params["b2"], params["b3"]]
    logits, (a1, a2) = obj.mlp_logits(weights, biases, x64, activation)
    z1, z2 = obj.activate(a1, activation), obj.activate(a2, activation)
    rest = (z1, z2, weights[1], weights[2], t, obj.softmax(logits), activation)
    if name == "grad_W1_three_layer":
        return naive.grad_W1_three_layer(x64, *rest)
    return naive.grad_b1_three_layer(*rest)


def build_mlp_forward(rng, dtype, layers, activation) -> Case:
    x, weights, biases, _ = _network(rng, dtype, layers, activation, False)
    return Case(
        "mlp_forward",
        "forward",
        activation_settings(dtype, activation, layers=f"L={layers}"),
        np.dtype(dtype),
        {"weights": weights, "biases": biases, "x": x, "activation": activation},
        lambda r: {**{f"z{i + 1}": z for i, z in enumerate(r[0])}, "y": r[1]},
    )


NETWORK_SETTINGS = grid(dtype=DTYPES, layers=(2, 3), activation=ACTIVATIONS)
NETWORK_GRADIENT_SETTINGS = (*NETWORK_SETTINGS, {**NEAR_KINK_SETTINGS[0], "layers": 3})
GRADIENT_ENTRIES = (
    Entry("delta_recursion", "gradient", NETWORK_GRADIENT_SETTINGS, build_delta_recursion),
    Entry("backprop", "gradient", NETWORK_GRADIENT_SETTINGS, build_backprop),
)
FORWARD_ENTRIES = (Entry("mlp_forward", "forward", NETWORK_SETTINGS, build_mlp_forward),)


# ---------------------------------------------------------------- mutants


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


def backprop_bias_mean(weights, biases, x, t, activation):
    """Every ∇b⁽ˡ⁾ averaged over the batch instead of summed (the ∇W⁽ˡ⁾ right)."""
    grads_w, grads_b = cnnref.backprop(weights, biases, x, t, activation)
    return grads_w, [g / np.shape(x)[0] for g in grads_b]


MUTANTS: list[Mutant] = [
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
        "backprop_bias_mean",
        "bias gradients averaged over the batch instead of summed",
        "backprop",
        backprop_bias_mean,
    ),
]
