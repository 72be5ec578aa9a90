"""What a training run of the seed CNN is: the options it was asked for, completed by the defaults
for a new run, or by the configuration saved in its checkpoint for a resumed one.

Eight options define a run — data set, batch size, optimizer, learning rate, momentum, activation,
seed and image limit. On resume they come from the checkpoint, and one given again must agree with
it. The messages name the options as ``cnnref train`` spells them (``--resume``, ``--lr``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .checkpoint import Checkpoint, CheckpointError, load_checkpoint

CHECKPOINT_NAME = "checkpoint.npz"
# Options that define a run, with their defaults; lr's default depends on the optimizer.
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


@dataclass(frozen=True)
class RunOptions:
    """What a run is asked for. ``None`` means the default for a new run and the checkpoint's value
    for a resumed one; ``epochs`` is the total to reach, ``out`` the run's folder (default
    runs/DATASET), ``plot`` asks for the figures at the end."""

    epochs: int = 10
    dataset: str | None = None
    batch_size: int | None = None
    lr: float | None = None
    optimizer: str | None = None
    momentum: float | None = None
    activation: str | None = None
    seed: int | None = None
    limit: int | None = None
    out: Path | None = None
    data_dir: Path | None = None
    download: bool = False
    resume: bool = False
    plot: bool = False

    @property
    def folder(self) -> Path:
        """Where the run writes: ``out``, by default runs/DATASET."""
        if self.out is not None:
            return self.out
        return Path("runs") / (self.dataset or RUN_DEFAULTS["dataset"])


def run_config(options: RunOptions) -> tuple[dict, Checkpoint | None]:
    """The run's config and, on resume, the checkpoint it continues. ValueError when the run
    cannot start: --resume with no checkpoint or a finished one, or a new run over an old one;
    CheckpointError for a checkpoint that is not a run's or disagrees with an option given."""
    path = options.folder / CHECKPOINT_NAME
    if not options.resume:
        if path.exists():
            raise ValueError(
                f"{path} already exists: pass --resume to continue that run, "
                "or choose another --out"
            )
        return fresh_config(options), None
    if not path.exists():
        raise ValueError(
            f"--resume: {options.folder} holds no run to resume (no {CHECKPOINT_NAME}); "
            "drop --resume to start a new run there"
        )
    checkpoint = load_checkpoint(path)
    config = resumed_config(options, checkpoint.config, path)
    if checkpoint.epoch >= options.epochs:
        raise ValueError(
            f"--resume: the run in {options.folder} is finished: it has trained {checkpoint.epoch} "
            f"epochs and --epochs is {options.epochs}; pass --epochs {checkpoint.epoch + 1} or "
            "more to train it further"
        )
    return config, checkpoint


def fresh_config(options: RunOptions) -> dict:
    """A new run's config: each option given, else its default."""
    chosen = {key: getattr(options, key) for key in RUN_DEFAULTS}
    values = {
        key: (default if chosen[key] is None else chosen[key])
        for key, default in RUN_DEFAULTS.items()
    }
    values["lr"] = options.lr if options.lr is not None else DEFAULT_LR[values["optimizer"]]
    hyper = {key: values[key] for key in ("batch_size", "lr", "optimizer", "momentum", "seed")}
    hyper["limit"] = values["limit"]
    return {
        "dataset": values["dataset"],
        "activation": values["activation"],
        "hyperparameters": hyper,
    }


def resumed_config(options: RunOptions, config: dict, path: Path) -> dict:
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
        given = getattr(options, key)
        if given is not None and given != saved.get(key):
            option = "--" + key.replace("_", "-")
            raise CheckpointError(
                path,
                f"mismatch: the run was trained with {option} {saved.get(key)}, "
                f"this command asks for {option} {given}",
            )
    return config
