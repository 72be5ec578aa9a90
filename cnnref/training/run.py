"""A training run of the notes' seed CNN, as ``cnnref train`` makes it: from its options to a
network trained with a checkpoint after every epoch.

:func:`start_run` does everything before the first minibatch: the config (see
:mod:`cnnref.training.run_config`), the data set (the first ``limit`` training images), the network
(a new ``seed_cnn``, or the checkpoint's architecture and weights), the optimizer and the training
state. Inputs are normalized per channel with the training set's mean and standard deviation, kept
in the checkpoint. :meth:`TrainingRun.fit` then trains, writing OUT/checkpoint.npz and
OUT/metrics.csv and .json after every epoch (and when Ctrl-C stops it), and
:meth:`TrainingRun.figures` writes the learning curves, filters and feature maps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..nn.network import Sequential, build_network, seed_cnn
from ..nn.optim import SGD, Adam, make_optimizer
from .checkpoint import Checkpoint, save_checkpoint
from .data import Dataset, load_dataset
from .fit import (
    TrainingState,
    channel_statistics,
    fit,
    make_checkpoint,
    new_state,
    normalize,
    restore,
)
from .metrics import write_metrics
from .run_config import CHECKPOINT_NAME, RunOptions, run_config

FEATURE_MAP_IMAGES = 4


@dataclass
class TrainingRun:
    """A run ready to train: its folder, the epochs to reach, its config, network, optimizer and
    state, and the normalized (images, labels) of its training and test sets."""

    folder: Path
    epochs: int
    config: dict
    network: Sequential
    optimizer: SGD | Adam
    state: TrainingState
    train_set: tuple[np.ndarray, np.ndarray]
    test_set: tuple[np.ndarray, np.ndarray]

    @property
    def checkpoint_path(self) -> Path:
        return self.folder / CHECKPOINT_NAME

    @property
    def metrics_path(self) -> Path:
        return self.folder / "metrics.csv"

    def save(self, state: TrainingState) -> None:
        """The checkpoint of ``state``, and the metrics of its finished epochs."""
        checkpoint = make_checkpoint(self.network, self.optimizer, state, self.config)
        save_checkpoint(self.checkpoint_path, checkpoint)
        if state.metrics:
            write_metrics(state.metrics, self.folder)

    def fit(
        self, progress: Callable | None = None, report: Callable[[dict], None] | None = None
    ) -> TrainingState:
        """Train up to ``epochs``, saving after every epoch; ``progress`` and ``report`` as for
        :func:`cnnref.training.fit.fit`. TrainingInterrupted (or KeyboardInterrupt) on Ctrl-C."""
        self.state = fit(
            self.network,
            self.optimizer,
            self.train_set,
            self.test_set,
            epochs=self.epochs,
            batch_size=self.config["hyperparameters"]["batch_size"],
            state=self.state,
            save=self.save,
            progress=progress,
            report=report,
        )
        return self.state

    def figures(self) -> list[Path]:
        """The learning curves, the first layer's filters and the feature maps of the first test
        images (titled with their class), written into the folder."""
        from .plots import plot_feature_maps, plot_filters, plot_learning_curves

        images, labels = (part[:FEATURE_MAP_IMAGES] for part in self.test_set)
        class_names = [self.config["class_names"][label] for label in labels]
        return [
            plot_learning_curves(self.state.metrics, self.folder / "learning_curves.png"),
            plot_filters(self.network.layers[0].params["w"], self.folder / "filters.png"),
            plot_feature_maps(
                self.network, images, self.folder / "feature_maps.png", labels=class_names
            ),
        ]


def start_run(options: RunOptions) -> TrainingRun:
    """The run ``options`` ask for, ready to train, its folder created. ValueError or
    CheckpointError when it cannot start (see :func:`~cnnref.training.run_config.run_config`),
    ImportError for figures without matplotlib, the data set's errors when it is not found."""
    if options.plot:
        from .plots import require_matplotlib

        require_matplotlib()
    config, checkpoint = run_config(options)
    hyper = config["hyperparameters"]
    data = load_dataset(config["dataset"], options.data_dir, options.download)
    train_images, train_labels = data.train_images, data.train_labels
    if hyper["limit"] is not None:
        train_images, train_labels = train_images[: hyper["limit"]], train_labels[: hyper["limit"]]
    network = _network(config, checkpoint, data, train_images)
    expected = (32, 32, config["architecture"]["channels"])
    if train_images.shape[1:] != expected:
        raise ValueError(
            f"the {config['dataset']} images are {train_images.shape[1:]}, the network expects "
            f"{expected}"
        )
    optimizer = make_optimizer(
        hyper["optimizer"], network.parameters(), hyper["lr"], hyper["momentum"]
    )
    state = new_state(hyper["seed"])
    if checkpoint is not None:
        state = restore(checkpoint, network, optimizer)
    mean, std = config["normalization"]["mean"], config["normalization"]["std"]
    train_set = (normalize(train_images, mean, std, network.dtype), train_labels)
    test_set = (normalize(data.test_images, mean, std, network.dtype), data.test_labels)
    options.folder.mkdir(parents=True, exist_ok=True)
    return TrainingRun(
        options.folder, options.epochs, config, network, optimizer, state, train_set, test_set
    )


def _network(
    config: dict, checkpoint: Checkpoint | None, data: Dataset, train_images: np.ndarray
) -> Sequential:
    """A new seed_cnn for the data (its normalization, class names and architecture written into
    ``config``), or the checkpoint's architecture."""
    seed = config["hyperparameters"]["seed"]
    if checkpoint is not None:
        return build_network(config["architecture"], seed=seed)
    mean, std = channel_statistics(train_images)
    config["normalization"] = {"mean": mean.tolist(), "std": std.tolist()}
    config["class_names"] = list(data.class_names)
    network = seed_cnn(
        int(train_images.shape[3]), len(data.class_names), config.pop("activation"), seed=seed
    )
    config["architecture"] = network.architecture
    return network
