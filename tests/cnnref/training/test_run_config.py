"""A training run's configuration: defaults for a new run, the checkpoint's for a resumed one."""

from __future__ import annotations

from pathlib import Path

import pytest

from cnnref.training.checkpoint import CheckpointError
from cnnref.training.run_config import RunOptions, fresh_config, resumed_config, run_config


def test_a_new_run_takes_each_default_and_the_optimizers_learning_rate() -> None:
    config = fresh_config(RunOptions(optimizer="adam", seed=3))
    assert config == {
        "dataset": "fashion-mnist",
        "activation": "relu",
        "hyperparameters": {
            "batch_size": 64,
            "lr": 0.001,
            "optimizer": "adam",
            "momentum": 0.9,
            "seed": 3,
            "limit": None,
        },
    }
    assert fresh_config(RunOptions(lr=0.5))["hyperparameters"]["lr"] == 0.5


def test_the_folder_is_out_or_runs_slash_the_dataset() -> None:
    assert RunOptions().folder == Path("runs") / "fashion-mnist"
    assert RunOptions(dataset="mnist").folder == Path("runs") / "mnist"
    assert RunOptions(dataset="mnist", out=Path("here")).folder == Path("here")


def test_a_resumed_run_keeps_its_config_and_refuses_an_option_that_disagrees() -> None:
    saved = {
        "dataset": "mnist",
        "architecture": {"activation": "tanh"},
        "hyperparameters": fresh_config(RunOptions())["hyperparameters"],
        "normalization": {"mean": [0.1], "std": [0.3]},
    }
    assert resumed_config(RunOptions(dataset="mnist", lr=0.01), saved, Path("c.npz")) is saved
    with pytest.raises(CheckpointError, match="this command asks for --activation relu"):
        resumed_config(RunOptions(activation="relu"), saved, Path("c.npz"))
    with pytest.raises(CheckpointError, match="config lacks 'mean'; not a cnnref train checkpoint"):
        resumed_config(RunOptions(), {**saved, "normalization": {}}, Path("c.npz"))


def test_a_new_run_never_writes_over_an_old_one(tmp_path) -> None:
    (tmp_path / "checkpoint.npz").write_bytes(b"")
    with pytest.raises(ValueError, match="already exists: pass --resume"):
        run_config(RunOptions(out=tmp_path))
    with pytest.raises(ValueError, match="holds no run to resume"):
        run_config(RunOptions(out=tmp_path / "empty", resume=True))
