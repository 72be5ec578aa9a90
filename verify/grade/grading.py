"""Grade one submission: scan it, start its sandbox, run every case of every task, check results.

Every case is worth its points when all its outputs pass; a failing call, a timeout or a wrong
output costs that case only. Values and side effects are judged apart: an argument modified in
place is named, and costs what the task sets for that argument (nothing for a warning). A result
of None, or a NotImplementedError, is "not implemented", a status of its own. After a timeout or a
crash the task's remaining cases are not run (each would wait for the timeout again).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

import numpy as np

from . import evidence, kit, wire
from . import mistakes as m
from .assignment import Assignment, Call, Case, Task, student_seed, task_rng
from .checks import (
    OutputCheck,
    check_output,
    flatten,
    not_implemented,
    rebuild,
    structure_problem,
)
from .diagnose import matches
from .sandbox import AUTOGRAD_LIBRARIES, Limits, Reply, Sandbox, SandboxError
from .scan import forbidden_imports

NOT_IMPLEMENTED = m.NOT_IMPLEMENTED


@dataclass
class CaseResult:
    """One case: its points, its status, and either a failure of the call or the check of every
    output. ``notes`` are findings that are not about the values (an input modified in place, the
    canonical cache used); ``diagnosis`` names the mistake behind a failed call."""

    label: str
    points: float
    max_points: float
    error: str = ""
    outputs: list[OutputCheck] = field(default_factory=list)
    status: str = ""
    notes: list[str] = field(default_factory=list)
    diagnosis: str | None = None


def _totals(parts: list[tuple[float, float]]) -> tuple[float, float]:
    """(points earned, points possible), each summed over the parts' (earned, possible)."""
    return sum(earned for earned, _ in parts), sum(possible for _, possible in parts)


@dataclass
class TaskResult:
    """One task's cases; ``score``, ``max_score`` and ``status`` are worked out from them when the
    result is made."""

    function: str
    signature: str
    kind: str
    cases: list[CaseResult]
    score: float = field(init=False)
    max_score: float = field(init=False)
    # 'not implemented' when no case was, 'full marks', else 'points lost'
    status: str = field(init=False)

    def __post_init__(self) -> None:
        self.score, self.max_score = _totals([(c.points, c.max_points) for c in self.cases])
        if self.cases and all(c.status == NOT_IMPLEMENTED for c in self.cases):
            self.status = NOT_IMPLEMENTED
        else:
            self.status = "full marks" if self.score >= self.max_score else "points lost"


@dataclass
class SubmissionResult:
    """Everything known about one student's grade, ``score`` and ``max_score`` the sums over its
    tasks; :meth:`to_dict` is the JSON form."""

    student: str
    assignment: str
    seed: int
    tasks: list[TaskResult]
    notes: list[str] = field(default_factory=list)
    output: str = ""
    seconds: float = 0.0
    # how the code was isolated ({"namespaces": bool, "description": str}): never shown to students
    sandbox: dict = field(default_factory=dict)
    score: float = field(init=False)
    max_score: float = field(init=False)

    def __post_init__(self) -> None:
        self.score, self.max_score = _totals([(t.score, t.max_score) for t in self.tasks])

    def to_dict(self) -> dict:
        return asdict(self)


def _argument_names(signature: str) -> list[str]:
    inside = signature.partition("(")[2].partition(")")[0]
    return [name.strip() for name in inside.split(",")]


def _modified(original, node, buffers: list[bytes]) -> bool:
    """Whether an argument came back from the call different from what was sent."""
    if isinstance(original, np.ndarray):
        if not isinstance(node, dict) or "array" not in node:
            return True
        try:
            after = wire.decode_array(node, buffers)
        except ValueError:
            return True
        return after.shape != original.shape or not np.array_equal(after, original, equal_nan=True)
    if isinstance(original, (list, tuple)):
        items = node.get("list", node.get("tuple")) if isinstance(node, dict) else None
        if not isinstance(items, list) or len(items) != len(original):
            return True
        return any(_modified(o, n, buffers) for o, n in zip(original, items, strict=True))
    return False


def modified_arguments(task: Task, call_args: tuple, reply: Reply) -> list[str]:
    """The names (from the task's signature) of the arguments the call modified in place."""
    names = _argument_names(task.signature) if len(reply.after) == len(call_args) else []
    return [
        names[i] if i < len(names) and names[i] else f"argument {i + 1}"
        for i, (original, node) in enumerate(zip(call_args, reply.after, strict=False))
        if node is not None and _modified(original, node, reply.buffers)
    ]


