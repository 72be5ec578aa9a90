"""Grading whole submissions: exact scores and diagnoses of the examples; hostile code contained."""

from __future__ import annotations

import os

import numpy as np
import pytest

from verify.grade import mistakes as m
from verify.grade.assignments import load_assignment
from verify.grade.grading import grade_source
from verify.grade.sandbox import Limits

from ._cases import mutant_label
from .conftest import EXAMPLES, HOSTILE
from .sandbox_modes import MODES, sandbox_mode

FLIPPED = m.FILTERS_FLIPPED
PRE = m.DERIVATIVE_OF_PRE_ACTIVATION
NO_DERIVATIVE = m.NO_ACTIVATION_DERIVATIVE
TRANSPOSED_V = mutant_label("grad_V_transposed")

# (assignment, example) → (score, {task: (task score, diagnoses of its failing outputs)})
EXAMPLE_GRADES = {
    ("seed", "correct"): (85, {}),
    ("seed", "notebook"): (85, {}),
    ("seed", "batch_mean"): (
        72,
        {
            "log_likelihood": (1, {m.MEAN_NOT_SUM}),
            "grad_V": (2, {m.MEAN_NOT_SUM}),
            "grad_c": (2, {m.MEAN_NOT_SUM}),
            "grad_W": (2, {m.MEAN_NOT_SUM}),
            "grad_b": (2, {m.MEAN_NOT_SUM}),
        },
    ),
    ("seed", "conv_flipped"): (70, {"conv2d": (0, {FLIPPED}), "conv2d_backward": (0, {FLIPPED})}),
    ("seed", "missing_derivative"): (
        61,
        {t: (0, {NO_DERIVATIVE}) for t in ("grad_W", "grad_b", "delta_recursion", "backprop")},
    ),
    ("seed", "naive_softmax"): (
        76,
        {
            "activation_derivative": (2, {PRE}),
            "softmax": (2, {m.SOFTMAX_OVERFLOW}),
            "grad_W": (4, {PRE}),
            "grad_b": (4, {PRE}),
            "backprop": (3, {PRE}),
        },
    ),
    ("seed", "pool_to_all"): (79, {"maxpool2d_backward": (0, {m.POOL_TO_ALL})}),
    ("seed", "sign_convention"): (
        53,
        {
            t: (0, {m.NEGATED})
            for t in ("grad_V", "grad_c", "grad_W", "grad_b", "delta_recursion", "backprop")
        },
    ),
    ("seed", "transposed"): (
        77,
        {"dense_backward": (0, {m.BIAS_AXIS, m.TRANSPOSED}), "grad_V": (0, {TRANSPOSED_V})},
    ),
    ("cs231n", "correct"): (37, {}),
    ("cs231n", "notebook"): (37, {}),
    ("cs231n", "affine_no_reshape"): (33, {"affine_backward": (0, {m.NOT_RESHAPED})}),
    ("cs231n", "conv_flipped"): (
        22,
        {"conv_forward_naive": (0, {FLIPPED}), "conv_backward_naive": (0, {FLIPPED})},
    ),
    ("cs231n", "loss_sum"): (33, {"softmax_loss": (2, {m.SUM_NOT_MEAN})}),
    ("cs231n", "pool_to_all"): (33, {"max_pool_backward_naive": (0, {m.POOL_TO_ALL})}),
    ("cs231n", "relu_mask"): (35, {"relu_backward": (0, {None})}),
    ("cs231n", "sign_flip"): (31, {"softmax_loss": (0, {m.NEGATED_DESCENT})}),
}


def _grade(assignment: str, name: str, limits: Limits | None = None):
    if assignment == "hostile":
        return grade_source(load_assignment("seed"), name, HOSTILE.submission(name), limits)
    folder = EXAMPLES / assignment
    path = folder / f"{name}.py"
    if not path.exists():
        from verify.grade.submission import load_file

        source = load_file(folder / f"{name}.ipynb").source
        return grade_source(load_assignment(assignment), name, source)
    return grade_source(load_assignment(assignment), name, path.read_text(), limits)


def _line_of(name: str, text: str) -> int:
    """The line of the assembled hostile example ``name`` that starts with ``text``."""
    lines = HOSTILE.submission(name).splitlines()
    return next(i for i, line in enumerate(lines, 1) if line.startswith(text))


