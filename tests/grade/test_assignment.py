"""The assignment model: per-student seeds, per-task generators, forward/backward calls."""

from __future__ import annotations

import numpy as np

from verify.grade.assignment import (
    Assignment,
    Call,
    Case,
    Ref,
    Task,
    forward_backward,
    student_seed,
    task_rng,
)


def _cases(rng: np.random.Generator) -> list[Case]:
    x = rng.standard_normal(3)
    return [Case("one", (Call("f", (x,)),), x, 2.0, 1), Case("two", (Call("f", (x,)),), x, 0.5, 1)]


TASK = Task("f", "f(x) -> x", "forward", _cases)


def test_seeds_differ_between_students_and_repeat_for_the_same_student() -> None:
    assert student_seed(1, "ada") == student_seed(1, "ada")
    assert student_seed(1, "ada") != student_seed(1, "bob")
    assert student_seed(1, "ada") != student_seed(2, "ada")


def test_each_task_draws_from_its_own_reproducible_generator() -> None:
    other = Task("g", "g(x)", "forward", _cases)
    first = task_rng(5, TASK).standard_normal(4)
    np.testing.assert_array_equal(first, task_rng(5, TASK).standard_normal(4))
    assert not np.array_equal(first, task_rng(5, other).standard_normal(4))


def test_the_maximum_score_sums_every_cases_points() -> None:
    assert Assignment("a", "", 0, (TASK, TASK)).max_score == 5.0


def test_a_layer_backward_takes_the_cache_its_forward_kept() -> None:
    forward, backward = forward_backward("f_forward", (1,), "f_backward", np.ones(2))
    assert forward == Call("f_forward", (1,), 0)
    assert backward.function == "f_backward" and backward.args[1] == Ref(0, 1)
