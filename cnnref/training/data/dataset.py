"""``load_dataset``: a dataset as NHWC float32 images in [0, 1] and int64 labels."""

from __future__ import annotations

import numbers
import os
from dataclasses import dataclass

import numpy as np

from .catalog import DatasetSpec, dataset_spec
from .cifar import TEST_BATCHES, TRAIN_BATCHES, read_cifar10_archive, read_cifar10_folder
from .download import download_dataset
from .errors import DatasetError, DatasetNotFoundError
from .idx import read_idx
from .locate import Found, dataset_cache_dir, find_in, locate


@dataclass(frozen=True)
class Dataset:
    """A train/test split: images (N, H, W, C) float32 in [0, 1], labels (N,) int64 in 0..K−1."""

    name: str
    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    class_names: tuple[str, ...]


def load_dataset(
    name: str,
    data_dir: str | os.PathLike | None = None,
    download: bool = False,
    pad_to: int | None = 32,
) -> Dataset:
    """Load "mnist", "fashion-mnist" or "cifar10" as a ``Dataset``.

    Looks in ``data_dir`` (and ``data_dir/<name>``), the per-user cache (``default_cache_dir()``),
    then Debian's ``/usr/share/datasets/fashion-mnist`` (Fashion-MNIST only). If none holds a
    complete copy, ``download=True`` fetches the official files into the cache (SHA-256 checked);
    otherwise ``DatasetNotFoundError`` lists every place looked. Images smaller than ``pad_to`` are
    zero-padded to ``pad_to`` × ``pad_to`` (28 × 28 → 32 × 32 for the notes' network); None keeps
    them as they are.
    """
    spec = dataset_spec(name)
    if not isinstance(download, bool):
        raise TypeError(f"download must be a bool, got {type(download).__name__}")
    pad_to = _check_pad_to(pad_to)
    try:
        found = locate(spec, data_dir)
    except DatasetNotFoundError:
        if not download:
            raise
        found = _download_into_cache(spec)
    (train_images, train_labels), (test_images, test_labels) = _read_split(spec, found)
    return Dataset(
        name=spec.name,
        train_images=unit_float_nhwc(train_images, pad_to),
        train_labels=train_labels,
        test_images=unit_float_nhwc(test_images, pad_to),
        test_labels=test_labels,
        class_names=spec.class_names,
    )


def unit_float_nhwc(images: np.ndarray, pad_to: int | None = None) -> np.ndarray:
    """Bytes to intensities, x = b / 255, as float32 NHWC, zero-padded to ``pad_to`` × ``pad_to``.

    images: (N, H, W) or (N, H, W, C) uint8 → (N, P, P, C) float32 with P = ``pad_to`` (or H × W
    when None); the image sits in the middle, an odd extra row/column of zeros at the bottom/right.
    """
    images = np.asarray(images)
    if images.dtype != np.uint8 or images.ndim not in (3, 4):
        raise ValueError(
            f"images must be a uint8 array (N, H, W) or (N, H, W, C), "
            f"got dtype {images.dtype} and shape {images.shape}"
        )
    if images.ndim == 3:
        images = images[..., np.newaxis]
    count, height, width, channels = images.shape
    out_height, out_width = (height, width) if pad_to is None else (pad_to, pad_to)
    if out_height < height or out_width < width:
        raise ValueError(f"pad_to must be at least the image size {height} × {width}, got {pad_to}")
    top, left = (out_height - height) // 2, (out_width - width) // 2
    out = np.zeros((count, out_height, out_width, channels), dtype=np.float32)
    np.divide(images, np.float32(255), out=out[:, top : top + height, left : left + width, :])
    return out


def _check_pad_to(pad_to: int | None) -> int | None:
    if pad_to is None:
        return None
    if isinstance(pad_to, bool) or not isinstance(pad_to, numbers.Integral):
        raise TypeError(f"pad_to must be an int or None, got {pad_to!r}")
    if pad_to < 1:
        raise ValueError(f"pad_to must be >= 1 or None, got {pad_to}")
    return int(pad_to)


def _download_into_cache(spec: DatasetSpec) -> Found:
    folder = dataset_cache_dir(spec)
    download_dataset(spec, folder)
    found, why_not = find_in(folder, spec)
    if found is None:  # pragma: no cover - download_dataset wrote every file or raised
        raise DatasetError(f"{folder}: download finished but the copy is unusable ({why_not})")
    return found


Split = tuple[np.ndarray, np.ndarray]


def _read_split(spec: DatasetSpec, found: Found) -> tuple[Split, Split]:
    """(train images, train labels), (test images, test labels) as read from ``found``."""
    if found.kind == "idx":
        train = _read_idx_pair(found, "train_images", "train_labels", len(spec.class_names))
        test = _read_idx_pair(found, "test_images", "test_labels", len(spec.class_names))
        return train, test
    source = found.paths["cifar10"]
    read = read_cifar10_folder if found.kind == "cifar10-folder" else read_cifar10_archive
    return read(source, TRAIN_BATCHES), read(source, TEST_BATCHES)


def _read_idx_pair(found: Found, images_role: str, labels_role: str, classes: int) -> Split:
    images_path, labels_path = found.paths[images_role], found.paths[labels_role]
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.dtype != np.uint8 or images.ndim != 3:
        raise DatasetError(
            f"{images_path}: expected uint8 images (N, H, W), "
            f"got {images.dtype} of shape {images.shape}"
        )
    if labels.dtype != np.uint8 or labels.ndim != 1:
        raise DatasetError(
            f"{labels_path}: expected uint8 labels (N,), got {labels.dtype} of shape {labels.shape}"
        )
    if len(labels) != len(images):
        raise DatasetError(
            f"{labels_path}: {len(labels)} labels for the {len(images)} images of {images_path}"
        )
    if labels.size and labels.max() >= classes:
        raise DatasetError(f"{labels_path}: label {labels.max()} outside 0..{classes - 1}")
    return images, labels.astype(np.int64)
