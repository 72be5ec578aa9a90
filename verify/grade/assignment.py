"""What an assignment is: tasks (functions the student writes), generated cases, references.

An assignment module defines ``ASSIGNMENT = Assignment(...)``. Each :class:`Task` turns a NumPy
random generator into :class:`Case` objects; a case says which calls to make in the student's
process, what the reference returns, how to check gradients by finite differences of the reference
forward, and what known mistakes would return (for the diagnosis).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from . import mistakes
from .sandbox import Ref


@dataclass(frozen=True)
class Call:
    """One call of a student function; ``args`` may hold arrays, scalars, lists, dicts and Refs.
    ``select`` grades only that item of the result (e.g. 0 for ``out`` of ``(out, cache)``)."""

    function: str
    args: tuple
    select: int | None = None


@dataclass(frozen=True)
class Directional:
    """A scalar function L of one input and the point p where a returned gradient ∇L(p) is checked
    against the central difference (L(p + h·u) − L(p − h·u)) / 2h along a random direction u."""

    function: Callable[[np.ndarray], float]
    point: np.ndarray


@dataclass(frozen=True)
class Case:
    """One graded case: the last call's result is compared with ``expected``.

    ``expected`` is an array, a float, or a tuple/list of them; ``outputs`` names the items of a
    tuple result. ``gradients`` maps an output name to its :class:`Directional` check; ``mistakes``
    maps a mistake's label to what that mistake would return on these inputs; ``batch`` is N.
    """

    label: str
    calls: tuple[Call, ...]
    expected: object
    points: float
    batch: int
    outputs: tuple[str, ...] = ()
    gradients: dict[str, Directional] = field(default_factory=dict)
    mistakes: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Task:
    """A function the student writes. ``cases(rng)`` generates the graded cases."""

    function: str
    signature: str
    kind: str  # "forward" or "backward"
    cases: Callable[[np.random.Generator], list[Case]]
    description: str = ""


@dataclass(frozen=True)
class Assignment:
    """A named list of tasks; ``allowed_modules`` lifts the autograd-library ban for some;
    ``negated_label`` is the diagnosis of a result equal to −1 × the reference."""

    name: str
    description: str
    seed: int
    tasks: tuple[Task, ...]
    allowed_modules: tuple[str, ...] = ()
    negated_label: str = mistakes.NEGATED

    @property
    def max_score(self) -> float:
        """Sum of every case's points (cases are generated with a fixed generator to count them)."""
        return sum(sum(c.points for c in t.cases(np.random.default_rng(0))) for t in self.tasks)


def student_seed(assignment_seed: int, student: str) -> int:
    """A 64-bit seed from the assignment's seed and the student's id (sha256; reproducible)."""
    digest = hashlib.sha256(f"{assignment_seed}:{student}".encode()).digest()
    return int.from_bytes(digest[:8], "little")


def task_rng(seed: int, task: Task) -> np.random.Generator:
    """The generator of one task's inputs: independent of the other tasks and of their order."""
    key = int.from_bytes(hashlib.sha256(task.function.encode()).digest()[:4], "little")
    return np.random.default_rng([seed, key])


def forward_backward(
    forward: str, forward_args: tuple, backward: str, upstream: np.ndarray
) -> tuple[Call, Call]:
    """The two calls of a layer API whose backward takes (dout, cache) from its forward."""
    return Call(forward, forward_args, 0), Call(backward, (upstream, Ref(0, 1)))
