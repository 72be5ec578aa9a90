"""The seed assignment's cases: reproducible, varied, and consistent with finite differences."""

from __future__ import annotations

import pytest

import cnnref
from verify.grade.assignments.seed import ASSIGNMENT

from ._cases import check_task_cases


@pytest.mark.parametrize("task", ASSIGNMENT.tasks, ids=lambda t: t.function)
def test_every_case_is_sound(task) -> None:
    check_task_cases(ASSIGNMENT, task)


def test_every_task_is_a_function_of_cnnrefs_api() -> None:
    for task in ASSIGNMENT.tasks:
        assert task.function in cnnref.__all__
    assert ASSIGNMENT.max_score == 91.0
