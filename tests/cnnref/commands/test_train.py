"""``cnnref train`` end to end on a small synthetic data set in place of cnnref.training.data (the
run, cnnref.training.run, loads its data set)."""

from __future__ import annotations

import json
import signal
import threading
from types import SimpleNamespace

import numpy as np
import pytest

from cnnref.cli import main
from cnnref.commands import train as train_cli
from cnnref.training import run as training_run
from cnnref.training.checkpoint import load_checkpoint

CLASS_NAMES = ["top-left", "top-right", "bottom-left", "bottom-right"]


def synthetic_dataset(name: str = "fashion-mnist") -> SimpleNamespace:
    """The cnnref.training.data Dataset contract: (N, 32, 32, 1) float32 in [0, 1], int64 labels."""
    rng = np.random.default_rng(0)

    def split(count):
        labels = rng.integers(0, 4, count).astype(np.int64)
        images = rng.uniform(0, 0.3, (count, 32, 32, 1)).astype(np.float32)
        for n, label in enumerate(labels):
            row, column = divmod(int(label), 2)
            images[n, 4 + 16 * row : 12 + 16 * row, 4 + 16 * column : 12 + 16 * column] = 1.0
        return images, labels

    (train_images, train_labels), (test_images, test_labels) = split(64), split(24)
    return SimpleNamespace(
        name=name,
        train_images=train_images,
        train_labels=train_labels,
        test_images=test_images,
        test_labels=test_labels,
        class_names=CLASS_NAMES,
    )


@pytest.fixture
def fake_data(monkeypatch):
    requests = []

    def load(name, data_dir, download):
        requests.append((name, data_dir, download))
        return synthetic_dataset(name)

    monkeypatch.setattr(training_run, "load_dataset", load)
    return requests


def train(out, *extra: str) -> int:
    return main(["train", "--out", str(out), "--batch-size", "16", *extra])


def test_train_writes_checkpoint_metrics_and_epoch_lines(tmp_path, fake_data, capsys):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    out_dir = tmp_path / "run"
    assert train(out_dir, "--epochs", "2", "--dataset", "mnist", "--data-dir", str(data_dir)) == 0
    out = capsys.readouterr().out
    epoch_lines = [line for line in out.splitlines() if line.startswith("epoch")]
    assert len(epoch_lines) == 2
    for line in epoch_lines:
        for field in ("loss", "train acc", "test acc", "images/s"):
            assert field in line
    assert [(name, str(folder), download) for name, folder, download in fake_data] == [
        ("mnist", str(data_dir), False)
    ]
    metrics = json.loads((out_dir / "metrics.json").read_text())
    assert [row["epoch"] for row in metrics] == [1, 2]
    assert (out_dir / "metrics.csv").read_text().splitlines()[0] == (
        "epoch,loss,train_acc,test_acc,images_per_s,seconds"
    )
    saved = load_checkpoint(out_dir / "checkpoint.npz")
    assert saved.epoch == 2
    assert saved.config["dataset"] == "mnist"
    assert saved.config["architecture"]["channels"] == 1
    assert saved.config["hyperparameters"]["lr"] == 0.01
    mean = saved.config["normalization"]["mean"][0]
    assert mean == pytest.approx(float(synthetic_dataset().train_images.mean()), rel=1e-6)


def test_resume_continues_exactly(tmp_path, fake_data, capsys):
    straight, split = tmp_path / "straight", tmp_path / "split"
    assert train(straight, "--epochs", "3", "--optimizer", "adam") == 0
    assert train(split, "--epochs", "2", "--optimizer", "adam") == 0
    assert train(split, "--epochs", "3", "--resume") == 0
    assert "resuming after epoch 2" in capsys.readouterr().out
    exact = ("epoch", "loss", "train_acc", "test_acc")
    straight_rows, split_rows = (
        [{k: row[k] for k in exact} for row in json.loads((d / "metrics.json").read_text())]
        for d in (straight, split)
    )
    assert len(split_rows) == 3
    assert split_rows == straight_rows
    a, b = (load_checkpoint(d / "checkpoint.npz") for d in (straight, split))
    for name, value in a.parameters.items():
        np.testing.assert_array_equal(b.parameters[name], value)


def test_resume_with_a_different_option_is_refused(tmp_path, fake_data, capsys):
    assert train(tmp_path, "--epochs", "1") == 0
    assert train(tmp_path, "--epochs", "2", "--resume", "--lr", "0.1") == 2
    error = capsys.readouterr().err
    assert "checkpoint.npz" in error and "mismatch" in error and "--lr 0.01" in error


def test_existing_run_is_not_overwritten_without_resume(tmp_path, fake_data, capsys):
    assert train(tmp_path, "--epochs", "1") == 0
    before = (tmp_path / "checkpoint.npz").read_bytes()
    assert train(tmp_path, "--epochs", "1") == 2
    assert "already exists" in capsys.readouterr().err
    assert (tmp_path / "checkpoint.npz").read_bytes() == before


