"""Checks of one returned value against the reference, at float64.

Per output, in order: it is a plain array (or a number where a number is expected), its shape is
exactly the reference's (no broadcasting), every value is finite, and its normwise relative error
max|s − r| / ‖r‖∞ is at most :data:`RTOL`. A correct float64 computation differs from the reference
only by rounding (~1e-14 here), a real mistake by O(1); 1e-6 sits far from both. Gradients are also
checked against finite differences of the *reference forward* along a random unit direction u:
|⟨s, u⟩ − (L(p + h u) − L(p − h u)) / 2h| ≤ :data:`FD_RTOL` · ‖r‖₂ with h = :data:`FD_STEP`
(truncation ~h² and rounding ~1e-16/h are both below 1e-9 at these sizes).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import child
from . import mistakes as m
from .assignment import Directional
from .diagnose import diagnose, relative_error

RTOL = 1e-6
FD_STEP = 1e-5
FD_RTOL = 1e-6


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
    """A wire tree from the child as fresh float64 arrays, floats, lists; anything else is Bad."""
    if isinstance(node, dict):
        if "array" in node:
            try:
                return child.decode_array(node, buffers).astype(np.float64)
            except ValueError as error:
                return Bad(f"a malformed array ({error})")
        if "bad" in node:
            return Bad(str(node["bad"])[:200])
        for kind in ("list", "tuple"):
            if isinstance(node.get(kind), list):
                return [rebuild(item, buffers) for item in node[kind]]
        return Bad("a dict")
    if isinstance(node, bool) or node is None or isinstance(node, str):
        return Bad(type(node).__name__)
    if isinstance(node, (int, float)):
        return np.array(float(node))
    return Bad(type(node).__name__)


def flatten(value) -> list:
    """Leaves of nested lists/tuples in order."""
    if isinstance(value, (list, tuple)):
        return [leaf for item in value for leaf in flatten(item)]
    return [value]


def _describe(value) -> str:
    if isinstance(value, Bad):
        return value.description
    if isinstance(value, list):
        return f"a sequence of {len(value)}"
    return f"an array of shape {value.shape}"


def structure_problem(got, expected) -> str | None:
    """Why ``got`` does not have the nesting of ``expected`` (tuples and lists interchangeable)."""
    if isinstance(expected, (list, tuple)):
        if not isinstance(got, list) or len(got) != len(expected):
            return f"returned {_describe(got)}; expected a sequence of {len(expected)}"
        for g, e in zip(got, expected, strict=True):
            problem = structure_problem(g, e)
            if problem:
                return problem
        return None
    if not isinstance(got, np.ndarray):
        return f"returned {_describe(got)}; expected a numpy.ndarray"
    return None


def _worst(got: np.ndarray, expected: np.ndarray, student_view_error: float) -> tuple[str, str]:
    index = np.unravel_index(int(np.argmax(np.abs(got - expected))), got.shape)
    where = tuple(int(i) for i in index)
    message = f"worst element at {where}: got {got[index]:.6g}"
    return (
        message + f" (relative error {student_view_error:.2e})",
        f"expected {expected[index]:.6g}",
    )


def directional_error(
    gradient: np.ndarray, reference: np.ndarray, check: Directional, rng: np.random.Generator
) -> float:
    """|⟨gradient, u⟩ − central difference of L along u| / ‖reference‖₂ for a random unit u."""
    u = rng.standard_normal(check.point.shape)
    u /= max(float(np.linalg.norm(u)), 1e-300)
    ahead, behind = (
        check.function(check.point + FD_STEP * u),
        check.function(check.point - FD_STEP * u),
    )
    slope = (ahead - behind) / (2 * FD_STEP)
    scale = max(float(np.linalg.norm(reference)), 1e-300)
    return abs(float(np.sum(gradient * u)) - slope) / scale


def check_output(
    name: str,
    got: np.ndarray,
    expected: np.ndarray,
    batch: int,
    known: dict[str, np.ndarray],
    gradient: Directional | None,
    rng: np.random.Generator,
    negated: str = m.NEGATED,
) -> OutputCheck:
    """Shape, finiteness, relative error, finite differences; a diagnosis when wrong."""
    expected = np.asarray(expected, dtype=np.float64)
    label = diagnose(got, expected, batch, known, negated)
    named = f" — {label}" if label else ""
    if got.shape != expected.shape:
        message = f"shape {got.shape} instead of {expected.shape}{named}"
        return OutputCheck(name, False, message, diagnosis=label)
    if not np.all(np.isfinite(got)):
        index = tuple(int(i) for i in np.argwhere(~np.isfinite(got))[0])
        message = f"non-finite value {got[index]} at {index}{named}"
        return OutputCheck(name, False, message, diagnosis=label)
    error = relative_error(got, expected)
    fd_error = directional_error(got, expected, gradient, rng) if gradient else None
    fd_text = f", vs finite differences {fd_error:.1e}" if fd_error is not None else ""
    if error <= RTOL and (fd_error is None or fd_error <= FD_RTOL):
        return OutputCheck(
            name, True, f"ok (relative error {error:.1e}{fd_text})", "", None, error, fd_error
        )
    if error <= RTOL:
        message = f"matches the reference but not finite differences ({fd_error:.1e})"
        return OutputCheck(name, False, message, "", None, error, fd_error)
    if label:
        message = f"wrong{named} (relative error {error:.2e}{fd_text})"
        return OutputCheck(name, False, message, "", label, error, fd_error)
    message, detail = _worst(got, expected, error)
    return OutputCheck(name, False, f"wrong: {message}{fd_text}", detail, None, error, fd_error)
