"""A gradient case's variables as one flat float64 vector x, and its scalar function and kink
pattern at batches of points around x.

The numerical oracles (:mod:`verify.finite_diff`, :mod:`verify.complex_step`) differentiate one
batched function of a flat vector; a case holds named arrays (``w1``, ``b1``, …). :class:`Packing`
maps between the two: variable k is the block ``x[offsets[k] : offsets[k + 1]]``.
:class:`FlatFunction` is the case's objective f and kink pattern as functions of rows of flat
points, with f(x) and the pattern at x computed once per case.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Callable, Mapping

import numpy as np

from . import finite_diff, kinks

Objective = Callable[[Mapping[str, np.ndarray]], np.ndarray]
Pattern = Callable[[Mapping[str, np.ndarray]], list[np.ndarray]]

# Rows × variables per call of the objective when only the moved variable is batched: half a
# MiB of float64, so that a larger case's intermediates (a convolution's patches, several times
# the rows) stay near one core's L2 cache (1 MiB) instead of overflowing it at CHUNK rows.
ROW_BUDGET = 1 << 16


class Packing:
    """Named arrays ⇄ one flat float64 vector (optionally with leading batch axes)."""

    def __init__(self, arrays: Mapping[str, np.ndarray]) -> None:
        self.names = list(arrays)
        self.shapes = [np.shape(arrays[name]) for name in self.names]
        self.bounds = [0, *itertools.accumulate(math.prod(shape) for shape in self.shapes)]
        self.offsets = np.array(self.bounds)
        self.size = self.bounds[-1]

    def flatten(self, arrays: Mapping[str, np.ndarray]) -> np.ndarray:
        """The arrays' values, in ``names`` order, as one float64 vector."""
        if not self.names:
            return np.zeros(0)
        return np.concatenate([np.asarray(arrays[n], np.float64).reshape(-1) for n in self.names])

    def unflatten(self, flat: np.ndarray) -> dict[str, np.ndarray]:
        """Views of ``flat`` (…, n) as the named arrays (…, *shape)."""
        lead = flat.shape[:-1]
        return {
            name: flat[..., self.offsets[k] : self.offsets[k + 1]].reshape(lead + tuple(shape))
            for k, (name, shape) in enumerate(zip(self.names, self.shapes, strict=True))
        }

    def locate(self, flat_index: int) -> tuple[str, tuple[int, ...]]:
        """(variable name, index inside it) of one flat index."""
        k = bisect.bisect_right(self.bounds, flat_index) - 1
        rest, index = int(flat_index) - self.bounds[k], []
        for length in reversed(self.shapes[k]):
            rest, position = divmod(rest, length)
            index.append(position)
        return self.names[k], tuple(reversed(index))


class FlatFunction:
    """The case's objective f and kink pattern as functions of the flat variables.

    ``x`` is the flat point the oracle differentiates at; ``base`` its named views.
    """

    def __init__(
        self, packing: Packing, x: np.ndarray, objective: Objective, pattern: Pattern | None
    ) -> None:
        self.packing = packing
        self.x = x
        self.base = packing.unflatten(x)
        self.objective = objective
        self.pattern = pattern
        self._base_pattern: list[np.ndarray] | None = None
        self._value: float | None = None

    def value(self) -> float:
        """f(x) (computed once)."""
        if self._value is None:
            self._value = float(self.at(self.x[None, :])[0])
        return self._value

    def around(self, *points: np.ndarray) -> np.ndarray:
        """f at each row of ``points`` (one or more blocks of rows, in order), evaluated in one
        batch with x itself (whose value :meth:`value` then keeps)."""
        values = self.at(np.concatenate([self.x[None, :], *points]))
        self._value = float(values[0])
        return values[1:]

    def at(self, points: np.ndarray) -> np.ndarray:
        """f at each row of ``points`` (P, n)."""
        values = []
        for start in range(0, len(points), finite_diff.CHUNK):
            rows = points[start : start + finite_diff.CHUNK]
            values.append(self._call(self.packing.unflatten(rows), len(rows)))
        return np.concatenate(values) if values else np.empty(0)

    def along(self, index: np.ndarray, delta: np.ndarray) -> np.ndarray:
        """f(x + δᵣ·e_{jᵣ}) for each row r (j = ``index``, δ real or complex): the coordinate form
        of :meth:`at`. Rows that fit in one call (CHUNK of them) are built in full and evaluated in
        that one call; more go through :meth:`along_by_variable`, whose call per moved variable
        costs less than it saves only at that size."""
        index = np.asarray(index, dtype=np.intp).reshape(-1)
        if index.size > finite_diff.CHUNK:
            return self.along_by_variable(index, delta)
        delta = np.broadcast_to(np.asarray(delta), index.shape)
        return self.at(finite_diff.coordinate_rows(self.x, index, delta))

    def along_by_variable(self, index: np.ndarray, delta: np.ndarray) -> np.ndarray:
        """:meth:`along` with only the moved variable batched.

        The rows that move the same variable are evaluated together, CHUNK at a time (fewer when
        they would hold more than ROW_BUDGET numbers of x), with that variable given as
        (rows, *shape) and every other one as its single value at x (the objectives broadcast
        over leading axes), so work that does not depend on the moved variable (a convolution's
        patches when the filters move, say) is done once per chunk instead of once per row.
        """
        index = np.asarray(index, dtype=np.intp).reshape(-1)
        delta = np.broadcast_to(np.asarray(delta), index.shape)
        values = np.empty(index.size, dtype=np.result_type(self.x, delta))
        owner = np.searchsorted(self.packing.offsets, index, side="right") - 1
        chunk = max(1, min(finite_diff.CHUNK, ROW_BUDGET // max(self.x.size, 1)))
        for k in np.unique(owner):
            name, start = self.packing.names[k], self.packing.bounds[k]
            block = self.x[start : self.packing.bounds[k + 1]]
            moving = np.flatnonzero(owner == k)
            for first in range(0, moving.size, chunk):
                rows = moving[first : first + chunk]
                moved = finite_diff.coordinate_rows(block, index[rows] - start, delta[rows])
                params = dict(self.base)
                params[name] = moved.reshape(rows.size, *self.packing.shapes[k])
                values[rows] = self._call(params, rows.size)
        return values

    def crossed(self, points: np.ndarray) -> np.ndarray:
        """For each row of ``points``: does the kink pattern there differ from the one at x?"""
        if self.pattern is None:
            return np.zeros(len(points), dtype=bool)
        return kinks.pattern_changed(
            self.base_pattern(), self.pattern(self.packing.unflatten(points)), len(points)
        )

    def crossed_along(self, index: np.ndarray, delta: np.ndarray) -> np.ndarray:
        """:meth:`crossed` at the rows x + δᵣ·e_{jᵣ}, j = ``index``, δ = ``delta``."""
        return finite_diff.along_coordinates(self.crossed, self.x)(index, delta)

    def base_pattern(self) -> list[np.ndarray]:
        """The kink pattern at x (computed once)."""
        if self._base_pattern is None:
            self._base_pattern = self.pattern(self.base)
        return self._base_pattern

    def _call(self, params: Mapping[str, np.ndarray], rows: int) -> np.ndarray:
        values = np.asarray(self.objective(params))
        if values.shape != (rows,):
            raise ValueError(f"the objective must return one value per row: got {values.shape}")
        return values
