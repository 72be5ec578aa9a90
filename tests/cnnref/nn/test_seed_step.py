"""The seed network on the functional API: its gradients agree with PyTorch's autograd on the same
weights, and a training step ascends J."""

from __future__ import annotations

import numpy as np
import pytest

from cnnref.nn.seed_step import (
    PARAMETER_NAMES,
    SeedTrainer,
    seed_forward,
    seed_gradients,
    seed_inference,
    seed_parameters,
)


def _batch(dtype, n=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 32, 32, 3)).astype(dtype)
    labels = rng.integers(0, 10, n)
    return x, labels, np.eye(10, dtype=dtype)[labels]


def test_parameters_have_the_notes_shapes():
    params = seed_parameters(channels=1, classes=7, dtype=np.float64)
    shapes = {name: params[name].shape for name in PARAMETER_NAMES}
    assert shapes == {
        "w1": (5, 5, 1, 16),
        "b1": (16,),
        "w2": (5, 5, 16, 32),
        "b2": (32,),
        "w3": (800, 1000),
        "b3": (1000,),
        "w4": (1000, 7),
        "b4": (7,),
    }
    assert all(params[name].dtype == np.float64 for name in PARAMETER_NAMES)


def test_inference_returns_probabilities():
    params = seed_parameters(dtype=np.float32)
    x, _, _ = _batch(np.float32)
    y = seed_inference(params, x)
    assert y.shape == (3, 10) and y.dtype == np.float32
    np.testing.assert_allclose(y.sum(axis=1), 1.0, rtol=1e-5)


def test_training_step_increases_log_likelihood_and_keeps_callers_parameters():
    params = seed_parameters(dtype=np.float64)
    original = {name: value.copy() for name, value in params.items()}
    x, _, t = _batch(np.float64)
    trainer = SeedTrainer(params, learning_rate=1e-3)
    first = trainer.step(x, t)
    for _ in range(4):
        last = trainer.step(x, t)
    assert last > first
    for name in PARAMETER_NAMES:
        np.testing.assert_array_equal(params[name], original[name])


def test_gradients_match_pytorch_autograd():
    torch = pytest.importorskip("torch")
    from cnnref.bench.torch_seed import TorchSeed

    params = seed_parameters(dtype=np.float64, seed=3)
    x, labels, t = _batch(np.float64, n=4, seed=5)
    ours = seed_gradients(params, seed_forward(params, x), t)
    model = TorchSeed(params, x, labels, learning_rate=0.0)
    loss = torch.nn.functional.cross_entropy(model.logits(model.x), model.labels, reduction="sum")
    loss.backward()
    theirs = [-w.grad.numpy() for w in model.weights]  # descent on −J → ∇J = −grad
    np.testing.assert_allclose(ours["w1"], theirs[0].transpose(2, 3, 1, 0), atol=1e-10)
    np.testing.assert_allclose(ours["w2"], theirs[2].transpose(2, 3, 1, 0), atol=1e-10)
    w3 = theirs[4].T.reshape(32, 5, 5, 1000).transpose(1, 2, 0, 3).reshape(800, 1000)
    np.testing.assert_allclose(ours["w3"], w3, atol=1e-10)
    np.testing.assert_allclose(ours["w4"], theirs[6].T, atol=1e-10)
    for ours_name, index in (("b1", 1), ("b2", 3), ("b3", 5), ("b4", 7)):
        np.testing.assert_allclose(ours[ours_name], theirs[index], atol=1e-10)
    y = model.inference().numpy()
    np.testing.assert_allclose(seed_inference(params, x), y, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_training_step_is_theta_plus_eta_gradient_bit_for_bit(dtype):
    """The compiled in-place ascent (w3's 800,000 entries split over the threads) rounds as
    θ + η·∇J does in NumPy."""
    params = seed_parameters(dtype=dtype, seed=2)
    x, _, t = _batch(dtype)
    grads = seed_gradients(params, seed_forward(params, x), t)
    trainer = SeedTrainer(params, learning_rate=1e-3)
    trainer.step(x, t)
    for name in PARAMETER_NAMES:
        expected = params[name] + np.asarray(1e-3, dtype=dtype) * grads[name]
        np.testing.assert_array_equal(trainer.params[name], expected, err_msg=name)
