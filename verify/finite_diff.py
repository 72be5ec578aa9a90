"""Finite differences in float64, whatever the dtype of the code under test.

All functions take a *batched* scalar function ``f``: given an array of shape (P, n) — P points of
an n-vector — it returns the P values. One call evaluates every perturbation of a chunk, so the
per-element differences of a few hundred unknowns cost a handful of vectorized calls.

- :func:`central_differences`: ∂f/∂xⱼ ≈ (f(x + hⱼeⱼ) − f(x − hⱼeⱼ)) / 2hⱼ for every j, with the
  one-sided quotients kept for kink detection. Truncation error ``hⱼ²|f‴|/6``, rounding ≈
  ``ε|f|/hⱼ``; the step ``hⱼ = ε^(1/3)·max(|xⱼ|, 1)`` balances the two (each ≈ ε^(2/3) ≈ 4e−11
  relative).
- :func:`directional_derivative`: ⟨∇f, u⟩ ≈ (f(x + hu) − f(x − hu)) / 2h along a unit vector u — the
  one-evaluation-pair screen of PyTorch's fast gradcheck and Chainer's check_backward.
- :func:`taylor_remainder`: ``R(h) = |f(x + hu) − f(x) − h⟨g, u⟩|`` over halving steps. R shrinks
  as h² for the right g (observed order ≈ 2) and only as h for a wrong one (order ≈ 1).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

BatchedFunction = Callable[[np.ndarray], np.ndarray]
# g(j, δ) = f(x + δᵣ·e_{jᵣ}) for each row r: f at a fixed x moved along one coordinate per row.
CoordinateFunction = Callable[[np.ndarray, np.ndarray], np.ndarray]

EPS64 = float(np.finfo(np.float64).eps)
STEP_FACTOR = EPS64 ** (1.0 / 3.0)
CHUNK = 256


def element_steps(x: np.ndarray) -> np.ndarray:
    """``hⱼ = ε^(1/3) · max(|xⱼ|, 1)``, rounded so that x ± hⱼ is exactly representable."""
    x = np.asarray(x, dtype=np.float64)
    h = STEP_FACTOR * np.maximum(np.abs(x), 1.0)
    return (x + h) - x


def _evaluate(f: BatchedFunction, points: np.ndarray) -> np.ndarray:
    """f over the rows of ``points``, CHUNK rows per call."""
    values = [np.asarray(f(points[i : i + CHUNK])) for i in range(0, len(points), CHUNK)]
    out = np.concatenate(values) if values else np.empty(0)
    if out.shape != (len(points),):
        raise ValueError(f"f must return one value per row: got shape {out.shape}")
    return out


def along_coordinates(f: BatchedFunction, x: np.ndarray) -> CoordinateFunction:
    """The coordinate form of f at x: ``g(j, δ)ᵣ = f(x + δᵣ·e_{jᵣ})``, one moved coordinate per
    row (δ real or complex), each row built in full and evaluated CHUNK rows per call."""
    x = np.asarray(x, dtype=np.float64).reshape(-1)

    def along(index: np.ndarray, delta: np.ndarray) -> np.ndarray:
        index = np.asarray(index, dtype=np.intp).reshape(-1)
        delta = np.asarray(delta)
        if delta.shape != index.shape:
            delta = np.broadcast_to(delta, index.shape)
        values = []
        for start in range(0, index.size, CHUNK):
            rows = coordinate_rows(x, index[start : start + CHUNK], delta[start : start + CHUNK])
            values.append(np.asarray(f(rows)))
        out = values[0] if len(values) == 1 else np.concatenate(values) if values else np.empty(0)
        if out.shape != index.shape:
            raise ValueError(f"f must return one value per row: got shape {out.shape}")
        return out

    return along


def coordinate_rows(x: np.ndarray, index: np.ndarray, delta: np.ndarray) -> np.ndarray:
    """The points x + δᵣ·e_{jᵣ}, one row each (j = ``index``; complex rows for complex δ)."""
    rows = np.empty((index.size, x.size), dtype=np.result_type(x, delta))
    rows[...] = x
    rows[np.arange(index.size), index] += delta
    return rows


def element_rows(x: np.ndarray, steps: np.ndarray, index: np.ndarray) -> np.ndarray:
    """The rows of :func:`central_differences`: x + hⱼeⱼ for each j of ``index``, then x − hⱼeⱼ."""
    return coordinate_rows(x, np.concatenate([index, index]), np.concatenate([steps, -steps]))


@dataclass(frozen=True)
class ElementDifferences:
    """Per-element difference quotients of f at x (all shaped like the flat x): from the values
    f(x + hⱼeⱼ) (``plus``), f(x − hⱼeⱼ) (``minus``) and f(x) (``value``) at the steps hⱼ."""

    central: np.ndarray
    plus: np.ndarray
    minus: np.ndarray
    steps: np.ndarray
    value: float

    @property
    def forward(self) -> np.ndarray:
        """(f(x + hⱼeⱼ) − f(x)) / hⱼ."""
        return (self.plus - self.value) / self.steps

    @property
    def backward(self) -> np.ndarray:
        """(f(x) − f(x − hⱼeⱼ)) / hⱼ."""
        return (self.value - self.minus) / self.steps


def central_differences(
    f: BatchedFunction,
    x: np.ndarray,
    steps: np.ndarray | None = None,
    index=None,
    *,
    value: float | None = None,
    along: CoordinateFunction | None = None,
) -> ElementDifferences:
    """(f(x + hⱼeⱼ) − f(x − hⱼeⱼ)) / 2hⱼ for every j of the flat x (or only ``index``).

    Also gives the forward (f(x + hⱼeⱼ) − f(x))/hⱼ and backward (f(x) − f(x − hⱼeⱼ))/hⱼ quotients.
    ``value`` is f(x) when the caller has it already; ``along`` is f's coordinate form at x when
    the caller has one cheaper than :func:`along_coordinates` (which builds every row in full).
    """
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    if index is None:
        idx = np.arange(x.size)
        h = element_steps(x) if steps is None else np.broadcast_to(steps, idx.shape).copy()
    else:
        idx = np.atleast_1d(np.asarray(index))
        h = element_steps(x)[idx] if steps is None else np.broadcast_to(steps, idx.shape).copy()
    along = along_coordinates(f, x) if along is None else along
    values = along(np.concatenate([idx, idx]), np.concatenate([h, -h]))
    f0 = float(_evaluate(f, x[None, :])[0]) if value is None else float(value)
    return differences_from_values(values, h, f0)


def differences_from_values(
    values: np.ndarray, steps: np.ndarray, value: float
) -> ElementDifferences:
    """The :class:`ElementDifferences` from f at the :func:`element_rows` (``values``: the 2k
    values at x + hⱼeⱼ, then at x − hⱼeⱼ) and f(x) = ``value``."""
    f_plus, f_minus = values[: steps.size], values[steps.size :]
    return ElementDifferences((f_plus - f_minus) / (2.0 * steps), f_plus, f_minus, steps, value)


def random_direction(rng: np.random.Generator, size: int) -> np.ndarray:
    """A random unit vector u ∈ ℝⁿ (uniform on the sphere), never all-equal components."""
    u = rng.standard_normal(size)
    return u / math.sqrt(float(u @ u))


def directional_step(x: np.ndarray) -> float:
    """h = ε^(1/3) · max(‖x‖∞, 1): no component of x moves by more than its own element step."""
    return STEP_FACTOR * max(float(np.max(np.abs(x), initial=0.0)), 1.0)


def directional_derivative(
    f: BatchedFunction, x: np.ndarray, u: np.ndarray, h: float | None = None
) -> float:
    """(f(x + hu) − f(x − hu)) / 2h ≈ ⟨∇f(x), u⟩."""
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    h = directional_step(x) if h is None else h
    return _directional_quotient(_evaluate(f, _directional_points(x, u, h)), h)


def _directional_points(x: np.ndarray, u: np.ndarray, h: float) -> np.ndarray:
    return np.stack([x + h * u, x - h * u])


def _directional_quotient(values: np.ndarray, h: float) -> float:
    return float((values[0] - values[1]) / (2.0 * h))


@dataclass(frozen=True)
class TaylorRemainder:
    """Remainders ``R(hₖ) = |f(x + hₖu) − f(x) − hₖ⟨g, u⟩|``, hₖ = h₀/2ᵏ, and their observed orders.

    ``orders[k] = log₂(R(hₖ) / R(hₖ₊₁))``: ≈ 2 when g is the gradient, ≈ 1 when it is not.
    ``slope_error`` = (4R(h/2) − R(h)) / h with signed remainders at the two smallest steps: the
    Richardson estimate of ⟨∇f − g, u⟩, which cancels the h² term of a right gradient.
    """

    steps: np.ndarray
    remainders: np.ndarray
    slope_error: float

    @property
    def orders(self) -> np.ndarray:
        """log₂(R(hₖ) / R(hₖ₊₁)) for k = 0 … halvings − 1."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log2(self.remainders[:-1] / self.remainders[1:])


