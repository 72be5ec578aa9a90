"""The complex-step derivative: ∂f/∂xⱼ = Im f(x + i·h·eⱼ) / h, exact to machine precision.

For f analytic and real on real input, f(x + ih) = f(x) + ih f′(x) − h² f″(x)/2 − i h³ f‴(x)/6 + …,
so Im f(x + ih)/h = f′(x) − h² f‴(x)/6: no subtraction, hence no cancellation, and with h = 1e−30
the truncation term is far below the rounding of f′ itself. It therefore proves a gradient to
≈ ε·(condition of f′), where central differences reach only ≈ ε^(2/3).

It applies only where f is complex-analytic. max and relu are not (they compare numbers, and NumPy
orders complex numbers lexicographically, so ``max`` would quietly return a wrong value): the
objectives raise :class:`~verify.objectives.NotAnalyticError` for them, and :func:`complex_step`
turns that into a :class:`ComplexStepRefused` that names the reason.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .finite_diff import CoordinateFunction, along_coordinates
from .objectives import NotAnalyticError

COMPLEX_STEP = 1e-30


class ComplexStepRefused(TypeError):
    """The function is not complex-analytic (or does not accept complex input)."""


def complex_step(
    f: Callable[[np.ndarray], np.ndarray],
    x: np.ndarray,
    h: float = COMPLEX_STEP,
    index=None,
    *,
    along: CoordinateFunction | None = None,
) -> np.ndarray:
    """Im f(x + i·h·eⱼ) / h for every j of the flat vector x (or only ``index``).

    ``f`` is batched: an array (P, n) of complex points → P complex values. ``along`` is f's
    coordinate form at x when the caller has one cheaper than building every row in full.
    Raises :class:`ComplexStepRefused` when f is not analytic or drops the imaginary part.
    """
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    idx = np.arange(x.size) if index is None else np.atleast_1d(np.asarray(index))
    if idx.size == 0:
        return np.empty(0)
    try:
        along = along_coordinates(f, x) if along is None else along
        values = np.asarray(along(idx, np.full(idx.size, 1j * h)))
    except NotAnalyticError as error:
        raise ComplexStepRefused(str(error)) from error
    if not np.iscomplexobj(values):
        raise ComplexStepRefused(
            "the function returned real values for complex input: it does not propagate "
            "the imaginary part, so the complex step cannot be taken through it"
        )
    return values.imag / h
