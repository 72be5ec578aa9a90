"""``cnnref evaluate CHECKPOINT``: accuracy and confusion matrix of a trained network."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..nn.network import build_network
from ..threads import reuse_freed_memory
from ..training.checkpoint import CheckpointError, check_parameters, load_checkpoint
from ..training.data import load_dataset
from ..training.fit import evaluate, normalize
from ..training.metrics import confusion_matrix, format_confusion_matrix
from ..validation import existing_folder_option, positive_int_option

USAGE_ERROR = 2  # argparse's exit status for a mistake on the command line


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``cnnref evaluate``."""
    parser.add_argument("checkpoint", type=Path, help="a checkpoint.npz written by cnnref train")
    parser.add_argument("--split", choices=("test", "train"), default="test", help="default test")
    parser.add_argument(
        "--data-dir",
        type=existing_folder_option,
        metavar="DIR",
        help="folder holding the data set files (must exist)",
    )
    parser.add_argument("--download", action="store_true", help="fetch missing data files")
    parser.add_argument(
        "--batch-size", type=positive_int_option, default=500, help="images per forward pass"
    )


def run(args: argparse.Namespace) -> int:
    """Print loss, accuracy and the confusion matrix. 0 on success; 2 on a mistake the user fixes
    (not a checkpoint, data not found), 1 when the machine fails; either error is one line."""
    try:
        checkpoint = load_checkpoint(args.checkpoint)
        config = checkpoint.config
        try:
            architecture = config["architecture"]
            dataset, class_names = config["dataset"], config["class_names"]
            mean, std = config["normalization"]["mean"], config["normalization"]["std"]
        except (KeyError, TypeError) as error:
            raise CheckpointError(args.checkpoint, f"config lacks {error}") from error
        network = build_network(architecture)
        check_parameters(checkpoint, network.parameters())
        network.set_parameters(checkpoint.parameters)
        data = load_dataset(dataset, args.data_dir, args.download)
        images = data.test_images if args.split == "test" else data.train_images
        labels = data.test_labels if args.split == "test" else data.train_labels
        images = normalize(images, mean, std, network.dtype)
        reuse_freed_memory()
        loss, accuracy, predictions = evaluate(network, images, labels, args.batch_size)
    except (CheckpointError, ValueError, TypeError) as error:
        print(f"cnnref evaluate: error: {error}", file=sys.stderr)
        return USAGE_ERROR
    except OSError as error:
        print(f"cnnref evaluate: error: {error}", file=sys.stderr)
        return 1
    print(
        f"{dataset} {args.split} set, {len(labels)} images, after epoch {checkpoint.epoch}: "
        f"accuracy {accuracy:.2%}, mean cross-entropy {loss:.4f}"
    )
    counts = confusion_matrix(labels, predictions, len(class_names))
    print(format_confusion_matrix(counts, class_names))
    return 0
