"""The oracle's cases for ``cnnref/gradients.py`` (naive twin :mod:`verify.naive.gradients`): the
registry builders and settings of the notes' closed-form gradients — the output and hidden deltas,
a layer's weight and bias gradients, the two-layer network's grad_V, grad_c, grad_W, grad_b — and
the mutants their cases must reject.
"""

from __future__ import annotations

import numpy as np

import cnnref

from .. import generators as gen
from .. import objectives as obj
from .activations import (
    derivative_at_z_as_preactivation,
    pre_activation,
    pre_activation_gradient_case,
)
from .case import (
    ACTIVATION_SETTINGS,
    DTYPES,
    TARGET_SETTINGS,
    Case,
    Entry,
    Mutant,
    activation_settings,
    cast,
    dtype_name,
    f64,
    grid,
)


def build_output_delta(rng, dtype, targets) -> Case:
    n, k = gen.distinct_sizes(rng, 2, 2, 7)
    a = gen.values(rng, (n, k), 2.0)
    t = gen.targets(rng, n, k, targets == "soft")
    y = cast(obj.softmax(a), dtype)
    return Case(
        "output_delta",
        "gradient",
        {"dtype": dtype_name(dtype), "targets": targets},
        np.dtype(dtype),
        {"t": cast(t, dtype), "y": y},
        lambda r: {"a": r},
        params={"a": a},
        objective=lambda p: obj.log_likelihood(t, p["a"]),
    )


def build_hidden_delta(rng, dtype, activation, near_kink=False) -> Case:
    n, m, m_next = gen.distinct_sizes(rng, 3, 2, 6)
    a = pre_activation(rng, (n, m), near_kink)
    z = cast(obj.activate(a, activation), dtype)
    w_next = cast(gen.values(rng, (m, m_next)), dtype)
    delta_next = cast(gen.upstream(rng, (n, m_next)), dtype)
    g, w64 = f64(delta_next), f64(w_next)
    return pre_activation_gradient_case(
        "hidden_delta",
        (dtype, activation, near_kink),
        {"delta_next": delta_next, "w_next": w_next, "z": z, "activation": activation},
        lambda r: {"a": r},
        a,
        lambda p: np.sum(g * (obj.activate(p["a"], activation) @ w64), axis=(-2, -1)),
        upstream="delta_next",
    )


def build_weight_gradient(rng, dtype) -> Case:
    n, m_prev, m = gen.distinct_sizes(rng, 3, 2, 7)
    z_prev = cast(gen.values(rng, (n, m_prev)), dtype)
    delta = cast(gen.upstream(rng, (n, m)), dtype)
    g, z64 = f64(delta), f64(z_prev)
    return Case(
        "weight_gradient",
        "gradient",
        {"dtype": dtype_name(dtype)},
        np.dtype(dtype),
        {"z_prev": z_prev, "delta": delta},
        lambda r: {"w": r},
        params={"w": gen.values(rng, (m_prev, m))},
        objective=lambda p: np.sum(g * (z64 @ p["w"]), axis=(-2, -1)),
        upstream="delta",
    )


def build_bias_gradient(rng, dtype) -> Case:
    n, m = gen.distinct_sizes(rng, 2, 2, 7)
    delta = cast(gen.upstream(rng, (n, m)), dtype)
    g = f64(delta)
    return Case(
        "bias_gradient",
        "gradient",
        {"dtype": dtype_name(dtype)},
        np.dtype(dtype),
        {"delta": delta},
        lambda r: {"b": r},
        params={"b": gen.values(rng, (m,))},
        objective=lambda p: np.sum(g * p["b"][..., None, :], axis=(-2, -1)),
        upstream="delta",
    )


def _two_layer(rng, dtype, activation: str, near_kink: bool, soft: bool):
    n, d, m, k = gen.distinct_sizes(rng, 4, 2, 7)
    x = cast(gen.values(rng, (n, d)), dtype)
    (w, v), (b, c) = gen.relu_safe_layers(rng, f64(x), [d, m, k], activation, near_kink)
    t = gen.targets(rng, n, k, soft)
    z = cast(obj.activate(f64(x) @ w + b, activation), dtype)
    v = cast(v, dtype)
    y = cast(obj.softmax(f64(z) @ f64(v) + c), dtype)
    return {"x": x, "w": w, "b": b, "z": z, "v": v, "c": c, "t": t, "y": y}