def taylor_steps(x: np.ndarray, h0: float | None = None, halvings: int = 3) -> np.ndarray:
    """hₖ = h₀/2ᵏ for k = 0 … halvings, h₀ = 1e−3 · max(‖x‖∞, 1) unless given."""
    h0 = 1e-3 * max(float(np.max(np.abs(x), initial=0.0)), 1.0) if h0 is None else h0
    return h0 / 2.0 ** np.arange(halvings + 1)


def taylor_points(x: np.ndarray, u: np.ndarray, steps: np.ndarray) -> np.ndarray:
    """The rows x + hₖu of the Taylor test, one per step."""
    return x[None, :] + steps[:, None] * u


def _taylor_from_values(
    values: np.ndarray, value: float, slope: float, steps: np.ndarray
) -> TaylorRemainder:
    signed = values - value - steps * slope
    slope_error = float((4.0 * signed[-1] - signed[-2]) / steps[-2])
    return TaylorRemainder(steps, np.abs(signed), slope_error)


def taylor_remainder(
    f: BatchedFunction,
    x: np.ndarray,
    g: np.ndarray,
    u: np.ndarray,
    h0: float | None = None,
    halvings: int = 3,
) -> TaylorRemainder:
    """Run the Taylor-remainder test of the claimed gradient g along the unit direction u."""
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    return directional_screen(f, x, g, u, directional_step(x), taylor_steps(x, h0, halvings)).taylor


