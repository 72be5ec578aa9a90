"""Grading whole submissions: exact scores and diagnoses of the examples; hostile code contained."""

from __future__ import annotations

import os

import numpy as np
import pytest

from verify.grade import mistakes as m
from verify.grade.assignments import load_assignment
from verify.grade.grading import grade_source
from verify.grade.overrides import assemble_file
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
    ("seed", "correct"): (91, {}),
    ("seed", "notebook"): (91, {}),
    ("seed", "batch_mean"): (
        77,
        {
            "log_likelihood": (1, {m.MEAN_NOT_SUM}),
            "grad_V": (2, {m.MEAN_NOT_SUM}),
            "grad_c": (2, {m.MEAN_NOT_SUM}),
            "grad_W": (2, {m.MEAN_NOT_SUM}),
            "grad_b": (2, {m.MEAN_NOT_SUM}),
        },
    ),
    ("seed", "conv_flipped"): (71, {"conv2d": (0, {FLIPPED}), "conv2d_backward": (0, {FLIPPED})}),
    ("seed", "missing_derivative"): (
        67,
        {t: (0, {NO_DERIVATIVE}) for t in ("grad_W", "grad_b", "delta_recursion", "backprop")},
    ),
    ("seed", "naive_softmax"): (
        82,
        {
            "activation_derivative": (2, {PRE}),
            "softmax": (2, {m.SOFTMAX_OVERFLOW}),
            "grad_W": (4, {PRE}),
            "grad_b": (4, {PRE}),
            "backprop": (3, {PRE}),
        },
    ),
    ("seed", "pool_to_all"): (85, {"maxpool2d_backward": (0, {m.POOL_TO_ALL})}),
    ("seed", "sign_convention"): (
        59,
        {
            t: (0, {m.NEGATED})
            for t in ("grad_V", "grad_c", "grad_W", "grad_b", "delta_recursion", "backprop")
        },
    ),
    ("seed", "transposed"): (
        83,
        {"dense_backward": (0, {m.BIAS_AXIS, m.TRANSPOSED}), "grad_V": (0, {TRANSPOSED_V})},
    ),
    ("cs231n", "correct"): (44, {}),
    ("cs231n", "notebook"): (44, {}),
    ("cs231n", "affine_no_reshape"): (40, {"affine_backward": (2, {m.NOT_RESHAPED})}),
    ("cs231n", "conv_flipped"): (
        29,
        {"conv_forward_naive": (0, {FLIPPED}), "conv_backward_naive": (0, {FLIPPED})},
    ),
    ("cs231n", "loss_sum"): (40, {"softmax_loss": (2, {m.SUM_NOT_MEAN})}),
    ("cs231n", "pool_to_all"): (39, {"max_pool_backward_naive": (0, {m.POOL_TO_ALL})}),
    ("cs231n", "relu_mask"): (42, {"relu_backward": (0, {m.RELU_MASK_OF_DOUT})}),
    ("cs231n", "sign_flip"): (38, {"softmax_loss": (0, {m.NEGATED_DESCENT})}),
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
    source = path.read_text()
    if "\nbase: " in source:
        source = assemble_file(path)
    return grade_source(load_assignment(assignment), name, source, limits)


def _line_of(name: str, text: str) -> int:
    """The line of the assembled hostile example ``name`` that starts with ``text``."""
    lines = HOSTILE.submission(name).splitlines()
    return next(i for i, line in enumerate(lines, 1) if line.startswith(text))


@pytest.mark.parametrize(("assignment", "name"), list(EXAMPLE_GRADES))
def test_examples_get_their_exact_scores_and_diagnoses(assignment, name) -> None:
    score, failing = EXAMPLE_GRADES[assignment, name]
    result = _grade(assignment, name)
    assert result.score == score
    assert result.max_score == {"seed": 91, "cs231n": 44}[assignment]
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
    "exception": (83, {"conv2d": "raised ValueError: not implemented yet"}),
    "infinite_loop": (83, {"conv2d": "timed out after 1.5 s calling conv2d (killed)"}),
    "memory_bomb": (83, {"dense": "raised MemoryError", "backprop": "raised MemoryError"}),
    "fork_bomb": (86, {"relu": "os.fork is not allowed", "backprop": "os.fork is not allowed"}),
    "sys_exit": (86, {"sigmoid": "raised SystemExit: sys.exit(0) was called"}),
    "os_exit": (89, {"tanh": "the process exited with code 0 (sys.exit/os._exit?)"}),
    "huge_output": (88, {"log_likelihood": "raised OSError: [Errno 27] File too large"}),
    "monkeypatch_numpy": (87, {"grad_V": m.ZEROS}),
    "non_array": (83, {"dense": "expected a numpy.ndarray", "backprop": "raised"}),
    "ndarray_subclass": (86, {"sigmoid": "returned an ndarray subclass (submission.Agreeable)"}),
    "rigged_eq": (89, {"tanh": "returned submission.AlwaysEqual; expected a numpy.ndarray"}),
    "pickle_payload": (
        80,
        {"relu": "returned submission.Payload", "softmax": "returned builtins.bytes"},
    ),
    "read_reference": (
        80,
        {
            "conv2d": "importing 'cnnref' is not allowed in this assignment",
            # the reference is hidden (process isolation) or simply not there (namespaces)
            "maxpool2d": ("is not allowed: it is the grader's", "no copy of the reference is in"),
        },
    ),
    "fake_results": (88, {"log_likelihood": "writing '/autograder/results/results.json' is not"}),
    "inplace": (87, {"grad_V": "modified its input y in place"}),
}


def _failure_text(case) -> str:
    failing = " ".join(o.message for o in case.outputs if not o.passed)
    return " ".join([case.error, *case.notes, failing])


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
