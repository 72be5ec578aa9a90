"""``cnnref verify`` / ``python -m verify``: table, JSON, mutants, exit status."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

import cnnref
from cnnref.commands import verify as cli
from verify import compare, oracle, registry
from verify.cases.gradients import output_delta_sign


def _run(argv, capsys):
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    code = cli.run(parser.parse_args(argv))
    return code, capsys.readouterr().out


def _table_lines(out: str) -> list[str]:
    """The table's lines: from its first heading line to the blank line before the summary."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("case"))
    end = lines.index("", start)
    return lines[start - 1 : end]


def test_table_lists_cases_and_passes(capsys):
    code, out = _run(["--target", "grad_V", "--target", "maxpool2d_backward"], capsys)
    assert code == 0
    table = _table_lines(out)
    assert "grad_V" in table and "maxpool2d_backward" in table  # one heading line per gradient
    assert any(line.startswith("  float64, one-hot ") for line in table)
    assert "refused" in out
    assert "cases passed" in out


def test_table_fits_in_100_columns_with_a_column_for_every_method(capsys):
    """Every method the oracle runs has its column, the Taylor-remainder test included; no line
    of the whole output is wider than 100 columns, the conv cases' long names included."""
    code, out = _run(["--target", "conv2d_backward", "--target", "backprop"], capsys)
    assert code == 0
    assert max(len(line) for line in out.splitlines()) <= 100
    first, second = _table_lines(out)[:2]
    for key, (top, bottom) in cli.METHODS:
        assert top in first and bottom in second, key
    results = [oracle.run_case(case) for case in registry.cases(0, ["conv2d_backward", "backprop"])]
    assert {key for key, _ in cli.METHODS} == set(compare.ORACLES)  # a column per method
    ran = {method for r in results for method in (*r.comparisons, *r.refused)}
    assert ran == set(compare.ORACLES)  # these two targets run every method there is
    taylor_column = first.index("Taylor")
    rows = [line for line in _table_lines(out)[2:] if line.endswith("pass")]
    assert rows and all(line[taylor_column : taylor_column + 7] != "—      " for line in rows)


def test_wide_table_has_full_names_and_shapes(capsys):
    code, out = _run(["--wide", "--target", "conv2d_backward"], capsys)
    assert code == 0
    header = out.splitlines()[0]
    for column in ("case", "shapes", *compare.LABELS.values()):
        assert column in header
    assert "conv2d_backward[float64, cross-correlation, stride 1, pad 0]  dout" in out


def test_json_output(capsys):
    code, out = _run(["--json", "--target", "dense_backward", "--seed", "3"], capsys)
    data = json.loads(out)
    assert code == 0 and data["seed"] == 3 and data["failed"] == 0
    assert {r["target"] for r in data["results"]} == {"dense_backward"}
    assert "complex_step" in data["results"][0]["errors"]


def test_exit_status_is_one_when_a_case_fails(capsys, monkeypatch):
    monkeypatch.setattr(cnnref, "output_delta", output_delta_sign)
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
    lines = done.stdout.splitlines()
    assert "bias_gradient" in lines and any(line.startswith("  float32") for line in lines)
    assert "2/2 cases passed" in done.stdout
