"""The flat view of a case's variables: packing, locating a flat index, one batch around x."""

from __future__ import annotations

import numpy as np
import pytest

from verify import finite_diff, kinks, registry
from verify.variables import FlatFunction, Packing

ARRAYS = {"w": np.zeros((2, 3)), "b": np.zeros(4), "k": np.zeros((2, 1, 3)), "s": np.zeros(())}


def test_flatten_unflatten_and_locate_agree_with_numpy():
    packing = Packing(ARRAYS)
    assert packing.size == 6 + 4 + 6 + 1 and packing.offsets.tolist() == [0, 6, 10, 16, 17]
    flat = np.arange(packing.size, dtype=np.float64)
    arrays = packing.unflatten(flat)
    assert np.array_equal(packing.flatten(arrays), flat)
    batch = packing.unflatten(np.stack([flat, -flat]))
    assert batch["k"].shape == (2, 2, 1, 3) and np.array_equal(batch["k"][1], -arrays["k"])
    for j in range(packing.size):
        name, index = packing.locate(j)
        assert arrays[name][index] == j


def test_around_evaluates_x_with_the_rows_and_keeps_its_value():
    calls = []

    def objective(p):
        calls.append(p["w"].shape)
        return np.sum(p["w"] ** 2, axis=(-2, -1)) + np.sum(p["b"], axis=-1)

    params = {"w": np.ones((2, 3)), "b": np.arange(4.0)}
    packing = Packing(params)
    flat = FlatFunction(packing, packing.flatten(params), objective, None)
    rows = np.stack([flat.x * 2, flat.x * 0])
    assert np.array_equal(flat.around(rows), [24.0 + 12.0, 0.0])
    assert flat.value() == 12.0 and calls == [(3, 2, 3)]
    assert not flat.crossed(rows).any()


def test_crossings_along_coordinates_use_the_pattern_at_x():
    rng = np.random.default_rng(5)
    case = registry.REGISTRY["maxpool2d_backward"].build(rng, np.float64, 2, None, ties="exact")
    packing = Packing(case.params)
    flat = FlatFunction(packing, packing.flatten(case.params), case.objective, case.pattern)
    base = flat.base_pattern()
    index = np.arange(packing.size)
    up = flat.crossed_along(index, np.full(index.size, 1e-3))
    for j in np.flatnonzero(up)[:3]:
        moved = flat.x.copy()
        moved[j] += 1e-3
        assert kinks.pattern_changed(base, case.pattern(packing.unflatten(moved[None])), 1)[0]
    assert up.any()  # exact ties: raising a tied element moves the window's winner


def _flat_function(case) -> FlatFunction:
    packing = Packing(case.params)
    return FlatFunction(packing, packing.flatten(case.params), case.objective, case.pattern)


@pytest.mark.parametrize("name", [n for n, e in registry.REGISTRY.items() if e.kind == "gradient"])
def test_along_with_only_the_moved_variable_batched_matches_full_rows(name):
    """Every gradient case's objective broadcasts an unbatched variable against a batched one:
    f along coordinates from the moved variable alone equals f at the rows built in full, for
    real steps and (analytic objectives) complex ones."""
    for seed in range(3):
        case = registry.random_case(np.random.default_rng([seed, 7]), name)
        flat = _flat_function(case)
        index = np.random.default_rng(seed).permutation(flat.x.size)
        deltas = [np.full(index.size, 1e-3)]
        if case.analytic:
            deltas.append(np.full(index.size, 1e-3j))
        for delta in deltas:
            full = flat.at(finite_diff.coordinate_rows(flat.x, index, delta))
            np.testing.assert_allclose(flat.along(index, delta), full, rtol=1e-13, atol=1e-13)
