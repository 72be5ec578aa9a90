"""The naive softmax and log-likelihood of verify.naive.output against cnnref.output."""

from __future__ import annotations

import numpy as np
import pytest

import cnnref
from verify import naive

from ._close import RTOL, assert_close, one_hot


@pytest.mark.parametrize("shape", [(5,), (1, 4), (3, 6)])
def test_softmax_matches_cnnref_even_for_huge_logits(rng, shape):
    a = rng.standard_normal(shape) * 3
    a.flat[-1] = 1000.0
    assert_close(naive.softmax(a), cnnref.softmax(a), "softmax")


def test_log_likelihood_matches_cnnref_and_floors_underflow(rng):
    y = cnnref.softmax(rng.standard_normal((4, 3)))
    t = one_hot(rng, 4, 3)
    assert naive.log_likelihood(t, y) == pytest.approx(cnnref.log_likelihood(t, y), rel=RTOL)
    y[0] = [0.0, 0.0, 1.0]
    t[0] = [1.0, 0.0, 0.0]
    expected = float(np.log(np.finfo(np.float64).tiny))
    row = naive.log_likelihood(t[:1], y[:1])
    assert row == pytest.approx(expected, rel=RTOL)
    y32 = y[:1].astype(np.float32)
    assert naive.log_likelihood(t[:1], y32) == pytest.approx(np.log(np.finfo(np.float32).tiny))
    assert naive.log_likelihood(t[:1], y32) == pytest.approx(cnnref.log_likelihood(t[:1], y32))


def test_log_likelihood_skips_zero_targets():
    y = np.array([[0.0, 0.5, 0.5]])
    assert naive.log_likelihood(np.array([[0, 1, 0]]), y) == pytest.approx(np.log(0.5))
