"""Loading assignments by name and by path (the worked example of an instructor's own)."""

from __future__ import annotations

from pathlib import Path

import pytest

from verify.grade.assignments import load_assignment
from verify.grade.grading import grade_source

from .conftest import EXAMPLES


def test_the_shipped_assignments_load_by_name() -> None:
    assert load_assignment("seed").name == "seed"
    assert load_assignment("cs231n").name == "cs231n"


def test_an_instructors_assignment_loads_by_path_and_grades_its_example() -> None:
    assignment = load_assignment(str(EXAMPLES / "custom_assignment.py"))
    assert [t.function for t in assignment.tasks] == ["leaky_relu", "avgpool2d_backward"]
    source = (EXAMPLES / "custom_solution.py").read_text()
    assert grade_source(assignment, "ada", source).score == assignment.max_score == 6.0
    wrong = source.replace("/ size**2", "")
    result = grade_source(assignment, "ada", wrong)
    assert result.score == 2.0
    diagnoses = {o.diagnosis for c in result.tasks[1].cases for o in c.outputs}
    assert diagnoses == {"pooling gradient not divided by the window size"}


@pytest.mark.parametrize("bad", ["nope", "missing.py"])
def test_unknown_assignments_are_refused(bad) -> None:
    with pytest.raises(ValueError, match="must be one of seed, cs231n"):
        load_assignment(bad)


def test_a_file_without_an_assignment_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.py"
    path.write_text("X = 1\n")
    with pytest.raises(ValueError, match="must define ASSIGNMENT"):
        load_assignment(str(path))
