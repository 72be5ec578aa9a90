"""Comparison: relative error with a floor, derived tolerances, and structural checks.

**The error measure.** For a gradient ``got`` and a reference ``ref`` of the same shape::

    errⱼ = |gotⱼ − refⱼ| / max(|refⱼ|, ρ·‖ref‖∞, ρ·sⱼ),     ρ = FLOOR_FRACTION = 1/16.

An element at least 1/16 of the largest is compared to itself; a smaller one is compared to 1/16 of
the largest, because its own digits are lost to cancellation in any floating-point sum. A zero
gradient against a non-zero reference therefore has error ≥ 1: nothing passes by being small
*relative to its own block*.

sⱼ, the **resolution** of element j (:func:`resolution`; 0 for forward checks), is the smallest
derivative that the objective's own scale lets any method resolve there. A gradient is a product of
factors — ∇W⁽ˡ⁾ = Z⁽ˡ⁻¹⁾ᵀ δ⁽ˡ⁾, a central difference is (f(x + h) − f(x − h)) / 2h — and each factor
carries a rounding error relative to *its* size, not to the product's: a Z⁽ˡ⁻¹⁾ that came out tiny
by cancellation (a relu unit next to its kink, ``a = xW + b ≈ 1e−9``) keeps an absolute error
u·(abs(x)·abs(W) + abs(b)), and a difference quotient keeps u·F/h whatever the size of the
derivative. With F = max(abs(f(x)), maxₖ abs(refₖ)·max(abs(xₖ), 1)) — the objective's value and
the largest of its first-order terms, both taken from trusted references — and the variables'
scale max(abs(xⱼ), 1)::

    sⱼ = F / (SCALE_RATIO · max(|xⱼ|, 1)).

This is the assumption behind method("central_fd") below — the objective's terms are at most
SCALE_RATIO times the gradient elements — measured per case instead of assumed: a block whose
derivatives are far below the objective's scale (a nearly dead layer, a bias gradient whose
samples cancel) is compared at the resolution its factors allow. Against a reference that is
identically zero with s = 0 only an exactly zero result passes (error 0, else inf).

**The tolerances** are tol(oracle, dtype) = rounding(dtype) + method(oracle), with u_d the unit
roundoff (2⁻²⁴ for float32, 2⁻⁵³ for float64) and constants stated once here:

- rounding(d) = SAFETY · √N_MAX · u_d / ρ. Every gradient element is a sum of at most N_MAX terms
  (the registry's shapes keep it there; a test checks it); rounding errors of a length-n sum grow as
  √n·u (the probabilistic bound, Higham §2.8) relative to its terms, and the floor ρ converts
  that to our measure. float64: 9.1e−13, float32: 4.9e−4.
- method("naive") = method("complex_step") = rounding(float64): both are exact formulas evaluated in
  float64 (the complex step's truncation h²f‴/6 with h = 1e−30 is below any rounding).
- method("central_fd") = method("directional") = SAFETY · ε^(2/3) · SCALE_RATIO / ρ: a central
  difference with step ε^(1/3)·scale has truncation and rounding errors each ≈ ε^(2/3) times the
  function's scale; SCALE_RATIO bounds how much larger the objective's terms are than its gradient
  elements for the registry's unit-scale inputs — and where a case's gradient is smaller than
  that, the resolution sⱼ above carries the bound over to the objective's measured scale. = 6.1e−7.
- method("taylor") = SAFETY · h_min² · SCALE_RATIO / ρ with h_min = 2.5e−4, the Richardson
  estimate's O(h²) error at the smallest step of
  :func:`verify.finite_diff.taylor_remainder`. = 1.0e−3.

A wrong gradient (a sign, a transpose, a missing factor) errs by O(1) in this measure; a float32
downcast inside a float64 computation errs by ≈ u₃₂/ρ ≈ 1e−6 ≫ tol(naive, float64).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

FLOOR_FRACTION = 1.0 / 16.0
SAFETY = 16.0
N_MAX = 1024
SCALE_RATIO = 64.0
TAYLOR_MIN_STEP = 2.5e-4
#: Each oracle's one key (in comparisons, references, tolerance() and the JSON) and its label in
#: reports and the verify table.
LABELS = {
    "naive": "naive",
    "naive_formula": "naive (notes' formula)",
    "central_fd": "central FD",
    "directional": "directional",
    "complex_step": "complex step",
    "taylor": "Taylor remainder",
}
ORACLES = tuple(LABELS)


def unit_roundoff(dtype) -> float:
    """u = ε/2 of a float dtype: 2⁻²⁴ for float32, 2⁻⁵³ for float64."""
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"dtype must be a float dtype, got {dtype}")
    return float(np.finfo(dtype).eps) / 2.0


def rounding_tolerance(dtype) -> float:
    """SAFETY · √N_MAX · u_d / ρ: rounding of a sum of ≤ N_MAX terms in ``dtype``."""
    return SAFETY * math.sqrt(N_MAX) * unit_roundoff(dtype) / FLOOR_FRACTION


@functools.cache
def _rounding_tolerance(dtype: np.dtype) -> float:
    return rounding_tolerance(dtype)


def method_error(oracle: str) -> float:
    """The oracle's own error, in the floored relative measure (see the module docstring)."""
    if oracle in ("naive", "naive_formula", "complex_step"):
        return rounding_tolerance(np.float64)
    if oracle in ("central_fd", "directional"):
        eps = float(np.finfo(np.float64).eps)
        return SAFETY * eps ** (2.0 / 3.0) * SCALE_RATIO / FLOOR_FRACTION
    if oracle == "taylor":
        return SAFETY * TAYLOR_MIN_STEP**2 * SCALE_RATIO / FLOOR_FRACTION
    raise ValueError(f"oracle must be one of {', '.join(ORACLES)}; got {oracle!r}")


