"""Sequential's fused segments against the same layers applied one by one: values and gradients."""

from __future__ import annotations

import numpy as np
import pytest

import cnnref
from cnnref.nn.layers import (
    AvgPool2D,
    Conv2D,
    Dense,
    Flatten,
    MaxPool2D,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
)
from cnnref.nn.network import Sequential, seed_cnn
from cnnref.nn.segments import Fused, Single, plan

DTYPES = [np.float32, np.float64]


def _one_by_one(network: Sequential, x: np.ndarray, t: np.ndarray, input_gradient: bool):
    """Y, ∂J/∂x (or None) and every gradient, the layers' own forward and backward in turn."""
    y = network.forward_all(x)[-1]
    grad = t
    for layer in reversed(network.layers[1:]):
        grad = layer.backward(grad)
    first = network.layers[0]
    dx = first.backward(grad) if input_gradient else first.backward(grad, input_gradient=False)
    return y, dx, {name: g.copy() for name, g in network.gradients().items()}


def _fused(network: Sequential, x: np.ndarray, t: np.ndarray, input_gradient: bool):
    y = network.forward(x)
    dx = network.backward(t, input_gradient=input_gradient)
    return y, dx, {name: g.copy() for name, g in network.gradients().items()}


def _small_cnn(activation, pool_stride, dtype, channels=2):
    """conv 3×3 → σ → max-pool 2 → conv 3×3 → σ → flatten → dense → σ → dense → softmax."""
    rng = np.random.default_rng(5)
    act = {"relu": ReLU, "tanh": Tanh, "sigmoid": Sigmoid}[activation]
    side = (12 - 2 - 2) // (pool_stride or 2) + 1
    layers = [
        Conv2D(channels, 4, 3, rng=rng, dtype=dtype),
        act(),
        MaxPool2D(2, pool_stride),
        Conv2D(4, 3, 3, rng=rng, dtype=dtype),
        act(),
        Flatten(),
        Dense(3 * (side - 2) ** 2, 6, rng=rng, dtype=dtype),
        act(),
        Dense(6, 4, rng=rng, dtype=dtype),
        Softmax(),
    ]
    for layer in layers:
        if layer.params:
            layer.params["b"] = rng.standard_normal(layer.params["b"].shape).astype(dtype)
    return Sequential(layers), rng.standard_normal((3, 12, 12, channels)).astype(dtype)


def _targets(n, k):
    return np.eye(k)[np.arange(n) % k]


def test_the_seed_network_is_planned_as_the_functional_step_fuses_it():
    network = seed_cnn(channels=3)
    shapes = [
        (type(s).__name__, [type(layer).__name__ for layer in s.layers]) for s in network.segments()
    ]
    assert shapes == [
        ("Fused", ["Conv2D", "ReLU", "MaxPool2D"]),
        ("Fused", ["Conv2D", "ReLU", "MaxPool2D"]),
        ("Single", ["Flatten"]),
        ("Fused", ["Dense", "ReLU"]),
        ("Single", ["Dense"]),
        ("Single", ["Softmax"]),
    ]


def test_plan_fuses_an_activation_and_pool_without_a_layer_before_and_nothing_else():
    layers = [ReLU(), MaxPool2D(), Tanh(), AvgPool2D(), Conv2D(1, 2, 3), MaxPool2D(), Softmax()]
    segments = plan(layers)
    assert [len(s.layers) for s in segments] == [2, 1, 1, 1, 1, 1]
    assert isinstance(segments[0], Fused) and segments[0].linear is None
    assert all(isinstance(s, Single) for s in segments[1:])
    assert [layer for s in segments for layer in s.layers] == layers


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
@pytest.mark.parametrize("input_gradient", [True, False])
def test_fused_network_equals_its_layers_one_by_one_bit_for_bit(activation, dtype, input_gradient):
    """Non-overlapping pools: every fused path gives the bits of its two calls."""
    network, x = _small_cnn(activation, None, dtype)
    t = _targets(3, 4)
    y, dx, grads = _fused(network, x, t, input_gradient)
    y1, dx1, grads1 = _one_by_one(network, x, t, input_gradient)
    np.testing.assert_array_equal(y, y1)
    if input_gradient:
        np.testing.assert_array_equal(dx, dx1)
    else:
        assert dx is None and dx1 is None
    assert grads.keys() == grads1.keys()
    for name in grads:
        assert grads[name].dtype == dtype
        np.testing.assert_array_equal(grads[name], grads1[name], err_msg=name)


