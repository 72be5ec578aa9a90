"""Name the mistake behind a wrong result by its pattern relative to the reference.

Patterns tried, in order: all zeros and the named factors (−1, N, 1/N and their negatives), a
known mistake of the task (what it would return on these inputs, see
:class:`~verify.grade.assignment.Case`; the mutants of ``verify.mutants`` among them), axes
permuted, any other constant factor. Two arrays "match" when their normwise relative error is
below :data:`MATCH_RTOL`.
"""

from __future__ import annotations

import itertools

import numpy as np

from . import mistakes as m

MATCH_RTOL = 1e-6


def relative_error(got: np.ndarray, expected: np.ndarray) -> float:
    """max |got − expected| / max(‖expected‖∞, 1e-300): the normwise relative error."""
    scale = max(float(np.max(np.abs(expected), initial=0.0)), 1e-300)
    return float(np.max(np.abs(got - expected), initial=0.0)) / scale


def matches(got: np.ndarray, expected: np.ndarray) -> bool:
    """Same shape, the same non-finite values in the same places, the rest within MATCH_RTOL."""
    if got.shape != expected.shape:
        return False
    finite = np.isfinite(expected)
    if not np.array_equal(finite, np.isfinite(got)):
        return False
    if not np.array_equal(got[~finite], expected[~finite], equal_nan=True):
        return False
    return relative_error(got[finite], expected[finite]) <= MATCH_RTOL


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
