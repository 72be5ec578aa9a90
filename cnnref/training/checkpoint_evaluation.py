"""A trained checkpoint on its data set: the network rebuilt from the checkpoint, run on the test or
training split normalized as in training, its mean cross-entropy, accuracy and confusion matrix.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from ..nn.network import build_network
from .checkpoint import CheckpointError, check_parameters, load_checkpoint
from .data import load_dataset
from .fit import EVAL_BATCH, evaluate, normalize
from .metrics import confusion_matrix

SPLITS = ("test", "train")


@dataclass(frozen=True)
class CheckpointEvaluation:
    """The network of a checkpoint saved after ``epoch`` epochs, evaluated on the ``split`` of
    ``dataset``: mean cross-entropy, accuracy, and the labels and predicted classes (N,)."""

    dataset: str
    split: str
    epoch: int
    class_names: list[str]
    loss: float
    accuracy: float
    labels: np.ndarray
    predictions: np.ndarray

    def confusion_matrix(self) -> np.ndarray:
        """counts[i, j]: images of class i predicted as class j."""
        return confusion_matrix(self.labels, self.predictions, len(self.class_names))


def evaluate_checkpoint(
    path: str | os.PathLike,
    split: str = "test",
    data_dir: str | os.PathLike | None = None,
    download: bool = False,
    batch_size: int = EVAL_BATCH,
) -> CheckpointEvaluation:
    """The checkpoint at ``path`` evaluated on ``split`` ("test" or "train") of its data set
    (found as :func:`~cnnref.training.data.load_dataset` finds it). CheckpointError for a file
    that is not a cnnref train checkpoint."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    checkpoint = load_checkpoint(path)
    config = checkpoint.config
    try:
        architecture = config["architecture"]
        dataset, class_names = config["dataset"], config["class_names"]
        mean, std = config["normalization"]["mean"], config["normalization"]["std"]
    except (KeyError, TypeError) as error:
        raise CheckpointError(path, f"config lacks {error}") from error
    network = build_network(architecture)
    check_parameters(checkpoint, network.parameters())
    network.set_parameters(checkpoint.parameters)
    data = load_dataset(dataset, data_dir, download)
    images = data.test_images if split == "test" else data.train_images
    labels = data.test_labels if split == "test" else data.train_labels
    images = normalize(images, mean, std, network.dtype)
    loss, accuracy, predictions = evaluate(network, images, labels, batch_size)
    return CheckpointEvaluation(
        dataset, split, checkpoint.epoch, class_names, loss, accuracy, labels, predictions
    )
