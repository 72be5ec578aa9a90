"""He and Glorot initialization: scale, bounds, seeding, argument checks."""

from __future__ import annotations

import numpy as np
import pytest

from cnnref.nn.init import glorot_uniform, he_normal, init_for_activation, initial_weights


def test_he_normal_has_variance_two_over_fan_in():
    w = he_normal((200, 300), 200, np.random.default_rng(0), np.float64)
    assert abs(w.mean()) < 0.005
    assert w.std() == pytest.approx(np.sqrt(2 / 200), rel=0.02)


def test_glorot_uniform_is_bounded_with_variance_two_over_fan_sum():
    w = glorot_uniform((200, 300), 200, 300, np.random.default_rng(0), np.float64)
    limit = np.sqrt(6 / 500)
    assert w.min() >= -limit and w.max() <= limit
    assert w.min() < -0.95 * limit and w.max() > 0.95 * limit
    assert w.var() == pytest.approx(2 / 500, rel=0.03)


def test_same_seed_same_weights_and_requested_dtype():
    first = initial_weights("he", (5, 5, 3, 16), 75, 400, np.random.default_rng(4))
    second = initial_weights("he", (5, 5, 3, 16), 75, 400, np.random.default_rng(4))
    third = initial_weights("he", (5, 5, 3, 16), 75, 400, np.random.default_rng(5))
    np.testing.assert_array_equal(first, second)
    assert not np.array_equal(first, third)
    assert first.dtype == np.float32 and first.shape == (5, 5, 3, 16)


def test_init_for_activation():
    assert init_for_activation("relu") == "he"
    assert init_for_activation("tanh") == "glorot"
    assert init_for_activation("sigmoid") == "glorot"
    with pytest.raises(ValueError, match="activation"):
        init_for_activation("gelu")


def test_bad_arguments_are_named():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="init"):
        initial_weights("lecun", (2, 2), 2, 2, rng)
    with pytest.raises(ValueError, match="fan_in"):
        he_normal((2, 2), 0, rng)
    with pytest.raises(TypeError, match="dtype"):
        glorot_uniform((2, 2), 2, 2, rng, np.int64)
