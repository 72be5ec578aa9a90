"""Input generators: margins from kinks, tie-free pooling, networks with live relu layers."""

from __future__ import annotations

import numpy as np
import pytest

from verify.grade.assignments.inputs import (
    KINK_MARGIN,
    away_from_zero,
    network,
    one_hot,
    pairing,
    tie_free,
)

RNG = np.random.default_rng(8)


def test_values_keep_the_oracles_margin_from_relus_kink() -> None:
    values = away_from_zero(RNG, 50, 4)
    assert np.abs(values).min() >= KINK_MARGIN and (values < 0).any() and (values > 0).any()


def test_tie_free_values_are_distinct_and_well_separated() -> None:
    from verify import generators

    values = np.sort(tie_free(RNG, 2, 4, 6, 3).ravel())
    assert np.min(np.diff(values)) >= generators.POOL_GAP / 2


def test_one_hot_rows_have_a_single_one() -> None:
    t = one_hot(RNG, 5, 4)
    np.testing.assert_array_equal(t.sum(axis=1), np.ones(5))


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
def test_network_hidden_layers_are_away_from_the_kink_and_partly_active(activation) -> None:
    net = network(RNG, 1, [4, 5, 6, 3], activation)
    for a in net.pre_activations[:-1]:
        assert np.abs(a).min() >= KINK_MARGIN
        assert 0.25 <= np.mean(a > 0) <= 0.75
    assert net.objective_from(3)(net.pre_activations[-1]) == pytest.approx(
        net.objective_of_weight(1)(net.weights[0])
    )


def test_backprop_with_the_true_derivative_reproduces_the_reference() -> None:
    import cnnref

    net = network(RNG, 3, [4, 5, 3], "tanh")
    _, grads_w, grads_b = net.backprop_with(lambda z: 1 - z**2)
    ref_w, ref_b = cnnref.backprop(net.weights, net.biases, net.x, net.t, "tanh")
    for mine, theirs in zip(grads_w + grads_b, ref_w + ref_b, strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12, atol=1e-14)


def test_pairing_is_the_inner_product_with_the_upstream() -> None:
    dout = np.array([1.0, -2.0])
    assert pairing(dout, lambda v: 3 * v)(np.array([1.0, 1.0])) == pytest.approx(-3.0)
