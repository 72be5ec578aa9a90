"""PNG figures of a training run: learning curves, the first layer's filters, and feature maps.

matplotlib is optional (the ``train`` extra); it is imported only when a figure is drawn, through
the object-oriented ``Figure`` API, so no global pyplot state or GUI backend is involved.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..nn.network import Sequential
from ..validation import float_array, nonnegative_int


def require_matplotlib():
    """Return matplotlib's ``Figure`` class, or raise ImportError saying how to install it."""
    try:
        from matplotlib.figure import Figure
    except ImportError as error:
        raise ImportError(
            "plotting needs matplotlib, which is not installed; install it with "
            "pip install 'cnnref[train]' (or pip install matplotlib)"
        ) from error
    return Figure


def plot_learning_curves(metrics: Sequence[dict], path: str | os.PathLike) -> Path:
    """Loss, train and test accuracy against the epoch, from the rows of a run's metrics."""
    if not metrics:
        raise ValueError("metrics must hold at least one epoch row")
    figure_class = require_matplotlib()
    from matplotlib.ticker import MaxNLocator

    epochs = [row["epoch"] for row in metrics]
    figure = figure_class(figsize=(9, 3.5))
    loss_axes, acc_axes = figure.subplots(1, 2)
    loss_axes.plot(epochs, [row["loss"] for row in metrics], marker="o")
    loss_axes.set(xlabel="epoch", ylabel="mean cross-entropy −J/N", title="training loss")
    acc_axes.plot(epochs, [row["train_acc"] for row in metrics], marker="o", label="train")
    acc_axes.plot(epochs, [row["test_acc"] for row in metrics], marker="o", label="test")
    acc_axes.set(xlabel="epoch", ylabel="accuracy", title="accuracy")
    acc_axes.legend()
    for axes in (loss_axes, acc_axes):
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    figure.tight_layout()
    return _save(figure, path)


def plot_filters(w: np.ndarray, path: str | os.PathLike) -> Path:
    """One tile per filter of a (K, K, C, F) bank: grey for C = 1, colour for C = 3, the mean over
    channels otherwise; each tile is scaled to its own range."""
    w = float_array("w", w, 4, "(K, K, C, F)")
    figure_class = require_matplotlib()
    count = w.shape[3]
    columns = math.ceil(math.sqrt(count))
    rows = math.ceil(count / columns)
    figure = figure_class(figsize=(1.2 * columns, 1.2 * rows))
    axes = np.atleast_1d(figure.subplots(rows, columns)).ravel()
    for index, ax in enumerate(axes):
        ax.set_axis_off()
        if index < count:
            tile = w[:, :, :, index]
            if tile.shape[2] != 3:
                tile = tile.mean(axis=2)
            ax.imshow(_unit_range(tile), cmap="gray", interpolation="nearest")
    figure.suptitle(f"first-layer filters ({w.shape[0]}×{w.shape[1]}×{w.shape[2]}, {count})")
    return _save(figure, path)


def plot_feature_maps(
    network: Sequential, images: np.ndarray, path: str | os.PathLike, layer: int = 1
) -> Path:
    """For each image (one row): the image, then every channel of ``network.layers[layer]``'s output
    (default 1: the first convolution after its activation). images (n, H, W, C), n small."""
    images = float_array("images", images, 4, "(n, H, W, C)")
    layer = nonnegative_int("layer", layer)
    if not 1 <= images.shape[0] <= 16:
        raise ValueError(f"images must hold 1 to 16 images, got {images.shape[0]}")
    if layer >= len(network.layers):
        raise ValueError(f"layer must be < {len(network.layers)} (the network's layers)")
    maps = network.forward_all(images.astype(network.dtype))[layer]
    if maps.ndim != 4:
        raise ValueError(f"layer {layer} gives {maps.ndim}-D outputs; pick a layer with maps")
    figure_class = require_matplotlib()
    count, channels = maps.shape[0], maps.shape[3]
    figure = figure_class(figsize=(1.0 * (channels + 1), 1.1 * count))
    axes = np.asarray(figure.subplots(count, channels + 1)).reshape(count, channels + 1)
    for row in range(count):
        picture = images[row] if images.shape[3] == 3 else images[row].mean(axis=2)
        axes[row, 0].imshow(_unit_range(picture), cmap="gray")
        for channel in range(channels):
            axes[row, channel + 1].imshow(maps[row, :, :, channel], cmap="viridis")
        for ax in axes[row]:
            ax.set_axis_off()
    figure.suptitle(f"feature maps of layer {layer} ({type(network.layers[layer]).__name__})")
    return _save(figure, path)


def _unit_range(values: np.ndarray) -> np.ndarray:
    low, high = float(values.min()), float(values.max())
    return (values - low) / (high - low) if high > low else np.zeros_like(values)


def _save(figure, path: str | os.PathLike) -> Path:
    path = Path(path)
    figure.savefig(path, dpi=100)
    return path
