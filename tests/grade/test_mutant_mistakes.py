"""The oracle's mutants as known mistakes, with a stand-in catalogue for verify.mutants."""

from __future__ import annotations

import sys
import types
from dataclasses import dataclass

import numpy as np
import pytest

from verify.grade.mutant_mistakes import mutant_mistakes


@dataclass(frozen=True)
class FakeMutant:
    name: str
    label: str
    target: str
    function: object


def _broken(*args):
    raise ValueError("cannot run here")


@pytest.fixture
def catalogue(monkeypatch) -> None:
    module = types.ModuleType("verify.mutants")
    module.MUTANTS = [
        FakeMutant(
            "c_mean", "mean instead of sum over the batch", "grad_c", lambda t, y: (t - y).mean(0)
        ),
        FakeMutant("c_broken", "never", "grad_c", _broken),
        FakeMutant("v_t", "transposed gradient", "grad_V", lambda z, t, y: (t - y).T @ z),
    ]
    monkeypatch.setitem(sys.modules, "verify.mutants", module)


def test_every_runnable_mutant_of_the_function_is_a_known_mistake(catalogue) -> None:
    t, y = np.eye(2), np.full((2, 2), 0.5)
    found = mutant_mistakes("grad_c", (t, y))
    assert list(found) == ["mean instead of sum over the batch"]
    np.testing.assert_allclose(found["mean instead of sum over the batch"], [0.0, 0.0])
    assert mutant_mistakes("softmax", (t,)) == {}


def test_the_seed_assignment_names_a_mutants_mistake(catalogue) -> None:
    from verify.grade.assignments.seed import ASSIGNMENT

    task = next(t for t in ASSIGNMENT.tasks if t.function == "grad_V")
    case = task.cases(np.random.default_rng(1))[0]
    assert "transposed gradient" in case.mistakes


def test_without_the_catalogue_there_are_none(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "verify.mutants", None)
    assert mutant_mistakes("grad_c", (np.eye(2), np.eye(2))) == {}