def tolerance(oracle: str, dtype) -> float:
    """tol(oracle, dtype) = rounding(dtype) + method(oracle)."""
    return _tolerance(oracle, np.dtype(dtype))


@functools.cache
def _tolerance(oracle: str, dtype: np.dtype) -> float:
    return rounding_tolerance(dtype) + method_error(oracle)


def objective_scale(value: float, ref: np.ndarray, x: np.ndarray) -> float:
    """F = max(abs(f(x)), maxₖ abs(refₖ)·max(abs(xₖ), 1)): the objective's value and its largest
    first-order term, from a trusted reference gradient ``ref`` at the variables ``x`` (flat)."""
    ref = np.abs(np.asarray(ref, dtype=np.float64).reshape(-1))
    x = np.maximum(np.abs(np.asarray(x, dtype=np.float64).reshape(-1)), 1.0)
    terms = float(np.max(ref * x, initial=0.0))
    return max(abs(float(value)), terms) if math.isfinite(terms) else math.inf


def resolution(scale: float, x: np.ndarray) -> np.ndarray:
    """sⱼ = F / (SCALE_RATIO · max(abs(xⱼ), 1)): the smallest derivative the objective's scale F
    lets a method resolve at each variable xⱼ (see the module docstring)."""
    x = np.asarray(x, dtype=np.float64)
    return scale / (SCALE_RATIO * np.maximum(np.abs(x), 1.0))


