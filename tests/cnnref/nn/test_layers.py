"""Layer objects: every backward against central finite differences of J = Σ out ⊙ R (float64)."""

from __future__ import annotations

import numpy as np
import pytest

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
from cnnref.output import log_likelihood, softmax

STEP = 1e-6
RTOL = 1e-6
ATOL = 1e-8


def numeric_gradient(f, x: np.ndarray) -> np.ndarray:
    """∂f/∂x by central differences, one element at a time (x is perturbed on a private copy)."""
    x = x.copy()
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        saved = x[index]
        x[index] = saved + STEP
        plus = f(x)
        x[index] = saved - STEP
        minus = f(x)
        x[index] = saved
        grad[index] = (plus - minus) / (2 * STEP)
    return grad


def check_layer(layer, x: np.ndarray, rng: np.random.Generator) -> None:
    """Compare backward's dx and every parameter gradient with finite differences of Σ out ⊙ R."""
    r = rng.standard_normal(layer.forward(x).shape)
    dx = layer.backward(r)

    def objective_of_input(value):
        return float(np.sum(layer.forward(value) * r))

    np.testing.assert_allclose(dx, numeric_gradient(objective_of_input, x), rtol=RTOL, atol=ATOL)
    for name, value in layer.params.items():
        original = value.copy()

        def objective_of_param(candidate, name=name):
            layer.params[name] = candidate
            return float(np.sum(layer.forward(x) * r))

        expected = numeric_gradient(objective_of_param, original)
        layer.params[name] = original
        np.testing.assert_allclose(
            layer.grads[name], expected, rtol=RTOL, atol=ATOL, err_msg=f"gradient of {name}"
        )


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(7)


def test_conv2d_gradients(rng):
    layer = Conv2D(2, 3, 3, rng=rng, dtype=np.float64)
    layer.params["b"] = rng.standard_normal(3)
    check_layer(layer, rng.standard_normal((2, 5, 6, 2)), rng)


def test_conv2d_with_stride_and_pad_gradients(rng):
    layer = Conv2D(1, 2, 3, stride=2, pad=1, rng=rng, dtype=np.float64)
    check_layer(layer, rng.standard_normal((2, 5, 5, 1)), rng)


def test_dense_gradients(rng):
    layer = Dense(4, 3, init="glorot", rng=rng, dtype=np.float64)
    layer.params["b"] = rng.standard_normal(3)
    check_layer(layer, rng.standard_normal((5, 4)), rng)


def test_maxpool_gradients_on_tie_free_input(rng):
    # A shuffled arange keeps every window's maximum unique, so the max is differentiable.
    x = rng.permutation(2 * 4 * 6 * 3).reshape(2, 4, 6, 3).astype(np.float64) / 10
    check_layer(MaxPool2D(2), x, rng)


def test_avgpool_gradients(rng):
    check_layer(AvgPool2D(2), rng.standard_normal((2, 4, 4, 3)), rng)


def test_flatten_round_trip(rng):
    x = rng.standard_normal((3, 2, 4, 5))
    layer = Flatten()
    out = layer.forward(x)
    assert out.shape == (3, 40)
    np.testing.assert_array_equal(out[1], x[1].ravel())
    dout = rng.standard_normal(out.shape)
    np.testing.assert_array_equal(layer.backward(dout), dout.reshape(x.shape))


@pytest.mark.parametrize("layer_class", [Sigmoid, Tanh, ReLU])
def test_activation_gradients(layer_class, rng):
    x = rng.standard_normal((4, 6))
    x[np.abs(x) < 1e-3] = 0.5  # keep relu away from its kink at 0
    check_layer(layer_class(), x, rng)


def test_activation_forward_values(rng):
    a = rng.standard_normal((3, 4))
    np.testing.assert_allclose(Sigmoid().forward(a), 1 / (1 + np.exp(-a)), rtol=1e-12)
    np.testing.assert_allclose(Tanh().forward(a), np.tanh(a), rtol=1e-12)
    np.testing.assert_array_equal(ReLU().forward(a), np.maximum(a, 0))


