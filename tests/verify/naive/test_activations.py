"""The naive activations of verify.naive.activations against cnnref.activations."""

from __future__ import annotations

import numpy as np
import pytest

import cnnref
from verify import naive

from ._close import ACTIVATIONS, assert_close


@pytest.mark.parametrize("shape", [(7,), (3, 5), (2, 3, 4)])
def test_activations_and_derivatives_match_cnnref(rng, shape):
    a = rng.standard_normal(shape) * 4
    a.flat[0] = -800.0  # exp(800) would overflow a naive 1 / (1 + exp(−a))
    for kind in ACTIVATIONS:
        z = getattr(naive, kind)(a)
        assert_close(z, getattr(cnnref, kind)(a), kind)
        assert_close(
            naive.activation_derivative(z, kind), cnnref.activation_derivative(z, kind), kind
        )


def test_relu_step_is_zero_at_the_kink():
    z = np.array([0.0, 2.0, 0.0])
    assert naive.activation_derivative(z, "relu").tolist() == [0.0, 1.0, 0.0]
