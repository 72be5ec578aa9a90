"""The training race: both frameworks do the same training run, and the report adds up."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from cnnref.bench.race import RaceSettings, TorchRun, race, seed_parameters_of  # noqa: E402
from cnnref.nn.network import seed_cnn  # noqa: E402


def _data(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Images whose class (0 or 1) is whether the upper half is brighter than the lower half."""
    rng = np.random.default_rng(seed)
    images = rng.standard_normal((count, 32, 32, 1)).astype(np.float32)
    labels = rng.integers(0, 2, count)
    images[labels == 1, :16] += 1.0
    images[labels == 0, 16:] += 1.0
    return images, labels


def test_the_pytorch_network_starts_from_cnnrefs_weights():
    network = seed_cnn(1, 2, seed=3)
    images, labels = _data(8, 0)
    run = TorchRun(network, (images, labels), (images, labels), RaceSettings())
    with torch.no_grad():
        theirs = torch.softmax(run.model(run.train_x), dim=1).numpy()
    np.testing.assert_allclose(theirs, network.forward(images), rtol=1e-4, atol=1e-6)


def test_both_frameworks_train_the_same_run():
    train, test = _data(96, 1), _data(40, 2)
    settings = RaceSettings(epochs=2, batch_size=32, lr=0.01, threads=1)
    lines: list[str] = []
    report = race(train, test, 2, settings, echo=lines.append)
    assert [row.epoch for row in report.rows] == [1, 2]
    assert len(lines) == 1 + 2 + 1  # header, one line per epoch, total
    for row in report.rows:
        assert row.cnnref_seconds > 0 and row.torch_seconds > 0
        assert row.ratio == pytest.approx(row.torch_seconds / row.cnnref_seconds)
        # same weights, same order, same updates: the same predictions up to rounding
        assert abs(row.cnnref_test_acc - row.torch_test_acc) <= 1 / 40
    assert report.ratio == pytest.approx(report.torch_seconds / report.cnnref_seconds)
    assert report.as_dict()["settings"]["epochs"] == 2


def test_seed_parameters_of_rejects_a_network_that_is_not_the_seed_cnn():
    from cnnref.nn.network import mlp

    with pytest.raises(ValueError, match="4 weighted layers"):
        seed_parameters_of(mlp([4, 3, 2], "relu"))
