"""The side-by-side benchmark runs end to end on a tiny setting and reports what it promises."""

from __future__ import annotations

import argparse
import json

import pytest

from cnnref.bench.seed import (
    LAYERS,
    Settings,
    memory_probe,
    report_as_json,
    run_benchmark,
    time_pair,
)
from cnnref.commands import bench as bench_cli


def _tiny(**changes) -> Settings:
    settings = Settings(
        dtypes=("float64",),
        batches=(1,),
        repeats=1,
        min_seconds=0.0,
        memory=False,
        threads=1,
        settle_seconds=0.0,
    )
    for name, value in changes.items():
        setattr(settings, name, value)
    return settings


def test_every_layer_direction_and_whole_network_case_is_timed():
    lines: list[str] = []
    report = run_benchmark(_tiny(), echo=lines.append)
    cases = [row.case for row in report.rows]
    expected = [f"{layer} {d}" for layer in LAYERS for d in ("forward", "backward")]
    assert cases == [*expected, "training step", "inference"]
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