def test_resume_from_a_corrupt_checkpoint_names_the_file(tmp_path, fake_data, capsys):
    assert train(tmp_path, "--epochs", "1") == 0
    path = tmp_path / "checkpoint.npz"
    path.write_bytes(path.read_bytes()[:100])
    assert train(tmp_path, "--epochs", "2", "--resume") == 2
    error = capsys.readouterr().err
    assert str(path) in error and "truncated or corrupt" in error


def test_resume_without_a_checkpoint_suggests_dropping_resume(tmp_path, fake_data, capsys):
    assert train(tmp_path, "--epochs", "1", "--resume") == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1
    assert error.startswith(f"cnnref train: error: --resume: {tmp_path} holds no run to resume")
    assert "drop --resume to start a new run there" in error
    assert fake_data == []


def test_resume_of_a_finished_run_says_it_is_finished(tmp_path, fake_data, capsys):
    assert train(tmp_path, "--epochs", "2") == 0
    before = (tmp_path / "checkpoint.npz").read_bytes()
    capsys.readouterr()
    assert train(tmp_path, "--epochs", "2", "--resume") == 2
    error = capsys.readouterr().err
    assert error == (
        f"cnnref train: error: --resume: the run in {tmp_path} is finished: it has trained 2 "
        "epochs and --epochs is 2; pass --epochs 3 or more to train it further\n"
    )
    assert (tmp_path / "checkpoint.npz").read_bytes() == before
    assert train(tmp_path, "--epochs", "3", "--resume") == 0
    assert load_checkpoint(tmp_path / "checkpoint.npz").epoch == 3


@pytest.mark.skipif(
    threading.current_thread() is not threading.main_thread(),
    reason="SIGINT handlers can only be installed from the main thread",
)
def test_ctrl_c_leaves_a_usable_checkpoint(tmp_path, fake_data, monkeypatch, capsys):
    class InterruptingBar:
        def __init__(self, epoch, total, done):
            self.epoch = epoch

        def update(self, n=1):
            if self.epoch == 2:
                signal.getsignal(signal.SIGINT)(signal.SIGINT, None)

        def close(self):
            pass

    monkeypatch.setattr(train_cli, "_progress_bar", lambda epochs: InterruptingBar)
    assert train(tmp_path, "--epochs", "3") == 130
    assert "interrupted" in capsys.readouterr().err
    saved = load_checkpoint(tmp_path / "checkpoint.npz")
    assert (saved.epoch, saved.step) == (1, 1)
    monkeypatch.undo()
    monkeypatch.setattr(training_run, "load_dataset", lambda *args: synthetic_dataset())
    assert train(tmp_path, "--epochs", "3", "--resume") == 0
    assert load_checkpoint(tmp_path / "checkpoint.npz").epoch == 3


def test_limit_trains_on_the_first_images(tmp_path, fake_data):
    assert train(tmp_path, "--epochs", "1", "--limit", "20") == 0
    saved = load_checkpoint(tmp_path / "checkpoint.npz")
    first = synthetic_dataset().train_images[:20]
    assert saved.config["normalization"]["mean"][0] == pytest.approx(first.mean(), rel=1e-6)
    assert saved.training["metrics"][0]["images_per_s"] > 0


def test_plot_writes_three_figures(tmp_path, fake_data, capsys):
    pytest.importorskip("matplotlib")
    assert train(tmp_path, "--epochs", "1", "--plot") == 0
    for name in ("learning_curves.png", "filters.png", "feature_maps.png"):
        assert (tmp_path / name).read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--epochs", "0", "argument --epochs: expected a whole number >= 1, got '0'"),
        ("--limit", "0", "argument --limit: expected a whole number >= 1, got '0'"),
        ("--batch-size", "-3", "argument --batch-size: expected a whole number >= 1, got '-3'"),
        ("--seed", "-1", "argument --seed: expected a whole number >= 0, got '-1'"),
        ("--seed", "1.5", "argument --seed: expected a whole number >= 0, got '1.5'"),
        ("--lr", "0", "argument --lr: expected a number > 0, got '0'"),
        (
            "--data-dir",
            "/nonexistent",
            "argument --data-dir: the folder '/nonexistent' does not exist",
        ),
    ],
)
def test_a_bad_option_is_named_in_one_line_with_exit_status_2(
    tmp_path, fake_data, capsys, option, value, message
):
    with pytest.raises(SystemExit) as raised:
        train(tmp_path, option, value)
    assert raised.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == f"cnnref train: error: {message}"
    assert fake_data == []


def test_bad_options(tmp_path, fake_data, capsys):
    with pytest.raises(SystemExit):
        train(tmp_path, "--optimizer", "rmsprop")
