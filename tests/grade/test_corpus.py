"""The corpus: every correct file gets full marks, every wrong one loses points on exactly the
tasks it gets wrong with the expected diagnosis, and the verdicts are the same for every student."""

from __future__ import annotations

import sys
import types

import pytest

from verify.grade import mistakes as m
from verify.grade.assignments import load_assignment
from verify.grade.grading import grade_source
from verify.mutants import MUTANTS

from ._corpus import correct_files, wrong_files
from ._inprocess import grade_in_process

CS231N = load_assignment("cs231n")
CORRECT = correct_files("cs231n")
WRONG = {wrong.name: wrong for wrong in wrong_files("cs231n")}
STUDENTS = [f"student{i:03d}" for i in range(100)]


def verdict(tasks) -> dict[str, tuple[float, frozenset]]:
    """{task losing points: (its score, the mistakes named on its failing outputs and calls, or
    {None} when none is named)}."""
    found = {}
    for task in tasks:
        if task.score < task.max_score:
            diagnoses = {o.diagnosis for c in task.cases for o in c.outputs if not o.passed}
            diagnoses |= {c.diagnosis for c in task.cases if c.error and c.status != "wrong"}
            found[task.function] = (task.score, frozenset(diagnoses - {None} or {None}))
    return found


def _namespace(source: str) -> dict:
    module = types.ModuleType("corpus_submission")
    sys.modules[module.__name__] = module  # dataclasses look their module up
    exec(compile(source, "corpus.py", "exec"), module.__dict__)
    return module.__dict__


def test_the_corpus_is_large_and_covers_every_task() -> None:
    assert len(CORRECT) >= 12 and len(WRONG) >= 40
    covered = {task for wrong in WRONG.values() for task in wrong.expected}
    assert covered == {task.function for task in CS231N.tasks}


@pytest.mark.parametrize("name", sorted(CORRECT))
def test_every_correct_file_gets_full_marks_through_the_sandbox(name) -> None:
    result = grade_source(CS231N, "ada", CORRECT[name])
    assert result.score == result.max_score, verdict(result.tasks)


@pytest.mark.parametrize("name", sorted(CORRECT))
def test_every_correct_file_gets_full_marks_for_every_student(name) -> None:
    if name == "kit_imports":
        pytest.skip("the course kit loads only through the sandbox's stand-ins")
    namespace = _namespace(CORRECT[name])
    for student in STUDENTS[:20]:
        assert verdict(grade_in_process(CS231N, namespace, student).values()) == {}, student


@pytest.mark.parametrize("name", sorted(WRONG))
def test_every_wrong_file_loses_points_on_its_task_with_its_diagnosis(name) -> None:
    wrong = WRONG[name]
    result = grade_source(CS231N, "ada", wrong.source)
    found = verdict(result.tasks)
    assert set(found) == set(wrong.expected)
    for task, label in wrong.expected.items():
        assert found[task][1] == {label}, (task, found[task])


@pytest.mark.parametrize("name", sorted(WRONG))
def test_a_wrong_file_gets_the_same_verdict_for_100_students(name) -> None:
    wrong = WRONG[name]
    namespace = _namespace(wrong.source)
    tasks = set(wrong.expected)
    first = None
    for student in STUDENTS:
        found = verdict(grade_in_process(CS231N, namespace, student, tasks).values())
        first = found if first is None else first
        assert found == first, student


def test_most_wrong_functions_are_named() -> None:
    labels = [label for wrong in WRONG.values() for label in wrong.expected.values()]
    named = [label for label in labels if label not in (None, m.NOT_IMPLEMENTED)]
    implemented = [label for label in labels if label != m.NOT_IMPLEMENTED]
    assert len(named) >= 0.9 * len(implemented)


SEED = load_assignment("seed")
SEED_WRONG = {wrong.name: wrong for wrong in wrong_files("seed")}


@pytest.mark.parametrize("name", sorted(SEED_WRONG))
def test_seed_mistakes_lose_points_on_their_task_with_their_diagnosis(name) -> None:
    wrong = SEED_WRONG[name]
    found = verdict(grade_source(SEED, "ada", wrong.source).tasks)
    assert {task: labels for task, (_, labels) in found.items()} == {
        task: {label} for task, label in wrong.expected.items()
    }
    namespace = _namespace(wrong.source)
    for student in STUDENTS:
        assert (
            verdict(grade_in_process(SEED, namespace, student, set(wrong.expected)).values())
            == found
        )


def _mutant_namespace(mutant) -> dict:
    """The seed example with the mutant in place of its target function."""
    namespace = _namespace(correct_files("seed")["correct"])
    namespace[mutant.target] = mutant.function
    return namespace


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda mutant: mutant.name)
def test_every_mutant_gets_the_same_verdict_for_100_students(mutant) -> None:
    task = {mutant.target}
    if mutant.target not in {t.function for t in SEED.tasks}:
        pytest.skip(f"{mutant.target} is not a task of the seed assignment")
    namespace = _mutant_namespace(mutant)
    first = verdict(grade_in_process(SEED, namespace, STUDENTS[0], task).values())
    for student in STUDENTS[1:]:
        assert verdict(grade_in_process(SEED, namespace, student, task).values()) == first, student


def test_a_backward_is_graded_with_the_canonical_cache_when_its_forward_fails() -> None:
    result = grade_source(CS231N, "ada", WRONG["conv_fwd_crash_bwd_ok"].source)
    backward = next(t for t in result.tasks if t.function == "conv_backward_naive")
    assert backward.score == backward.max_score
    assert all(
        any(note.startswith("graded with the canonical cache") for note in case.notes)
        for case in backward.cases
    )


def test_an_in_place_write_to_dout_is_named_and_costs_nothing_in_cs231n() -> None:
    result = grade_source(CS231N, "ada", CORRECT["inplace_dout"])
    relu = next(t for t in result.tasks if t.function == "relu_backward")
    assert relu.score == relu.max_score
    assert {n for c in relu.cases for n in c.notes} == {
        "values correct; modified its input dout in place: costs nothing (a warning)"
    }
