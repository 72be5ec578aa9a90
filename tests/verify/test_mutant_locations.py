"""The oracle names *where* a mutant is wrong: for every mutant of the catalogue that returns
wrong values, the gradient and index its report names hold a wrong element (the mutant's value
there differs from the naive twin's by more than the tolerance). Mutants wrong only under one
structural setting are caught there and nowhere else."""

from __future__ import annotations

import numpy as np
import pytest

from verify import compare, mutants, oracle, registry


def _runs(mutant):
    cases = list(registry.cases(0, [mutant.target]))
    results = [oracle.run_case(case, mutant.function) for case in cases]
    return cases, results


def _value_failures(cases, results):
    """(case, the failing naive comparison) of every case whose naive comparison failed."""
    return [
        (case, result.comparisons["naive"])
        for case, result in zip(cases, results, strict=True)
        if "naive" in result.comparisons and not result.comparisons["naive"].passed
    ]


@pytest.mark.parametrize("mutant", mutants.MUTANTS, ids=[m.name for m in mutants.MUTANTS])
def test_the_named_index_holds_a_wrong_element(mutant):
    cases, results = _runs(mutant)
    failures = _value_failures(cases, results)
    if not failures:  # caught by a structural check only (in-place edit, overflow, shape)
        assert any(r.problems for r in results), mutant.name
        return
    for case, comparison in failures:
        got = case.outputs(case.call(mutant.function))[comparison.gradient]
        naive = oracle.naive_module()
        want = case.outputs(getattr(naive, case.target)(*case.args.values(), **case.kwargs))
        want = np.asarray(want[comparison.gradient], dtype=np.float64)
        index = comparison.index
        assert index or want.ndim == 0, f"{mutant.name}: no index named in {case.name}"
        difference = abs(float(np.asarray(got, dtype=np.float64)[index]) - float(want[index]))
        scale = max(abs(float(want[index])), compare.FLOOR_FRACTION * float(np.abs(want).max()))
        assert difference > compare.tolerance("naive", case.dtype) * scale, (
            f"{mutant.name}: {case.name} names {comparison.gradient}{list(index)}, which is right"
        )
        if want.ndim:
            assert f"{comparison.gradient}{list(index)}" in results[cases.index(case)].report


def test_one_wrong_element_is_located_exactly():
    cases, results = _runs(mutants.by_name("bias_gradient_last_missing"))
    for case, comparison in _value_failures(cases, results):
        last = case.args["delta"].shape[1] - 1
        assert (comparison.gradient, comparison.index) == ("b", (last,))


@pytest.mark.parametrize(
    ("name", "setting", "caught_only_when"),
    [
        ("conv2d_backward_dw_unit_stride", "stride", "stride 2"),
        ("maxpool2d_backward_ties_to_all", "ties", "ties exact"),
        ("activation_derivative_tanh_unsquared", "activation", "tanh"),
    ],
)
def test_a_mutant_wrong_under_one_setting_is_caught_under_it_only(name, setting, caught_only_when):
    cases, results = _runs(mutants.by_name(name))
    caught = {
        case.settings.get(setting) for case, r in zip(cases, results, strict=True) if not r.passed
    }
    passed = {
        case.settings.get(setting) for case, r in zip(cases, results, strict=True) if r.passed
    }
    assert caught == {caught_only_when}
    assert passed - {caught_only_when}, "the other settings must pass"
