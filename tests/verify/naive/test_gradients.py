"""The naive closed-form gradients of verify.naive.gradients against cnnref.gradients."""

from __future__ import annotations

import pytest

import cnnref
from verify import naive

from ._close import ACTIVATIONS, assert_close, network, one_hot


def two_layer_case(rng, n, d, m, k, activation):
    x = rng.standard_normal((n, d))
    w, b = rng.standard_normal((d, m)), rng.standard_normal(m)
    v, c = rng.standard_normal((m, k)), rng.standard_normal(k)
    z = cnnref.activations.activate(x @ w + b, activation)
    y = cnnref.softmax(z @ v + c)
    return x, z, v, one_hot(rng, n, k), y


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize(("n", "d", "m", "k"), [(4, 3, 5, 2), (1, 2, 3, 4)])
def test_notes_gradients_match_cnnref(rng, activation, n, d, m, k):
    x, z, v, t, y = two_layer_case(rng, n, d, m, k, activation)
    assert_close(naive.grad_V(z, t, y), cnnref.grad_V(z, t, y), "grad_V")
    assert_close(naive.grad_c(t, y), cnnref.grad_c(t, y), "grad_c")
    assert_close(
        naive.grad_W(x, z, v, t, y, activation),
        cnnref.grad_W(x, z, v, t, y, activation),
        "grad_W",
    )
    assert_close(
        naive.grad_b(z, v, t, y, activation), cnnref.grad_b(z, v, t, y, activation), "grad_b"
    )
    delta = naive.output_delta(t, y)
    assert_close(delta, cnnref.output_delta(t, y), "output_delta")
    assert_close(
        naive.hidden_delta(delta, v, z, activation),
        cnnref.hidden_delta(delta, v, z, activation),
        "hidden_delta",
    )
    assert_close(naive.weight_gradient(z, delta), cnnref.weight_gradient(z, delta), "weight")
    assert_close(naive.bias_gradient(delta), cnnref.bias_gradient(delta), "bias")


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("n", [1, 3])
def test_three_layer_first_gradient_equals_backprop(rng, activation, n):
    weights, biases = network(rng, (4, 5, 3, 2))
    x = rng.standard_normal((n, 4))
    t = one_hot(rng, n, 2)
    (z1, z2), y = cnnref.mlp_forward(weights, biases, x, activation)
    grads_w, grads_b = cnnref.backprop(weights, biases, x, t, activation)
    w2, w3 = weights[1], weights[2]
    assert_close(naive.grad_W1_three_layer(x, z1, z2, w2, w3, t, y, activation), grads_w[0])
    assert_close(naive.grad_b1_three_layer(z1, z2, w2, w3, t, y, activation), grads_b[0])
