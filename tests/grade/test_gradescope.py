"""examples/gradescope/run_autograder run by hand as Gradescope would, in temporary folders."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import cnnref

from .conftest import EXAMPLES, hostile_submission

SCRIPT = EXAMPLES / "gradescope" / "run_autograder"


def _autograde(tmp_path: Path, files: dict[str, Path], **env: str) -> dict:
    submission, results = tmp_path / "submission", tmp_path / "results"
    submission.mkdir()
    for name, source in files.items():
        shutil.copy(source, submission / name)
    metadata = tmp_path / "submission_metadata.json"
    metadata.write_text(json.dumps({"users": [{"email": "ada@example.edu", "id": "42"}]}))
    variables = {
        "PATH": os.environ["PATH"],
        # The packages this test session imports (installed, or a checkout built in place).
        "PYTHONPATH": str(Path(cnnref.__file__).resolve().parents[1]),
        "PYTHON": sys.executable,
        "SUBMISSION_DIR": str(submission),
        "RESULTS_DIR": str(results),
        "SUBMISSION_METADATA": str(metadata),
        **env,
    }
    done = subprocess.run(
        ["bash", str(SCRIPT)],
        env=variables,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads((results / "results.json").read_text())


def test_a_correct_submission_gets_full_marks(tmp_path) -> None:
    data = _autograde(tmp_path, {"layers.py": EXAMPLES / "seed" / "correct.py"})
    assert data["score"] == data["max_score"] == 91
    assert all(t["status"] == "passed" and t["visibility"] == "visible" for t in data["tests"])


def test_a_notebook_for_another_assignment_is_graded(tmp_path) -> None:
    notebook = EXAMPLES / "cs231n" / "notebook.ipynb"
    data = _autograde(tmp_path, {"assignment2.ipynb": notebook}, ASSIGNMENT="cs231n")
    assert data["score"] == 44


def test_a_student_cannot_fake_the_results_file(tmp_path) -> None:
    hostile = hostile_submission("fake_results", tmp_path)
    data = _autograde(tmp_path, {"layers.py": hostile})
    assert data["score"] == 88
    failed = [t for t in data["tests"] if t["status"] == "failed"]
    assert [t["name"] for t in failed] == ["log_likelihood"]
    assert "is not allowed outside the work dir" in failed[0]["output"]


def test_an_empty_submission_scores_zero_with_a_reason(tmp_path) -> None:
    data = _autograde(tmp_path, {})
    assert data["score"] == 0
    assert "expected one .py or .ipynb file, found none" in data["output"]
    assert "could not be read (see the note above)" in data["tests"][0]["output"]


@pytest.mark.parametrize("script", ["setup.sh", "run_autograder"])
def test_the_scripts_are_executable_bash(script) -> None:
    path = EXAMPLES / "gradescope" / script
    assert os.access(path, os.X_OK)
    assert subprocess.run(["bash", "-n", str(path)], capture_output=True).returncode == 0
