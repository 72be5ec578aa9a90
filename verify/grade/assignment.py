"""The assignment API: tasks (functions the student writes), their cases, and the contract.

An assignment module defines ``ASSIGNMENT = Assignment(...)``. Each :class:`Task` turns a NumPy
random generator into :class:`Case` objects. The *structure* of the cases (shapes, strides, pads,
window sizes) is fixed by the assignment and the same for every student; only the values are drawn
from the generator, which is seeded per student. A case says which calls to make in the student's
process, what the reference returns, which structural properties it has (for the diagnosis from
the pattern of failing cases), how to check gradients by finite differences of the reference
forward, and what known mistakes would return.

This module is the whole interface between an assignment and the grader: assignments import
nothing from the sandbox, the grading loop or the reports.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from . import mistakes


@dataclass(frozen=True)
class Ref:
    """An argument that is the kept result of an earlier call of the same case (e.g. a forward's
    cache): call number ``call``, and ``item`` of it when not None."""

    call: int
    item: int | None = None


@dataclass(frozen=True)
class Call:
    """One call of a student function; ``args`` may hold arrays, scalars, lists, dicts and Refs.
    ``select`` keeps only that item of the result for the reply (e.g. 0 for ``out`` of
    ``(out, cache)``)."""

    function: str
    args: tuple
    select: int | None = None


@dataclass(frozen=True)
class Directional:
    """A scalar function L of one input and the point p where a returned gradient ∇L(p) is checked
    against the central difference of L along a random direction (reported for wrong gradients)."""

    function: Callable[[np.ndarray], float]
    point: np.ndarray


@dataclass(frozen=True)
class Case:
    """One graded case: the last call's result is compared with ``expected``.

    ``expected`` is an array, a float, or a tuple/list of them; ``outputs`` names the items of a
    tuple result. ``structure`` maps each structural property of the assignment (see
    :data:`verify.grade.evidence.PROPERTIES`) to whether this case has it. ``fallback`` are the
    calls to make instead of ``calls`` when the student's own forward fails: the backward alone,
    with the assignment's canonical cache. ``gradients`` maps an output name to its
    :class:`Directional` check; ``mistakes`` maps a mistake's label to what that mistake would
    return on these inputs; ``batch`` is N.
    """

    label: str
    calls: tuple[Call, ...]
    expected: object
    points: float
    batch: int
    outputs: tuple[str, ...] = ()
    gradients: dict[str, Directional] = field(default_factory=dict)
    mistakes: dict[str, object] = field(default_factory=dict)
    structure: Mapping[str, bool] = field(default_factory=dict)
    fallback: tuple[Call, ...] = ()


@dataclass(frozen=True)
class Task:
    """A function the student writes. ``cases(rng)`` generates the graded cases.

    ``side_effects`` sets what modifying an argument in place costs, as a fraction of the case's
    points, per argument name of ``signature``; arguments not listed cost ``side_effect_default``.
    A cost of 0 is a warning: the report names it and no point is lost.
    """

    function: str
    signature: str
    kind: str  # "forward" or "backward"
    cases: Callable[[np.random.Generator], list[Case]]
    description: str = ""
    side_effects: Mapping[str, float] = field(default_factory=dict)
    side_effect_default: float = 1.0

    def side_effect_cost(self, argument: str) -> float:
        """The fraction of a case's points lost when ``argument`` is modified in place."""
        return float(self.side_effects.get(argument, self.side_effect_default))


def no_contract(task: Task, case: Case) -> list[str]:
    """The contract of an assignment that states none: every case is allowed."""
    return []


@dataclass(frozen=True)
class Assignment:
    """A named list of tasks.

    ``contract(task, case)`` lists the ways a case breaks what the course tells students they may
    assume (a test requires it to be empty for every case); ``contract_text`` states the same
    assumptions in words for the reports and the student guide. ``allowed_modules`` lifts the
    autograd-library ban for some; ``kit`` names the course's own helper modules a submission may
    import (they load as stand-ins, see :mod:`verify.grade.kit`); ``kit_package`` is the package
    relative imports (``from .fast_layers import *``) resolve in. ``negated_label`` is the
    diagnosis of a result equal to −1 × the reference.
    """

    name: str
    description: str
    seed: int
    tasks: tuple[Task, ...]
    allowed_modules: tuple[str, ...] = ()
    negated_label: str = mistakes.NEGATED
    contract: Callable[[Task, Case], list[str]] = no_contract
    contract_text: tuple[str, ...] = ()
    kit: tuple[str, ...] = ()
    kit_package: str = ""

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
