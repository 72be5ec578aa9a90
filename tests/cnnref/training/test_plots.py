"""PNG figures of a run, and the error when matplotlib is missing."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from cnnref.nn.network import seed_cnn
from cnnref.training.plots import (
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
    assert (width, height) == (1700, 330)  # 1 + 16 columns, 3 rows


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
