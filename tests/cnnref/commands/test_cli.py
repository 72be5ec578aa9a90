"""The ``cnnref`` entry point: dispatch, help, and a reader that closes the pipe early."""

from __future__ import annotations

import subprocess
import sys

import pytest

from cnnref import cli


def test_every_subcommand_is_listed_in_the_help(capsys):
    with pytest.raises(SystemExit) as raised:
        cli.main(["--help"])
    assert raised.value.code == 0
    out = capsys.readouterr().out
    for name in cli.SUBCOMMANDS:
        assert name in out


def test_a_command_is_required(capsys):
    with pytest.raises(SystemExit) as raised:
        cli.main([])
    assert raised.value.code == 2
    assert "COMMAND" in capsys.readouterr().err


def test_version_names_the_package(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--version"])
    assert capsys.readouterr().out.startswith("cnnref ")


def test_output_piped_into_a_reader_that_stops_early_is_not_a_traceback(tmp_path):
    writer = subprocess.Popen(
        [sys.executable, "-m", "cnnref", "verify"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={"OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin", **_pythonpath()},
    )
    assert writer.stdout is not None
    writer.stdout.readline()
    writer.stdout.close()
    _, err = writer.communicate(timeout=120)
    assert b"Traceback" not in err, err.decode()
    assert writer.returncode in (0, 141)


def _pythonpath() -> dict[str, str]:
    import os

    import cnnref

    root = os.path.dirname(os.path.dirname(cnnref.__file__))
    return {"PYTHONPATH": root}


def _mistakes(folder) -> dict[str, tuple[list[str], str]]:
    """A user's mistakes: the command line, and the one error line it must give."""
    garbage = folder / "garbage.npz"
    garbage.write_bytes(b"this is no checkpoint\n")
    empty = folder / "empty-run"
    empty.mkdir()
    return {
        "verify --seed -1": (
            ["verify", "--seed", "-1"],
            "cnnref verify: error: argument --seed: expected a whole number >= 0, got '-1'",
        ),
        "train --seed -1": (
            ["train", "--seed", "-1"],
            "cnnref train: error: argument --seed: expected a whole number >= 0, got '-1'",
        ),
        "train --data-dir missing": (
            ["train", "--data-dir", str(folder / "nonexistent")],
            f"cnnref train: error: argument --data-dir: the folder '{folder / 'nonexistent'}' "
            "does not exist",
        ),
        "train --resume on an empty folder": (
            ["train", "--resume", "--out", str(empty)],
            f"cnnref train: error: --resume: {empty} holds no run to resume (no checkpoint.npz); "
            "drop --resume to start a new run there",
        ),
        "evaluate garbage": (
            ["evaluate", str(garbage)],
            f"cnnref evaluate: error: checkpoint {garbage}: not a checkpoint: a cnnref checkpoint "
            "is the .npz archive cnnref train writes",
        ),
        "evaluate --batch-size 0": (
            ["evaluate", str(garbage), "--batch-size", "0"],
            "cnnref evaluate: error: argument --batch-size: expected a whole number >= 1, got '0'",
        ),
        # output paths a file or folder stands in the way of: once a traceback after the work
        "train --out a file": (
            ["train", "--out", str(garbage)],
            f"cnnref train: error: argument --out: '{garbage}' is a file, not a folder; "
            "choose a folder",
        ),
        "grade -o below a file": (
            ["grade", "seed", str(garbage), "-o", str(garbage / "grades")],
            f"cnnref grade: error: argument -o/--out: '{garbage / 'grades'}' cannot be a folder: "
            f"'{garbage}' is a file, not a folder",
        ),
        "grade --json a folder": (
            ["grade", "seed", str(garbage), "--json", str(empty)],
            f"cnnref grade: error: argument --json: '{empty}' is a folder; give the file to "
            f"write, e.g. '{empty / 'results.json'}'",
        ),
        "grade --gradescope below a file": (
            ["grade", "seed", str(garbage), "--gradescope", str(garbage / "results.json")],
            f"cnnref grade: error: argument --gradescope: '{garbage / 'results.json'}' cannot be "
            f"written: '{garbage}' is a file, not a folder",
        ),
        "grade -j 0": (  # once accepted, as one job
            ["grade", "seed", str(garbage), "-j", "0"],
            "cnnref grade: error: argument -j/--jobs: expected a whole number >= 1, got '0'",
        ),
        "bench --json a folder": (
            ["bench", "--json", str(empty)],
            f"cnnref bench: error: argument --json: '{empty}' is a folder; give the file to "
            f"write, e.g. '{empty / 'results.json'}'",
        ),
    }


@pytest.mark.parametrize(
    "mistake",
    [
        "verify --seed -1",
        "train --seed -1",
        "train --data-dir missing",
        "train --resume on an empty folder",
        "evaluate garbage",
        "evaluate --batch-size 0",
        "train --out a file",
        "grade -o below a file",
        "grade --json a folder",
        "grade --gradescope below a file",
        "bench --json a folder",
        "grade -j 0",
    ],
)
def test_a_mistake_is_one_error_line_with_exit_status_2_never_a_traceback(tmp_path, mistake):
    argv, expected = _mistakes(tmp_path)[mistake]
    done = subprocess.run(
        [sys.executable, "-m", "cnnref", *argv],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={"OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin", **_pythonpath()},
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if not line.startswith(("usage:", " "))]
    assert errors == [expected]


@pytest.mark.parametrize("command", [None, *cli.SUBCOMMANDS])
def test_help_is_plain_text(capsys, command):
    """No reStructuredText markup (``literal``, :role:`x`, **bold**) in any help text."""
    with pytest.raises(SystemExit) as raised:
        cli.main([command, "--help"] if command else ["--help"])
    assert raised.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: cnnref {command or ''}".rstrip())
    for markup in ("``", ":func:", ":class:", ":mod:", ":py:", "**", ".. "):
        assert markup not in out, f"{markup!r} in the help of {command or 'cnnref'}"
