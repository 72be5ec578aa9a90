"""The naive L-layer network of verify.naive.multilayer against cnnref.multilayer."""

from __future__ import annotations

import pytest

import cnnref
from verify import naive

from ._close import ACTIVATIONS, assert_close, network, one_hot


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize(
    ("n", "widths"), [(3, (4, 2)), (1, (3, 5, 2)), (4, (2, 3, 4, 3)), (2, (5, 3, 2, 4, 3))]
)
def test_network_forward_deltas_and_backprop_match_cnnref(rng, activation, n, widths):
    weights, biases = network(rng, widths)
    x = rng.standard_normal((n, widths[0]))
    t = one_hot(rng, n, widths[-1])
    hidden, y = naive.mlp_forward(weights, biases, x, activation)
    ref_hidden, ref_y = cnnref.mlp_forward(weights, biases, x, activation)
    assert len(hidden) == len(ref_hidden) == len(weights) - 1
    for layer, (mine, theirs) in enumerate(zip(hidden, ref_hidden, strict=True), start=1):
        assert_close(mine, theirs, f"Z^({layer})")
    assert_close(y, ref_y, "Y")
    zs = [x, *ref_hidden]
    deltas = naive.delta_recursion(weights, zs, t, ref_y, activation)
    ref_deltas = cnnref.delta_recursion(weights, zs, t, ref_y, activation)
    for layer, (mine, theirs) in enumerate(zip(deltas, ref_deltas, strict=True), start=1):
        assert_close(mine, theirs, f"δ^({layer})")
    grads_w, grads_b = naive.backprop(weights, biases, x, t, activation)
    ref_w, ref_b = cnnref.backprop(weights, biases, x, t, activation)
    for layer in range(len(weights)):
        assert_close(grads_w[layer], ref_w[layer], f"∇W^({layer + 1})")
        assert_close(grads_b[layer], ref_b[layer], f"∇b^({layer + 1})")
