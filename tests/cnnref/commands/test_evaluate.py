"""``cnnref evaluate CHECKPOINT``: accuracy and confusion matrix, clear errors on bad files."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from cnnref.cli import main
from cnnref.nn.network import build_network
from cnnref.training import checkpoint_evaluation
from cnnref.training import run as training_run
from cnnref.training.checkpoint import load_checkpoint
from cnnref.training.fit import evaluate, normalize

CLASS_NAMES = ["left", "right", "top", "bottom"]


def synthetic_dataset(name: str = "fashion-mnist") -> SimpleNamespace:
    """The cnnref.training.data Dataset contract; the class is the border holding a bright bar."""
    rng = np.random.default_rng(0)
    bars = [np.s_[:, :4], np.s_[:, -4:], np.s_[:4, :], np.s_[-4:, :]]

    def split(count):
        labels = rng.integers(0, 4, count).astype(np.int64)
        images = rng.uniform(0, 0.3, (count, 32, 32, 1)).astype(np.float32)
        for image, label in zip(images, labels, strict=True):
            image[bars[label]] = 1.0
        return images, labels

    (train_x, train_y), (test_x, test_y) = split(64), split(24)
    return SimpleNamespace(
        name=name,
        train_images=train_x,
        train_labels=train_y,
        test_images=test_x,
        test_labels=test_y,
        class_names=CLASS_NAMES,
    )


@pytest.fixture
def trained(tmp_path, monkeypatch, capsys):
    load = lambda name, data_dir, download: synthetic_dataset(name)  # noqa: E731
    monkeypatch.setattr(training_run, "load_dataset", load)
    monkeypatch.setattr(checkpoint_evaluation, "load_dataset", load)
    assert main(["train", "--out", str(tmp_path), "--epochs", "2", "--batch-size", "16"]) == 0
    capsys.readouterr()
    return tmp_path / "checkpoint.npz"


def test_evaluate_prints_accuracy_and_confusion_matrix(trained, capsys):
    assert main(["evaluate", str(trained)]) == 0
    lines = capsys.readouterr().out.splitlines()
    checkpoint = load_checkpoint(trained)
    network = build_network(checkpoint.config["architecture"])
    network.set_parameters(checkpoint.parameters)
    data = synthetic_dataset()
    norm = checkpoint.config["normalization"]
    images = normalize(data.test_images, norm["mean"], norm["std"])
    _, accuracy, predictions = evaluate(network, images, data.test_labels)
    assert lines[0].startswith("fashion-mnist test set, 24 images, after epoch 2:")
    assert f"accuracy {accuracy:.2%}" in lines[0]
    assert accuracy == checkpoint.training["metrics"][-1]["test_acc"]
    rows = lines[2:]
    assert [row.split()[1] for row in rows] == CLASS_NAMES
    counts = np.array([[int(c) for c in row.split()[2:6]] for row in rows])
    assert counts.sum() == 24
    assert np.trace(counts) == int(np.sum(predictions == data.test_labels))


def test_evaluate_train_split(trained, capsys):
    assert main(["evaluate", str(trained), "--split", "train"]) == 0
    assert "train set, 64 images" in capsys.readouterr().out


def test_evaluate_reports_a_bad_checkpoint(tmp_path, trained, capsys):
    broken = tmp_path / "broken.npz"
    broken.write_bytes(trained.read_bytes()[:-50])
    assert main(["evaluate", str(broken)]) == 2
    error = capsys.readouterr().err
    assert "broken.npz" in error and "truncated or corrupt" in error
    assert main(["evaluate", str(tmp_path / "none.npz")]) == 2
    assert "no such file" in capsys.readouterr().err


@pytest.mark.parametrize(
    "content", [b"\x80\x04garbage that is no archive" * 10, b"hello\n", b"", bytes(range(256))]
)
def test_evaluate_on_a_file_that_is_no_checkpoint_says_so(tmp_path, content, capsys):
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(content)
    assert main(["evaluate", str(garbage)]) == 2
    error = capsys.readouterr().err
    assert error == (
        f"cnnref evaluate: error: checkpoint {garbage}: not a checkpoint: a cnnref checkpoint is "
        "the .npz archive cnnref train writes\n"
    )
    assert "pickle" not in error
