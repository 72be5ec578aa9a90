"""The mutant catalogue: at least 20 labelled student mistakes (each topic's are rejected by the
oracle in tests/verify/cases/)."""

from __future__ import annotations

import inspect

import pytest

import cnnref
from verify import mutants


def test_catalogue_is_large_labelled_and_well_formed():
    assert len(mutants.MUTANTS) >= 20
    names = [m.name for m in mutants.MUTANTS]
    assert len(set(names)) == len(names)
    for mutant in mutants.MUTANTS:
        assert mutant.label and mutant.target in cnnref.__all__
        # The contract is the positional signature; keyword-only speed options are not part of it.
        expected = _contract_parameters(getattr(cnnref, mutant.target))
        assert _contract_parameters(mutant.function) == expected, mutant.name


def _contract_parameters(function) -> list[str]:
    return [
        p.name
        for p in inspect.signature(function).parameters.values()
        if p.kind is not inspect.Parameter.KEYWORD_ONLY
    ]


def test_catalogue_covers_the_issue_list():
    labels = " | ".join(m.label for m in mutants.MUTANTS)
    for phrase in [
        "Y − T",
        "transposed",
        "wrong axis",
        "dropped",
        "derivative missing",
        "pre-activation",
        "mean instead of sum",
        "not flipped",
        "flipped twice",
        "padding off by one",
        "stride",
        "every element",
        "tied maxima",
        "max subtraction",
        "diagonal",
        "float32 downcast",
        "in place",
        "32 × 32",
    ]:
        assert phrase in labels, phrase


def test_by_name():
    assert mutants.by_name("output_delta_sign").target == "output_delta"
    with pytest.raises(ValueError, match="no mutant"):
        mutants.by_name("nothing")
