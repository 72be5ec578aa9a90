"""Checks of one returned value against the reference, at float64.

Per output, in order: it is a plain array (or a number where a number is expected; an array of one
element is accepted for a scalar), its shape is exactly the reference's (no broadcasting), every
value is finite, and its floored relative error (the oracle's measure, :mod:`verify.compare`) is at
most float64 rounding (:func:`verify.grade.diagnose.pass_tolerance`). A correct float64 computation
differs from the reference only by rounding; single precision errs by ≈ 1e-7, a real mistake by
O(1). A wrong gradient is also compared with finite differences of the *reference forward* along a
random direction (the oracle's directional screen), which tells a student whether the backward or
the forward is at fault.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from verify import compare, finite_diff

from . import mistakes as m
from . import wire
from .assignment import Directional
from .diagnose import diagnose, error, pass_tolerance


@dataclass(frozen=True)
class Bad:
    """A returned value the grader will not use, described by its type."""

    description: str


@dataclass
class OutputCheck:
    """The verdict on one output. ``detail`` holds expected values: instructors only."""

    name: str
    passed: bool
    message: str
    detail: str = ""
    diagnosis: str | None = None
    error: float | None = None
    fd_error: float | None = None


def rebuild(node, buffers: list[bytes]):
    """A wire tree from the child as fresh float64 arrays, floats, lists; None stays None (not
    implemented); anything else is Bad."""
    if node is None:
        return None
    if isinstance(node, dict):
        if "array" in node:
            try:
                return wire.decode_array(node, buffers).astype(np.float64)
            except ValueError as problem:
                return Bad(f"a malformed array ({problem})")
        if "bad" in node:
            return Bad(str(node["bad"])[:200])
        for kind in ("list", "tuple"):
            if isinstance(node.get(kind), list):
                return [rebuild(item, buffers) for item in node[kind]]
        return Bad("a dict")
    if isinstance(node, bool) or isinstance(node, str):
        return Bad(type(node).__name__)
    if isinstance(node, (int, float)):
        return np.array(float(node))
    return Bad(type(node).__name__)


def flatten(value) -> list:
    """Leaves of nested lists/tuples in order."""
    if isinstance(value, (list, tuple)):
        return [leaf for item in value for leaf in flatten(item)]
    return [value]


def not_implemented(got) -> bool:
    """Whether a rebuilt result is the starter code's: None, or a sequence of nothing but None."""
    leaves = flatten(got)
    return all(leaf is None for leaf in leaves)


def _describe(value) -> str:
    if value is None:
        return "None"
    if isinstance(value, Bad):
        return value.description
    if isinstance(value, list):
        return f"a sequence of {len(value)}"
    return f"an array of shape {value.shape}"


def structure_problem(got, expected) -> str | None:
    """Why ``got`` does not have the nesting of ``expected`` (tuples and lists interchangeable;
    a None leaf is checked later, as that output not implemented)."""
    if isinstance(expected, (list, tuple)):
        if not isinstance(got, list) or len(got) != len(expected):
            return f"returned {_describe(got)}; expected a sequence of {len(expected)}"
        for g, e in zip(got, expected, strict=True):
            problem = structure_problem(g, e)
            if problem:
                return problem
        return None
    if got is not None and not isinstance(got, np.ndarray):
        return f"returned {_describe(got)}; expected a numpy.ndarray"
    return None


def _worst(got: np.ndarray, expected: np.ndarray) -> tuple[str, str]:
    """'worst element at (i, j): got g' and, for instructors, 'expected r'."""
    worst = compare.worst_element(got, expected)
    return f"worst element at {worst.index}: got {worst.got:.6g}", f"expected {worst.ref:.6g}"


def directional_error(
    gradient: np.ndarray, reference: np.ndarray, check: Directional, rng: np.random.Generator
) -> float:
    """The oracle's directional screen of ``gradient``: |⟨g, u⟩ − D_u L| against the central
    difference D_u L of the reference forward L along a random unit u, floored as the oracle
    floors it (:func:`verify.compare.scalar_error`)."""
    point = np.asarray(check.point, dtype=np.float64)
    u = finite_diff.random_direction(rng, point.size)

    def batched(rows: np.ndarray) -> np.ndarray:
        return np.array([check.function(row.reshape(point.shape)) for row in rows])

    slope = finite_diff.directional_derivative(batched, point, u)
    size = max(reference.size, 1)
    floor = compare.FLOOR_FRACTION * max(
        float(np.linalg.norm(reference)) / math.sqrt(size), abs(slope)
    )
    return compare.scalar_error(float(np.dot(gradient.reshape(-1), u)), slope, floor)


def check_output(
    name: str,
    got,
    expected,
    batch: int,
    known: dict[str, np.ndarray],
    gradient: Directional | None,
    rng: np.random.Generator,
    negated: str = m.NEGATED,
) -> OutputCheck:
    """Not implemented, shape, finiteness, error against the reference; when wrong, a diagnosis
    and the directional screen against finite differences of the reference forward."""
    if got is None:
        return OutputCheck(name, False, "not implemented (None)", diagnosis=m.NOT_IMPLEMENTED)
    expected = np.asarray(expected, dtype=np.float64)
    if expected.ndim == 0 and got.size == 1:
        got = got.reshape(())
    label = diagnose(got, expected, batch, known, negated)
    named = f" — {label}" if label else ""
    if got.shape != expected.shape:
        message = f"shape {got.shape} instead of {expected.shape}{named}"
        return OutputCheck(name, False, message, diagnosis=label)
    if not np.all(np.isfinite(got)):
        index = tuple(int(i) for i in np.argwhere(~np.isfinite(got))[0])
        message = f"non-finite value {got[index]} at {index}{named}"
        return OutputCheck(name, False, message, diagnosis=label)
    value_error = error(got, expected)
    if value_error <= pass_tolerance():
        return OutputCheck(name, True, f"ok (error {value_error:.1e})", error=value_error)
    fd_error = directional_error(got, expected, gradient, rng) if gradient else None
    fd_text = f", vs finite differences {fd_error:.1e}" if fd_error is not None else ""
    worst, detail = _worst(got, expected)
    message = f"wrong{named} (error {value_error:.2e}{fd_text}); {worst}"
    return OutputCheck(name, False, message, detail, label, value_error, fd_error)
