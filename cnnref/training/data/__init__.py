"""Datasets for training the notes' network: MNIST, Fashion-MNIST (IDX files) and CIFAR-10
(python batches), as NHWC float32 images in [0, 1] with int64 labels."""

from __future__ import annotations

from .catalog import DATASETS
from .cifar import read_cifar10_batch
from .dataset import Dataset, load_dataset, unit_float_nhwc
from .errors import DatasetError, DatasetNotFoundError
from .idx import read_idx
from .locate import default_cache_dir

__all__ = [
    "DATASETS",
    "Dataset",
    "DatasetError",
    "DatasetNotFoundError",
    "default_cache_dir",
    "load_dataset",
    "read_cifar10_batch",
    "read_idx",
    "unit_float_nhwc",
]
