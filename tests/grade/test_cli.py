"""``cnnref grade`` end to end: a file, a notebook, a folder, Gradescope output, usage errors."""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import pytest

from cnnref.commands import grade as cli

from .conftest import EXAMPLES


def _run(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    return cli.run(parser.parse_args([str(a) for a in argv]))


def test_a_single_file_prints_its_grade_and_writes_json_and_gradescope(tmp_path, capsys) -> None:
    code = _run(
        "cs231n",
        EXAMPLES / "cs231n" / "loss_sum.py",
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
    assert printed.startswith("ada — cs231n: 33/37")
    assert "off by a factor of N: sum instead of mean over the batch" in printed
    assert json.loads((tmp_path / "ada.json").read_text())["student"] == "ada"
    assert json.loads((tmp_path / "results.json").read_text())["score"] == 33


def test_a_notebook_is_graded(capsys) -> None:
    assert _run("seed", EXAMPLES / "seed" / "notebook.ipynb", "-q") == 0


def test_a_folder_writes_results_and_a_gradebook_and_resumes(tmp_path, capsys) -> None:
    folder = tmp_path / "class"
    folder.mkdir()
    shutil.copy(EXAMPLES / "seed" / "correct.py", folder / "ada.py")
    shutil.copy(EXAMPLES / "seed" / "pool_to_all.py", folder / "bob.py")
    out = tmp_path / "grades"
    assert _run("seed", folder, "-o", out, "-j", "2", "-q") == 0
    summary = capsys.readouterr().out
    assert "ada                                85/85" in summary
    assert "2 students, mean 82.00/85" in summary
    assert sorted(p.name for p in out.iterdir()) == ["ada.json", "bob.json", "gradebook.csv"]
    assert _run("seed", folder, "-o", out, "--shard", "2/2") == 0
    assert "bob: already graded (79/85); --force grades again" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["seed", "missing-folder"], "is not a directory"),
        (["nope", "x.py"], "assignment must be one of"),
    ],
)
def test_usage_errors_exit_2_with_a_message(tmp_path, capsys, argv, message) -> None:
    argv[1] = str(tmp_path / argv[1])
    if argv[1].endswith(".py"):
        Path(argv[1]).write_text("")
    assert _run(*argv) == 2
    assert message in capsys.readouterr().err


def test_a_bad_shard_is_a_usage_error() -> None:
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    with pytest.raises(SystemExit):
        parser.parse_args(["seed", "folder", "--shard", "half"])