@dataclass
class _Run:
    """The outcome of one case's calls: the last reply, or the failure of a call."""

    reply: Reply | None
    error: str = ""
    failed_call: int = -1
    raised: bool = False
    modified: list[str] = field(default_factory=list)


def _run_calls(box: Sandbox, task: Task, calls: tuple[Call, ...]) -> _Run:
    """Make the calls in order; stop at the first that raises (SandboxError propagates)."""
    reply, modified = None, []
    for index, call in enumerate(calls):
        last = index == len(calls) - 1
        reply = box.call(call.function, list(call.args), index, last, call.select)
        if not reply.ok:
            where = f" (in {call.function})" if len(calls) > 1 else ""
            trace = f"\n{reply.traceback.rstrip()}" if reply.traceback else ""
            return _Run(None, f"raised {reply.error}{where}{trace}", index, True)
        if call.function == task.function:
            modified = modified_arguments(task, call.args, reply)
    return _Run(reply, modified=modified)


def _raised_type(run: _Run) -> str:
    """The class name of what the student's code raised ("raised Type: message")."""
    return run.error.removeprefix("raised ").partition(":")[0].partition(" ")[0].strip()


def _check_values(case: Case, reply: Reply, rng: np.random.Generator, negated: str) -> CaseResult:
    got = rebuild(reply.value, reply.buffers)
    if not_implemented(got):
        return CaseResult(
            case.label,
            0.0,
            case.points,
            "not implemented (returned None)",
            status=NOT_IMPLEMENTED,
            diagnosis=NOT_IMPLEMENTED,
        )
    problem = structure_problem(got, case.expected)
    if problem:
        return CaseResult(case.label, 0.0, case.points, problem, status="wrong")
    leaves, expected = flatten(got), flatten(case.expected)
    names = case.outputs if len(case.outputs) == len(leaves) else ("result",) * len(leaves)
    known = _most_consistent_first(
        {label: flatten(wrong) for label, wrong in case.mistakes.items()}, leaves
    )
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
    passed = all(o.passed for o in outputs)
    status = "passed" if passed else "wrong"
    return CaseResult(
        case.label, case.points if passed else 0.0, case.points, outputs=outputs, status=status
    )


def _most_consistent_first(known: dict[str, list], leaves: list) -> dict[str, list]:
    """The case's known mistakes, those whose outputs the student's match most often first: where
    two mistakes give the same value for one output (a NaN loss), the other outputs decide."""

    def agreeing(wrong: list) -> int:
        if len(wrong) != len(leaves):
            return 0
        return sum(
            w is not None
            and isinstance(leaf, (np.ndarray, float))
            and matches(np.asarray(leaf), np.asarray(w, dtype=np.float64))
            for leaf, w in zip(leaves, wrong, strict=True)
        )

    order = sorted(known, key=lambda label: -agreeing(known[label]))
    return {label: known[label] for label in order}


def _failed_call(case: Case, run: _Run) -> CaseResult:
    if _raised_type(run) == "NotImplementedError":
        return CaseResult(
            case.label,
            0.0,
            case.points,
            run.error,
            status=NOT_IMPLEMENTED,
            diagnosis=NOT_IMPLEMENTED,
        )
    diagnosis = m.raised_mistake(run.error.removeprefix("raised ")) if run.raised else None
    return CaseResult(case.label, 0.0, case.points, run.error, status="raised", diagnosis=diagnosis)


def _side_effects(task: Task, result: CaseResult, modified: list[str]) -> None:
    """Name every argument modified in place; take off the costliest one's share of the points."""
    if not modified:
        return
    costs = {name: task.side_effect_cost(name) for name in modified}
    worst = max(costs.values())
    values = "values correct; " if result.status == "passed" else ""
    price = "costs nothing (a warning)" if worst == 0 else f"costs {worst:.0%} of the case"
    result.notes.append(f"{values}modified its input {', '.join(modified)} in place: {price}")
    if result.status == "passed":
        result.points = case_points = result.max_points * (1.0 - worst)
        if case_points < result.max_points:
            result.status = "side effect"


