"""Loading submissions: .py files, notebooks, folders of students."""

from __future__ import annotations

import json
from pathlib import Path

from verify.grade.submission import (
    find_submissions,
    load_file,
    load_folder_as_one,
    notebook_source,
)

from .conftest import EXAMPLES


def _notebook(cells: list[tuple[str, str]]) -> str:
    return json.dumps(
        {"cells": [{"cell_type": kind, "source": text, "metadata": {}} for kind, text in cells]}
    )


def test_a_notebook_keeps_code_cells_and_drops_magics_shell_lines_and_markdown() -> None:
    text = _notebook(
        [
            ("markdown", "# def not_code(): pass"),
            ("code", "%matplotlib inline\nimport numpy as np\n  !pip install torch\nx = 1"),
            ("code", "%%time\ny = 2"),
            ("code", ["def f(a):\n", "    return a\n"]),
        ]
    )
    assert notebook_source(text) == "import numpy as np\nx = 1\n\ndef f(a):\n    return a\n"


def test_the_example_notebooks_compile(tmp_path: Path) -> None:
    for assignment in ("seed", "cs231n"):
        submission = load_file(EXAMPLES / assignment / "notebook.ipynb")
        assert submission.problem == "" and submission.student == "notebook"
        compile(submission.source, "notebook", "exec")


def test_a_python_file_is_read_and_named_by_its_stem(tmp_path: Path) -> None:
    path = tmp_path / "ada.py"
    path.write_text("x = 1\n")
    assert load_file(path).source == "x = 1\n"
    assert load_file(path, "ada@example.edu").student == "ada@example.edu"


def test_unreadable_files_become_problems_not_exceptions(tmp_path: Path) -> None:
    broken = tmp_path / "bob.ipynb"
    broken.write_text("{not json")
    assert "cannot read bob.ipynb" in load_file(broken).problem
    binary = tmp_path / "eve.py"
    binary.write_bytes(b"\xff\xfe\x00")
    assert "cannot read" in load_file(binary).problem
    assert "not a .py or .ipynb" in load_file(tmp_path / "notes.txt").problem


def test_a_folder_holds_one_student_per_file_or_subfolder(tmp_path: Path) -> None:
    (tmp_path / "ada.py").write_text("a = 1\n")
    (tmp_path / "carl").mkdir()
    (tmp_path / "carl" / "layers.py").write_text("c = 1\n")
    (tmp_path / "dora").mkdir()
    (tmp_path / "dora" / "a.py").write_text("")
    (tmp_path / "dora" / "b.ipynb").write_text(_notebook([]))
    (tmp_path / "readme.md").write_text("ignored")
    (tmp_path / ".hidden.py").write_text("ignored")
    found = {s.student: s for s in find_submissions(tmp_path)}
    assert sorted(found) == ["ada", "carl", "dora"]
    assert found["carl"].source == "c = 1\n"
    assert found["dora"].problem == "expected one .py or .ipynb file, found a.py, b.ipynb"


def test_a_gradescope_submission_folder_is_one_student(tmp_path: Path) -> None:
    (tmp_path / "solution.py").write_text("s = 1\n")
    submission = load_folder_as_one(tmp_path, "ada@example.edu")
    assert submission.student == "ada@example.edu" and submission.source == "s = 1\n"
    empty = tmp_path / "empty"
    empty.mkdir()
    assert load_folder_as_one(empty).problem == "expected one .py or .ipynb file, found none"
