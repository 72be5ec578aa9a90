"""Inputs: non-square, non-symmetric, with margins from kinks (unless near kinks on purpose)."""

from __future__ import annotations

import numpy as np
import pytest

from verify import generators, kinks, objectives


def test_values_are_not_symmetric_and_upstreams_not_uniform():
    rng = np.random.default_rng(0)
    v = generators.values(rng, (40, 30))
    assert abs(np.mean(v)) > 0.02
    g = generators.upstream(rng, (5, 6))
    assert np.std(g) > 0.1 and not np.allclose(g, 1.0)


def test_distinct_sizes_and_targets():
    rng = np.random.default_rng(1)
    sizes = generators.distinct_sizes(rng, 4, 2, 7)
    assert len(set(sizes)) == 4
    for soft in (False, True):
        t = generators.targets(rng, 5, 3, soft)
        assert np.allclose(t.sum(axis=1), 1.0)


@pytest.mark.parametrize("ties", ["none", "exact", "near"])
def test_pool_input_tie_patterns(ties):
    x = generators.pool_input(np.random.default_rng(2), (2, 6, 5, 3), 2, 2, ties)
    gap = kinks.min_window_gap(x, 2, 2)
    expected = {
        "none": gap >= generators.POOL_GAP / 2,
        "exact": gap == 0.0,
        "near": 0 <= gap <= generators.NEAR_KINK,
    }
    assert expected[ties]


def test_relu_layers_keep_the_margin_unless_near_kink():
    rng = np.random.default_rng(3)
    x = generators.values(rng, (4, 5))
    weights, biases = generators.relu_safe_layers(rng, x, [5, 3, 6, 2], "relu", False)
    _, pre = objectives.mlp_logits(weights, biases, x, "relu")
    assert kinks.min_relu_margin(pre) >= generators.RELU_MARGIN
    weights, biases = generators.relu_safe_layers(rng, x, [5, 3, 6, 2], "relu", True)
    _, pre = objectives.mlp_logits(weights, biases, x, "relu")
    assert kinks.min_relu_margin(pre) <= 2 * generators.NEAR_KINK
