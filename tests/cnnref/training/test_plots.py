"""PNG figures of a run, and the error when matplotlib is missing."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from cnnref.nn.network import seed_cnn
from cnnref.training.plots import (
    feature_maps_figure,
    learning_curves_figure,
    plot_feature_maps,
    plot_filters,
    plot_learning_curves,
    require_matplotlib,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
METRICS = [
    {"epoch": e, "loss": 1.0 / e, "train_acc": 0.5 + 0.1 * e, "test_acc": 0.45 + 0.1 * e}
    for e in (1, 2, 3)
]


def png_size(path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_learning_curves_png(tmp_path):
    pytest.importorskip("matplotlib")
    path = plot_learning_curves(METRICS, tmp_path / "curves.png")
    assert png_size(path) == (900, 350)


@pytest.mark.parametrize("channels", [1, 3, 2])
def test_filters_png_has_one_tile_per_filter(tmp_path, channels):
    pytest.importorskip("matplotlib")
    w = np.random.default_rng(0).standard_normal((5, 5, channels, 16)).astype(np.float32)
    width, height = png_size(plot_filters(w, tmp_path / "filters.png"))
    assert (width, height) == (480, 480)  # a 4 × 4 grid of 1.2-inch tiles at 100 dpi


def test_feature_maps_png_one_row_per_image(tmp_path):
    pytest.importorskip("matplotlib")
    network = seed_cnn(channels=1, classes=10)
    images = np.random.default_rng(1).standard_normal((3, 32, 32, 1)).astype(np.float32)
    width, height = png_size(plot_feature_maps(network, images, tmp_path / "maps.png"))
    assert (width, height) == (1820, 450)  # 1 + 16 columns and a colour bar, 3 rows


def _visible_ticks(axes) -> list[float]:
    low, high = axes.get_xlim()
    return [tick for tick in axes.get_xticks() if low <= tick <= high]


@pytest.mark.parametrize("epochs", [1, 2, 3, 10, 30])
def test_learning_curves_have_integer_epoch_ticks_from_one_epoch_up(epochs):
    pytest.importorskip("matplotlib")
    metrics = [
        {"epoch": e, "loss": 1.0 / e, "train_acc": 0.5 + e / 100, "test_acc": 0.45 + e / 100}
        for e in range(1, epochs + 1)
    ]
    figure = learning_curves_figure(metrics)
    loss_axes, acc_axes = figure.axes
    for axes in (loss_axes, acc_axes):
        ticks = _visible_ticks(axes)
        assert ticks, "no epoch tick"
        assert all(float(tick).is_integer() and 1 <= tick <= epochs for tick in ticks), ticks
        assert 1 in ticks or epochs > 5
        assert axes.get_xlabel() == "epoch"
    if epochs <= 3:
        assert _visible_ticks(loss_axes) == list(range(1, epochs + 1))
    assert [text.get_text() for text in loss_axes.texts] == [f"{1.0 / epochs:.3f}"]
    last = 100 * (0.5 + epochs / 100), 100 * (0.45 + epochs / 100)
    assert [text.get_text() for text in acc_axes.texts] == [f"{value:.1f} %" for value in last]
    assert [text.get_text() for text in acc_axes.get_legend().get_texts()] == ["train", "test"]
    train_label, test_label = acc_axes.texts
    assert train_label.xyann[1] > 0 > test_label.xyann[1]  # the higher value above, the lower below


def test_feature_maps_are_labelled_with_class_filter_and_colour_scale():
    pytest.importorskip("matplotlib")
    network = seed_cnn(channels=1, classes=10)
    images = np.random.default_rng(2).standard_normal((2, 32, 32, 1)).astype(np.float32)
    figure = feature_maps_figure(network, images, labels=["ankle boot", "trouser"])
    colour_bars = [ax for ax in figure.axes if ax.get_label() == "<colorbar>"]
    assert len(colour_bars) == 1
    assert colour_bars[0].get_ylabel() == "activation"
    tiles = np.array([ax for ax in figure.axes if ax.get_label() != "<colorbar>"]).reshape(2, 17)
    assert [row[0].get_title() for row in tiles] == ["ankle boot", "trouser"]
    for row in tiles:
        assert [ax.get_title() for ax in row[1:]] == [f"f{f}" for f in range(16)]
    maps = network.forward_all(images)[1]
    scales = {ax.images[0].get_clim() for ax in tiles[:, 1:].ravel()}
    assert scales == {(float(maps.min()), float(maps.max()))}
    assert "one column per filter" in figure.get_suptitle()


def test_feature_maps_without_labels_say_input():
    pytest.importorskip("matplotlib")
    network = seed_cnn(channels=3, classes=10)
    images = np.random.default_rng(3).standard_normal((1, 32, 32, 3)).astype(np.float32)
    figure = feature_maps_figure(network, images)
    assert figure.axes[0].get_title() == "input"


def test_bad_plot_arguments_are_named(tmp_path):
    network = seed_cnn(channels=1, classes=10)
    images = np.zeros((2, 32, 32, 1), np.float32)
    with pytest.raises(ValueError, match="metrics"):
        plot_learning_curves([], tmp_path / "x.png")
    with pytest.raises(ValueError, match="w must be a 4-D"):
        plot_filters(np.zeros((5, 5, 3)), tmp_path / "x.png")
    with pytest.raises(ValueError, match="layer must be <"):
        plot_feature_maps(network, images, tmp_path / "x.png", layer=20)
    with pytest.raises(ValueError, match="layer 7 gives 2-D"):
        plot_feature_maps(network, images, tmp_path / "x.png", layer=7)
    with pytest.raises(ValueError, match="labels must name each of the 2 images"):
        plot_feature_maps(network, images, tmp_path / "x.png", labels=["shirt"])
    with pytest.raises(ValueError, match="1 to 16 images"):
        plot_feature_maps(network, np.zeros((20, 32, 32, 1), np.float32), tmp_path / "x.png")


def test_missing_matplotlib_gives_an_install_hint(monkeypatch, tmp_path):
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r"pip install 'cnnref\[train\]'"):
        require_matplotlib()
    with pytest.raises(ImportError, match="matplotlib"):
        plot_learning_curves(METRICS, tmp_path / "curves.png")
    assert not (tmp_path / "curves.png").exists()
