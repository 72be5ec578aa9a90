"""single_thread_blas: OpenBLAS held to one thread inside, restored after; the flag it sets."""

from __future__ import annotations

import numpy as np
import pytest
from threadpoolctl import threadpool_info

import cnnref
from cnnref.threads import in_single_thread_blas, single_thread_blas


def _openblas_threads() -> list[int]:
    return [info["num_threads"] for info in threadpool_info() if info["internal_api"] == "openblas"]


def test_openblas_runs_one_thread_inside_and_its_own_count_after():
    before = _openblas_threads()
    assert before, "NumPy's and SciPy's OpenBLAS should be loaded"
    assert not in_single_thread_blas()
    with single_thread_blas():
        assert in_single_thread_blas()
        assert _openblas_threads() == [1] * len(before)
        np.ones((64, 64)) @ np.ones((64, 64))  # products still work
    assert not in_single_thread_blas()
    assert _openblas_threads() == before


def test_nested_blocks_and_errors_restore_the_state():
    before = _openblas_threads()
    with pytest.raises(RuntimeError, match="inside"):
        with single_thread_blas():
            with single_thread_blas():
                assert in_single_thread_blas()
            assert in_single_thread_blas()  # the outer block is still on
            raise RuntimeError("inside")
    assert not in_single_thread_blas()
    assert _openblas_threads() == before


def test_reuse_freed_memory_applies_on_glibc_and_is_harmless_to_repeat():
    import platform

    from cnnref.threads import reuse_freed_memory

    expected = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"
    assert reuse_freed_memory() is expected
    assert reuse_freed_memory() is expected
    big = np.ones(3_000_000)  # allocations keep working after the change
    assert float(big.sum()) == 3_000_000.0


def test_dense_products_split_across_threads_agree_with_numpy():
    rng = np.random.default_rng(5)
    for n, d, m in [(64, 200, 300), (3, 1000, 999), (1, 7, 3), (0, 4, 5), (9, 1, 1)]:
        x, w = rng.standard_normal((n, d)), rng.standard_normal((d, m))
        b, delta = rng.standard_normal(m), rng.standard_normal((n, m))
        expected = (cnnref.dense(x, w, b, activation="tanh"), *cnnref.dense_backward(delta, x, w))
        with single_thread_blas():
            got = (cnnref.dense(x, w, b, activation="tanh"), *cnnref.dense_backward(delta, x, w))
        for ours, theirs in zip(got, expected, strict=True):
            np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)


def test_one_image_too_large_to_skip_splitting_agrees_with_the_direct_path():
    rng = np.random.default_rng(6)
    x, w = rng.standard_normal((1, 40, 40, 8)), rng.standard_normal((5, 5, 8, 32))
    b, dout = rng.standard_normal(32), rng.standard_normal((1, 36, 36, 32))
    with single_thread_blas():  # 1296 · 200 · 32 multiply-adds: the products are split
        out = cnnref.conv2d(x, w, b)
        grads = cnnref.conv2d_backward(dout, x, w)
    np.testing.assert_allclose(out, cnnref.conv2d(x, w, b, algorithm="direct"), atol=1e-10)
    expected = cnnref.conv2d_backward(dout, x, w, algorithm="direct")
    for ours, theirs in zip(grads, expected, strict=True):
        np.testing.assert_allclose(ours, theirs, atol=1e-9)


def test_threaded_element_wise_and_pooling_kernels_give_the_same_bits():
    rng = np.random.default_rng(7)
    z = rng.standard_normal((16, 28, 28, 16)).astype(np.float32)  # 200,704 values: threaded
    g = rng.standard_normal(z.shape).astype(np.float32)
    rows, w = rng.standard_normal((300, 400)), rng.standard_normal((400, 300))

    def run():
        return (
            cnnref.relu(z),
            *(cnnref.activation_derivative(z, k, upstream=g) for k in ("relu", "tanh", "sigmoid")),
            *cnnref.maxpool2d(z, return_argmax=True),
            cnnref.dense(rows, w, np.zeros(300), activation="sigmoid"),
        )

    serial = run()
    with single_thread_blas():
        threaded = run()
    for ours, theirs in zip(threaded[:-1], serial[:-1], strict=True):
        np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_allclose(threaded[-1], serial[-1], rtol=1e-12)  # product split by columns