def relative_errors(got: np.ndarray, ref: np.ndarray, resolution: np.ndarray | float = 0.0):
    """``errⱼ = |gotⱼ − refⱼ| / max(|refⱼ|, ρ‖ref‖∞, ρsⱼ)`` with sⱼ = ``resolution`` (an array
    shaped like ref, or a number); where that denominator is 0: 0 if got = ref, else inf."""
    got = np.asarray(got, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    magnitude = np.abs(ref)
    scale = float(magnitude.max()) if magnitude.size else 0.0
    return _floored_errors(np.abs(got - ref), magnitude, scale, resolution)


def block_relative_errors(
    got: np.ndarray, ref: np.ndarray, offsets: np.ndarray, resolution: np.ndarray | float = 0.0
) -> np.ndarray:
    """:func:`relative_errors` of every block ``[offsets[k], offsets[k + 1])`` of the flat got and
    ref, each block floored by its own ‖ref‖∞ (one block per named gradient), concatenated."""
    magnitude = np.abs(ref)
    if len(offsets) == 2:  # one block
        scale = float(magnitude.max()) if magnitude.size else 0.0
        return _floored_errors(np.abs(got - ref), magnitude, scale, resolution)
    sizes = np.diff(offsets)
    maxima = np.zeros(sizes.size)
    filled = sizes > 0
    if magnitude.size:
        maxima[filled] = np.maximum.reduceat(magnitude, offsets[:-1][filled])
    return _floored_errors(np.abs(got - ref), magnitude, np.repeat(maxima, sizes), resolution)


def _floored_errors(diff, magnitude, scale, resolution) -> np.ndarray:
    floor = np.maximum(magnitude, FLOOR_FRACTION * np.maximum(scale, resolution))
    if floor.size and floor.min() > 0:  # the usual case: every denominator positive
        err = diff / floor
    else:
        usable = floor > 0
        err = np.divide(diff, floor, out=np.zeros_like(diff), where=usable)
        err[~usable & (diff != 0)] = np.inf
    if err.size and math.isnan(err.max()):  # max is NaN when any element is
        err[np.isnan(err)] = np.inf
    return err


@dataclass(frozen=True)
class Mismatch:
    """The worst element of one comparison."""

    error: float
    index: tuple[int, ...]
    got: float
    ref: float


def worst_element(
    got: np.ndarray, ref: np.ndarray, resolution: np.ndarray | float = 0.0
) -> Mismatch:
    """The element with the largest floored relative error (and the error itself)."""
    got = np.asarray(got, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    if got.shape != ref.shape:
        raise ValueError(f"got has shape {got.shape} but the reference has shape {ref.shape}")
    if ref.size == 0:
        return Mismatch(0.0, (), math.nan, math.nan)
    err = relative_errors(got, ref, resolution)
    flat = int(np.argmax(err))
    index = tuple(int(i) for i in np.unravel_index(flat, ref.shape))
    return Mismatch(float(err.reshape(-1)[flat]), index, float(got[index]), float(ref[index]))


def scalar_error(got: float, ref: float, floor: float) -> float:
    """``|got − ref| / max(|ref|, floor)`` for one number (used by the directional screen)."""
    diff = abs(got - ref)
    if diff == 0:
        return 0.0
    denominator = max(abs(ref), floor)
    return diff / denominator if denominator > 0 else math.inf


def shape_dtype_problems(
    name: str, got: np.ndarray, shape: tuple[int, ...], dtype: np.dtype
) -> list[str]:
    """Problems with a returned gradient's type, shape or dtype (empty when it is right)."""
    if not isinstance(got, np.ndarray):
        return [f"{name}: expected a NumPy array, got {type(got).__name__}"]
    problems = []
    if got.shape != tuple(shape):
        problems.append(f"{name}: shape {got.shape}, expected {tuple(shape)}")
    if got.dtype != dtype:
        problems.append(f"{name}: dtype {got.dtype}, expected {np.dtype(dtype)}")
    return problems


def nonfinite_problems(name: str, got: np.ndarray) -> list[str]:
    """A gradient holding NaN or inf (e.g. an overflowing softmax) is always wrong here."""
    got = np.asarray(got)
    bad = ~np.isfinite(got if got.dtype.kind == "f" else got.astype(np.float64))
    if not bad.any():
        return []
    index = tuple(int(i) for i in np.argwhere(bad)[0])
    return [f"{name}: non-finite value {got[index]} at index {index}"]


def zero_problems(name: str, got: np.ndarray) -> list[str]:
    """With a zero upstream gradient every gradient must be exactly zero."""
    got = np.asarray(got)
    if not np.any(got):
        return []
    index = tuple(int(i) for i in np.argwhere(got != 0)[0])
    return [f"{name}: zero upstream gradient gave {got[index]} at index {index}, expected 0"]


def linearity_problems(
    name: str, combined: np.ndarray, expected: np.ndarray, dtype: np.dtype
) -> list[str]:
    """F(α g₁ + β g₂) must equal α F(g₁) + β F(g₂) to rounding(dtype)."""
    if not np.any(combined) and not np.any(expected):
        return []
    limit = _rounding_tolerance(np.dtype(dtype))
    if np.shape(combined) == np.shape(expected):  # the usual case, answered without the worst
        errors = relative_errors(combined, expected)
        if errors.size == 0 or errors.max() <= limit:
            return []
    worst = worst_element(combined, expected)
    if worst.error <= limit:
        return []
    return [
        f"{name}: not linear in the upstream gradient: at {worst.index} "
        f"F(αg₁+βg₂) = {worst.got:.6g} but αF(g₁)+βF(g₂) = {worst.ref:.6g} "
        f"(error {worst.error:.2e} > {limit:.1e})"
    ]


def same_values(first: np.ndarray, second) -> bool:
    """``np.array_equal(first, second, equal_nan=True)``, answered from the bytes when they agree
    (the usual case: same dtype, shape and bits)."""
    if (
        isinstance(second, np.ndarray)
        and first.dtype == second.dtype
        and first.shape == second.shape
        and first.tobytes() == second.tobytes()
    ):
        return True
    return bool(np.array_equal(first, second, equal_nan=True))


def repeat_problems(name: str, first: np.ndarray, second: np.ndarray) -> list[str]:
    """Two calls on the same inputs must return the same numbers (bit for bit)."""
    first, second = np.asarray(first), np.asarray(second)
    if first.shape == second.shape and same_values(first, second):
        return []
    return [f"{name}: a repeated call on the same inputs returned different values"]


def unmodified_problems(before: Mapping[str, object], after: Mapping[str, object]) -> list[str]:
    """Every input array must be unchanged by the call (``before`` holds copies)."""
    problems = []
    for name, old in before.items():
        new = after[name]
        olds = old if isinstance(old, list) else [old]
        news = new if isinstance(new, list) else [new]
        for position, (o, n) in enumerate(zip(olds, news, strict=True)):
            if isinstance(o, np.ndarray) and not same_values(o, n):
                where = f"{name}[{position}]" if isinstance(old, list) else name
                problems.append(f"input {where} was modified in place")
    return problems
