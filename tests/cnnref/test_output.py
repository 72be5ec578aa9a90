"""softmax and the log-likelihood J = Σ t log y: stability, underflow, NumPy and PyTorch."""

from __future__ import annotations

import numpy as np
import pytest

import cnnref

DTYPES = [np.float64, np.float32]
SHAPES = [(1, 2), (4, 3), (9, 10), (3, 1), (6, 7)]


def _logits_and_targets(shape, dtype):
    rng = np.random.default_rng(shape[0] * 17 + shape[1])
    a = (4 * rng.standard_normal(shape)).astype(dtype)
    t = np.eye(shape[1], dtype=dtype)[rng.integers(0, shape[1], size=shape[0])]
    return a, t


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_softmax_matches_reference_and_torch(shape, dtype, ref, torch, assert_close):
    a, _ = _logits_and_targets(shape, dtype)
    y = cnnref.softmax(a)
    assert y.dtype == dtype and y.shape == shape
    assert_close(y, ref.softmax(a), dtype, "softmax")
    assert_close(y, torch.softmax(torch.tensor(a), dim=1).numpy(), dtype, "softmax vs torch")


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_of_one_sample(dtype, ref, assert_close):
    a = np.array([0.5, -1.0, 2.0, 0.0], dtype=dtype)
    y = cnnref.softmax(a)
    assert y.shape == (4,)
    assert_close(y, ref.softmax(a), dtype, "softmax of a 1-D a")


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_is_stable_for_huge_logits(dtype):
    a = np.array([[1000.0, -1000.0, 999.0], [-1000.0, -1000.0, -1000.0], [1000.0, 1000.0, 0.0]])
    with np.errstate(all="raise"):
        y = cnnref.softmax(a.astype(dtype))
    assert np.all(np.isfinite(y))
    np.testing.assert_allclose(y.sum(axis=1), 1.0, rtol=np.finfo(dtype).eps * 4)
    np.testing.assert_allclose(y[1], [1 / 3] * 3, rtol=np.finfo(dtype).eps * 4)
    np.testing.assert_allclose(y[2], [0.5, 0.5, 0.0], atol=np.finfo(dtype).eps)
    assert y[0, 1] == 0.0


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_log_likelihood_is_minus_torch_cross_entropy(shape, dtype, ref, torch, assert_close):
    a, t = _logits_and_targets(shape, dtype)
    y = cnnref.softmax(a)
    j = cnnref.log_likelihood(t, y)
    assert isinstance(j, float)
    expected = -torch.nn.functional.cross_entropy(
        torch.tensor(a), torch.tensor(t), reduction="sum"
    ).item()
    assert_close(j, expected, dtype, "J vs -cross_entropy")
    assert_close(j, ref.log_likelihood(t, y), dtype, "J vs reference")


@pytest.mark.parametrize("dtype", DTYPES)
def test_log_likelihood_accepts_soft_and_integer_targets(dtype, ref, assert_close):
    rng = np.random.default_rng(5)
    y = cnnref.softmax(rng.standard_normal((4, 3)).astype(dtype))
    soft = rng.dirichlet(np.ones(3), size=4)
    assert_close(cnnref.log_likelihood(soft.astype(dtype), y), ref.log_likelihood(soft, y), dtype)
    labels = np.eye(3, dtype=np.int64)[[0, 2, 1, 1]]
    assert_close(cnnref.log_likelihood(labels, y), ref.log_likelihood(labels, y), dtype)
    flags = labels.astype(bool)
    assert_close(cnnref.log_likelihood(flags, y), ref.log_likelihood(labels, y), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_log_likelihood_is_finite_where_y_underflows(dtype):
    y = cnnref.softmax(np.array([[0.0, -2000.0, 1.0], [3.0, 0.0, -5000.0]], dtype=dtype))
    assert y[0, 1] == 0.0 and y[1, 2] == 0.0
    t = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], dtype=dtype)
    with np.errstate(all="raise"):
        j = cnnref.log_likelihood(t, y)
    expected = np.log(np.float64(y[0, 0])) + np.log(np.float64(y[1, 1]))
    assert np.isfinite(j)
    assert abs(j - expected) <= 1e-6 * abs(expected)


@pytest.mark.parametrize("dtype", DTYPES)
def test_log_likelihood_is_finite_when_the_labelled_y_underflows(dtype):
    """t = 1 on a y that is exactly 0: J is very negative but finite."""
    t = np.array([[0.0, 1.0]], dtype=dtype)
    y = np.array([[1.0, 0.0]], dtype=dtype)
    j = cnnref.log_likelihood(t, y)
    assert np.isfinite(j)
    assert j <= np.log(np.finfo(dtype).tiny) + 1e-6
