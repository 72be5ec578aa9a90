"""The side-by-side benchmark runs end to end on a tiny setting and reports what it promises."""

from __future__ import annotations

import argparse
import json
import os

import numpy as np
import pytest

from cnnref.bench.formula_step import formula_step
from cnnref.bench.seed import (
    LAYERS,
    Settings,
    memory_probe,
    report_as_json,
    run_benchmark,
    time_pair,
)
from cnnref.commands import bench as bench_cli
from cnnref.nn.seed_step import SeedTrainer, seed_parameters


def _tiny(**changes) -> Settings:
    settings = Settings(
        dtypes=("float64",),
        batches=(1,),
        repeats=1,
        min_seconds=0.0,
        memory=False,
        threads=1,
        settle_seconds=0.0,
        ceiling=False,
        competing=False,
    )
    for name, value in changes.items():
        setattr(settings, name, value)
    return settings


def test_every_layer_direction_and_whole_network_case_is_timed():
    lines: list[str] = []
    report = run_benchmark(_tiny(), echo=lines.append)
    cases = [row.case for row in report.rows]
    expected = [f"{layer} {d}" for layer in LAYERS for d in ("forward", "backward")]
    steps = ["training step", "training step (formulas)", "training step (fit)"]
    assert cases == [*expected, *steps, "inference"]
    assert all(row.cnnref_per_s > 0 for row in report.rows)
    assert len(lines) == 1 + len(cases)  # a header, then one line per case
    assert json.loads(report_as_json(report))["machine"]["threads"] == 1


def test_ratios_are_reported_against_pytorch_when_installed():
    pytest.importorskip("torch")
    report = run_benchmark(_tiny(), echo=lambda line: None)
    for row in report.rows:
        assert row.torch_per_s and row.torch_per_s > 0
        assert row.ratio == pytest.approx(row.cnnref_per_s / row.torch_per_s)


def test_memory_probe_reports_the_peak_of_a_training_step():
    result = memory_probe("cnnref", "float32", 2, threads=1, steps=1)
    assert result["peak_rss_mb"] > 0
    assert result["traced_peak_mb"] > 0.5  # at least the patch matrices of one step


def test_cli_settings_follow_the_flags():
    parser = argparse.ArgumentParser()
    bench_cli.add_arguments(parser)
    quick = bench_cli.settings_from(parser.parse_args(["--quick", "--dtype", "float32"]))
    assert quick.batches == (64,) and quick.dtypes == ("float32",) and quick.repeats == 3
    full = bench_cli.settings_from(parser.parse_args(["--batch", "8", "--no-memory"]))
    assert full.batches == (8,) and full.dtypes == ("float32", "float64") and not full.memory
    with pytest.raises(ValueError, match="--batch"):
        bench_cli.settings_from(parser.parse_args(["--batch", "0"]))


def test_each_repeat_starts_after_the_settle_pause_and_one_untimed_call():
    events: list[str] = []
    settings = _tiny(repeats=2, settle_seconds=0.01)
    time_pair(lambda: events.append("ours"), lambda: events.append("theirs"), settings)
    # _calls_for: a warm-up and a timed call each; then per repeat: one untimed call + the timed one
    assert events == ["ours"] * 2 + ["theirs"] * 2 + ["ours", "ours", "theirs", "theirs"] * 2


def test_without_torch_the_report_says_which_side_is_missing_and_how_to_install_it(monkeypatch):
    from cnnref.bench import seed as benchmark

    monkeypatch.setattr(benchmark, "_torch", lambda: None)
    lines: list[str] = []
    report = run_benchmark(_tiny(), echo=lines.append)
    assert "PyTorch is not installed" in lines[0]
    assert "--index-url https://download.pytorch.org/whl/cpu" in lines[0]
    assert report.notes == [lines[0]]
    assert all(row.torch_per_s is None and row.ratio is None for row in report.rows)


