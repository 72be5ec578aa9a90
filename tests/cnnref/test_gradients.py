"""The notes' closed-form gradients (ascent on J = Σ t log y) against PyTorch autograd and NumPy."""

from __future__ import annotations

import numpy as np
import pytest

import cnnref

DTYPES = [np.float64, np.float32]
KINDS = ["sigmoid", "tanh", "relu"]
# (N, D, M, K): batch 1, one hidden unit, two classes, and general shapes.
SHAPES = [(1, 3, 4, 2), (6, 5, 1, 3), (8, 4, 6, 5), (3, 7, 5, 10)]


def _network(shape, dtype, kind):
    """x, W, b, V, c, one-hot t, and the forward values z = σ(XW + b), y = softmax(ZV + c)."""
    n, d, m, k = shape
    rng = np.random.default_rng([n, d, m, k, KINDS.index(kind)])
    x = rng.standard_normal((n, d)).astype(dtype)
    w = rng.standard_normal((d, m)).astype(dtype)
    b = rng.standard_normal(m).astype(dtype)
    v = rng.standard_normal((m, k)).astype(dtype)
    c = rng.standard_normal(k).astype(dtype)
    t = np.eye(k, dtype=dtype)[rng.integers(0, k, size=n)]
    z = {"sigmoid": cnnref.sigmoid, "tanh": cnnref.tanh, "relu": cnnref.relu}[kind](
        cnnref.dense(x, w, b)
    )
    y = cnnref.softmax(cnnref.dense(z, v, c))
    return x, w, b, v, c, t, z, y


def _torch_gradients(torch, kind, x, w, b, v, c, t):
    """∂J/∂W, ∂J/∂b, ∂J/∂V, ∂J/∂c by autograd of J = Σ t log softmax(σ(XW + b) V + c)."""
    leaves = [torch.tensor(p, requires_grad=True) for p in (w, b, v, c)]
    wt, bt, vt, ct = leaves
    z = getattr(torch, kind)(torch.tensor(x) @ wt + bt)
    j = (torch.tensor(t) * torch.log_softmax(z @ vt + ct, dim=1)).sum()
    j.backward()
    return [p.grad.numpy() for p in leaves]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("kind", KINDS)
def test_closed_forms_match_torch_autograd(kind, shape, dtype, torch, assert_close):
    x, w, b, v, c, t, z, y = _network(shape, dtype, kind)
    dw, db, dv, dc = _torch_gradients(torch, kind, x, w, b, v, c, t)
    for name, got, want in [
        ("grad_V", cnnref.grad_V(z, t, y), dv),
        ("grad_c", cnnref.grad_c(t, y), dc),
        ("grad_W", cnnref.grad_W(x, z, v, t, y, kind), dw),
        ("grad_b", cnnref.grad_b(z, v, t, y, kind), db),
    ]:
        assert got.dtype == dtype, name
        assert_close(got, want, dtype, f"{name} vs torch")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("kind", KINDS)
def test_closed_forms_match_reference(kind, shape, dtype, ref, assert_close):
    x, w, b, v, c, t, z, y = _network(shape, dtype, kind)
    _, (dw, dv), (db, dc) = ref.mlp_gradients([w, v], [b, c], x, t, kind)
    assert_close(cnnref.grad_V(z, t, y), dv, dtype, "grad_V")
    assert_close(cnnref.grad_c(t, y), dc, dtype, "grad_c")
    assert_close(cnnref.grad_W(x, z, v, t, y, kind), dw, dtype, "grad_W")
    assert_close(cnnref.grad_b(z, v, t, y, kind), db, dtype, "grad_b")


@pytest.mark.parametrize("kind", KINDS)
def test_gradients_point_uphill(kind):
    """Ascent convention: a small step along +∇J increases J, along −∇J decreases it."""
    x, w, b, v, c, t, z, y = _network((8, 4, 6, 5), np.float64, kind)
    activate = {"sigmoid": cnnref.sigmoid, "tanh": cnnref.tanh, "relu": cnnref.relu}[kind]

    def objective(w_, b_, v_, c_):
        hidden = activate(cnnref.dense(x, w_, b_))
        return cnnref.log_likelihood(t, cnnref.softmax(cnnref.dense(hidden, v_, c_)))

    step = 1e-4
    j0 = objective(w, b, v, c)
    gw, gb = cnnref.grad_W(x, z, v, t, y, kind), cnnref.grad_b(z, v, t, y, kind)
    gv, gc = cnnref.grad_V(z, t, y), cnnref.grad_c(t, y)
    assert objective(w + step * gw, b + step * gb, v + step * gv, c + step * gc) > j0
    assert objective(w - step * gw, b - step * gb, v - step * gv, c - step * gc) < j0


