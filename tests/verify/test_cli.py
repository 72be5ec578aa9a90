"""``cnnref verify`` / ``python -m verify``: table, JSON, mutants, exit status."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

import cnnref
from cnnref.commands import verify as cli
from verify import mutants


def _run(argv, capsys):
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    code = cli.run(parser.parse_args(argv))
    return code, capsys.readouterr().out


def test_table_lists_cases_and_passes(capsys):
    code, out = _run(["--target", "grad_V", "--target", "maxpool2d_backward"], capsys)
    assert code == 0
    header = out.splitlines()[0]
    for column in ("case", "shapes", "naive", "central FD", "complex step", "kinks"):
        assert column in header
    assert "grad_V[float64, one-hot]" in out and "refused" in out
    assert "cases passed" in out


def test_json_output(capsys):
    code, out = _run(["--json", "--target", "dense_backward", "--seed", "3"], capsys)
    data = json.loads(out)
    assert code == 0 and data["seed"] == 3 and data["failed"] == 0
    assert {r["target"] for r in data["results"]} == {"dense_backward"}
    assert "complex_step" in data["results"][0]["errors"]


def test_exit_status_is_one_when_a_case_fails(capsys, monkeypatch):
    monkeypatch.setattr(cnnref, "output_delta", mutants.output_delta_sign)
    code, out = _run(["--target", "output_delta"], capsys)
    assert code == 1
    assert "FAIL output_delta" in out


def test_mutants_print_catch_rates(capsys):
    code, out = _run(["--mutants", "--target", "grad_c"], capsys)
    assert code == 0
    assert "grad_c_mean" in out and "100%" in out and "rejected" in out
    code, out = _run(["--mutants", "--json", "--target", "output_delta"], capsys)
    data = json.loads(out)
    assert data["escaped"] == 0 and len(data["results"]) == 2


def test_python_dash_m_verify(tmp_path):
    # From a neutral folder: `python -m` puts the working directory first on sys.path, and a source
    # checkout's cnnref/ has no compiled kernels unless built in place.
    done = subprocess.run(
        [sys.executable, "-m", "verify", "--target", "bias_gradient"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "bias_gradient[float32]" in done.stdout
