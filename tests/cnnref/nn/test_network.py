"""Sequential, the seed CNN and the L-layer MLP (cross-checked against cnnref.backprop)."""

from __future__ import annotations

import numpy as np
import pytest

import cnnref
from cnnref.nn.layers import Dense, ReLU, Softmax
from cnnref.nn.network import Sequential, build_network, mlp, seed_cnn


@pytest.mark.parametrize("channels", [1, 3])
def test_seed_cnn_layer_shapes_follow_the_notes(channels):
    network = seed_cnn(channels=channels, classes=10)
    x = np.random.default_rng(0).standard_normal((2, 32, 32, channels)).astype(np.float32)
    shapes = [out.shape for out in network.forward_all(x)]
    assert shapes == [
        (2, 28, 28, 16),
        (2, 28, 28, 16),
        (2, 14, 14, 16),
        (2, 10, 10, 32),
        (2, 10, 10, 32),
        (2, 5, 5, 32),
        (2, 800),
        (2, 1000),
        (2, 1000),
        (2, 10),
        (2, 10),
    ]
    y = network.forward(x)
    np.testing.assert_allclose(y.sum(axis=1), 1, rtol=1e-6)


def test_seed_cnn_parameters_names_shapes_and_init():
    network = seed_cnn(channels=3, classes=7, activation="relu", seed=1)
    params = network.parameters()
    assert {name: p.shape for name, p in params.items()} == {
        "layers.0.w": (5, 5, 3, 16),
        "layers.0.b": (16,),
        "layers.3.w": (5, 5, 16, 32),
        "layers.3.b": (32,),
        "layers.7.w": (800, 1000),
        "layers.7.b": (1000,),
        "layers.9.w": (1000, 7),
        "layers.9.b": (7,),
    }
    assert all(p.dtype == np.float32 for p in params.values())
    assert params["layers.7.w"].std() == pytest.approx(np.sqrt(2 / 800), rel=0.02)  # He
    assert np.abs(params["layers.9.w"]).max() <= np.sqrt(6 / 1007)  # Glorot
    tanh_net = seed_cnn(channels=3, activation="tanh")
    assert np.abs(tanh_net.parameters()["layers.7.w"]).max() <= np.sqrt(6 / 1800)


def test_seed_cnn_is_seeded():
    same = [seed_cnn(1, seed=5).parameters()["layers.3.w"] for _ in range(2)]
    other = seed_cnn(1, seed=6).parameters()["layers.3.w"]
    np.testing.assert_array_equal(same[0], same[1])
    assert not np.array_equal(same[0], other)


