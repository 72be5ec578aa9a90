"""The kernels flush subnormal numbers to zero while they run (float_env.h) and leave the caller's
floating-point environment as it was: NumPy keeps IEEE subnormals after every call."""

from __future__ import annotations

import numpy as np
import pytest

import cnnref.conv_paths as paths
from cnnref.kernels import dense as _dense
from cnnref.kernels import optim as _optim

DTYPES = [np.float32, np.float64]


def _subnormal(dtype) -> float:
    """A subnormal number of ``dtype``: half the smallest normal one."""
    return float(np.finfo(dtype).smallest_normal) / 2


def _numpy_keeps_subnormals(dtype) -> bool:
    tiny = np.array(np.finfo(dtype).smallest_normal, dtype=dtype)
    return bool(tiny / dtype(2) != 0)


@pytest.mark.parametrize("dtype", DTYPES)
def test_the_optimizer_updates_flush_subnormal_results_and_restore_the_environment(dtype):
    grad = np.full(8, _subnormal(dtype), dtype=dtype)
    theta = np.zeros(8, dtype=dtype)
    _optim.ascent_step(theta, grad, 1.0)
    np.testing.assert_array_equal(theta, 0)
    velocity = np.zeros(8, dtype=dtype)
    _optim.sgd_momentum(theta, velocity, grad, 1.0, 0.9, 1.0)
    np.testing.assert_array_equal(velocity, 0)
    assert _numpy_keeps_subnormals(dtype)
    theta[:] = 1
    _optim.ascent_step(theta, np.full(8, 0.5, dtype=dtype), 1.0)
    np.testing.assert_array_equal(theta, 1.5)


@pytest.mark.parametrize("dtype", DTYPES)
def test_the_dense_product_flushes_subnormals_and_restores_the_environment(dtype):
    a = np.full((3, 4), _subnormal(dtype), dtype=dtype)
    b = np.eye(4, 5, dtype=dtype)
    out = np.empty((3, 5), dtype=dtype)
    _dense.matmul_split(a, b, out, False, False, 2, 2)
    np.testing.assert_array_equal(out, 0)
    assert _numpy_keeps_subnormals(dtype)
    _dense.matmul_split(np.ones((3, 4), dtype), b, out, False, False, 2, 2)
    np.testing.assert_array_equal(out, np.ones((3, 4), dtype) @ b)


@pytest.mark.skipif(not paths._conv.simd_available(), reason="the CPU has no AVX2 + FMA")
@pytest.mark.parametrize("dtype", DTYPES)
def test_the_simd_convolutions_flush_subnormals_and_restore_the_environment(dtype):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 6, 6, 16)).astype(dtype)
    w = rng.standard_normal((3, 3, 16, 16)).astype(dtype)
    dout = np.full((2, 4, 4, 16), _subnormal(dtype) / 64, dtype=dtype)
    dx, dw = paths.backward_simd(dout, x, w, 1, 0, True)
    np.testing.assert_array_equal(dx, 0)
    np.testing.assert_array_equal(dw, 0)
    assert _numpy_keeps_subnormals(dtype)
    dx, dw = paths.backward_simd(dout * 2**70, x, w, 1, 0, True)
    assert np.all(dw != 0)
