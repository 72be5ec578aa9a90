"""``cnnref train``: train the notes' seed CNN on MNIST, Fashion-MNIST or CIFAR-10.

Writes to ``--out``: checkpoint.npz after every epoch (and when stopped by Ctrl-C), metrics.csv and
metrics.json, and with ``--plot`` learning_curves.png, filters.png and feature_maps.png. Inputs are
normalized per channel with the training set's mean and standard deviation (kept in the checkpoint).
The run itself is :mod:`cnnref.training.run`; this module is its command line.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import fields

from ..nn.optim import OPTIMIZERS
from ..training.checkpoint import CheckpointError
from ..training.data import DATASETS
from ..training.data.options import add_data_options
from ..training.fit import TrainingInterrupted
from ..training.run import TrainingRun, start_run
from ..training.run_config import RunOptions
from ..validation import (
    nonnegative_int_option,
    output_folder_option,
    positive_float_option,
    positive_int_option,
)

USAGE_ERROR = 2  # argparse's exit status for a mistake on the command line
INTERRUPTED = 130  # the shell's status for a process ended by Ctrl-C


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``cnnref train``."""
    parser.add_argument(
        "--dataset", choices=tuple(DATASETS), help="data set (default fashion-mnist)"
    )
    parser.add_argument(
        "--epochs",
        type=positive_int_option,
        metavar="N",
        default=10,
        help="total epochs to reach (default 10)",
    )
    parser.add_argument(
        "--batch-size", type=positive_int_option, metavar="B", help="minibatch size (default 64)"
    )
    parser.add_argument(
        "--lr", type=positive_float_option, help="learning rate (default 0.01 sgd, 0.001 adam)"
    )
    parser.add_argument("--optimizer", choices=OPTIMIZERS, help="sgd (default) or adam")
    parser.add_argument("--momentum", type=float, help="SGD momentum (default 0.9)")
    parser.add_argument("--activation", choices=("relu", "tanh", "sigmoid"), help="default relu")
    parser.add_argument(
        "--seed",
        type=nonnegative_int_option,
        help="seed of initialization and shuffling, >= 0 (default 0)",
    )
    parser.add_argument(
        "--out",
        type=output_folder_option,
        metavar="DIR",
        help="output folder (default runs/DATASET)",
    )
    add_data_options(parser)
    parser.add_argument(
        "--resume", action="store_true", help="continue the run saved in OUT/checkpoint.npz"
    )
    parser.add_argument("--plot", action="store_true", help="write PNG figures (needs matplotlib)")
    parser.add_argument(
        "--limit",
        type=positive_int_option,
        metavar="N",
        help="train on the first N training images only",
    )


def run(args: argparse.Namespace) -> int:
    """Train, printing one line per epoch. 0 on success; 2 on a mistake the user fixes (an option,
    the data, the checkpoint to resume); 1 when the machine fails (a write); 130 when interrupted.
    Either error is one line on stderr."""
    options = RunOptions(**{field.name: getattr(args, field.name) for field in fields(RunOptions)})
    try:
        return _train(options)
    except (CheckpointError, ValueError, TypeError, ImportError) as error:
        print(f"cnnref train: error: {error}", file=sys.stderr)
        return USAGE_ERROR
    except OSError as error:
        print(f"cnnref train: error: {error}", file=sys.stderr)
        return 1


def _train(options: RunOptions) -> int:
    training = start_run(options)
    print(_start_line(training), flush=True)
    try:
        training.fit(
            progress=_progress_bar(options.epochs),
            report=lambda row: print(_epoch_line(row, options.epochs), flush=True),
        )
    except (TrainingInterrupted, KeyboardInterrupt) as stop:
        what = str(stop) if isinstance(stop, TrainingInterrupted) else "training interrupted"
        print(
            f"{what}; the last checkpoint is {training.checkpoint_path}; "
            "continue with the same --out and --resume",
            file=sys.stderr,
        )
        return INTERRUPTED
    print(f"checkpoint: {training.checkpoint_path}  metrics: {training.metrics_path}")
    if options.plot:
        for path in training.figures():
            print(f"figure: {path}")
    return 0


def _start_line(training: TrainingRun) -> str:
    config, state = training.config, training.state
    hyper = config["hyperparameters"]
    resumed = f", resuming after epoch {state.epoch}" if state.epoch or state.step else ""
    if state.step:
        resumed += f" + {state.step} minibatches"
    return (
        f"{config['dataset']}: {len(training.train_set[1])} training / "
        f"{len(training.test_set[1])} test images; seed_cnn "
        f"{config['architecture']['activation']}, {hyper['optimizer']} lr {hyper['lr']}, "
        f"batch {hyper['batch_size']}, {training.epochs} epochs{resumed}; output in "
        f"{training.folder}"
    )


def _epoch_line(row: dict, epochs: int) -> str:
    return (
        f"epoch {row['epoch']:>3}/{epochs}  loss {row['loss']:.4f}  "
        f"train acc {row['train_acc']:.2%}  test acc {row['test_acc']:.2%}  "
        f"{row['images_per_s']:,.0f} images/s  {row['seconds']:.1f} s"
    )


def _progress_bar(epochs: int):
    """A tqdm bar per epoch when tqdm is installed (shown only on a terminal), else none."""
    try:
        from tqdm import tqdm
    except ImportError:
        return None

    def open_bar(epoch: int, total: int, done: int):
        return tqdm(
            total=total,
            initial=done,
            desc=f"epoch {epoch}/{epochs}",
            unit="batch",
            leave=False,
            disable=None,
            file=sys.stderr,
        )

    return open_bar
