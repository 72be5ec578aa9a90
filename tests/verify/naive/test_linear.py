"""The naive dense layer of verify.naive.linear against cnnref.linear."""

from __future__ import annotations

import pytest

import cnnref
from verify import naive

from ._close import assert_close


@pytest.mark.parametrize(("n", "d", "m"), [(3, 4, 2), (1, 5, 3), (4, 1, 6)])
def test_dense_matches_cnnref(rng, n, d, m):
    x, w, b = rng.standard_normal((n, d)), rng.standard_normal((d, m)), rng.standard_normal(m)
    assert_close(naive.dense(x, w, b), cnnref.dense(x, w, b), "a")
    delta = rng.standard_normal((n, m))
    for name, mine, theirs in zip(
        ("dx", "dw", "db"),
        naive.dense_backward(delta, x, w),
        cnnref.dense_backward(delta, x, w),
        strict=True,
    ):
        assert_close(mine, theirs, name)
