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


def learning_curves_figure(metrics: Sequence[dict]):
    """The figure of :func:`plot_learning_curves`: loss, and train and test accuracy, against the
    epoch. The x axis has integer epoch ticks and half an epoch of margin, so one epoch reads as
    epoch 1, not as 0.95 … 1.05; the last value of each curve is written next to its point."""
    if not metrics:
        raise ValueError("metrics must hold at least one epoch row")
    figure_class = require_matplotlib()
    from matplotlib.ticker import MaxNLocator

    epochs = [int(row["epoch"]) for row in metrics]
    figure = figure_class(figsize=(9, 3.5))
    loss_axes, acc_axes = figure.subplots(1, 2)
    _curve(loss_axes, epochs, [row["loss"] for row in metrics], None, "{:.3f}", above=True)
    loss_axes.set(xlabel="epoch", ylabel="mean cross-entropy −J/N", title="training loss")
    # The higher curve's last value is written above its point, the lower one's below: close
    # final accuracies do not print over each other.
    train_higher = metrics[-1]["train_acc"] >= metrics[-1]["test_acc"]
    for key, label, above in (
        ("train_acc", "train", train_higher),
        ("test_acc", "test", not train_higher),
    ):
        _curve(acc_axes, epochs, [100 * row[key] for row in metrics], label, "{:.1f} %", above)
    acc_axes.set(xlabel="epoch", ylabel="accuracy (%)", title="accuracy")
    acc_axes.legend(loc="lower right")
    for axes in (loss_axes, acc_axes):
        axes.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
        axes.set_xlim(min(epochs) - 0.5, max(epochs) + 0.5)
        axes.margins(y=0.15)
        axes.grid(alpha=0.3)
    figure.tight_layout()
    return figure


def _curve(
    axes, epochs: list[int], values: list[float], label: str | None, fmt: str, above: bool
) -> None:
    """One curve with a marker per epoch and its last value written beside the last point, above
    or below it."""
    (line,) = axes.plot(epochs, values, marker="o", label=label)
    axes.annotate(
        fmt.format(values[-1]),
        (epochs[-1], values[-1]),
        xytext=(6, 5 if above else -13),
        textcoords="offset points",
        color=line.get_color(),
        fontsize="small",
    )


def plot_learning_curves(metrics: Sequence[dict], path: str | os.PathLike) -> Path:
    """Save :func:`learning_curves_figure` of a run's metrics rows as a PNG at ``path``."""
    return _save(learning_curves_figure(metrics), path)


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


def feature_maps_figure(
    network: Sequential,
    images: np.ndarray,
    labels: Sequence[str] | None = None,
    layer: int = 1,
):
    """The figure of :func:`plot_feature_maps`: one row per image, the image first (titled with
    ``labels[i]``, e.g. its class), then every channel of ``network.layers[layer]``'s output
    (default 1: the first convolution after its activation), titled with its filter index f as in
    ``w[..., f]``. All maps share one colour scale, shown by the colour bar, so brighter means a
    larger activation in every tile. images (n, H, W, C), 1 ≤ n ≤ 16."""
    images = float_array("images", images, 4, "(n, H, W, C)")
    layer = nonnegative_int("layer", layer)
    if not 1 <= images.shape[0] <= 16:
        raise ValueError(f"images must hold 1 to 16 images, got {images.shape[0]}")
    if labels is not None:
        labels = [str(label) for label in labels]
        if len(labels) != images.shape[0]:
            raise ValueError(f"labels must name each of the {images.shape[0]} images")
    if layer >= len(network.layers):
        raise ValueError(f"layer must be < {len(network.layers)} (the network's layers)")
    maps = network.forward_all(images.astype(network.dtype))[layer]
    if maps.ndim != 4:
        raise ValueError(f"layer {layer} gives {maps.ndim}-D outputs; pick a layer with maps")
    figure_class = require_matplotlib()
    count, channels = maps.shape[0], maps.shape[3]
    figure = figure_class(figsize=(1.0 * (channels + 1) + 1.2, 1.2 * count + 0.9))
    axes = np.asarray(figure.subplots(count, channels + 1)).reshape(count, channels + 1)
    low, high = float(maps.min()), float(maps.max())
    image = None
    for row in range(count):
        picture = images[row] if images.shape[3] == 3 else images[row].mean(axis=2)
        axes[row, 0].imshow(_unit_range(picture), cmap="gray")
        axes[row, 0].set_title(labels[row] if labels is not None else "input", fontsize="small")
        for channel in range(channels):
            tile = axes[row, channel + 1]
            image = tile.imshow(maps[row, :, :, channel], cmap="viridis", vmin=low, vmax=high)
            tile.set_title(f"f{channel}", fontsize="x-small")
        for ax in axes[row]:
            ax.set_axis_off()
    colour_bar = figure.colorbar(image, ax=list(axes[:, 1:].ravel()), fraction=0.02, pad=0.01)
    colour_bar.set_label("activation")
    name = type(network.layers[layer]).__name__
    figure.suptitle(
        f"feature maps of layer {layer} ({name}): one column per filter f, one row per input"
    )
    return figure


def plot_feature_maps(
    network: Sequential,
    images: np.ndarray,
    path: str | os.PathLike,
    layer: int = 1,
    labels: Sequence[str] | None = None,
) -> Path:
    """Save :func:`feature_maps_figure` of ``images`` (titled with ``labels``) as a PNG."""
    return _save(feature_maps_figure(network, images, labels, layer), path)


def _unit_range(values: np.ndarray) -> np.ndarray:
    low, high = float(values.min()), float(values.max())
    return (values - low) / (high - low) if high > low else np.zeros_like(values)


def _save(figure, path: str | os.PathLike) -> Path:
    path = Path(path)
    figure.savefig(path, dpi=100)
    return path