@dataclass(frozen=True)
class Screen:
    """The directional derivative along u and, when asked for, the Taylor test along the same u."""

    derivative: float
    taylor: TaylorRemainder | None


def directional_screen(
    f: BatchedFunction,
    x: np.ndarray,
    g: np.ndarray,
    u: np.ndarray,
    h: float,
    steps: np.ndarray | None = None,
    value: float | None = None,
) -> Screen:
    """:func:`directional_derivative` at step h and, given its ``steps``, the Taylor test of g
    (:func:`taylor_remainder`), from one batched call of f; ``value`` is f(x) if already known."""
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    rows = screen_rows(x, u, h, steps)
    if value is None and steps is not None:
        values = _evaluate(f, np.concatenate([rows, x[None, :]]))
        return screen_from_values(values[:-1], g, u, h, steps, float(values[-1]))
    return screen_from_values(_evaluate(f, rows), g, u, h, steps, value)


def screen_rows(x: np.ndarray, u: np.ndarray, h: float, steps: np.ndarray | None) -> np.ndarray:
    """The rows of :func:`directional_screen`: x + hu, x − hu, then x + hₖu for each Taylor step."""
    rows = _directional_points(x, u, h)
    return rows if steps is None else np.concatenate([rows, taylor_points(x, u, steps)])


def screen_from_values(
    values: np.ndarray,
    g: np.ndarray,
    u: np.ndarray,
    h: float,
    steps: np.ndarray | None,
    value: float | None,
) -> Screen:
    """The :class:`Screen` from f at the :func:`screen_rows` and f(x) = ``value``."""
    derivative = _directional_quotient(values[:2], h)
    if steps is None:
        return Screen(derivative, None)
    slope = float(np.dot(np.asarray(g, dtype=np.float64).reshape(-1), u))
    return Screen(derivative, _taylor_from_values(values[2:], value, slope, steps))
