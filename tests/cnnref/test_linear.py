"""dense / dense_backward against the NumPy reference and PyTorch autograd."""

from __future__ import annotations

import numpy as np
import pytest

import cnnref
from cnnref.linear import dense_parameter_gradients

DTYPES = [np.float64, np.float32]
# (N, D, M): batch 1, a single feature, a single output, and a few general shapes.
SHAPES = [(1, 4, 3), (5, 1, 2), (3, 6, 1), (7, 5, 4), (2, 16, 9), (10, 3, 8)]


def _arrays(shape, dtype):
    n, d, m = shape
    rng = np.random.default_rng(sum(shape) * 31 + n)
    x = rng.standard_normal((n, d)).astype(dtype)
    w = rng.standard_normal((d, m)).astype(dtype)
    b = rng.standard_normal(m).astype(dtype)
    delta = rng.standard_normal((n, m)).astype(dtype)
    return x, w, b, delta


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_dense_matches_reference(shape, dtype, ref, assert_close):
    x, w, b, delta = _arrays(shape, dtype)
    a = cnnref.dense(x, w, b)
    assert a.dtype == dtype
    assert_close(a, ref.dense(x, w, b), dtype, "a")
    for name, got, want in zip(
        ("dx", "dw", "db"),
        cnnref.dense_backward(delta, x, w),
        ref.dense_backward(delta, x, w),
        strict=True,
    ):
        assert got.dtype == dtype, name
        assert_close(got, want, dtype, name)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_dense_matches_torch(shape, dtype, torch, assert_close):
    x, w, b, delta = _arrays(shape, dtype)
    xt, wt, bt = (torch.tensor(v, requires_grad=True) for v in (x, w, b))
    a_t = xt @ wt + bt
    a_t.backward(torch.tensor(delta))
    assert_close(cnnref.dense(x, w, b), a_t.detach().numpy(), dtype, "a vs torch")
    dx, dw, db = cnnref.dense_backward(delta, x, w)
    assert_close(dx, xt.grad.numpy(), dtype, "dx vs torch")
    assert_close(dw, wt.grad.numpy(), dtype, "dw vs torch")
    assert_close(db, bt.grad.numpy(), dtype, "db vs torch")


def test_dense_bias_is_added_to_every_row():
    x = np.zeros((3, 2))
    w = np.ones((2, 4))
    b = np.array([1.0, -2.0, 3.0, 0.5])
    np.testing.assert_array_equal(cnnref.dense(x, w, b), np.tile(b, (3, 1)))


@pytest.mark.parametrize("dtype", DTYPES)
def test_dense_backward_can_skip_the_input_gradient(dtype):
    x, w, _, delta = _arrays((5, 4, 3), dtype)
    dx, dw, db = cnnref.dense_backward(delta, x, w)
    dw_only, db_only = dense_parameter_gradients(delta, x, w)
    assert dx.shape == x.shape
    np.testing.assert_array_equal(dw_only, dw)
    np.testing.assert_array_equal(db_only, db)


@pytest.mark.parametrize("dtype", DTYPES)
def test_one_sample_weight_gradient_is_the_exact_outer_product(dtype):
    x, w, _, delta = _arrays((1, 800, 50), dtype)
    _, dw, _ = cnnref.dense_backward(delta, x, w)
    assert dw.dtype == dtype and dw.shape == (800, 50)
    np.testing.assert_array_equal(dw, x[0][:, None] * delta[0][None, :])


# (rows, inner, columns) of matmul's paths: one row, small (a matrix product) or large (BLAS's
# matrix-vector product, split over the threads); an inner dimension of 1, small or large (the
# outer product, its rows split); and matrix products below and above the splitting threshold.
PRODUCTS = [
    (1, 7, 5),
    (1, 100, 200),
    (1, 900, 700),
    (3, 1, 4),
    (600, 1, 700),
    (4, 30, 20),
    (64, 300, 200),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("trans_a", [False, True])
@pytest.mark.parametrize("trans_b", [False, True])
@pytest.mark.parametrize("rows, inner, columns", PRODUCTS, ids=str)
def test_matmul_is_the_product_on_every_path(
    rows, inner, columns, trans_a, trans_b, dtype, assert_close
):
    from cnnref.linear import matmul

    rng = np.random.default_rng(rows + inner + columns)
    a = rng.standard_normal((inner, rows) if trans_a else (rows, inner)).astype(dtype)
    b = rng.standard_normal((columns, inner) if trans_b else (inner, columns)).astype(dtype)
    op_a = a.T if trans_a else a
    op_b = b.T if trans_b else b
    product = matmul(a, b, trans_a, trans_b)
    assert product.dtype == dtype and product.shape == (rows, columns)
    assert_close(product, op_a.astype(np.float64) @ op_b.astype(np.float64), dtype, "product")
    if inner == 1:  # each entry one product, rounded once
        np.testing.assert_array_equal(product, op_a[:, :1] * op_b[:1, :])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(1, 1000, 10), (1, 800, 1000)], ids=str)
def test_one_sample_through_the_seed_dense_layers_matches_reference(
    shape, dtype, ref, assert_close
):
    x, w, b, delta = _arrays(shape, dtype)
    assert_close(cnnref.dense(x, w, b), ref.dense(x, w, b), dtype, "a")
    for name, got, expected in zip(
        ("dx", "dw", "db"),
        cnnref.dense_backward(delta, x, w),
        ref.dense_backward(delta, x, w),
        strict=True,
    ):
        assert_close(got, expected, dtype, name)
