"""The naive pooling of verify.naive.pool against cnnref.pool; the tie and NaN rules."""

from __future__ import annotations

import numpy as np
import pytest

import cnnref
from verify import naive

from ._close import assert_close

POOL_CASES = [
    ((2, 4, 6, 3), 2, None),
    ((1, 5, 7, 2), 2, 1),
    ((2, 7, 5, 1), 3, 2),
    ((1, 3, 4, 2), 1, 2),
]


@pytest.mark.parametrize(("x_shape", "size", "stride"), POOL_CASES)
def test_pooling_matches_cnnref(rng, x_shape, size, stride):
    x = rng.permutation(np.arange(np.prod(x_shape), dtype=np.float64)).reshape(x_shape)
    x = x / x.size + rng.standard_normal(x_shape) * 1e-3  # tie-free, non-symmetric
    for forward, backward, name in (
        (naive.maxpool2d, naive.maxpool2d_backward, "maxpool2d"),
        (naive.avgpool2d, naive.avgpool2d_backward, "avgpool2d"),
    ):
        out = forward(x, size, stride)
        assert_close(out, getattr(cnnref, name)(x, size, stride), name)
        dout = rng.standard_normal(out.shape)
        reference = getattr(cnnref, f"{name}_backward")(dout, x, size, stride)
        assert_close(backward(dout, x, size, stride), reference, f"{name}_backward")


def test_maxpool_tie_rule_first_maximum_in_row_major_order():
    x = np.array([[5.0, 1.0], [5.0, 5.0]]).reshape(1, 2, 2, 1)
    dx = naive.maxpool2d_backward(np.full((1, 1, 1, 1), 7.0), x)
    assert dx[0, :, :, 0].tolist() == [[7.0, 0.0], [0.0, 0.0]]
    later = np.array([[1.0, 5.0], [5.0, 5.0]]).reshape(1, 2, 2, 1)
    dx = naive.maxpool2d_backward(np.full((1, 1, 1, 1), 7.0), later)
    assert dx[0, :, :, 0].tolist() == [[0.0, 7.0], [0.0, 0.0]]
    assert_close(dx, cnnref.maxpool2d_backward(np.full((1, 1, 1, 1), 7.0), later))


def test_maxpool_nan_counts_as_the_maximum():
    x = np.array([[1.0, 9.0], [np.nan, np.nan]]).reshape(1, 2, 2, 1)
    assert np.isnan(naive.maxpool2d(x)).all()
    dx = naive.maxpool2d_backward(np.full((1, 1, 1, 1), 3.0), x)
    assert dx[0, :, :, 0].tolist() == [[0.0, 0.0], [3.0, 0.0]]
    np.testing.assert_array_equal(dx, cnnref.maxpool2d_backward(np.full((1, 1, 1, 1), 3.0), x))


def test_overlapping_windows_accumulate_pool_gradients():
    x = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]).reshape(1, 3, 3, 1)
    dout = np.array([[1.0, 2.0], [3.0, 4.0]]).reshape(1, 2, 2, 1)
    # The 1 at (0, 1) wins both top windows; the bottom windows tie at 0 → their first cells win.
    dx = naive.maxpool2d_backward(dout, x, size=2, stride=1)
    assert dx[0, :, :, 0].tolist() == [[0.0, 3.0, 0.0], [3.0, 4.0, 0.0], [0.0, 0.0, 0.0]]
    avg = naive.avgpool2d_backward(dout, x, size=2, stride=1)
    assert avg[0, 1, 1, 0] == pytest.approx((1 + 2 + 3 + 4) / 4)