def _build_output_layer(target: str):
    def build(rng, dtype, targets) -> Case:
        net = _two_layer(rng, dtype, "sigmoid", False, targets == "soft")
        z64, t, c, v = f64(net["z"]), net["t"], net["c"], f64(net["v"])

        def objective(p):
            return obj.log_likelihood(t, z64 @ p.get("v", v) + p.get("c", c)[..., None, :])

        if target == "grad_V":
            args = {"z": net["z"], "t": cast(t, dtype), "y": net["y"]}
            params = {"v": v}
        else:
            args = {"t": cast(t, dtype), "y": net["y"]}
            params = {"c": c}
        name = next(iter(params))
        return Case(
            target,
            "gradient",
            {"dtype": dtype_name(dtype), "targets": targets},
            np.dtype(dtype),
            args,
            lambda r: {name: r},
            params=params,
            objective=objective,
        )

    return build


def _build_hidden_layer(target: str):
    def build(rng, dtype, activation, near_kink=False) -> Case:
        net = _two_layer(rng, dtype, activation, near_kink, soft=False)
        x64, t, v64, c = f64(net["x"]), net["t"], f64(net["v"]), net["c"]
        w, b = net["w"], net["b"]

        def logits(p):
            a = x64 @ p.get("w", w) + p.get("b", b)[..., None, :]
            return obj.activate(a, activation) @ v64 + c, a

        def pattern(p):
            return [logits(p)[1].real > 0]

        name = "w" if target == "grad_W" else "b"
        args = {"z": net["z"], "v": net["v"], "t": cast(t, dtype), "y": net["y"]}
        if target == "grad_W":
            args = {"x": net["x"], **args}
        args["activation"] = activation
        return Case(
            target,
            "gradient",
            activation_settings(dtype, activation, near_kink, targets="one-hot"),
            np.dtype(dtype),
            args,
            lambda r: {name: r},
            params={name: net[name]},
            objective=lambda p: obj.log_likelihood(t, logits(p)[0]),
            pattern=pattern if activation == "relu" else None,
            analytic=activation != "relu",
        )

    return build


GRADIENT_ENTRIES = (
    Entry("output_delta", "gradient", TARGET_SETTINGS, build_output_delta),
    Entry("hidden_delta", "gradient", ACTIVATION_SETTINGS, build_hidden_delta),
    Entry("weight_gradient", "gradient", grid(dtype=DTYPES), build_weight_gradient),
    Entry("bias_gradient", "gradient", grid(dtype=DTYPES), build_bias_gradient),
    Entry("grad_V", "gradient", TARGET_SETTINGS, _build_output_layer("grad_V")),
    Entry("grad_c", "gradient", TARGET_SETTINGS, _build_output_layer("grad_c")),
    Entry("grad_W", "gradient", ACTIVATION_SETTINGS, _build_hidden_layer("grad_W")),
    Entry("grad_b", "gradient", ACTIVATION_SETTINGS, _build_hidden_layer("grad_b")),
)
FORWARD_ENTRIES: tuple[Entry, ...] = ()


# ---------------------------------------------------------------- mutants


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


def grad_W_no_derivative(x, z, v, t, y, activation):
    """Xᵀ [(T − Y) Vᵀ]: the activation derivative Z′ forgotten."""
    return x.T @ ((np.asarray(t, dtype=y.dtype) - y) @ v.T)


def grad_W_derivative_of_z(x, z, v, t, y, activation):
    """σ′ evaluated at z as if z were the pre-activation: σ(z)(1 − σ(z)) instead of z(1 − z)."""
    delta = ((np.asarray(t, dtype=y.dtype) - y) @ v.T) * derivative_at_z_as_preactivation(
        z, activation
    )
    return x.T @ delta


def grad_b_wrong_axis(z, v, t, y, activation):
    """The hidden delta summed over units instead of samples."""
    delta = (np.asarray(t, dtype=y.dtype) - y) @ v.T * cnnref.activation_derivative(z, activation)
    return delta.sum(axis=1)


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


def bias_gradient_last_missing(delta):
    """The loop over units stops one short (range(M − 1)): the last element is never computed."""
    out = cnnref.bias_gradient(delta).copy()
    out[-1] = 0
    return out


def grad_V_doubled(z, t, y):
    """2 Zᵀ (T − Y): a factor of 2 from differentiating a square that is not there."""
    return 2 * cnnref.grad_V(z, t, y)


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
        "bias_gradient_last_missing",
        "one wrong element: the last unit's bias gradient never computed (loop off by one)",
        "bias_gradient",
        bias_gradient_last_missing,
    ),
    Mutant("grad_V_doubled", "gradient off by a factor of 2", "grad_V", grad_V_doubled),
]