def test_softmax_backward_is_output_delta_and_gradient_of_log_likelihood(rng):
    a = rng.standard_normal((4, 5))
    t = np.eye(5)[rng.integers(0, 5, 4)]
    layer = Softmax()
    y = layer.forward(a)
    np.testing.assert_allclose(y, softmax(a))
    delta = layer.backward(t)
    np.testing.assert_allclose(delta, t - y)
    expected = numeric_gradient(lambda v: log_likelihood(t, softmax(v)), a)
    np.testing.assert_allclose(delta, expected, rtol=1e-6, atol=1e-8)


def test_conv2d_forward_matches_a_direct_sum(rng):
    layer = Conv2D(2, 3, 3, rng=rng, dtype=np.float64)
    x = rng.standard_normal((1, 4, 4, 2))
    out = layer.forward(x)
    w, b = layer.params["w"], layer.params["b"]
    expected = np.einsum("ijc,ijcf->f", x[0, 1:4, 0:3], w) + b
    np.testing.assert_allclose(out[0, 1, 0], expected, rtol=1e-12)


def test_forward_and_backward_leave_inputs_unchanged(rng):
    layer = Conv2D(1, 2, 3, rng=rng, dtype=np.float64)
    x = rng.standard_normal((2, 5, 5, 1))
    x_copy = x.copy()
    out = layer.forward(x)
    dout = rng.standard_normal(out.shape)
    dout_copy = dout.copy()
    layer.backward(dout)
    np.testing.assert_array_equal(x, x_copy)
    np.testing.assert_array_equal(dout, dout_copy)


def test_parameters_are_seeded_and_typed():
    first = Dense(10, 4, rng=np.random.default_rng(3))
    second = Dense(10, 4, rng=np.random.default_rng(3))
    np.testing.assert_array_equal(first.params["w"], second.params["w"])
    assert first.params["w"].dtype == np.float32
    np.testing.assert_array_equal(first.params["b"], np.zeros(4, np.float32))


@pytest.mark.parametrize(
    "layer_class", [Conv2D, Dense, MaxPool2D, AvgPool2D, Flatten, ReLU, Softmax]
)
def test_backward_before_forward_is_an_error(layer_class):
    layer = layer_class(1, 1) if layer_class in (Conv2D, Dense) else layer_class()
    with pytest.raises(RuntimeError, match="before forward"):
        layer.backward(np.zeros((1, 1)))


def test_bad_constructor_arguments_are_named():
    with pytest.raises(ValueError, match="filters"):
        Conv2D(3, 0)
    with pytest.raises(ValueError, match="pad"):
        Conv2D(3, 4, pad=-1)
    with pytest.raises(ValueError, match="init"):
        Dense(3, 4, init="xavier")
    with pytest.raises(TypeError, match="dtype"):
        Dense(3, 4, dtype=np.int32)


def test_bad_inputs_are_named(rng):
    with pytest.raises(ValueError, match="x must be a 4-D"):
        Conv2D(1, 2, 3).forward(np.zeros((5, 5, 1), np.float32))
    with pytest.raises(ValueError, match=r"x must be a 2-D"):
        Dense(3, 2).forward(np.zeros((2, 3, 1), np.float32))
    layer = ReLU()
    layer.forward(np.ones((2, 3)))
    with pytest.raises(ValueError, match="dout must have the shape"):
        layer.backward(np.ones((3, 2)))
    softmax_layer = Softmax()
    softmax_layer.forward(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="t must have the same shape"):
        softmax_layer.backward(np.zeros((2, 4)))


def test_weights_too_large_to_allocate_are_a_value_error_naming_the_sizes(monkeypatch):
    # past what NumPy can address: rejected before any allocation (once NumPy's "array is too big")
    with pytest.raises(ValueError, match=r"in_features and out_features ask for the weights w of "):
        Dense(2**31, 2**30)
    with pytest.raises(ValueError, match=r"in_channels, filters and kernel_size ask .* bytes"):
        Conv2D(2**40, 2**20, 2**10)

    def out_of_memory(*args):
        raise MemoryError("Unable to allocate 3.64 TiB")

    # a size NumPy can address but the machine cannot hold: the MemoryError, named
    monkeypatch.setattr("cnnref.nn.layers.initial_weights", out_of_memory)
    message = r"shape \(1000000, 1000000\) \(float32\), 4,000,000,000,000 bytes .* choose smaller"
    with pytest.raises(ValueError, match=message):
        Dense(10**6, 10**6)
