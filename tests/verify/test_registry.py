"""The assembled registry: every cnnref export has an entry, and the cases as a whole are well made.

That every case passes on the reference is checked per topic, in tests/verify/cases/.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import cnnref
from verify import compare, registry

CASES = list(registry.cases(seed=0))


def _functional_exports() -> set[str]:
    """Every exported function of the functional API; layer classes and the network builders
    (cnnref.nn.network), which compose these functions, are not formulas of their own."""
    return {
        name
        for name in cnnref.__all__
        if inspect.isfunction(getattr(cnnref, name))
        and getattr(cnnref, name).__module__ != "cnnref.nn.network"
    }


def test_every_cnnref_export_has_an_entry():
    exported = _functional_exports()
    missing = exported - set(registry.REGISTRY)
    assert not missing, f"cnnref exports without a registry entry: {sorted(missing)}"
    assert set(registry.REGISTRY) <= exported


def test_every_entry_has_float32_and_float64_cases():
    for name, entry in registry.REGISTRY.items():
        dtypes = {np.dtype(s["dtype"]) for s in entry.settings}
        assert dtypes == {np.dtype(np.float32), np.dtype(np.float64)}, name


def test_case_arrays_respect_the_tolerance_derivation_bound():
    # every sum in every formula runs over axes of one argument, so no sum is longer than this
    for case in CASES:
        for value in case.args.values():
            for array in value if isinstance(value, list) else [value]:
                if isinstance(array, np.ndarray):
                    assert array.size <= compare.N_MAX, case.name


def test_upstream_gradients_are_random_and_non_uniform():
    with_upstream = [c for c in CASES if c.upstream is not None]
    assert len(with_upstream) > 20
    for case in with_upstream:
        g = np.asarray(case.args[case.upstream], dtype=np.float64)
        assert np.std(g) > 0.05 * np.max(np.abs(g)), case.name
        assert not np.allclose(g, 1.0)


def test_cases_are_reproducible_and_seeded():
    a = next(registry.cases(seed=5, targets=["dense_backward"]))
    b = next(registry.cases(seed=5, targets=["dense_backward"]))
    c = next(registry.cases(seed=6, targets=["dense_backward"]))
    assert np.array_equal(a.args["x"], b.args["x"])
    assert a.args["x"].shape != c.args["x"].shape or not np.array_equal(a.args["x"], c.args["x"])


def test_unknown_target_is_rejected():
    with pytest.raises(ValueError, match="no registry entry"):
        list(registry.cases(targets=["conv3d"]))
