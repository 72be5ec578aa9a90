"""CIFAR-10's python batches: from a batch file, the ``cifar-10-batches-py`` folder, or the
``cifar-10-python.tar.gz`` archive (read in memory, never extracted to disk).

A batch is a dict {b"data": uint8 array (n, 3072), b"labels": [n ints], b"batch_label",
b"filenames"}; each row of ``data`` holds the red, then green, then blue 32 × 32 plane, row-major.
"""

from __future__ import annotations

import os
import tarfile
import zlib
from pathlib import Path

import numpy as np

from ...validation import input_file
from .errors import DatasetError
from .safe_pickle import safe_unpickle

CIFAR10_FOLDER = "cifar-10-batches-py"
CIFAR10_ARCHIVE = "cifar-10-python.tar.gz"
TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_BATCHES = ("test_batch",)
SIDE = 32
CHANNELS = 3
CLASSES = 10


def read_cifar10_batch(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """Read one CIFAR-10 python batch file.

    Returns (images, labels): images (n, 32, 32, 3) uint8 NHWC, labels (n,) int64 in 0..9.
    Unpickling is restricted (see ``safe_pickle``); a malformed batch raises ``DatasetError``.
    """
    path = input_file("path", path)
    return parse_cifar10_batch(path.read_bytes(), str(path))


def parse_cifar10_batch(content: bytes, source: str = "<bytes>") -> tuple[np.ndarray, np.ndarray]:
    """Parse the bytes of a CIFAR-10 batch; ``source`` names it in error messages."""
    batch = safe_unpickle(content, source)
    if not isinstance(batch, dict):
        raise DatasetError(f"{source}: a CIFAR-10 batch is a dict, got {type(batch).__name__}")
    data = _entry(batch, "data", source)
    labels = _entry(batch, "labels", source)
    row = SIDE * SIDE * CHANNELS
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2:
        raise DatasetError(f"{source}: 'data' must be a 2-D uint8 array, got {_describe(data)}")
    if data.shape[1] != row:
        raise DatasetError(
            f"{source}: 'data' rows must hold {row} bytes (3 × 32 × 32), got shape {data.shape}"
        )
    if not isinstance(labels, (list, np.ndarray)) or len(labels) != data.shape[0]:
        raise DatasetError(
            f"{source}: 'labels' must be a list of {data.shape[0]} class indices (one per image), "
            f"got {_describe(labels)}"
        )
    integers = (
        labels.dtype.kind in "iu"
        if isinstance(labels, np.ndarray)
        else all(type(label) is int for label in labels)
    )
    if not integers:
        raise DatasetError(f"{source}: 'labels' must hold integers")
    label_array = np.asarray(labels, dtype=np.int64)
    if label_array.size and (label_array.min() < 0 or label_array.max() >= CLASSES):
        raise DatasetError(
            f"{source}: 'labels' must lie in 0..{CLASSES - 1}, "
            f"got values from {label_array.min()} to {label_array.max()}"
        )
    images = data.reshape(-1, CHANNELS, SIDE, SIDE).transpose(0, 2, 3, 1)
    return np.ascontiguousarray(images), label_array


def read_cifar10_folder(folder: Path, batches: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Read and concatenate ``batches`` from an extracted ``cifar-10-batches-py`` folder."""
    parts = [read_cifar10_batch(folder / name) for name in batches]
    return _concatenate(parts)


def read_cifar10_archive(archive: Path, batches: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Read and concatenate ``batches`` from ``cifar-10-python.tar.gz`` without extracting it."""
    parts = []
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for name in batches:
                member = f"{CIFAR10_FOLDER}/{name}"
                try:
                    stream = tar.extractfile(member)
                except KeyError:
                    stream = None
                if stream is None:
                    raise DatasetError(f"{archive}: the archive has no file {member}")
                parts.append(parse_cifar10_batch(stream.read(), f"{archive}:{member}"))
    except (tarfile.TarError, EOFError, zlib.error, OSError) as error:
        if isinstance(error, FileNotFoundError):
            raise
        raise DatasetError(f"{archive}: corrupt or truncated tar.gz archive ({error})") from error
    return _concatenate(parts)


def _entry(batch: dict, key: str, source: str) -> object:
    """``batch[key]`` under a bytes key (Python 2 pickles) or a str key (Python 3 pickles)."""
    for candidate in (key.encode(), key):
        if candidate in batch:
            return batch[candidate]
    found = ", ".join(sorted(map(repr, batch)))
    raise DatasetError(f"{source}: a CIFAR-10 batch needs the key {key!r}, found {found}")


def _describe(value: object) -> str:
    if isinstance(value, np.ndarray):
        return f"array of dtype {value.dtype} and shape {value.shape}"
    if isinstance(value, list):
        return f"list of length {len(value)}"
    return type(value).__name__


def _concatenate(parts: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    images = np.concatenate([images for images, _ in parts])
    labels = np.concatenate([labels for _, labels in parts])
    return images, labels
