"""The training loop: exact resume (after an epoch and mid-epoch), seeding, Ctrl-C, real data."""

from __future__ import annotations

import signal
import threading
from pathlib import Path

import numpy as np
import pytest

from cnnref.nn.network import mlp, seed_cnn
from cnnref.nn.optim import make_optimizer
from cnnref.training.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from cnnref.training.fit import (
    TrainingInterrupted,
    channel_statistics,
    evaluate,
    fit,
    make_checkpoint,
    new_state,
    normalize,
    one_hot,
    restore,
)
from cnnref.training.metrics import METRIC_FIELDS

FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")
EXACT_FIELDS = ("epoch", "loss", "train_acc", "test_acc")


def synthetic_images(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """32×32×1 images whose class (0–3) is the quadrant holding a bright square, plus noise."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 4, count)
    images = rng.normal(0, 0.3, (count, 32, 32, 1)).astype(np.float32)
    for n, label in enumerate(labels):
        row, column = divmod(int(label), 2)
        images[n, 4 + 16 * row : 12 + 16 * row, 4 + 16 * column : 12 + 16 * column] += 1.0
    return images, labels


TRAIN = synthetic_images(48, 0)
TEST = synthetic_images(16, 1)


def build(optimizer: str = "sgd", seed: int = 0):
    network = seed_cnn(channels=1, classes=4, seed=seed)
    lr = 0.01 if optimizer == "sgd" else 0.001
    return network, make_optimizer(optimizer, network.parameters(), lr=lr, momentum=0.9)


def run(epochs: int, optimizer: str = "sgd", seed: int = 0, **kwargs):
    network, opt = build(optimizer, seed)
    state = fit(
        network, opt, TRAIN, TEST, epochs=epochs, batch_size=16, state=new_state(seed), **kwargs
    )
    return network, state


def saver(path: Path, network, optimizer):
    def save(state):
        save_checkpoint(path, make_checkpoint(network, optimizer, state, {"test": True}))

    return save


def assert_same_run(network_a, state_a, network_b, state_b) -> None:
    for name, value in network_a.parameters().items():
        np.testing.assert_array_equal(network_b.parameters()[name], value, err_msg=name)
    assert [{k: row[k] for k in EXACT_FIELDS} for row in state_a.metrics] == [
        {k: row[k] for k in EXACT_FIELDS} for row in state_b.metrics
    ]


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_two_epochs_then_resume_one_equals_three_straight(tmp_path, optimizer):
    straight_network, straight_state = run(3, optimizer)
    path = tmp_path / "checkpoint.npz"
    network, opt = build(optimizer)
    fit(network, opt, TRAIN, TEST, epochs=2, batch_size=16, state=new_state(0),
        save=saver(path, network, opt))  # fmt: skip
    resumed_network, resumed_opt = build(optimizer, seed=99)  # weights come from the file
    state = restore(load_checkpoint(path), resumed_network, resumed_opt)
    assert (state.epoch, state.step, len(state.metrics)) == (2, 0, 2)
    state = fit(resumed_network, resumed_opt, TRAIN, TEST, epochs=3, batch_size=16, state=state)
    assert_same_run(straight_network, straight_state, resumed_network, state)


def interrupting_progress(at_epoch: int, at_step: int):
    """A progress bar whose update delivers Ctrl-C (through the installed SIGINT handler)."""

    class Bar:
        def __init__(self, epoch: int, total: int, done: int) -> None:
            self.epoch, self.done = epoch, done

        def update(self, n: int = 1) -> None:
            self.done += n
            if (self.epoch, self.done) == (at_epoch, at_step):
                signal.getsignal(signal.SIGINT)(signal.SIGINT, None)

        def close(self) -> None:
            pass

    return Bar


needs_main_thread = pytest.mark.skipif(
    threading.current_thread() is not threading.main_thread(),
    reason="SIGINT handlers can only be installed from the main thread",
)


@needs_main_thread
def test_ctrl_c_mid_epoch_leaves_a_checkpoint_that_resumes_exactly(tmp_path):
    straight_network, straight_state = run(3)
    path = tmp_path / "checkpoint.npz"
    network, opt = build()
    with pytest.raises(TrainingInterrupted, match="epoch 2, minibatch 1"):
        fit(network, opt, TRAIN, TEST, epochs=3, batch_size=16, state=new_state(0),
            save=saver(path, network, opt), progress=interrupting_progress(2, 1))  # fmt: skip
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    saved = load_checkpoint(path)
    assert (saved.epoch, saved.step) == (1, 1)
    resumed_network, resumed_opt = build()
    state = restore(saved, resumed_network, resumed_opt)
    state = fit(resumed_network, resumed_opt, TRAIN, TEST, epochs=3, batch_size=16, state=state)
    assert_same_run(straight_network, straight_state, resumed_network, state)


@needs_main_thread
def test_ctrl_c_on_the_last_minibatch_finishes_and_saves_the_epoch(tmp_path):
    path = tmp_path / "checkpoint.npz"
    network, opt = build()
    with pytest.raises(TrainingInterrupted):
        fit(network, opt, TRAIN, TEST, epochs=3, batch_size=16, state=new_state(0),
            save=saver(path, network, opt), progress=interrupting_progress(1, 3))  # fmt: skip
    saved = load_checkpoint(path)
    assert (saved.epoch, saved.step, len(saved.training["metrics"])) == (1, 0, 1)


def test_same_seed_repeats_bit_for_bit_and_another_seed_differs():
    first_network, first = run(2, seed=3)
    second_network, second = run(2, seed=3)
    assert_same_run(first_network, first, second_network, second)
    _, other = run(2, seed=4)
    assert other.metrics[0]["loss"] != first.metrics[0]["loss"]


def test_metrics_rows_and_learning():
    reports = []
    _, state = run(4, report=reports.append)
    assert reports == state.metrics
    assert [row["epoch"] for row in state.metrics] == [1, 2, 3, 4]
    for row in state.metrics:
        assert tuple(row) == METRIC_FIELDS
        assert row["images_per_s"] > 0 and row["seconds"] > 0
    assert state.metrics[-1]["loss"] < 0.5 * state.metrics[0]["loss"]
    assert state.metrics[-1]["test_acc"] >= 0.9


def test_fit_to_a_reached_epoch_count_does_nothing():
    network, opt = build()
    state = new_state(0)
    state.epoch = 2
    before = {k: v.copy() for k, v in network.parameters().items()}
    fit(network, opt, TRAIN, TEST, epochs=2, batch_size=16, state=state)
    for name, value in before.items():
        np.testing.assert_array_equal(network.parameters()[name], value)


def test_restore_rejects_a_checkpoint_of_another_architecture(tmp_path):
    path = tmp_path / "checkpoint.npz"
    network, opt = build()
    save_checkpoint(path, make_checkpoint(network, opt, new_state(0), {}))
    other = seed_cnn(channels=3, classes=4)
    other_opt = make_optimizer("sgd", other.parameters(), 0.01)
    with pytest.raises(CheckpointError, match=r"checkpoint.npz: architecture mismatch: layers\.0"):
        restore(load_checkpoint(path), other, other_opt)
    adam = make_optimizer("adam", network.parameters(), 0.001)
    with pytest.raises(CheckpointError, match="optimizer state does not fit"):
        restore(load_checkpoint(path), network, adam)
    state = new_state(0)
    state.rng_state = {"bit_generator": "MT19937"}
    save_checkpoint(path, make_checkpoint(network, opt, state, {}))
    with pytest.raises(CheckpointError, match="RNG state"):
        restore(load_checkpoint(path), network, opt)


def test_fit_argument_checks():
    network, opt = build()
    with pytest.raises(ValueError, match="batch_size"):
        fit(network, opt, TRAIN, TEST, epochs=1, batch_size=0, state=new_state(0))
    with pytest.raises(ValueError, match="train must be non-empty"):
        fit(network, opt, (TRAIN[0], TRAIN[1][:3]), TEST, epochs=1, batch_size=4,
            state=new_state(0))  # fmt: skip


def test_fit_names_malformed_parts():
    network, opt = build()
    arguments = {"epochs": 1, "batch_size": 4}
    with pytest.raises(TypeError, match=r"train must be a pair \(images, labels\), got NoneType"):
        fit(network, opt, None, TEST, state=new_state(0), **arguments)
    with pytest.raises(ValueError, match=r"test must be a pair \(images, labels\), got 3 items"):
        fit(network, opt, TRAIN, (*TEST, TEST[1]), state=new_state(0), **arguments)
    with pytest.raises(TypeError, match=r"state must be a TrainingState, got NoneType"):
        fit(network, opt, TRAIN, TEST, state=None, **arguments)
    with pytest.raises(TypeError, match=r"optimizer must be a SGD or Adam, got NoneType"):
        fit(network, None, TRAIN, TEST, state=new_state(0), **arguments)


def test_a_state_past_the_epochs_minibatches_is_named_not_a_zero_division():
    network, opt = build()
    state = new_state(0)
    state.step = 13  # 48 images in minibatches of 4 are 12: a resume with another batch size
    with pytest.raises(ValueError, match=r"state.step = 13 .* 12 minibatches of 4: resume with"):
        fit(network, opt, TRAIN, TEST, epochs=1, batch_size=4, state=state)


@pytest.mark.parametrize(("seed", "error"), [("a", TypeError), (1.7, TypeError), (-1, ValueError)])
def test_new_state_names_a_bad_seed(seed, error):
    with pytest.raises(error, match=r"seed must be an integer >= 0"):
        new_state(seed)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [("partial", 5, "'partial' must map"), ("partial", {}, "'partial' must map"),
     ("metrics", 5, "'metrics' must be a list")],
)  # fmt: skip
def test_restore_rejects_malformed_running_sums_and_metrics(key, value, message):
    network, opt = build()
    checkpoint = make_checkpoint(network, opt, new_state(0), {})
    checkpoint.training[key] = value  # once TypeError / KeyError, or a KeyError later in fit
    with pytest.raises(CheckpointError, match=message):
        restore(checkpoint, network, opt)


def test_channel_statistics_and_normalize():
    rng = np.random.default_rng(0)
    images = rng.normal([1.0, -2.0, 0.5], [2.0, 0.5, 1.0], (50, 8, 8, 3)).astype(np.float32)
    images[..., 2] = 0.25  # a constant channel
    mean, std = channel_statistics(images)
    np.testing.assert_allclose(mean, images.reshape(-1, 3).mean(axis=0), rtol=1e-5)
    assert std[2] == 1.0
    normalized = normalize(images, mean, std)
    assert normalized.dtype == np.float32 and normalized is not images
    np.testing.assert_allclose(normalized[..., :2].reshape(-1, 2).mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(normalized[..., :2].reshape(-1, 2).std(axis=0), 1, rtol=1e-4)
    with pytest.raises(ValueError, match="one per channel"):
        normalize(images, mean[:2], std[:2])
    with pytest.raises(ValueError, match="at least one image"):
        channel_statistics(images[:0])


@pytest.mark.parametrize(
    ("mean", "std", "error", "message"),
    [
        ([0.0, np.nan], [1.0, 1.0], ValueError, r"mean must be 2 real .*finite.*mean\[1\] = nan"),
        ([0.0, 0.0], [np.inf, 1.0], ValueError, r"std must be 2 .*finite, got std\[0\] = inf"),
        ([0.0, 0.0], [1.0, 0.0], ValueError, r"std must be > 0 .*std\[1\] = 0.0"),
        (None, [1.0, 1.0], TypeError, r"mean must be 2 real numbers \(one per channel\), got None"),
        (["a", "b"], [1.0, 1.0], TypeError, r"mean must be 2 real numbers"),
        ([0.0, 0.0], [1 + 1j, 1], TypeError, r"std must be .*pass std.real"),
    ],
)  # fmt: skip
def test_normalize_rejects_nonfinite_or_malformed_statistics(mean, std, error, message):
    images = np.ones((2, 3, 3, 2), np.float32)  # NaN once passed through to every image
    with pytest.raises(error, match=message):
        normalize(images, mean, std)
    with pytest.raises(TypeError, match=r"dtype must be float32 or float64 .*got float16"):
        normalize(images, [0.0, 0.0], [1.0, 1.0], np.float16)


def test_one_hot_and_evaluate():
    np.testing.assert_array_equal(one_hot(np.array([2, 0]), 3), [[0, 0, 1], [1, 0, 0]])
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 3\)"):
        one_hot(np.array([3]), 3)
    with pytest.raises(ValueError, match=r"len\(labels\) and classes ask for the one-hot targ"):
        one_hot(np.zeros(4, int), 2**62)  # once NumPy's "array is too big"
    network = mlp([2, 2], "relu", dtype=np.float64)
    network.set_parameters({"layers.0.w": np.eye(2), "layers.0.b": np.zeros(2)})
    x = np.array([[2.0, 0.0], [0.0, 1.0], [3.0, 1.0]])
    loss, accuracy, predictions = evaluate(network, x, np.array([0, 1, 1]))
    np.testing.assert_array_equal(predictions, [0, 1, 0])
    assert accuracy == pytest.approx(2 / 3)
    y = np.exp(x) / np.exp(x).sum(axis=1, keepdims=True)
    assert loss == pytest.approx(-np.mean(np.log(y[[0, 1, 2], [0, 1, 1]])))


@pytest.mark.skipif(not FASHION_MNIST.is_dir(), reason="Debian's dataset-fashion-mnist is absent")
def test_short_real_training_on_fashion_mnist():
    from cnnref.training.data import load_dataset

    data = load_dataset("fashion-mnist", data_dir=FASHION_MNIST)
    train_images, train_labels = data.train_images[:2000], data.train_labels[:2000]
    mean, std = channel_statistics(train_images)
    train = (normalize(train_images, mean, std), train_labels)
    test = (normalize(data.test_images[:500], mean, std), data.test_labels[:500])
    network = seed_cnn(channels=1, classes=10)
    optimizer = make_optimizer("sgd", network.parameters(), lr=0.01, momentum=0.9)
    state = fit(network, optimizer, train, test, epochs=1, batch_size=64, state=new_state(0))
    assert state.metrics[0]["test_acc"] > 0.5  # chance is 0.1