def test_seed_cnn_gradients_match_finite_differences():
    network = seed_cnn(channels=1, classes=4, activation="tanh", seed=2, dtype=np.float64)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 32, 32, 1))
    t = np.eye(4)[[1, 3]]
    network.forward(x)
    network.backward(t)
    grads = {name: g.copy() for name, g in network.gradients().items()}
    params = network.parameters()
    for name, value in params.items():
        for _ in range(3):
            index = tuple(rng.integers(0, n) for n in value.shape)
            saved = value[index]
            value[index] = saved + 1e-6
            plus = cnnref.log_likelihood(t, network.forward(x))
            value[index] = saved - 1e-6
            minus = cnnref.log_likelihood(t, network.forward(x))
            value[index] = saved
            numeric = (plus - minus) / 2e-6
            assert grads[name][index] == pytest.approx(numeric, rel=1e-5, abs=1e-8), name


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
def test_mlp_backward_is_the_delta_recursion(activation):
    network = mlp([6, 5, 4, 3], activation, seed=4, dtype=np.float64)
    rng = np.random.default_rng(5)
    x = rng.standard_normal((7, 6))
    t = np.eye(3)[rng.integers(0, 3, 7)]
    y = network.forward(x)
    network.backward(t)
    params = network.parameters()
    weights = [params[f"layers.{i}.w"] for i in (0, 2, 4)]
    biases = [params[f"layers.{i}.b"] for i in (0, 2, 4)]
    _, y_reference = cnnref.mlp_forward(weights, biases, x, activation)
    grads_w, grads_b = cnnref.backprop(weights, biases, x, t, activation)
    np.testing.assert_allclose(y, y_reference, rtol=1e-12)
    grads = network.gradients()
    for layer, gw, gb in zip((0, 2, 4), grads_w, grads_b, strict=True):
        np.testing.assert_allclose(grads[f"layers.{layer}.w"], gw, rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(grads[f"layers.{layer}.b"], gb, rtol=1e-10, atol=1e-14)


def test_mlp_architecture_and_bad_sizes():
    network = mlp([4, 3], "relu")
    assert [type(layer).__name__ for layer in network.layers] == ["Dense", "Softmax"]
    with pytest.raises(ValueError, match="sizes"):
        mlp([4], "relu")
    with pytest.raises(ValueError, match="sizes"):
        mlp([4, 0, 2], "relu")
    with pytest.raises(ValueError, match="activation"):
        mlp([4, 2], "softplus")


def test_set_parameters_copies_and_checks():
    network = mlp([3, 2], "relu")
    new = {name: np.ones_like(p) for name, p in network.parameters().items()}
    network.set_parameters(new)
    new["layers.0.w"][0, 0] = 5.0
    assert network.parameters()["layers.0.w"][0, 0] == 1.0
    with pytest.raises(ValueError, match="missing"):
        network.set_parameters({"layers.0.w": new["layers.0.w"]})
    bad = dict(new, **{"layers.0.w": np.ones((2, 3), np.float32)})
    with pytest.raises(ValueError, match=r"layers\.0\.w"):
        network.set_parameters(bad)
    bad = dict(new, **{"layers.0.b": np.ones(2, np.float64)})
    with pytest.raises(ValueError, match="dtype"):
        network.set_parameters(bad)


def test_gradients_before_backward_is_an_error():
    with pytest.raises(RuntimeError, match="before backward"):
        mlp([3, 2], "relu").gradients()


def test_predict_in_batches_equals_one_forward():
    network = mlp([5, 4, 3], "tanh", dtype=np.float64)
    x = np.random.default_rng(0).standard_normal((11, 5))
    np.testing.assert_allclose(network.predict(x, batch_size=4), network.forward(x), rtol=1e-14)


def test_build_network_rebuilds_from_architecture():
    original = seed_cnn(channels=1, classes=5, activation="sigmoid", seed=9)
    rebuilt = build_network(original.architecture, seed=9)
    for name, value in original.parameters().items():
        np.testing.assert_array_equal(rebuilt.parameters()[name], value)
    assert build_network({"name": "mlp", "sizes": [3, 2], "activation": "relu"}).layers
    with pytest.raises(ValueError, match="name"):
        build_network({"name": "resnet"})
    with pytest.raises(ValueError, match="does not describe"):
        build_network({"name": "seed_cnn", "kernels": 3})


def test_sequential_requires_a_softmax_output_and_layers():
    with pytest.raises(ValueError, match="Softmax"):
        Sequential([Dense(3, 2), ReLU()])
    with pytest.raises(TypeError, match=r"layers\[0\]"):
        Sequential(["dense", Softmax()])


@pytest.mark.parametrize("make", [lambda: seed_cnn(1, 3, seed=2), lambda: mlp([6, 5, 3], "tanh")])
def test_backward_without_input_gradient_gives_the_same_parameter_gradients(make):
    network = make()
    shape = (4, 32, 32, 1) if network.architecture["name"] == "seed_cnn" else (4, 6)
    x = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    t = np.eye(3, dtype=np.float32)[[0, 2, 1, 2]]
    network.forward(x)
    dx = network.backward(t)
    full = {name: g.copy() for name, g in network.gradients().items()}
    assert dx.shape == x.shape
    network.forward(x)
    assert network.backward(t, input_gradient=False) is None
    for name, g in network.gradients().items():
        np.testing.assert_array_equal(g, full[name])
    with pytest.raises(TypeError, match="input_gradient"):
        network.backward(t, input_gradient=0)


# ---------------------------------------------------------------- malformed arguments


@pytest.mark.parametrize("layers", [None, 5, "abc"])
def test_layers_that_are_no_sequence_are_a_type_error_naming_layers(layers):
    with pytest.raises(TypeError, match=r"layers must be a sequence of Layer objects"):
        Sequential(layers)


def test_a_softmax_before_the_last_layer_is_rejected_when_built():
    # once accepted, its backward then took the upstream gradient as targets
    with pytest.raises(ValueError, match=r"layers\[1\] is a Softmax, but only the last layer"):
        Sequential([Dense(3, 2), Softmax(), Dense(2, 2), Softmax()])


def test_architecture_and_values_must_be_mappings():
    with pytest.raises(TypeError, match=r"architecture must be a mapping, got int"):
        Sequential([Softmax()], architecture=5)
    with pytest.raises(TypeError, match=r"values must be a dict of arrays by name, got NoneType"):
        mlp([3, 2], "relu").set_parameters(None)


def test_predict_on_an_empty_batch_has_one_column_per_class():
    y = mlp([3, 4, 2], "tanh").predict(np.ones((0, 3), np.float32))
    assert y.shape == (0, 2) and y.dtype == np.float32  # once (0, 0)


@pytest.mark.parametrize(("seed", "error"), [(-1, ValueError), (1.5, TypeError), ("a", TypeError)])
def test_a_bad_seed_is_named(seed, error):
    with pytest.raises(error, match=r"seed must be an integer >= 0"):
        mlp([3, 2], "relu", seed=seed)
    with pytest.raises(error, match=r"seed must be an integer >= 0"):
        seed_cnn(seed=seed)


@pytest.mark.parametrize("dtype", ["junk", 5, np.float16])
def test_a_bad_dtype_is_named(dtype):
    with pytest.raises(TypeError, match=r"dtype must be float32 or float64"):
        mlp([3, 2], "relu", dtype=dtype)
    with pytest.raises(TypeError, match=r"dtype must be float32 or float64"):
        Dense(3, 2, dtype=dtype)


def test_sizes_that_are_no_list_and_an_rng_that_is_no_generator_are_named():
    with pytest.raises(TypeError, match=r"sizes must be a list of layer widths"):
        mlp(5, "relu")
    with pytest.raises(TypeError, match=r"rng must be a numpy.random.Generator"):
        Dense(3, 2, rng=5)


def test_networks_too_large_to_allocate_are_a_value_error_naming_the_sizes():
    with pytest.raises(ValueError, match=r"in_features and out_features ask for .*\(2147483648, 2"):
        mlp([2**31, 2**31], "relu")
    with pytest.raises(ValueError, match=r"ask for the weights w of shape \(1000, 2305843"):
        seed_cnn(classes=2**61)


def test_predict_on_a_scalar_is_a_value_error_naming_x():
    network = mlp([3, 2], "relu", dtype=np.float64)
    with pytest.raises(ValueError, match=r"x must be an array of samples \(N, …\), got a 0-d"):
        network.predict(np.float64(1.0))  # once IndexError: tuple index out of range
