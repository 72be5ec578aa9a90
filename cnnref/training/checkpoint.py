"""Training checkpoints as ``.npz`` files that load with ``allow_pickle=False``.

Entries: ``param/<name>`` (network parameters), ``optim/<key>`` (optimizer state), ``epoch`` and
``step`` (0-d int64: completed epochs, minibatches done in the current one), ``training`` (JSON:
shuffling RNG state, running sums of the current epoch, metrics so far), ``config`` (JSON: the
architecture, data normalization and hyperparameters) and ``format`` (0-d int64).

Files are written atomically — a temporary file in the same folder, flushed and fsynced, then
``os.replace`` — so a crash mid-write leaves the previous checkpoint intact. Any unreadable,
truncated or inconsistent file, or one that does not fit the network it is loaded into, raises
:class:`CheckpointError` naming the file and the problem.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..validation import file_problem

FORMAT_VERSION = 1
_SCALARS = ("format", "epoch", "step")
_JSON = ("training", "config")

ZIP_MAGIC = b"PK\x03\x04"  # the first bytes of a zip archive, and so of an .npz


class CheckpointError(ValueError):
    """A checkpoint file is unreadable, incomplete, or does not match what it is loaded into."""

    def __init__(self, path: str | os.PathLike, problem: str) -> None:
        super().__init__(f"checkpoint {os.fspath(path)}: {problem}")
        self.path = os.fspath(path)
        self.problem = problem


@dataclass
class Checkpoint:
    """The contents of one checkpoint file."""

    parameters: dict[str, np.ndarray]
    optimizer_state: dict[str, np.ndarray]
    epoch: int
    step: int
    training: dict
    config: dict
    path: str = field(default="", compare=False)


def save_checkpoint(path: str | os.PathLike, checkpoint: Checkpoint) -> None:
    """Write ``checkpoint`` to ``path`` atomically: temp file in the same folder, fsync, replace."""
    if not isinstance(checkpoint, Checkpoint):
        raise TypeError(
            f"checkpoint must be a Checkpoint (cnnref.training.fit.make_checkpoint makes one), "
            f"got {type(checkpoint).__name__}"
        )
    path = Path(path)
    arrays: dict[str, np.ndarray] = {
        "format": np.array(FORMAT_VERSION, dtype=np.int64),
        "epoch": np.array(checkpoint.epoch, dtype=np.int64),
        "step": np.array(checkpoint.step, dtype=np.int64),
        "training": np.array(json.dumps(checkpoint.training)),
        "config": np.array(json.dumps(checkpoint.config)),
    }
    sections = {"param": checkpoint.parameters, "optim": checkpoint.optimizer_state}
    for prefix, entries in sections.items():
        for name, value in entries.items():
            value = np.asarray(value)
            if value.dtype == object:
                raise TypeError(f"{prefix}/{name} has dtype object; checkpoints hold plain arrays")
            arrays[f"{prefix}/{name}"] = value
    descriptor, temp_name = tempfile.mkstemp(
        prefix=f".{path.name}.", suffix=".tmp", dir=path.parent
    )
    try:
        with os.fdopen(descriptor, "wb") as handle:
            np.savez(handle, **arrays)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    _fsync_directory(path.parent)


def load_checkpoint(path: str | os.PathLike) -> Checkpoint:
    """Read a checkpoint written by :func:`save_checkpoint`; any defect is a CheckpointError."""
    path = Path(path)
    problem = file_problem(path)
    if problem is not None:
        raise CheckpointError(path, problem)
    if not zipfile.is_zipfile(path):
        # np.load would try the bytes as a pickle and answer with advice about allow_pickle.
        with path.open("rb") as file:
            zip_start = file.read(4) == ZIP_MAGIC
        problem = (
            "not a readable .npz checkpoint (truncated or corrupt?)"
            if zip_start
            else "not a checkpoint: a cnnref checkpoint is the .npz archive cnnref train writes"
        )
        raise CheckpointError(path, problem)
    try:
        with np.load(path, allow_pickle=False) as archive:
            entries = {key: archive[key] for key in archive.files}
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError) as error:
        problem = f"not a readable .npz checkpoint (truncated or corrupt?): {error}"
        raise CheckpointError(path, problem) from error
    missing = [key for key in (*_SCALARS, *_JSON) if key not in entries]
    if missing:
        raise CheckpointError(path, f"missing entries {missing}; not a cnnref training checkpoint")
    scalars = {key: _integer_scalar(path, key, entries[key]) for key in _SCALARS}
    if scalars["format"] != FORMAT_VERSION:
        raise CheckpointError(
            path, f"format version {scalars['format']}, this cnnref reads {FORMAT_VERSION}"
        )
    documents = {key: _json_document(path, key, entries[key]) for key in _JSON}
    return Checkpoint(
        parameters=_with_prefix(entries, "param/"),
        optimizer_state=_with_prefix(entries, "optim/"),
        epoch=scalars["epoch"],
        step=scalars["step"],
        training=documents["training"],
        config=documents["config"],
        path=str(path),
    )


def check_parameters(checkpoint: Checkpoint, expected: Mapping[str, np.ndarray]) -> None:
    """Require the checkpoint's parameters to have exactly the names, shapes and dtypes of
    ``expected`` (a network's ``parameters()``); otherwise a CheckpointError saying which."""
    saved = checkpoint.parameters
    missing = sorted(set(expected) - set(saved))
    unknown = sorted(set(saved) - set(expected))
    if missing or unknown:
        raise CheckpointError(
            checkpoint.path,
            f"architecture mismatch: parameters missing from the file {missing}, "
            f"parameters the network does not have {unknown}",
        )
    for name, value in expected.items():
        if saved[name].shape != value.shape or saved[name].dtype != value.dtype:
            raise CheckpointError(
                checkpoint.path,
                f"architecture mismatch: {name} is {saved[name].dtype} {saved[name].shape} in the "
                f"file but {value.dtype} {value.shape} in the network",
            )


def _integer_scalar(path: Path, key: str, value: np.ndarray) -> int:
    if value.shape != () or value.dtype.kind not in "iu":
        problem = f"entry {key!r} must be a 0-d integer, got {value.dtype} {value.shape}"
        raise CheckpointError(path, problem)
    if int(value) < 0:
        raise CheckpointError(path, f"entry {key!r} must be >= 0, got {int(value)}")
    return int(value)


def _json_document(path: Path, key: str, value: np.ndarray) -> dict:
    if value.shape != () or value.dtype.kind != "U":
        raise CheckpointError(path, f"entry {key!r} must be a JSON string, got {value.dtype}")
    try:
        document = json.loads(str(value))
    except (json.JSONDecodeError, RecursionError) as error:
        raise CheckpointError(path, f"entry {key!r} is not valid JSON: {error}") from error
    if not isinstance(document, dict):
        raise CheckpointError(path, f"entry {key!r} must be a JSON object")
    return document


def _with_prefix(entries: Mapping[str, np.ndarray], prefix: str) -> dict[str, np.ndarray]:
    return {key[len(prefix) :]: value for key, value in entries.items() if key.startswith(prefix)}


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself durable where the OS allows opening a directory (POSIX)."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
