"""``cnnref grade`` end to end: a file, a notebook, a folder, Gradescope output, usage errors."""

from __future__ import annotations

import argparse
import json
import os
import shutil
from pathlib import Path

import pytest

from cnnref.commands import grade as cli
from verify.grade import isolation
from verify.grade.isolation import MODE_VARIABLE
from verify.grade.overrides import assemble_file

from .conftest import EXAMPLES


def _full(example: Path, folder: Path) -> Path:
    """A buggy example (an override of correct.py) written out as a full submission file."""
    path = folder / example.name
    path.write_text(assemble_file(example))
    return path


def _run(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    return cli.run(parser.parse_args([str(a) for a in argv]))


def test_a_single_file_prints_its_grade_and_writes_json_and_gradescope(tmp_path, capsys) -> None:
    code = _run(
        "cs231n",
        _full(EXAMPLES / "cs231n" / "loss_sum.py", tmp_path),
        "--student",
        "ada",
        "--json",
        tmp_path / "ada.json",
        "--gradescope",
        tmp_path / "results.json",
        "--feedback",
        "student",
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert printed.startswith("ada — cs231n: 40/46")
    assert "off by a factor of N: sum instead of mean over the batch" in printed
    assert json.loads((tmp_path / "ada.json").read_text())["student"] == "ada"
    assert json.loads((tmp_path / "results.json").read_text())["score"] == 40


@pytest.mark.parametrize("feedback", ["instructor", "student"])
def test_json_honours_the_feedback_level(tmp_path, capsys, feedback) -> None:
    path = EXAMPLES / "cs231n" / "relu_mask.py"  # a mistake with no name: expected values shown
    assert _run("cs231n", path, "--json", tmp_path / "r.json", "--feedback", feedback) == 0
    written = json.loads((tmp_path / "r.json").read_text())
    details = [o["detail"] for t in written["tasks"] for c in t["cases"] for o in c["outputs"]]
    if feedback == "instructor":
        assert any(details) and set(written["sandbox"]) == {"namespaces", "description"}
    else:
        assert details and not any(details) and "sandbox" not in written


def test_without_namespaces_the_instructor_is_warned_once_and_students_never(
    tmp_path, capsys, monkeypatch
) -> None:
    monkeypatch.setenv(MODE_VARIABLE, "process")
    monkeypatch.setattr(isolation, "_announced", set())
    folder = tmp_path / "class"
    folder.mkdir()
    for name in ("ada", "bob"):
        shutil.copy(EXAMPLES / "seed" / "correct.py", folder / f"{name}.py")
    assert _run("seed", folder, "-o", tmp_path / "grades", "-j", "2") == 0
    captured = capsys.readouterr()
    assert captured.err.count("Student code is NOT in an operating-system sandbox") == 1
    assert captured.out.count("NO NAMESPACES (CNNREF_SANDBOX=process)") == 3  # ada, bob, summary
    single = [EXAMPLES / "seed" / "correct.py", "--feedback", "student"]
    assert _run("seed", *single, "--gradescope", tmp_path / "gs.json") == 0
    assert "NAMESPACES" not in capsys.readouterr().out
    assert "NAMESPACES" not in (tmp_path / "gs.json").read_text()


def test_require_sandbox_refuses_to_grade_without_namespaces(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.setenv(MODE_VARIABLE, "process")
    assert _run("seed", EXAMPLES / "seed" / "correct.py", "--require-sandbox") == 2
    assert "no operating-system sandbox here: NO NAMESPACES" in capsys.readouterr().err


def test_a_notebook_is_graded(capsys) -> None:
    assert _run("seed", EXAMPLES / "seed" / "notebook.ipynb", "-q") == 0


def test_a_folder_writes_results_and_a_gradebook_and_resumes(tmp_path, capsys) -> None:
    folder = tmp_path / "class"
    folder.mkdir()
    shutil.copy(EXAMPLES / "seed" / "correct.py", folder / "ada.py")
    (folder / "bob.py").write_text(assemble_file(EXAMPLES / "seed" / "pool_to_all.py"))
    out = tmp_path / "grades"
    assert _run("seed", folder, "-o", out, "-j", "2", "-q") == 0
    summary = capsys.readouterr().out
    assert "ada                                91/91" in summary
    assert "2 students, mean 88.00/91" in summary
    assert sorted(p.name for p in out.iterdir()) == ["ada.json", "bob.json", "gradebook.csv"]
    assert _run("seed", folder, "-o", out, "--shard", "2/2") == 0
    assert "bob: already graded (85/91); --force grades again" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["seed", "missing-folder"], "missing-folder does not exist"),
        (["nope", "x.py"], "assignment must be one of"),
        (["seed", "x.py", "--timeout", "0"], "--timeout must be positive, got 0"),
        (["seed", "x.py", "--memory", "-5"], "--memory must be positive, got -5"),
        (["seed", "x.py", "--memory", "8"], "too small to start Python with NumPy"),
        # once an OverflowError mid-grading, and "too small to start Python" for a huge --memory
        (["seed", "x.py", "--timeout", "inf"], "--timeout must be at most 9223372036, got inf"),
        (
            ["seed", "x.py", "--timeout", "1e300"],
            "--timeout must be at most 9223372036, got 1e+300",
        ),
        (["seed", "x.py", "--memory", "10000000000000"], "--memory must be at most 8796093022207"),
        (["seed", "empty"], "no submissions (.py or .ipynb) were found"),
        (["seed", "x.py", "--one"], "--one: "),  # once "[Errno 20] Not a directory"
    ],
)
def test_usage_errors_exit_2_with_a_message(tmp_path, capsys, argv, message) -> None:
    argv[1] = str(tmp_path / argv[1])
    if argv[1].endswith((".py", ".ipynb")):
        Path(argv[1]).write_text("{ not json")
    elif argv[1].endswith("empty"):
        Path(argv[1]).mkdir()
    assert _run(*argv) == 2
    error = capsys.readouterr().err
    assert message in error
    assert error.count("cnnref grade:") == 1


def test_an_unreadable_notebook_is_graded_zero_with_one_message(tmp_path, capsys) -> None:
    path = tmp_path / "broken.ipynb"
    path.write_text("{ not json")
    assert _run("seed", path) == 0
    printed = capsys.readouterr().out
    assert printed.count("cannot read broken.ipynb") == 1
    assert "not run: the submission could not be read (see the note above)" in printed


def test_a_pipe_among_the_submissions_is_graded_zero_not_waited_on(tmp_path, capsys) -> None:
    folder = tmp_path / "class"
    folder.mkdir()
    os.mkfifo(folder / "bob.py")  # once blocked the grader forever, waiting for a writer
    assert _run("seed", folder, "-o", tmp_path / "grades", "-j", "1") == 0
    printed = capsys.readouterr().out
    assert printed.count("cannot read bob.py: not a regular file (a pipe") == 1


def test_a_bad_shard_is_a_usage_error() -> None:
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    with pytest.raises(SystemExit):
        parser.parse_args(["seed", "folder", "--shard", "half"])
