"""A gradient case's variables as one flat float64 vector x, and its scalar function and kink
pattern at batches of points around x.

The numerical oracles (:mod:`verify.finite_diff`, :mod:`verify.complex_step`) differentiate one
batched function of a flat vector; a case holds named arrays (``w1``, ``b1``, …). :class:`Packing`
maps between the two: variable k is the block ``x[offsets[k] : offsets[k + 1]]``.

:class:`FlatFunction` evaluates the case's objective f and kink pattern at rows of points in two
ways, with the same values:

- :meth:`FlatFunction.at`: arbitrary rows (P, n), every variable with a leading batch axis — the
  directional screen and the Taylor test, whose rows move every coordinate.
- :meth:`FlatFunction.along`: rows x + δᵣ·e_{jᵣ} that each move one coordinate jᵣ — the
  per-element methods. Rows are grouped by the variable they move; only that variable carries the
  batch axis and the others enter once, unbatched, and broadcast (the objectives of
  :mod:`verify.objectives` accept leading axes on any argument). A convolution's filter rows thus
  cost one patch matrix instead of one per row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

import numpy as np

from . import kinks

#: Rows per call of the objective (bounds the memory of one batched evaluation).
CHUNK = 256

Objective = Callable[[Mapping[str, np.ndarray]], np.ndarray]
Pattern = Callable[[Mapping[str, np.ndarray]], list[np.ndarray]]


class Packing:
    """Named arrays ⇄ one flat float64 vector (optionally with leading batch axes)."""

    def __init__(self, arrays: Mapping[str, np.ndarray]) -> None:
        self.names = list(arrays)
        self.shapes = [np.shape(arrays[name]) for name in self.names]
        sizes = [int(np.prod(shape, dtype=np.int64)) for shape in self.shapes]
        self.offsets = np.concatenate([[0], np.cumsum(sizes, dtype=np.int64)]).astype(int)
        self.size = int(self.offsets[-1])

    def flatten(self, arrays: Mapping[str, np.ndarray]) -> np.ndarray:
        """The arrays' values, in ``names`` order, as one float64 vector."""
        if not self.names:
            return np.zeros(0)
        return np.concatenate([np.asarray(arrays[n], np.float64).reshape(-1) for n in self.names])

    def unflatten(self, flat: np.ndarray) -> dict[str, np.ndarray]:
        """Views of ``flat`` (…, n) as the named arrays (…, *shape)."""
        lead = flat.shape[:-1]
        return {
            name: flat[..., self.offsets[k] : self.offsets[k + 1]].reshape(*lead, *shape)
            for k, (name, shape) in enumerate(zip(self.names, self.shapes, strict=True))
        }

    def block_of(self, flat_index: np.ndarray) -> np.ndarray:
        """The number k of the variable that holds each flat index."""
        return np.searchsorted(self.offsets, flat_index, side="right") - 1

    def locate(self, flat_index: int) -> tuple[str, tuple[int, ...]]:
        """(variable name, index inside it) of one flat index."""
        k = int(self.block_of(flat_index))
        local = np.unravel_index(flat_index - self.offsets[k], self.shapes[k])
        return self.names[k], tuple(int(v) for v in local)


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

    # ------------------------------------------------------------- rows moving every coordinate

    def at(self, points: np.ndarray) -> np.ndarray:
        """f at each row of ``points`` (P, n)."""
        values = []
        for start in range(0, len(points), CHUNK):
            rows = points[start : start + CHUNK]
            values.append(self._call(self.packing.unflatten(rows), len(rows)))
        return np.concatenate(values) if values else np.empty(0)

    def crossed(self, points: np.ndarray) -> np.ndarray:
        """For each row of ``points``: does the kink pattern there differ from the one at x?"""
        if self.pattern is None:
            return np.zeros(len(points), dtype=bool)
        return kinks.pattern_changed(
            self.base_pattern(), self.pattern(self.packing.unflatten(points)), len(points)
        )

    # ------------------------------------------------------------- rows moving one coordinate

    def along(self, index: np.ndarray, delta: np.ndarray) -> np.ndarray:
        """f(x + δᵣ·e_{jᵣ}) for each row r, j = ``index``, δ = ``delta`` (real or complex)."""
        out: np.ndarray | None = None
        for rows, params in self._moved(index, delta):
            values = self._call(params, rows.size)
            if out is None:
                out = np.empty(index.size, dtype=values.dtype)
            out[rows] = values
        return np.empty(0) if out is None else out

    def crossed_along(self, index: np.ndarray, delta: np.ndarray) -> np.ndarray:
        """For each row x + δᵣ·e_{jᵣ}: does the kink pattern there differ from the one at x?"""
        changed = np.zeros(index.size, dtype=bool)
        if self.pattern is None:
            return changed
        for rows, params in self._moved(index, delta):
            changed[rows] = kinks.pattern_changed(
                self.base_pattern(), self.pattern(params), rows.size
            )
        return changed

    # ------------------------------------------------------------- shared

    def base_pattern(self) -> list[np.ndarray]:
        """The kink pattern at x (computed once)."""
        if self._base_pattern is None:
            self._base_pattern = self.pattern(self.base)
        return self._base_pattern

    def _moved(
        self, index: np.ndarray, delta: np.ndarray
    ) -> Iterator[tuple[np.ndarray, dict[str, np.ndarray]]]:
        """(rows, parameters) per variable and CHUNK rows: the moved variable batched, the others
        as at x."""
        index = np.asarray(index, dtype=np.intp).reshape(-1)
        delta = np.broadcast_to(delta, index.shape)
        blocks = self.packing.block_of(index)
        for k in np.unique(blocks):
            name, shape = self.packing.names[k], self.packing.shapes[k]
            lo, hi = self.packing.offsets[k], self.packing.offsets[k + 1]
            selected = np.flatnonzero(blocks == k)
            for start in range(0, selected.size, CHUNK):
                rows = selected[start : start + CHUNK]
                moved = np.empty((rows.size, hi - lo), dtype=np.result_type(self.x, delta))
                moved[:] = self.x[lo:hi]
                moved[np.arange(rows.size), index[rows] - lo] += delta[rows]
                yield rows, {**self.base, name: moved.reshape(rows.size, *shape)}

    def _call(self, params: Mapping[str, np.ndarray], rows: int) -> np.ndarray:
        values = np.asarray(self.objective(params))
        if values.shape != (rows,):
            raise ValueError(f"the objective must return one value per row: got {values.shape}")
        return values
