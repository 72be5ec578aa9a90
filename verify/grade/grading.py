"""Grade one submission: scan it, start its sandbox, run every case of every task, check results.

Every case is worth its points when all its outputs pass; a failing call, a timeout, a wrong output
or a modified input costs that case only. After a timeout the task's remaining cases are not run
(each would wait for the timeout again).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

import numpy as np

from . import child
from .assignment import Assignment, Case, Task, student_seed, task_rng
from .checks import OutputCheck, check_output, flatten, rebuild, structure_problem
from .sandbox import AUTOGRAD_LIBRARIES, Limits, Reply, Sandbox, SandboxError
from .scan import forbidden_imports


@dataclass
class CaseResult:
    """One case: its points, and either a failure of the call or the check of every output."""

    label: str
    points: float
    max_points: float
    error: str = ""
    outputs: list[OutputCheck] = field(default_factory=list)


@dataclass
class TaskResult:
    function: str
    signature: str
    kind: str
    cases: list[CaseResult]

    @property
    def score(self) -> float:
        return sum(c.points for c in self.cases)

    @property
    def max_score(self) -> float:
        return sum(c.max_points for c in self.cases)


@dataclass
class SubmissionResult:
    """Everything known about one student's grade; :meth:`to_dict` is the JSON form."""

    student: str
    assignment: str
    seed: int
    tasks: list[TaskResult]
    notes: list[str] = field(default_factory=list)
    output: str = ""
    seconds: float = 0.0

    @property
    def score(self) -> float:
        return sum(t.score for t in self.tasks)

    @property
    def max_score(self) -> float:
        return sum(t.max_score for t in self.tasks)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["score"], data["max_score"] = self.score, self.max_score
        for task, source in zip(data["tasks"], self.tasks, strict=True):
            task["score"], task["max_score"] = source.score, source.max_score
        return data


def _argument_names(signature: str) -> list[str]:
    inside = signature.partition("(")[2].partition(")")[0]
    return [name.strip() for name in inside.split(",")]


def _modified(original, node, buffers: list[bytes]) -> bool:
    """Whether an argument came back from the call different from what was sent."""
    if isinstance(original, np.ndarray):
        if not isinstance(node, dict) or "array" not in node:
            return True
        try:
            after = child.decode_array(node, buffers)
        except ValueError:
            return True
        return after.shape != original.shape or not np.array_equal(after, original, equal_nan=True)
    if isinstance(original, (list, tuple)):
        items = node.get("list", node.get("tuple")) if isinstance(node, dict) else None
        if not isinstance(items, list) or len(items) != len(original):
            return True
        return any(_modified(o, n, buffers) for o, n in zip(original, items, strict=True))
    return False


def _modified_inputs(task: Task, call_args: tuple, reply: Reply) -> list[str]:
    names = _argument_names(task.signature) if len(reply.after) == len(call_args) else []
    return [
        names[i] if i < len(names) and names[i] else f"argument {i + 1}"
        for i, (original, node) in enumerate(zip(call_args, reply.after, strict=False))
        if node is not None and _modified(original, node, reply.buffers)
    ]


def _run_case(box: Sandbox, task: Task, case: Case) -> tuple[Reply | None, str]:
    """Make the case's calls; return the last reply, or an error message."""
    reply = None
    for index, call in enumerate(case.calls):
        last = index == len(case.calls) - 1
        reply = box.call(call.function, list(call.args), index, last, call.select)
        if not reply.ok:
            where = f" (in {call.function})" if len(case.calls) > 1 else ""
            trace = f"\n{reply.traceback.rstrip()}" if reply.traceback else ""
            return None, f"raised {reply.error}{where}{trace}"
        changed = _modified_inputs(task, call.args, reply) if call.function == task.function else []
        if changed:
            return None, f"modified its input {', '.join(changed)} in place"
    return reply, ""


def _check_case(case: Case, reply: Reply, rng: np.random.Generator, negated: str) -> CaseResult:
    got = rebuild(reply.value, reply.buffers)
    problem = structure_problem(got, case.expected)
    if problem:
        return CaseResult(case.label, 0.0, case.points, problem)
    leaves, expected = flatten(got), flatten(case.expected)
    names = case.outputs if len(case.outputs) == len(leaves) else ("result",) * len(leaves)
    known = {label: flatten(wrong) for label, wrong in case.mistakes.items()}
    outputs = []
    for i, (name, leaf, reference) in enumerate(zip(names, leaves, expected, strict=True)):
        mistakes = {
            label: np.asarray(wrong[i], dtype=np.float64)
            for label, wrong in known.items()
            if len(wrong) == len(leaves) and wrong[i] is not None
        }
        outputs.append(
            check_output(
                name, leaf, reference, case.batch, mistakes, case.gradients.get(name), rng, negated
            )
        )
    points = case.points if all(o.passed for o in outputs) else 0.0
    return CaseResult(case.label, points, case.points, outputs=outputs)


def _grade_task(
    box: Sandbox | None, task: Task, seed: int, load_error: str, negated: str
) -> TaskResult:
    cases = task.cases(task_rng(seed, task))
    rng = np.random.default_rng([seed, 1])
    results, stop = [], load_error
    for case in cases:
        if stop:
            results.append(CaseResult(case.label, 0.0, case.points, stop))
            continue
        try:
            reply, error = _run_case(box, task, case)
        except SandboxError as failure:
            reply, error = None, str(failure)
            if "timed out" in error or "not run" in error or "failed to load" in error:
                stop = f"not run: {error}" if "timed out" in error else error
        if reply is None:
            results.append(CaseResult(case.label, 0.0, case.points, error))
        else:
            results.append(_check_case(case, reply, rng, negated))
    return TaskResult(task.function, task.signature, task.kind, results)


def grade_source(
    assignment: Assignment,
    student: str,
    source: str,
    limits: Limits | None = None,
    problem: str = "",
) -> SubmissionResult:
    """Grade one student's source code against ``assignment``; never raises for the student's
    faults. ``problem`` (e.g. an unreadable file) fails every case without running anything."""
    start = time.perf_counter()
    seed = student_seed(assignment.seed, student)
    blocked = tuple(b for b in AUTOGRAD_LIBRARIES if b not in assignment.allowed_modules)
    notes, load_error, output = [], problem, ""
    if not load_error:
        try:
            notes += forbidden_imports(source, ("cnnref", "verify", *blocked))
            compile(source, "submission.py", "exec", dont_inherit=True)  # compiled, never run here
        except SyntaxError as error:
            load_error = f"does not compile: SyntaxError: {error.msg} (line {error.lineno})"
    if load_error:
        negated = assignment.negated_label
        tasks = [_grade_task(None, t, seed, load_error, negated) for t in assignment.tasks]
    else:
        with Sandbox(source, limits, blocked) as box:
            negated = assignment.negated_label
            tasks = [_grade_task(box, t, seed, "", negated) for t in assignment.tasks]
            output = box.output()
            notes.append(f"ran as {box.user}")
    result = SubmissionResult(student, assignment.name, seed, tasks, notes, output)
    result.seconds = time.perf_counter() - start
    return result
