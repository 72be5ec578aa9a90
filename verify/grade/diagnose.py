"""Name the mistake behind one wrong result by its pattern relative to the reference.

The error measure and the tolerances are the oracle's (:mod:`verify.compare`): a result passes
when its floored relative error is at most ``tolerance("naive", float64)`` — float64 rounding of
the reference and of the student's sums. Two arrays "match" (a result matches a known mistake)
when they agree to float32 rounding, ``rounding_tolerance(float32)``, so a mistake is named even
when it is also computed in single precision.

Patterns tried, in order: an error above float64 rounding but within float32's (single
precision); all zeros and the named factors (−1, N, 1/N and their
negatives); a known mistake of the task (what it would return on these inputs, see
:class:`~verify.grade.assignment.Case`; the mutants of ``verify.mutants`` among them); axes
permuted; any other constant factor.
"""

from __future__ import annotations

import itertools

import numpy as np

from verify import compare

from . import mistakes as m


def pass_tolerance() -> float:
    """A float64 result passes at this floored relative error: float64 rounding, both sides."""
    return compare.tolerance("naive", np.float64)


def match_tolerance() -> float:
    """Two results match at this floored relative error: float32 rounding."""
    return compare.rounding_tolerance(np.float32)


def error(got: np.ndarray, expected: np.ndarray) -> float:
    """The oracle's floored relative error of ``got`` against ``expected`` (same shapes)."""
    return compare.worst_element(got, expected).error


def matches(got: np.ndarray, expected: np.ndarray) -> bool:
    """Same shape, the same non-finite values in the same places, the rest within float32
    rounding."""
    if got.shape != expected.shape:
        return False
    finite = np.isfinite(expected)
    if not np.array_equal(finite, np.isfinite(got)):
        return False
    if not np.array_equal(got[~finite], expected[~finite], equal_nan=True):
        return False
    return not finite.any() or error(got[finite], expected[finite]) <= match_tolerance()


def precision_mistake(error_value: float) -> str | None:
    """The label of an error above float64 rounding but within float32's: single precision
    (which, propagated through a computation, can leave any error below float32's rounding)."""
    if error_value <= pass_tolerance() or error_value > match_tolerance():
        return None
    return m.SINGLE_PRECISION


def _named_factor(k: float, batch: int, negated: str) -> str | None:
    sign = "equals −1 × the reference combined with: " if k < 0 else ""
    size = abs(k)
    if batch > 1 and np.isclose(size, 1 / batch, rtol=1e-6):
        return sign + m.MEAN_NOT_SUM
    if batch > 1 and np.isclose(size, batch, rtol=1e-6):
        return sign + m.SUM_NOT_MEAN
    if np.isclose(k, -1.0, rtol=1e-6):
        return negated
    return None


def _factor(got: np.ndarray, expected: np.ndarray) -> float | None:
    """k with got = k · expected (k ≠ 0, 1), if there is one."""
    norm = float(np.sum(expected * expected))
    if norm == 0.0:
        return None
    k = float(np.sum(got * expected)) / norm
    if k == 0.0 or np.isclose(k, 1.0, rtol=1e-9) or not matches(got, k * expected):
        return None
    return k


def _permuted(got: np.ndarray, expected: np.ndarray) -> str | None:
    if got.ndim < 2 or got.ndim > 4:
        return None
    for order in itertools.permutations(range(got.ndim)):
        if order == tuple(range(got.ndim)):
            continue
        moved = np.transpose(got, order)
        if moved.shape == expected.shape and matches(moved, expected):
            return m.TRANSPOSED if got.ndim == 2 else f"{m.AXES_PERMUTED} (axes {order} of yours)"
    return None


def diagnose(
    got: np.ndarray,
    expected: np.ndarray,
    batch: int,
    known: dict[str, np.ndarray],
    negated: str = m.NEGATED,
) -> str | None:
    """The label of the first pattern that ``got`` matches, or None. ``negated`` names a result
    equal to −1 × the reference (the sign convention differs between ascent and descent)."""
    finite = bool(np.all(np.isfinite(got)))
    same_shape = got.shape == expected.shape
    if same_shape and finite and np.all(np.isfinite(expected)):
        precision = precision_mistake(error(got, expected))
        if precision:
            return precision
    k = _factor(got, expected) if finite and same_shape else None
    if same_shape and finite and not np.any(got) and np.any(expected):
        return m.ZEROS
    named = _named_factor(k, batch, negated) if k is not None else None
    if named:
        return named
    for label, wrong in known.items():
        if wrong is not None and not matches(wrong, expected) and matches(got, wrong):
            return label
    if not finite:
        return None
    if k is not None:
        return f"off by a constant factor of {k:.4g}"
    return _permuted(got, expected)
