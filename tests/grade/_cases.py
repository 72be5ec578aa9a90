"""Properties every shipped assignment's cases must have (used by test_seed and test_cs231n)."""

from __future__ import annotations

import numpy as np

from verify import compare
from verify.grade.assignment import Assignment, Task, task_rng
from verify.grade.checks import directional_error, flatten
from verify.grade.diagnose import matches
from verify.mutants import MUTANTS

FD_TOLERANCE = compare.tolerance("directional", np.float64)


def mutant_labels() -> set[str]:
    """Labels of verify.mutants (some differ from the reference only on inputs with ties)."""
    return {mutant.label for mutant in MUTANTS}


def mutant_label(name: str) -> str:
    """The label of the mutant called ``name``."""
    return next(mutant.label for mutant in MUTANTS if mutant.name == name)


def check_task_cases(assignment: Assignment, task: Task) -> None:
    """Cases are reproducible, keep the assignment's contract, have the same structure (labels and
    shapes) for every student and other values, include batch 1, the reference agrees with finite
    differences of the reference forward, and each of the task's own known mistakes differs from
    the reference in some case."""
    cases = task.cases(task_rng(17, task))
    again = task.cases(task_rng(17, task))
    other = task.cases(task_rng(18, task))
    assert len(cases) >= 2
    assert any(case.batch == 1 for case in cases)
    differing: set[str] = set()
    for case, repeat, different in zip(cases, again, other, strict=True):
        assert assignment.contract(task, case) == [], case.label
        assert case.label == different.label and case.structure == different.structure
        first = flatten(case.expected)
        assert [np.shape(a) for a in first] == [np.shape(a) for a in flatten(different.expected)]
        for a, b in zip(first, flatten(repeat.expected), strict=True):
            np.testing.assert_array_equal(a, b)
        assert not all(
            np.shape(a) == np.shape(b) and np.array_equal(a, b)
            for a, b in zip(first, flatten(different.expected), strict=True)
        )
        assert case.calls[-1].function == task.function
        names = case.outputs or ("result",)
        assert len(names) == len(first) or not case.outputs
        for name, check in case.gradients.items():
            reference = np.asarray(first[names.index(name)])
            rng = np.random.default_rng(0)
            assert directional_error(reference, reference, check, rng) < FD_TOLERANCE, name
        for label, wrong in case.mistakes.items():
            if any(
                w is not None
                and not matches(np.asarray(w, dtype=float), np.asarray(e, dtype=float))
                for w, e in zip(flatten(wrong), first, strict=True)
            ):
                differing.add(label)
    own = {label for case in cases for label in case.mistakes} - mutant_labels()
    assert own <= differing
