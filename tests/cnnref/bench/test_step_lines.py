"""benchmarks/step_lines.py: the line-by-line profile of the formula loop and the fused step."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

pytest.importorskip("line_profiler")

SCRIPT = Path(__file__).resolve().parents[3] / "benchmarks" / "step_lines.py"


def _script():
    spec = importlib.util.spec_from_file_location("step_lines", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_profiled_function_reports_its_lines_and_a_total_they_add_up_to(capsys):
    assert _script().main(["--dtype", "float64", "--batch", "2", "--steps", "2"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("float64, batch 2, 2 steps of each")
    blocks = {}
    for line in out.splitlines()[1:]:
        if not line.startswith(" "):
            name, total = line.split(": ")
            blocks[name] = (float(total.split()[0]), [])
        else:
            blocks[name][1].append(float(line.split()[0]))
    assert set(blocks) == {"formula_step", "SeedTrainer.step", "seed_forward", "seed_gradients"}
    for name, (total, lines) in blocks.items():
        assert total > 0 and lines, name
        assert sum(lines) == pytest.approx(total, abs=0.0005 * len(lines) + 1e-9), name
    assert any("params[name] += learning_rate * g" in line for line in out.splitlines())


def test_a_batch_of_zero_is_a_usage_error():
    with pytest.raises(SystemExit) as stop:
        _script().main(["--batch", "0"])
    assert stop.value.code == 2
