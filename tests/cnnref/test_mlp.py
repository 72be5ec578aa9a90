"""mlp_forward, delta_recursion and backprop, 1–4 layers, every activation, vs PyTorch autograd."""

from __future__ import annotations

import numpy as np
import pytest

import cnnref

DTYPES = [np.float64, np.float32]
KINDS = ["sigmoid", "tanh", "relu"]
LAYERS = [1, 2, 3, 4]


def _network(layers: int, dtype, kind):
    """Random widths D = M⁽⁰⁾ … M⁽ᴸ⁾ = K, weights, biases, x and one-hot t (seeded by the case)."""
    rng = np.random.default_rng([layers, KINDS.index(kind), np.dtype(dtype).itemsize])
    widths = [int(m) for m in rng.integers(1, 7, size=layers + 1)]
    widths[-1] = max(widths[-1], 2)
    n = int(rng.integers(1, 6))
    weights = [rng.standard_normal((widths[i], widths[i + 1])).astype(dtype) for i in range(layers)]
    biases = [rng.standard_normal(widths[i + 1]).astype(dtype) for i in range(layers)]
    x = rng.standard_normal((n, widths[0])).astype(dtype)
    t = np.eye(widths[-1], dtype=dtype)[rng.integers(0, widths[-1], size=n)]
    return weights, biases, x, t


def _torch_pass(torch, weights, biases, x, t, kind):
    """Autograd of J = Σ t log softmax(a^(L)).

    Returns ([Z^(l)], Y, [∂J/∂a^(l)], [∂J/∂W^(l)], [∂J/∂b^(l)]).
    """
    wt = [torch.tensor(w, requires_grad=True) for w in weights]
    bt = [torch.tensor(b, requires_grad=True) for b in biases]
    z = torch.tensor(x)
    pre, hidden = [], []
    for layer, (w, b) in enumerate(zip(wt, bt, strict=True), start=1):
        a = z @ w + b
        a.retain_grad()
        pre.append(a)
        if layer < len(wt):
            z = getattr(torch, kind)(a)
            hidden.append(z)
    log_y = torch.log_softmax(pre[-1], dim=1)
    (torch.tensor(t) * log_y).sum().backward()
    return (
        [h.detach().numpy() for h in hidden],
        log_y.exp().detach().numpy(),
        [a.grad.numpy() for a in pre],
        [w.grad.numpy() for w in wt],
        [b.grad.numpy() for b in bt],
    )


def _assert_lists_close(assert_close, got, want, dtype, what):
    assert len(got) == len(want), f"{what}: {len(got)} arrays vs {len(want)}"
    for layer, (g, w) in enumerate(zip(got, want, strict=True), start=1):
        assert g.dtype == dtype, f"{what}[{layer}] dtype {g.dtype}"
        assert_close(g, w, dtype, f"{what} layer {layer}")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("layers", LAYERS)
def test_matches_torch_autograd(layers, kind, dtype, torch, assert_close):
    weights, biases, x, t = _network(layers, dtype, kind)
    hidden_t, y_t, deltas_t, grads_w_t, grads_b_t = _torch_pass(torch, weights, biases, x, t, kind)

    hidden, y = cnnref.mlp_forward(weights, biases, x, kind)
    _assert_lists_close(assert_close, hidden, hidden_t, dtype, "Z")
    assert_close(y, y_t, dtype, "Y vs torch")

    deltas = cnnref.delta_recursion(weights, [x, *hidden], t, y, kind)
    _assert_lists_close(assert_close, deltas, deltas_t, dtype, "delta vs torch")

    grads_w, grads_b = cnnref.backprop(weights, biases, x, t, kind)
    _assert_lists_close(assert_close, grads_w, grads_w_t, dtype, "grad W vs torch")
    _assert_lists_close(assert_close, grads_b, grads_b_t, dtype, "grad b vs torch")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("layers", LAYERS)
def test_matches_reference(layers, kind, dtype, ref, assert_close):
    weights, biases, x, t = _network(layers, dtype, kind)
    _, outs = ref.mlp_forward(weights, biases, x, kind)
    deltas_ref, grads_w_ref, grads_b_ref = ref.mlp_gradients(weights, biases, x, t, kind)

    hidden, y = cnnref.mlp_forward(weights, biases, x, kind)
    _assert_lists_close(assert_close, [*hidden, y], outs[1:], dtype, "forward")
    deltas = cnnref.delta_recursion(weights, [x, *hidden], t, y, kind)
    _assert_lists_close(assert_close, deltas, deltas_ref, dtype, "delta")
    grads_w, grads_b = cnnref.backprop(weights, biases, x, t, kind)
    _assert_lists_close(assert_close, grads_w, grads_w_ref, dtype, "grad W")
    _assert_lists_close(assert_close, grads_b, grads_b_ref, dtype, "grad b")


@pytest.mark.parametrize("kind", KINDS)
def test_two_layers_agree_with_the_closed_forms(kind, assert_close):
    """backprop on [W, V] gives the notes' grad_W, grad_b, grad_V, grad_c."""
    weights, biases, x, t = _network(2, np.float64, kind)
    (z,), y = cnnref.mlp_forward(weights, biases, x, kind)
    (gw, gv), (gb, gc) = cnnref.backprop(weights, biases, x, t, kind)
    v = weights[1]
    assert_close(gw, cnnref.grad_W(x, z, v, t, y, kind), np.float64, "grad_W")
    assert_close(gb, cnnref.grad_b(z, v, t, y, kind), np.float64, "grad_b")
    assert_close(gv, cnnref.grad_V(z, t, y), np.float64, "grad_V")
    assert_close(gc, cnnref.grad_c(t, y), np.float64, "grad_c")
