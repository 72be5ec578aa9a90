"""The floored relative error, the derived tolerances and the structural checks."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from verify import compare


def test_tolerances_follow_their_derivation():
    u32, u64 = 2.0**-24, 2.0**-53
    scale = compare.SAFETY * math.sqrt(compare.N_MAX) / compare.FLOOR_FRACTION
    assert compare.rounding_tolerance(np.float32) == pytest.approx(scale * u32)
    assert compare.rounding_tolerance(np.float64) == pytest.approx(scale * u64)
    assert compare.tolerance("naive", np.float64) == pytest.approx(2 * scale * u64)
    eps = 2.0**-52
    fd = compare.SAFETY * eps ** (2 / 3) * compare.SCALE_RATIO / compare.FLOOR_FRACTION
    assert compare.tolerance("central_fd", np.float64) == pytest.approx(scale * u64 + fd)
    # float32 is looser than float64 for every oracle; the float64 naive check sees a downcast
    for oracle in compare.ORACLES:
        assert compare.tolerance(oracle, np.float32) > compare.tolerance(oracle, np.float64)
    assert compare.tolerance("naive", np.float64) < u32 / compare.FLOOR_FRACTION / 1e3


def test_unknown_oracle_and_dtype_are_rejected():
    with pytest.raises(ValueError, match="oracle must be one of"):
        compare.tolerance("eyeball", np.float64)
    with pytest.raises(TypeError, match="float dtype"):
        compare.unit_roundoff(np.int32)


def test_relative_error_uses_a_floor_relative_to_the_reference_scale():
    ref = np.array([100.0, 1.0, 0.0])
    got = np.array([101.0, 1.5, 0.5])
    err = compare.relative_errors(got, ref)
    assert err.tolist() == pytest.approx([0.01, 0.5 / 6.25, 0.5 / 6.25])


def test_a_zero_gradient_never_passes_by_being_small():
    ref = np.array([1e-12, -3e-12])
    worst = compare.worst_element(np.zeros(2), ref)
    assert worst.error >= 1.0
    assert compare.worst_element(np.zeros(2), np.zeros(2)).error == 0.0
    assert compare.worst_element(np.array([0.0, 1e-300]), np.zeros(2)).error == math.inf


def test_worst_element_names_index_and_values():
    ref = np.arange(12.0).reshape(3, 4) + 1
    got = ref.copy()
    got[2, 1] += 5
    worst = compare.worst_element(got, ref)
    assert worst.index == (2, 1)
    assert (worst.got, worst.ref) == (15.0, 10.0)
    assert worst.error == pytest.approx(0.5)


def test_nan_counts_as_infinite_error():
    assert compare.worst_element(np.array([np.nan, 1.0]), np.array([1.0, 1.0])).error == math.inf


def test_structural_checks():
    a = np.zeros((2, 3), dtype=np.float32)
    assert compare.shape_dtype_problems("dw", a, (2, 3), np.float32) == []
    assert (
        "shape (2, 3), expected (3, 2)"
        in compare.shape_dtype_problems("dw", a, (3, 2), np.float32)[0]
    )
    assert (
        "dtype float32, expected float64"
        in compare.shape_dtype_problems("dw", a, (2, 3), np.float64)[0]
    )
    assert compare.shape_dtype_problems("dw", [1.0], (1,), np.float64)
    assert compare.zero_problems("db", np.zeros(3)) == []
    assert "index (1,)" in compare.zero_problems("db", np.array([0.0, 2.0]))[0]
    assert compare.nonfinite_problems("y", np.array([1.0, np.inf]))
    assert compare.repeat_problems("x", np.ones(2), np.ones(2)) == []
    assert compare.repeat_problems("x", np.ones(2), np.array([1.0, 1.0 + 1e-16 * 4]))


def test_linearity_check_sees_a_nonlinear_map():
    g = np.array([1.0, 2.0])
    assert compare.linearity_problems("dx", 2 * g, 2 * g, np.float64) == []
    assert compare.linearity_problems("dx", 2 * g + 1e-9, 2 * g, np.float64)
    assert compare.linearity_problems("db", np.zeros(2), np.zeros(2), np.float64) == []


def test_unmodified_check_names_the_argument():
    before = {"x": np.ones(2), "ws": [np.ones(1), np.ones(1)]}
    after = {"x": np.ones(2), "ws": [np.ones(1), np.zeros(1)]}
    assert compare.unmodified_problems(before, after) == ["input ws[1] was modified in place"]


def test_scalar_error():
    assert compare.scalar_error(1.0, 1.0, 0.1) == 0.0
    assert compare.scalar_error(0.0, 1e-3, 0.1) == pytest.approx(1e-2)


@pytest.mark.parametrize(
    "ref",
    [
        np.array([3.0, -1.0, 0.0, 2e-9, 0.5, 0.0, 0.0, 7.0]),
        np.array([0.0, 0.0, 0.0, 2.0, np.nan, 1.0, 0.0, 0.0]),
        np.zeros(8),
    ],
    ids=["values", "nan", "zeros"],
)
def test_block_errors_are_each_blocks_own_relative_errors(ref):
    got = ref + np.array([1e-3, 0.0, 0.0, 1e-9, np.inf, 2.0, 0.0, -1.0])
    resolution = np.linspace(0.0, 1.0, 8)
    offsets = np.array([0, 3, 3, 5, 8])  # an empty block included
    errors = compare.block_relative_errors(got, ref, offsets, resolution)
    for lo, hi in itertools.pairwise(offsets):
        expected = compare.relative_errors(got[lo:hi], ref[lo:hi], resolution[lo:hi])
        assert np.array_equal(errors[lo:hi], expected)
    whole = compare.block_relative_errors(got, ref, np.array([0, 8]), resolution)
    assert np.array_equal(whole, compare.relative_errors(got, ref, resolution))


def test_same_values_is_array_equal_with_nans_equal():
    a = np.array([1.0, np.nan, -0.0])
    assert compare.same_values(a, a.copy())
    assert compare.same_values(a, np.array([1.0, np.nan, 0.0]))  # −0 == 0, though the bits differ
    assert not compare.same_values(a, np.array([1.0, np.nan, 1.0]))
    assert not compare.same_values(a.astype(np.float32), a.view(np.int64))
    assert compare.same_values(np.zeros((2, 0)), np.zeros((2, 0)))
