"""single_thread_blas: OpenBLAS held to one thread inside, restored after; the flag it sets."""

from __future__ import annotations

import numpy as np
import pytest
from threadpoolctl import threadpool_info

import cnnref  # noqa: F401  (loads the OpenBLAS libraries the kernels use)
from cnnref.threads import per_image_convolutions, single_thread_blas


def _openblas_threads() -> list[int]:
    return [info["num_threads"] for info in threadpool_info() if info["internal_api"] == "openblas"]


def test_openblas_runs_one_thread_inside_and_its_own_count_after():
    before = _openblas_threads()
    assert before, "NumPy's and SciPy's OpenBLAS should be loaded"
    assert not per_image_convolutions()
    with single_thread_blas():
        assert per_image_convolutions()
        assert _openblas_threads() == [1] * len(before)
        np.ones((64, 64)) @ np.ones((64, 64))  # products still work
    assert not per_image_convolutions()
    assert _openblas_threads() == before


def test_nested_blocks_and_errors_restore_the_state():
    before = _openblas_threads()
    with pytest.raises(RuntimeError, match="inside"):
        with single_thread_blas():
            with single_thread_blas():
                assert per_image_convolutions()
            assert per_image_convolutions()  # the outer block is still on
            raise RuntimeError("inside")
    assert not per_image_convolutions()
    assert _openblas_threads() == before