@pytest.mark.parametrize("dtype", DTYPES)
def test_overlapping_pools_agree_to_float_rounding(dtype, assert_close):
    """Stride 1 < size 2: an input that wins two windows gets (g₁ + g₂)·σ′ one by one and
    g₁·σ′ + g₂·σ′ fused, equal to rounding."""
    network, x = _small_cnn("sigmoid", 1, dtype)
    t = _targets(3, 4)
    y, dx, grads = _fused(network, x, t, True)
    y1, dx1, grads1 = _one_by_one(network, x, t, True)
    np.testing.assert_array_equal(y, y1)
    assert_close(dx, dx1, dtype, "dx")
    for name in grads:
        assert_close(grads[name], grads1[name], dtype, name)


@pytest.mark.parametrize("dtype", DTYPES)
def test_seed_network_fused_equals_the_functional_step(dtype):
    """The fit path (fused Sequential) and the functional seed step compute the same gradients."""
    from cnnref.nn.seed_step import PARAMETER_NAMES, seed_forward, seed_gradients

    network = seed_cnn(channels=3, dtype=dtype, seed=4)
    params = dict(zip(PARAMETER_NAMES, network.parameters().values(), strict=True))
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 32, 32, 3)).astype(dtype)
    t = _targets(2, 10).astype(dtype)
    y = network.forward(x)
    network.backward(t, input_gradient=False)
    forward = seed_forward(params, x)
    np.testing.assert_array_equal(y, forward["y"])
    expected = seed_gradients(params, forward, t)
    for name, key in zip(network.gradients(), PARAMETER_NAMES, strict=True):
        np.testing.assert_array_equal(network.gradients()[name], expected[key], err_msg=name)


def test_layers_keep_their_state_after_a_fused_forward():
    """After network.forward, a fused layer's own backward works on what it would have cached:
    the pool's equals maxpool2d_backward, the activation's multiplies by Z′ of its output."""
    network, x = _small_cnn("tanh", None, np.float64)
    network.forward(x)
    pool, activation = network.layers[2], network.layers[1]
    z, _, _ = pool.cached()
    np.testing.assert_array_equal(activation.cached(), z)
    dout = np.random.default_rng(1).standard_normal(cnnref.maxpool2d(z).shape)
    np.testing.assert_array_equal(pool.backward(dout), cnnref.maxpool2d_backward(dout, z))
    dz = np.ones_like(z)
    np.testing.assert_array_equal(activation.backward(dz), 1 - z * z)


def test_fused_backward_follows_an_unfused_forward():
    network, x = _small_cnn("relu", None, np.float64)
    t = _targets(3, 4)
    _, dx1, grads1 = _one_by_one(network, x, t, True)
    network.forward_all(x)
    dx = network.backward(t)
    np.testing.assert_array_equal(dx, dx1)
    for name, g in network.gradients().items():
        np.testing.assert_array_equal(g, grads1[name])


def test_segments_follow_changes_to_the_layer_list():
    network, x = _small_cnn("relu", None, np.float64)
    before = network.segments()
    assert network.segments() is before
    network.layers[1] = Tanh()
    after = network.segments()
    assert after is not before and after[0].activation is network.layers[1]
    np.testing.assert_array_equal(network.forward(x), network.forward_all(x)[-1])
