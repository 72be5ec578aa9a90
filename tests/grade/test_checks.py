"""Checks of one returned value: type, exact shape, finiteness, error, finite differences."""

from __future__ import annotations

import numpy as np
import pytest

from verify import compare
from verify.grade import mistakes as m
from verify.grade import wire
from verify.grade.assignment import Directional
from verify.grade.checks import (
    Bad,
    check_output,
    directional_error,
    flatten,
    rebuild,
    structure_problem,
)
from verify.grade.diagnose import pass_tolerance

FD_TOLERANCE = compare.tolerance("directional", np.float64)

RNG = np.random.default_rng(11)
X = RNG.standard_normal((3, 4))
W = RNG.standard_normal((4, 2))
DOUT = RNG.standard_normal((3, 2))
GRAD_W = X.T @ DOUT  # gradient of <DOUT, X W> with respect to W
CHECK = Directional(lambda w: float(np.sum(DOUT * (X @ w))), W)


def _check(got, **kwargs):
    return check_output("dw", got, GRAD_W, 3, kwargs.get("known", {}), kwargs.get("fd"), RNG)


def test_a_correct_gradient_passes_at_float64_rounding() -> None:
    verdict = _check(GRAD_W * (1 + 1e-15), fd=CHECK)
    assert verdict.passed and verdict.error < pass_tolerance()


def test_single_precision_arithmetic_fails_and_is_named() -> None:
    verdict = _check(GRAD_W.astype(np.float32).astype(np.float64), fd=CHECK)
    assert not verdict.passed and verdict.diagnosis == m.SINGLE_PRECISION


def test_an_error_just_above_float64_rounding_fails_at_single_precision_level() -> None:
    verdict = _check(GRAD_W + 1e-10 * np.abs(GRAD_W).max())
    assert not verdict.passed and verdict.diagnosis == m.SINGLE_PRECISION


def test_none_is_not_implemented_and_a_one_element_array_is_a_scalar() -> None:
    assert _check(None).diagnosis == m.NOT_IMPLEMENTED
    scalar = check_output("loss", np.array([2.0]), 2.0, 1, {}, None, RNG)
    assert scalar.passed


def test_the_shape_must_match_exactly_without_broadcasting() -> None:
    verdict = _check(GRAD_W[None])
    assert not verdict.passed and verdict.message.startswith("shape (1, 4, 2) instead of (4, 2)")


def test_nan_never_passes() -> None:
    got = GRAD_W.copy()
    got[2, 1] = np.nan
    verdict = _check(got)
    assert not verdict.passed and "non-finite value nan at (2, 1)" in verdict.message


def test_a_wrong_value_names_the_worst_element_and_keeps_the_expected_value_apart() -> None:
    got = GRAD_W.copy()
    got[3, 0] += 5.0
    verdict = _check(got, fd=CHECK)
    assert not verdict.passed
    assert "worst element at (3, 0)" in verdict.message
    assert f"{GRAD_W[3, 0]:.6g}" not in verdict.message
    assert verdict.detail == f"expected {GRAD_W[3, 0]:.6g}"
    assert verdict.fd_error > FD_TOLERANCE


def test_a_diagnosed_mistake_is_named() -> None:
    verdict = _check(-GRAD_W)
    assert verdict.diagnosis.startswith("equals −1 × the reference")


def test_directional_differences_reject_a_wrong_gradient() -> None:
    assert directional_error(GRAD_W, GRAD_W, CHECK, RNG) < FD_TOLERANCE
    assert directional_error(GRAD_W * 1.1, GRAD_W, CHECK, RNG) > 1e-3


def test_rebuild_makes_fresh_float64_arrays_and_refuses_the_rest() -> None:
    buffers: list[bytes] = []
    tree = wire.encode([np.arange(3, dtype=np.int32), 2.0, "text"], buffers)
    array, number, text = rebuild(tree, buffers)
    assert array.dtype == np.float64 and array.flags.writeable
    assert number.shape == () and number == 2.0
    assert text == Bad("str")
    assert rebuild({"bad": "submission.Payload"}, []) == Bad("submission.Payload")
    assert isinstance(rebuild({"array": 0, "dtype": "<f8", "shape": [9]}, [b""]), Bad)


def test_structure_problems_are_explained() -> None:
    expected = (np.zeros(2), [np.zeros(1), np.zeros(1)])
    assert structure_problem([np.zeros(2), [np.zeros(1), np.zeros(1)]], expected) is None
    assert "a sequence of 1" in structure_problem([np.zeros(2)], expected)
    problem = structure_problem(Bad("submission.AlwaysEqual"), np.zeros(2))
    assert problem == "returned submission.AlwaysEqual; expected a numpy.ndarray"
    assert flatten(expected)[2].shape == (1,)


@pytest.mark.parametrize("bad", [np.zeros((2, 4)), np.zeros(8)])
def test_every_wrong_shape_fails(bad) -> None:
    assert not _check(bad).passed
