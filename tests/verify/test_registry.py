"""The assembled registry: every cnnref export has an entry, and the cases as a whole are well made.

That every case passes on the reference is checked per topic, in tests/verify/cases/.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import cnnref
from verify import compare, naive, registry

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
    formulas = {name for name in registry.REGISTRY if "." not in name}
    assert formulas <= exported


def test_every_path_training_takes_has_an_entry_and_a_naive_twin():
    """The layers and the seed step call these instead of the formulas (cnnref/nn): each gets
    registry cases, resolved on cnnref's modules and checked against a naive composition."""
    from verify.oracle import cnnref_function, naive_function

    paths = {
        "conv.conv2d_activation",
        "conv.conv2d_parameter_gradients",
        "linear.dense_activation",
        "linear.dense_parameter_gradients",
        "activations.times_activation_derivative",
        "pool.maxpool2d_with_winners",
        "pool.maxpool2d_backward_to_winners",
        "pool.activation_delta_through_maxpool",
    }
    # A formula's own code paths (its SIMD kernels, the direct loops): their twin is the formula.
    formulas = {
        "conv.conv2d_backward": "conv2d_backward",
        "conv.conv2d_direct": "conv2d",
        "conv.conv2d_backward_direct": "conv2d_backward",
    }
    assert {name for name in registry.REGISTRY if "." in name} == paths | set(formulas)
    for name in paths | set(formulas):
        module, function = name.split(".")
        assert cnnref_function(name) is getattr(getattr(cnnref, module), function)
    for name in paths:
        assert naive_function(name).__module__ == "verify.naive.training_paths"
    for name, formula in formulas.items():
        assert naive_function(name) is getattr(naive, formula)


def test_the_seed_step_calls_only_formulas_and_paths_with_registry_entries():
    import cnnref.nn.seed_step as seed_step

    called = {
        f"{value.__module__.split('.')[-1]}.{name}"
        for name, value in vars(seed_step).items()
        if callable(value)
        and getattr(value, "__module__", "").startswith("cnnref.")
        and value.__module__.split(".")[-1] in ("conv", "pool", "linear", "activations")
    }
    entries = set(registry.REGISTRY)
    assert called
    for name in called:
        assert name in entries or name.split(".")[-1] in entries, name


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