@pytest.mark.parametrize(("assignment", "name"), list(EXAMPLE_GRADES))
def test_examples_get_their_exact_scores_and_diagnoses(assignment, name) -> None:
    score, failing = EXAMPLE_GRADES[assignment, name]
    result = _grade(assignment, name)
    assert result.score == score
    assert result.max_score == {"seed": 85, "cs231n": 37}[assignment]
    found = {
        task.function: (
            task.score,
            {o.diagnosis for c in task.cases for o in c.outputs if not o.passed},
        )
        for task in result.tasks
        if task.score < task.max_score
    }
    assert found == failing


def test_the_same_student_gets_the_same_grade_and_another_student_other_inputs() -> None:
    assignment = load_assignment("seed")
    source = (EXAMPLES / "seed" / "batch_mean.py").read_text()
    first, again = (grade_source(assignment, "ada", source).to_dict() for _ in range(2))
    for result in (first, again):
        result.pop("seconds")
    assert first == again
    other = grade_source(assignment, "bob", source).to_dict()
    assert other["seed"] != first["seed"]
    errors = [o["error"] for t in first["tasks"] for c in t["cases"] for o in c["outputs"]]
    others = [o["error"] for t in other["tasks"] for c in t["cases"] for o in c["outputs"]]
    assert errors != others


# hostile example → (score, {task: text (or one of the texts) a failing case of that task shows})
HOSTILE_GRADES = {
    "syntax_error": (
        0,
        {
            "conv2d": "does not compile: SyntaxError: 'return' outside function "
            f"(line {_line_of('syntax_error', 'return a')})"
        },
    ),
    "import_error": (
        0,
        {"conv2d": "failed to load: ModuleNotFoundError: No module named 'numpyy'"},
    ),
    "exception": (79, {"conv2d": "raised ValueError: not implemented yet"}),
    "infinite_loop": (79, {"conv2d": "timed out after 1.5 s calling conv2d (killed)"}),
    "memory_bomb": (77, {"dense": "raised MemoryError", "backprop": "raised MemoryError"}),
    "fork_bomb": (80, {"relu": "os.fork is not allowed", "backprop": "os.fork is not allowed"}),
    "sys_exit": (80, {"sigmoid": "raised SystemExit: sys.exit(0) was called"}),
    "os_exit": (83, {"tanh": "the process exited with code 0 (sys.exit/os._exit?)"}),
    "huge_output": (83, {"log_likelihood": "raised OSError: [Errno 27] File too large"}),
    "monkeypatch_numpy": (81, {"grad_V": m.ZEROS}),
    "non_array": (77, {"dense": "expected a numpy.ndarray", "backprop": "raised"}),
    "ndarray_subclass": (80, {"sigmoid": "returned an ndarray subclass (submission.Agreeable)"}),
    "rigged_eq": (83, {"tanh": "returned submission.AlwaysEqual; expected a numpy.ndarray"}),
    "pickle_payload": (
        74,
        {"relu": "returned submission.Payload", "softmax": "returned builtins.bytes"},
    ),
    "read_reference": (
        76,
        {
            "conv2d": "importing 'cnnref' is not allowed in this assignment",
            # the reference is hidden (process isolation) or simply not there (namespaces)
            "maxpool2d": ("is not allowed: it is the grader's", "no copy of the reference is in"),
        },
    ),
    "fake_results": (83, {"log_likelihood": "writing '/autograder/results/results.json' is not"}),
    "inplace": (81, {"grad_V": "modified its input y in place"}),
}


def _failure_text(case) -> str:
    return case.error + " ".join(o.message for o in case.outputs if not o.passed)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", list(HOSTILE_GRADES))
def test_hostile_submissions_fail_the_affected_tasks_with_a_clear_message(name, mode) -> None:
    score, messages = HOSTILE_GRADES[name]
    with sandbox_mode(mode):
        result = _grade("hostile", name, Limits(call_timeout=1.5))
    assert result.score == score
    for task in result.tasks:
        if task.function in messages:
            assert task.score < task.max_score
            failing = [c for c in task.cases if c.points < c.max_points]
            expected = messages[task.function]
            expected = (expected,) if isinstance(expected, str) else expected
            assert any(text in _failure_text(c) for c in failing for text in expected)
            assert all(_failure_text(c) for c in failing)
    assert np.allclose(np.zeros(2), np.ones(2)) is False  # the grader's NumPy is untouched
    assert not os.path.exists("/tmp/cnnref_pickle_payload_ran")
    assert not os.path.exists("/tmp/cnnref_fake_results.json")


def test_the_static_scan_notes_a_forbidden_import() -> None:
    result = _grade("hostile", "read_reference")
    assert any("imports cnnref, which is not allowed here" in note for note in result.notes)
