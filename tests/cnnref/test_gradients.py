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
