"""``cnnref train``: train the notes' seed CNN on MNIST, Fashion-MNIST or CIFAR-10.

Writes to ``--out``: checkpoint.npz after every epoch (and when stopped by Ctrl-C), metrics.csv and
metrics.json, and with ``--plot`` learning_curves.png, filters.png and feature_maps.png. Inputs are
normalized per channel with the training set's mean and standard deviation (kept in the checkpoint).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from ..nn.network import build_network, seed_cnn
from ..nn.optim import OPTIMIZERS, make_optimizer
from ..training.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from ..training.data import DATASETS, load_dataset
from ..training.fit import (
    TrainingInterrupted,
    TrainingState,
    channel_statistics,
    fit,
    make_checkpoint,
    new_state,
    normalize,
    restore,
)
from ..training.metrics import write_metrics
from ..validation import (
    existing_folder_option,
    nonnegative_int_option,
    positive_float_option,
    positive_int_option,
)

CHECKPOINT_NAME = "checkpoint.npz"
USAGE_ERROR = 2  # argparse's exit status for a mistake on the command line
FEATURE_MAP_IMAGES = 4
# Options that define a run: on --resume they come from the checkpoint; one given again must agree.
RUN_DEFAULTS = {
    "dataset": "fashion-mnist",
    "batch_size": 64,
    "optimizer": "sgd",
    "momentum": 0.9,
    "activation": "relu",
    "seed": 0,
    "limit": None,
}
DEFAULT_LR = {"sgd": 0.01, "adam": 0.001}


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
        "--out", type=Path, metavar="DIR", help="output folder (default runs/DATASET)"
    )
    parser.add_argument(
        "--data-dir",
        type=existing_folder_option,
        metavar="DIR",
        help="folder holding the data set files (must exist)",
    )
    parser.add_argument("--download", action="store_true", help="fetch missing data files")
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
    try:
        return _train(args)
    except (CheckpointError, ValueError, TypeError, ImportError) as error:
        print(f"cnnref train: error: {error}", file=sys.stderr)
        return USAGE_ERROR
    except OSError as error:
        print(f"cnnref train: error: {error}", file=sys.stderr)
        return 1


def _train(args: argparse.Namespace) -> int:
    if args.plot:
        from ..training.plots import require_matplotlib

        require_matplotlib()
    out = args.out if args.out is not None else Path("runs") / (args.dataset or "fashion-mnist")
    checkpoint_path = out / CHECKPOINT_NAME
    checkpoint = None
    if args.resume:
        if not checkpoint_path.exists():
            raise ValueError(
                f"--resume: {out} holds no run to resume (no {CHECKPOINT_NAME}); "
                "drop --resume to start a new run there"
            )
        checkpoint = load_checkpoint(checkpoint_path)
        config = _resumed_config(args, checkpoint.config, checkpoint_path)
        if checkpoint.epoch >= args.epochs:
            raise ValueError(
                f"--resume: the run in {out} is finished: it has trained {checkpoint.epoch} "
                f"epochs and --epochs is {args.epochs}; pass --epochs {checkpoint.epoch + 1} or "
                "more to train it further"
            )
    elif checkpoint_path.exists():
        raise ValueError(
            f"{checkpoint_path} already exists: pass --resume to continue that run, "
            "or choose another --out"
        )
    else:
        config = _fresh_config(args)
    hyper = config["hyperparameters"]
    data = load_dataset(config["dataset"], args.data_dir, args.download)
    train_images, train_labels = data.train_images, data.train_labels
    if hyper["limit"] is not None:
        train_images, train_labels = train_images[: hyper["limit"]], train_labels[: hyper["limit"]]
    if checkpoint is None:
        mean, std = channel_statistics(train_images)
        config["normalization"] = {"mean": mean.tolist(), "std": std.tolist()}
        config["class_names"] = list(data.class_names)
        network = seed_cnn(
            int(train_images.shape[3]),
            len(data.class_names),
            config.pop("activation"),
            seed=hyper["seed"],
        )
        config["architecture"] = network.architecture
    else:
        network = build_network(config["architecture"], seed=hyper["seed"])
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
    train = (normalize(train_images, mean, std, network.dtype), train_labels)
    test = (normalize(data.test_images, mean, std, network.dtype), data.test_labels)
    out.mkdir(parents=True, exist_ok=True)
    _print_start(config, state, args.epochs, len(train_labels), len(test[1]), out)

    def save(current: TrainingState) -> None:
        save_checkpoint(checkpoint_path, make_checkpoint(network, optimizer, current, config))
        if current.metrics:
            write_metrics(current.metrics, out)

    try:
        state = fit(
            network,
            optimizer,
            train,
            test,
            epochs=args.epochs,
            batch_size=hyper["batch_size"],
            state=state,
            save=save,
            progress=_progress_bar(args.epochs),
            report=lambda row: print(_epoch_line(row, args.epochs), flush=True),
        )
    except (TrainingInterrupted, KeyboardInterrupt) as stop:
        what = str(stop) if isinstance(stop, TrainingInterrupted) else "training interrupted"
        print(
            f"{what}; the last checkpoint is {checkpoint_path}; "
            "continue with the same --out and --resume",
            file=sys.stderr,
        )
        return 130
    print(f"checkpoint: {checkpoint_path}  metrics: {out / 'metrics.csv'}")
    if args.plot:
        class_names = [config["class_names"][label] for label in test[1][:FEATURE_MAP_IMAGES]]
        for path in _plots(network, state, test[0], class_names, out):
            print(f"figure: {path}")
    return 0


def _fresh_config(args: argparse.Namespace) -> dict:
    chosen = {key: getattr(args, key) for key in RUN_DEFAULTS}
    values = {
        key: (default if chosen[key] is None else chosen[key])
        for key, default in RUN_DEFAULTS.items()
    }
    values["lr"] = args.lr if args.lr is not None else DEFAULT_LR[values["optimizer"]]
    hyper = {key: values[key] for key in ("batch_size", "lr", "optimizer", "momentum", "seed")}
    hyper["limit"] = values["limit"]
    return {
        "dataset": values["dataset"],
        "activation": values["activation"],
        "hyperparameters": hyper,
    }


def _resumed_config(args: argparse.Namespace, config: dict, path: Path) -> dict:
    """The checkpoint's config; an option given again must agree with it, else CheckpointError."""
    try:
        saved = {
            "dataset": config["dataset"],
            "activation": config["architecture"]["activation"],
            **config["hyperparameters"],
        }
        _ = (config["normalization"]["mean"], config["normalization"]["std"])
    except (KeyError, TypeError) as error:
        raise CheckpointError(
            path, f"config lacks {error}; not a cnnref train checkpoint"
        ) from error
    for key in (*RUN_DEFAULTS, "lr"):
        given = getattr(args, key)
        if given is not None and given != saved.get(key):
            option = "--" + key.replace("_", "-")
            raise CheckpointError(
                path,
                f"mismatch: the run was trained with {option} {saved.get(key)}, "
                f"this command asks for {option} {given}",
            )
    return config


def _print_start(config, state, epochs, train_count, test_count, out) -> None:
    hyper = config["hyperparameters"]
    resumed = f", resuming after epoch {state.epoch}" if state.epoch or state.step else ""
    if state.step:
        resumed += f" + {state.step} minibatches"
    print(
        f"{config['dataset']}: {train_count} training / {test_count} test images; seed_cnn "
        f"{config['architecture']['activation']}, {hyper['optimizer']} lr {hyper['lr']}, "
        f"batch {hyper['batch_size']}, {epochs} epochs{resumed}; output in {out}",
        flush=True,
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


def _plots(
    network, state: TrainingState, test_images: np.ndarray, class_names: list[str], out: Path
) -> list[Path]:
    """The run's figures; the feature maps are of the first test images, titled with their class."""
    from ..training.plots import plot_feature_maps, plot_filters, plot_learning_curves

    images = test_images[:FEATURE_MAP_IMAGES]

    return [
        plot_learning_curves(state.metrics, out / "learning_curves.png"),
        plot_filters(network.layers[0].params["w"], out / "filters.png"),
        plot_feature_maps(network, images, out / "feature_maps.png", labels=class_names),
    ]