def _run_case(box: Sandbox, task: Task, case: Case, rng, negated: str) -> CaseResult:
    """Run the case's calls and check the result. A backward whose own forward failed, or whose
    result with its own forward's cache is wrong, is run once more with the canonical cache
    (``case.fallback``); the better of the two counts, and the report says which was used."""
    run = _run_calls(box, task, case.calls)
    own_forward_failed = run.reply is None and run.failed_call < len(case.calls) - 1
    if run.reply is None and not (own_forward_failed and case.fallback):
        return _failed_call(case, run)
    result = _check_values(case, run.reply, rng, negated) if run.reply else None
    if case.fallback and (result is None or result.status != "passed"):
        canonical = _run_calls(box, task, case.fallback)
        if canonical.reply is not None:
            retry = _check_values(case, canonical.reply, rng, negated)
            if result is None or retry.status == "passed":
                why = run.error.splitlines()[0] if result is None else "its result was wrong"
                retry.notes.append(
                    f"graded with the canonical cache: with your forward's cache {why}"
                )
                result, run = retry, canonical
        elif result is None:
            return _failed_call(case, run)
    _side_effects(task, result, run.modified)
    return result


def _structural_evidence(results: list[CaseResult], cases: list[Case]) -> None:
    """Name mistakes from the pattern of failing structural cases (see :mod:`.evidence`) on the
    failing outputs and calls that no other pattern named."""
    structures = [case.structure for case in cases]
    if not any(structures) or any(r.status in (NOT_IMPLEMENTED, "not run") for r in results):
        return
    raised = {i for i, r in enumerate(results) if r.status == "raised"}
    names = {o.name for r in results for o in r.outputs}
    for name in sorted(names):
        failing = raised | {
            i for i, r in enumerate(results) for o in r.outputs if o.name == name and not o.passed
        }
        label = evidence.structural_mistake(failing, structures)
        if label is None:
            continue
        for r in results:
            for o in r.outputs:
                if o.name == name and not o.passed and _replaceable(o.diagnosis):
                    o.diagnosis = label
                    o.message += f" [{label}]"
    label = evidence.structural_mistake(raised, structures) if raised and not names else None
    if label is None and raised and names:
        failing = raised | {i for i, r in enumerate(results) if r.status == "wrong"}
        label = evidence.structural_mistake(failing, structures)
    for i in raised:
        if label and results[i].diagnosis is None:
            results[i].diagnosis = label


def _replaceable(diagnosis: str | None) -> bool:
    """A diagnosis that says what the result looks like rather than what the mistake is."""
    return diagnosis is None or diagnosis.startswith(
        ("off by a constant factor", m.AXES_PERMUTED, m.TRANSPOSED)
    )


def grade_task(
    box: Sandbox | None,
    task: Task,
    seed: int,
    load_error: str,
    negated: str,
    cases: list[Case] | None = None,
) -> TaskResult:
    """Every case of ``task`` for the student with ``seed`` (``cases``: the task's cases for that
    seed, when already generated); after a sandbox failure (timeout, crash, a module that does not
    load) the task's remaining cases are not run."""
    cases = task.cases(task_rng(seed, task)) if cases is None else cases
    rng = np.random.default_rng([seed, 1])
    results, stop = [], load_error
    for case in cases:
        if stop:
            results.append(CaseResult(case.label, 0.0, case.points, stop, status="not run"))
            continue
        try:
            results.append(_run_case(box, task, case, rng, negated))
        except SandboxError as failure:
            results.append(CaseResult(case.label, 0.0, case.points, str(failure), status="raised"))
            stop = f"not run: {failure}"
    _structural_evidence(results, cases)
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
    notes, load_error, output, sandbox = [], problem, "", {}
    negated = assignment.negated_label
    if problem:  # said once, in the notes; every case only points there
        notes.append(problem)
        load_error = "not run: the submission could not be read (see the note above)"
    if not load_error:
        try:
            notes += forbidden_imports(source, ("cnnref", "verify", *blocked))
            compile(source, "submission.py", "exec", dont_inherit=True)  # compiled, never run here
        except SyntaxError as error:
            load_error = f"does not compile: SyntaxError: {error.msg} (line {error.lineno})"
            hint = m.syntax_mistake(error.msg)
            load_error += f" — {hint}" if hint else ""
    if load_error:
        tasks = [grade_task(None, t, seed, load_error, negated) for t in assignment.tasks]
    else:
        runnable = kit.with_stand_ins(source, assignment.kit, assignment.kit_package)
        with Sandbox(runnable, limits, blocked) as box:
            tasks = [grade_task(box, t, seed, "", negated) for t in assignment.tasks]
            output = box.output()
            sandbox = {"namespaces": box.isolation.namespaces}
            sandbox["description"] = box.isolation.description
    result = SubmissionResult(student, assignment.name, seed, tasks, notes, output, sandbox=sandbox)
    result.seconds = time.perf_counter() - start
    return result