def test_output_delta_is_t_minus_y():
    t = np.array([[0.0, 1.0], [1.0, 0.0]])
    y = np.array([[0.3, 0.7], [0.6, 0.4]])
    np.testing.assert_array_equal(cnnref.output_delta(t, y), t - y)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", KINDS)
def test_building_blocks_match_reference(kind, dtype, assert_close):
    rng = np.random.default_rng(KINDS.index(kind))
    delta_next = rng.standard_normal((5, 3)).astype(dtype)
    w_next = rng.standard_normal((4, 3)).astype(dtype)
    a = rng.standard_normal((5, 4))
    z = {"sigmoid": 1 / (1 + np.exp(-a)), "tanh": np.tanh(a), "relu": np.maximum(a, 0)}[kind]
    z = z.astype(dtype)
    slope = {"sigmoid": z * (1 - z), "tanh": 1 - z**2, "relu": (z > 0).astype(dtype)}[kind]
    expected = np.einsum("nk,mk->nm", delta_next, w_next) * slope
    delta = cnnref.hidden_delta(delta_next, w_next, z, kind)
    assert_close(delta, expected, dtype, "hidden_delta")
    z_prev = rng.standard_normal((5, 2)).astype(dtype)
    assert_close(
        cnnref.weight_gradient(z_prev, delta), np.einsum("nd,nm->dm", z_prev, delta), dtype
    )
    assert_close(cnnref.bias_gradient(delta), delta.sum(axis=0), dtype, "bias_gradient")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kind", ["relu", "sigmoid", "tanh"])
def test_the_compiled_gradients_equal_their_numpy_formulas(dtype, kind):
    """The kernels of cnnref/kernels/gradients.pyx against the formulas written in NumPy: the
    element-wise parts bit for bit, the products to the dtype's rounding."""
    rng = np.random.default_rng(12)
    n, d, m, k = 7, 5, 6, 4
    x = rng.standard_normal((n, d)).astype(dtype)
    z = cnnref.activations.activate(rng.standard_normal((n, m)).astype(dtype), kind)
    v = rng.standard_normal((m, k)).astype(dtype)
    y = cnnref.softmax(rng.standard_normal((n, k)).astype(dtype))
    t = np.eye(k, dtype=dtype)[rng.integers(0, k, n)]
    rtol = 1e-5 if dtype == np.float32 else 1e-13
    delta = cnnref.output_delta(t, y)
    np.testing.assert_array_equal(delta, t - y)
    np.testing.assert_array_equal(cnnref.grad_c(t, y), cnnref.bias_gradient(t - y))
    np.testing.assert_allclose(
        cnnref.bias_gradient(delta), (t - y).sum(axis=0, dtype=np.float64), rtol=rtol
    )
    hidden = cnnref.hidden_delta(delta, v, z, kind)
    derivative = cnnref.activation_derivative(z, kind)
    np.testing.assert_allclose(hidden, (delta @ v.T) * derivative, rtol=rtol, atol=rtol)
    np.testing.assert_allclose(cnnref.grad_V(z, t, y), z.T @ (t - y), rtol=rtol, atol=rtol)
    np.testing.assert_allclose(
        cnnref.grad_W(x, z, v, t, y, kind), x.T @ ((delta @ v.T) * derivative), rtol=rtol,
        atol=rtol,
    )  # fmt: skip
    np.testing.assert_allclose(
        cnnref.grad_b(z, v, t, y, kind), ((delta @ v.T) * derivative).sum(axis=0), rtol=rtol,
        atol=rtol,
    )  # fmt: skip


def test_the_compiled_gradients_handle_empty_axes():
    delta, z_prev = np.zeros((0, 3)), np.zeros((0, 4))
    np.testing.assert_array_equal(cnnref.weight_gradient(z_prev, delta), np.zeros((4, 3)))
    np.testing.assert_array_equal(cnnref.bias_gradient(delta), np.zeros(3))
    out = cnnref.hidden_delta(np.zeros((2, 0)), np.zeros((3, 0)), np.ones((2, 3)), "tanh")
    np.testing.assert_array_equal(out, np.zeros((2, 3)))
