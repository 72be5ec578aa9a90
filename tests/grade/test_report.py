"""Reports: terminal text, student-level feedback, Gradescope's results.json, the CSV gradebook."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from verify.grade.assignments import load_assignment
from verify.grade.grading import grade_source
from verify.grade.overrides import assemble_file
from verify.grade.report import (
    for_audience,
    gradebook,
    gradescope,
    terminal,
    write_atomic,
    write_json,
)

from .conftest import EXAMPLES


@pytest.fixture(scope="module")
def relu_mask() -> dict:
    source = assemble_file(EXAMPLES / "cs231n" / "relu_mask.py")
    return grade_source(load_assignment("cs231n"), "ada", source).to_dict()


def _expected_details(result: dict) -> list[str]:
    return [
        o["detail"]
        for t in result["tasks"]
        for c in t["cases"]
        for o in c["outputs"]
        if o["detail"]
    ]


def test_instructors_see_expected_values_students_do_not(relu_mask) -> None:
    details = _expected_details(relu_mask)
    assert details and all(d.startswith("expected ") for d in details)
    assert _expected_details(for_audience(relu_mask, "student")) == []
    assert details[0] in terminal(relu_mask, "instructor")
    student_text = terminal(relu_mask, "student")
    assert details[0] not in student_text and "worst element at" in student_text
    with pytest.raises(ValueError, match="feedback must be one of"):
        for_audience(relu_mask, "everyone")


def test_the_terminal_summary_has_a_line_per_task(relu_mask) -> None:
    text = terminal(relu_mask)
    assert text.splitlines()[0].startswith("ada — cs231n: 42/44")
    assert "  relu_backward                  0/2" in text


def test_gradescope_results_have_the_documented_fields(relu_mask) -> None:
    data = gradescope(relu_mask)
    assert data["score"] == 42 and data["max_score"] == 44
    assert isinstance(data["execution_time"], float)
    assert len(data["tests"]) == 9
    failed = [t for t in data["tests"] if t["status"] == "failed"]
    assert [t["name"] for t in failed] == ["relu_backward"]
    test = failed[0]
    assert set(test) == {"name", "score", "max_score", "status", "output", "visibility"}
    assert "worst element at" in test["output"] and "expected" not in test["output"]
    json.dumps(data)


def test_the_gradebook_has_a_row_per_student_and_a_column_per_task(relu_mask) -> None:
    other = dict(relu_mask, student="bob", score=44.0)
    rows = list(csv.reader(io.StringIO(gradebook([other, relu_mask]))))
    assert rows[0][:4] == ["student", "score", "max_score", "affine_forward"]
    assert [r[0] for r in rows[1:]] == ["ada", "bob"]
    assert rows[1][1:3] == ["42.0", "44.0"]


def test_files_are_replaced_atomically(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "result.json"
    write_json(target, {"a": 1})
    write_atomic(target, "replaced")
    assert target.read_text() == "replaced"
    assert [p.name for p in target.parent.iterdir()] == ["result.json"]
