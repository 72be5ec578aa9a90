"""Mistakes named from the pattern of failing structural cases; the assignments' cases make every
pattern unambiguous and keep their contract."""

from __future__ import annotations

import numpy as np
import pytest

from verify.grade import evidence
from verify.grade import mistakes as m
from verify.grade.assignment import task_rng
from verify.grade.assignments import load_assignment

ASSIGNMENTS = [load_assignment("cs231n"), load_assignment("seed")]


def test_a_rule_names_a_mistake_only_when_the_failing_cases_are_exactly_its_own() -> None:
    structures = [
        evidence.window_structure(2, 3, (5, 7), (3, 3), 1, 1),
        evidence.window_structure(1, 2, (9, 6), (3, 2), 2, 0),
        evidence.window_structure(2, 2, (4, 4), (3, 3), 1, 1),
    ]
    assert evidence.structural_mistake({1}, structures) == m.PAD_SLICE
    assert evidence.structural_mistake({0, 2}, structures) is None  # no property holds there
    assert evidence.structural_mistake({0, 1}, structures) == m.HW_SWAPPED
    assert evidence.structural_mistake({0, 1, 2}, structures) is None  # everything failed
    assert evidence.structural_mistake(set(), structures) is None


@pytest.mark.parametrize("assignment", ASSIGNMENTS, ids=lambda a: a.name)
def test_no_two_rules_fit_the_same_cases(assignment) -> None:
    for task in assignment.tasks:
        structures = [c.structure for c in task.cases(task_rng(1, task))]
        if not any(structures):
            continue
        seen: dict[frozenset, str] = {}
        for label, properties in evidence.RULES:
            cases = frozenset(evidence.cases_with(structures, properties))
            if cases and len(cases) < len(structures):
                assert seen.setdefault(cases, label) == label, (task.function, label, seen[cases])


@pytest.mark.parametrize("assignment", ASSIGNMENTS, ids=lambda a: a.name)
def test_the_structure_is_the_same_for_every_student(assignment) -> None:
    for task in assignment.tasks:
        first = [(c.label, dict(c.structure)) for c in task.cases(task_rng(1, task))]
        for seed in range(2, 6):
            cases = task.cases(task_rng(seed, task))
            assert [(c.label, dict(c.structure)) for c in cases] == first
            assert all(assignment.contract(task, c) == [] for c in cases)


def test_cs231n_covers_every_structural_class() -> None:
    cs231n = ASSIGNMENTS[0]
    conv = next(t for t in cs231n.tasks if t.function == "conv_backward_naive")
    pool = next(t for t in cs231n.tasks if t.function == "max_pool_backward_naive")
    for task in (conv, pool):
        structures = [c.structure for c in task.cases(np.random.default_rng(0))]
        held = {p for s in structures for p, value in s.items() if value}
        wanted = set(evidence.PROPERTIES) - {evidence.MANY_AXES}
        wanted -= {evidence.PAD_ZERO} if task is pool else set()
        assert held == wanted, task.function


def test_the_student_guide_states_the_cs231n_contract() -> None:
    from .conftest import ROOT

    guide = (ROOT / "docs" / "guides" / "student.md").read_text()
    for line in ASSIGNMENTS[0].contract_text:
        assert line in guide, line
