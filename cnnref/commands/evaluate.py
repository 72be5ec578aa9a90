"""``cnnref evaluate CHECKPOINT``: accuracy and confusion matrix of a trained network.

The evaluation itself is :func:`cnnref.training.checkpoint_evaluation.evaluate_checkpoint`; this
module is its command line.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..training.checkpoint import CheckpointError
from ..training.checkpoint_evaluation import SPLITS, evaluate_checkpoint
from ..training.data.options import add_data_options
from ..training.fit import EVAL_BATCH
from ..training.metrics import format_confusion_matrix
from ..validation import positive_int_option

USAGE_ERROR = 2  # argparse's exit status for a mistake on the command line


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``cnnref evaluate``."""
    parser.add_argument("checkpoint", type=Path, help="a checkpoint.npz written by cnnref train")
    parser.add_argument("--split", choices=SPLITS, default="test", help="default test")
    add_data_options(parser)
    parser.add_argument(
        "--batch-size", type=positive_int_option, default=EVAL_BATCH, help="images per forward pass"
    )


def run(args: argparse.Namespace) -> int:
    """Print loss, accuracy and the confusion matrix. 0 on success; 2 on a mistake the user fixes
    (not a checkpoint, data not found), 1 when the machine fails; either error is one line."""
    try:
        result = evaluate_checkpoint(
            args.checkpoint, args.split, args.data_dir, args.download, args.batch_size
        )
    except (CheckpointError, ValueError, TypeError) as error:
        print(f"cnnref evaluate: error: {error}", file=sys.stderr)
        return USAGE_ERROR
    except OSError as error:
        print(f"cnnref evaluate: error: {error}", file=sys.stderr)
        return 1
    print(
        f"{result.dataset} {result.split} set, {len(result.labels)} images, after epoch "
        f"{result.epoch}: accuracy {result.accuracy:.2%}, mean cross-entropy {result.loss:.4f}"
    )
    print(format_confusion_matrix(result.confusion_matrix(), result.class_names))
    return 0
