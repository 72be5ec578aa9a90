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
