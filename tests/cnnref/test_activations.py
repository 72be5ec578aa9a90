"""sigmoid, tanh, relu and their derivatives written in terms of z, against NumPy and PyTorch."""

from __future__ import annotations

import numpy as np
import pytest

import cnnref

DTYPES = [np.float64, np.float32]
KINDS = ["sigmoid", "tanh", "relu"]
FUNCTIONS = {"sigmoid": cnnref.sigmoid, "tanh": cnnref.tanh, "relu": cnnref.relu}
SHAPES = [(7,), (4, 5), (2, 3, 4, 2), (1, 1)]


def _a(shape, dtype) -> np.ndarray:
    rng = np.random.default_rng(len(shape) * 101 + shape[-1])
    return (3 * rng.standard_normal(shape)).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("kind", KINDS)
def test_activation_matches_reference(kind, shape, dtype, ref, assert_close):
    a = _a(shape, dtype)
    z = FUNCTIONS[kind](a)
    assert z.dtype == dtype and z.shape == a.shape
    assert_close(z, ref.activate(a, kind), dtype, f"{kind}(a)")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("kind", KINDS)
def test_activation_and_derivative_match_torch(kind, shape, dtype, torch, assert_close):
    """The derivative in terms of z equals autograd's dσ/da (element-wise, so a VJP with ones)."""
    a = _a(shape, dtype)
    at = torch.tensor(a, requires_grad=True)
    zt = getattr(torch, kind)(at)
    zt.backward(torch.ones_like(zt))
    z = FUNCTIONS[kind](a)
    assert_close(z, zt.detach().numpy(), dtype, f"{kind}(a) vs torch")
    derivative = cnnref.activation_derivative(z, kind)
    assert derivative.dtype == dtype
    assert_close(derivative, at.grad.numpy(), dtype, f"{kind}' vs torch")


@pytest.mark.parametrize("dtype", DTYPES)
def test_derivative_formulas_in_terms_of_z(dtype):
    z = np.array([-0.9, -0.5, 0.0, 0.25, 0.5, 0.75, 1.0], dtype=dtype)
    np.testing.assert_array_equal(cnnref.activation_derivative(z, "sigmoid"), z * (1 - z))
    np.testing.assert_array_equal(cnnref.activation_derivative(z, "tanh"), 1 - z * z)
    np.testing.assert_array_equal(cnnref.activation_derivative(z, "relu"), [0, 0, 0, 1, 1, 1, 1])


def test_relu_step_is_zero_at_zero():
    assert cnnref.relu(np.array([0.0]))[0] == 0.0
    assert cnnref.activation_derivative(np.array([0.0]), "relu")[0] == 0.0
    assert cnnref.activation_derivative(cnnref.relu(np.array([-3.0, 0.0])), "relu").sum() == 0


@pytest.mark.parametrize("dtype", DTYPES)
def test_sigmoid_and_tanh_saturate_without_overflow(dtype):
    a = np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0], dtype=dtype)
    with np.errstate(all="raise"):
        s = cnnref.sigmoid(a)
        t = cnnref.tanh(a)
    assert np.all(np.isfinite(s)) and np.all(np.isfinite(t))
    np.testing.assert_array_equal(s[[0, 2, 4]], [0.0, 0.5, 1.0])
    np.testing.assert_array_equal(t[[0, 2, 4]], [-1.0, 0.0, 1.0])