def test_gflops_and_the_share_of_the_ceiling_follow_from_the_counted_work():
    from cnnref.bench.ceiling import seed_case_flops
    from cnnref.nn.seed_step import seed_parameters

    report = run_benchmark(_tiny(ceiling=True, repeats=1), echo=lambda line: None)
    ceiling = report.ceilings["float64"]
    assert ceiling > 0
    flops = seed_case_flops(seed_parameters(dtype=float), 1)
    # conv1: 2 · 28 · 28 · 16 · 5 · 5 · 3 per image forward; backward twice that
    assert flops["conv1 forward"] == 2 * 28 * 28 * 16 * 75
    assert flops["conv1 backward"] == 2 * flops["conv1 forward"]
    layers = ("conv1", "conv2", "dense1", "dense2")
    forward = sum(flops[f"{layer} forward"] for layer in layers)
    assert flops["inference"] == forward
    assert flops["training step"] == 3 * forward - flops["conv1 forward"]
    for row in report.rows:
        if row.case.startswith("pool"):
            assert row.cnnref_gflops is None and row.ceiling_percent is None
        else:
            assert row.cnnref_gflops == pytest.approx(row.cnnref_per_s * flops[row.case] / 1e9)
            assert row.ceiling_percent == pytest.approx(100 * row.cnnref_gflops / ceiling)


def test_the_shared_machine_case_reports_the_share_of_idle_throughput_kept():
    report = run_benchmark(_tiny(competing=True), echo=lambda line: None)
    (result,) = report.shared_machine
    assert result["dtype"] == "float64" and result["batch"] == 1
    assert result["cnnref_busy_per_s"] > 0
    assert result["cnnref_kept"] == pytest.approx(
        result["cnnref_busy_per_s"] / result["cnnref_idle_per_s"]
    )


def test_one_core_busy_runs_a_spinning_child_and_stops_it():
    from cnnref.bench.load import one_core_busy

    with one_core_busy(warmup_seconds=0.0) as child:
        assert child.poll() is None  # running
    assert child.poll() is not None  # stopped


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_formula_step_takes_the_fused_functional_step(dtype):
    """The step on the formula functions one call at a time and the fused functional step
    (cnnref.nn.seed_step) give the same J and the same parameters after the update, to rounding."""
    params = seed_parameters(dtype=dtype)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((5, 32, 32, 3)).astype(dtype)
    t = np.eye(10, dtype=dtype)[rng.integers(0, 10, 5)]
    trainer = SeedTrainer(params, 0.1)
    formulas = {name: value.copy() for name, value in params.items()}
    assert formula_step(formulas, x, t, 0.1) == pytest.approx(trainer.step(x, t), rel=1e-5)
    tolerance = 1e-4 if dtype == np.float32 else 1e-10
    for name, value in trainer.params.items():
        assert not np.array_equal(value, params[name]), name  # the step moved it
        np.testing.assert_allclose(formulas[name], value, rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--batch", "0"], "--batch must be >= 1, got [0]"),
        (["--threads", "-1"], "--threads must be >= 0, got -1"),
        (  # once a segmentation fault in torch.set_num_threads
            ["--threads", "100000"],
            f"--threads must be at most {4 * (os.cpu_count() or 1)} (4 per CPU, the bound cnnref "
            "puts on OMP_NUM_THREADS: a huge team crashes the OpenMP runtime), got 100000",
        ),
        (["--json", "/nowhere/bench.json"], "--json: the folder '/nowhere' does not exist"),
    ],
)
def test_a_bad_option_is_one_error_line_and_status_2_before_any_timing(argv, message, capsys):
    parser = argparse.ArgumentParser()
    bench_cli.add_arguments(parser)
    assert bench_cli.run(parser.parse_args(argv)) == 2  # once a traceback (--batch 0)
    assert capsys.readouterr().err == f"cnnref bench: error: {message}\n"
