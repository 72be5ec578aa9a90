"""Grading our own test code in the test process, for verdicts over many student ids.

The grader never runs student code in its own process; the corpus and the mutants are the
project's own code, so the tests may. :class:`InProcessBox` answers the sandbox's ``call`` the way
the child does (fresh copies of the arguments, kept results for later Refs, the wire encoding of
results and of the arguments after the call), so :func:`verify.grade.grading.grade_task` grades
exactly as it does through the sandbox, only faster.
"""

from __future__ import annotations

import copy

from verify.grade import wire
from verify.grade.assignment import Assignment, Case, Ref, Task, student_seed, task_rng
from verify.grade.grading import TaskResult, grade_task
from verify.grade.sandbox import Reply


class InProcessBox:
    """The sandbox's call interface over a namespace of functions in this process."""

    def __init__(self, namespace: dict) -> None:
        self.namespace = namespace
        self.kept: dict = {}

    def _argument(self, value):
        if isinstance(value, Ref):
            kept = self.kept[value.call]
            return kept if value.item is None else kept[value.item]
        return copy.deepcopy(value)

    def call(self, function: str, args: list, keep: int, reply: bool = True, select=None) -> Reply:
        target = self.namespace.get(function)
        if not callable(target):
            return Reply(False, error=f"the submission defines no function named {function!r}")
        values = [self._argument(a) for a in args]
        try:
            value = target(*values)
            self.kept[keep] = value
            if select is not None:
                value = value[select]
        except Exception as error:  # the corpus's own exception, as the child reports it
            return Reply(False, error=f"{type(error).__name__}: {error}")
        buffers: list[bytes] = []
        after = [
            None if isinstance(a, Ref) else wire.encode(v, buffers)
            for a, v in zip(args, values, strict=True)
        ]
        tree = wire.encode(value, buffers) if reply else None
        return Reply(True, tree, buffers, after)


_GENERATED: dict[tuple[int, str, int], list[Case]] = {}


def _cases(task: Task, seed: int) -> list[Case]:
    """A task's cases for one seed, generated once for every submission graded with it."""
    key = (id(task), task.function, seed)
    if key not in _GENERATED:
        _GENERATED[key] = task.cases(task_rng(seed, task))
    return _GENERATED[key]


def grade_in_process(
    assignment: Assignment, namespace: dict, student: str, functions: set[str] | None = None
) -> dict[str, TaskResult]:
    """{task: result} for the functions in ``namespace`` as ``student`` (only ``functions``)."""
    seed = student_seed(assignment.seed, student)
    results = {}
    for task in assignment.tasks:
        if functions is None or task.function in functions:
            box = InProcessBox(namespace)
            negated = assignment.negated_label
            results[task.function] = grade_task(box, task, seed, "", negated, _cases(task, seed))
    return results
