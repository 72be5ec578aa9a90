"""The oracle's cases for ``cnnref/activations.py`` (naive twin :mod:`verify.naive.activations`):
the registry builders of σ, tanh, relu and ``activation_derivative`` with their pre-activation
inputs and relu kink patterns (the gradient topics reuse both), and the mutants the cases must
reject.
"""

from __future__ import annotations

import numpy as np

import cnnref

from .. import generators as gen
from .. import objectives as obj
from . import case
from .case import Case, Entry, Mutant, cast


def pre_activation(rng, shape, near_kink: bool) -> np.ndarray:
    """Pre-activations a away from relu's kink at 0 (or some placed next to it), one unit active."""
    a = gen.kinks.away_from_zero(rng, shape, gen.RELU_MARGIN)
    a.flat[0] = abs(a.flat[0])  # at least one active unit: an all-zero gradient certifies nothing
    return gen.place_near_kink(rng, a) if near_kink else a


def relu_pattern(activation: str, name: str):
    """For relu, the kink pattern a > 0 of the variable ``name``; None for smooth activations."""
    if activation != "relu":
        return None
    return lambda p: [p[name].real > 0]


def pre_activation_gradient_case(target, setting, args, outputs, a, objective, **more) -> Case:
    """A gradient case of ``objective`` with respect to the pre-activation ``a`` (float64);
    ``setting`` is (dtype, activation, near_kink). For relu the kinks are where a changes sign."""
    dtype, activation, near_kink = setting
    return Case(
        target,
        "gradient",
        case.activation_settings(dtype, activation, near_kink),
        np.dtype(dtype),
        args,
        outputs,
        params={"a": a},
        objective=objective,
        pattern=relu_pattern(activation, "a"),
        analytic=activation != "relu",
        **more,
    )


def build_activation_derivative(rng, dtype, activation, near_kink=False) -> Case:
    shape = tuple(gen.distinct_sizes(rng, 2, 2, 6))
    a = pre_activation(rng, shape, near_kink)
    z = cast(obj.activate(a, activation), dtype)
    g = gen.upstream(rng, shape)
    return pre_activation_gradient_case(
        "activation_derivative",
        (dtype, activation, near_kink),
        {"z": z, "kind": activation},
        lambda r: {"a": r * np.asarray(g, dtype=np.asarray(r).dtype)},
        a,
        lambda p: np.sum(g * obj.activate(p["a"], activation), axis=(-2, -1)),
    )


def _build_activation_forward(target: str):
    def build(rng, dtype) -> Case:
        shape = tuple(gen.distinct_sizes(rng, 3, 2, 6))
        a = gen.values(rng, shape, 3.0)
        return Case(
            target,
            "forward",
            {"dtype": case.dtype_name(dtype)},
            np.dtype(dtype),
            {"a": cast(a, dtype)},
            lambda r: {"z": r},
        )

    return build


GRADIENT_ENTRIES = (
    Entry(
        "activation_derivative",
        "gradient",
        case.ACTIVATION_SETTINGS,
        build_activation_derivative,
    ),
)
FORWARD_ENTRIES = tuple(
    Entry(name, "forward", case.grid(dtype=case.DTYPES), _build_activation_forward(name))
    for name in ("sigmoid", "tanh", "relu")
)


# ---------------------------------------------------------------- mutants


def derivative_at_z_as_preactivation(z, activation):
    """σ′ evaluated at z as if z were the pre-activation (the mistake several mutants make)."""
    if activation == "sigmoid":
        s = 1 / (1 + np.exp(-z))
        return s * (1 - s)
    if activation == "tanh":
        return 1 - np.tanh(z) ** 2
    return (z > 0).astype(z.dtype)


def activation_derivative_of_z(z, kind):
    """σ′(z) instead of σ′(a) = z(1 − z): the derivative formula applied to the output."""
    return derivative_at_z_as_preactivation(np.asarray(z), kind).astype(np.asarray(z).dtype)


def activation_derivative_tanh_unsquared(z, kind):
    """tanh′ written as 1 − z instead of 1 − z² (the other activations right)."""
    if kind == "tanh":
        z = np.asarray(z)
        return (1 - z).astype(z.dtype)
    return cnnref.activation_derivative(z, kind)


MUTANTS: list[Mutant] = [
    Mutant(
        "activation_derivative_of_z",
        "activation derivative of the pre-activation formula applied to z (σ′(z), not z(1 − z))",
        "activation_derivative",
        activation_derivative_of_z,
    ),
    Mutant(
        "activation_derivative_tanh_unsquared",
        "tanh derivative 1 − z instead of 1 − z² (square missing)",
        "activation_derivative",
        activation_derivative_tanh_unsquared,
    ),
]
