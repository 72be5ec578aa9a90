"""load_dataset: NHWC float32 in [0, 1], padding, labels, every source, and the real Debian copy."""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import http.server
import io
import pickle
import struct
import tarfile
import threading
from pathlib import Path

import numpy as np
import pytest

from cnnref.training.data import (
    Dataset,
    DatasetError,
    DatasetNotFoundError,
    load_dataset,
    unit_float_nhwc,
)
from cnnref.training.data.catalog import DATASETS, DatasetSpec, RemoteFile

DEBIAN_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")
UNPATCHED_FASHION_MNIST = DATASETS["fashion-mnist"]
CIFAR_BATCHES = (*(f"data_batch_{i}" for i in range(1, 6)), "test_batch")


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path, monkeypatch) -> Path:
    """A private cache, and no system folder unless a test restores it."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("CNNREF_DATA", str(cache))
    spec = dataclasses.replace(UNPATCHED_FASHION_MNIST, system_dirs=())
    monkeypatch.setitem(DATASETS, "fashion-mnist", spec)
    return cache


def idx_bytes(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(np.uint8).tobytes()


def write_idx_set(folder: Path, seed: int = 0, compress: bool = True, side: int = 28) -> dict:
    """A 6-image train / 4-image test IDX set; returns the arrays written."""
    rng = np.random.default_rng(seed)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (6, side, side), dtype=np.uint8),
        "train-labels-idx1-ubyte": rng.integers(0, 10, 6, dtype=np.uint8),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (4, side, side), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, 4, dtype=np.uint8),
    }
    folder.mkdir(parents=True, exist_ok=True)
    for name, array in arrays.items():
        content = idx_bytes(array)
        if compress:
            (folder / f"{name}.gz").write_bytes(gzip.compress(content))
        else:
            (folder / name).write_bytes(content)
    return arrays


def test_idx_dataset_is_padded_nhwc_float(tmp_path):
    arrays = write_idx_set(tmp_path / "data")
    data = load_dataset("mnist", tmp_path / "data")
    assert isinstance(data, Dataset)
    assert data.name == "mnist"
    assert data.class_names == tuple("0123456789")
    assert data.train_images.shape == (6, 32, 32, 1)
    assert data.test_images.shape == (4, 32, 32, 1)
    assert data.train_images.dtype == data.test_images.dtype == np.float32
    assert data.train_labels.dtype == data.test_labels.dtype == np.int64
    np.testing.assert_array_equal(data.train_labels, arrays["train-labels-idx1-ubyte"])
    np.testing.assert_array_equal(data.test_labels, arrays["t10k-labels-idx1-ubyte"])
    expected = arrays["train-images-idx3-ubyte"].astype(np.float32) / np.float32(255)
    np.testing.assert_array_equal(data.train_images[:, 2:30, 2:30, 0], expected)
    border = np.ones((32, 32), bool)
    border[2:30, 2:30] = False
    assert not data.train_images[:, border, 0].any()
    assert data.train_images.min() >= 0.0
    assert data.train_images.max() <= 1.0


def test_raw_files_and_no_padding(tmp_path):
    arrays = write_idx_set(tmp_path / "data", compress=False)
    data = load_dataset("fashion-mnist", tmp_path / "data", pad_to=None)
    assert data.train_images.shape == (6, 28, 28, 1)
    assert data.class_names[0] == "T-shirt/top"
    assert data.class_names[9] == "Ankle boot"
    expected = arrays["t10k-images-idx3-ubyte"][..., None] / np.float32(255)
    np.testing.assert_array_equal(data.test_images, expected)


def test_odd_padding_puts_the_extra_row_and_column_last():
    images = np.full((1, 2, 2), 255, np.uint8)
    padded = unit_float_nhwc(images, pad_to=5)
    assert padded.shape == (1, 5, 5, 1)
    np.testing.assert_array_equal(
        np.argwhere(padded[0, :, :, 0] == 1.0), [[1, 1], [1, 2], [2, 1], [2, 2]]
    )
    assert padded.sum() == 4.0


def test_unit_float_does_not_modify_its_input():
    images = np.arange(12, dtype=np.uint8).reshape(1, 2, 2, 3)
    before = images.copy()
    out = unit_float_nhwc(images)
    np.testing.assert_array_equal(images, before)
    np.testing.assert_allclose(out, before / 255.0, rtol=1e-7)


def test_bad_arguments(tmp_path):
    write_idx_set(tmp_path / "data")
    with pytest.raises(ValueError, match="pad_to must be at least the image size 28 × 28, got 27"):
        load_dataset("mnist", tmp_path / "data", pad_to=27)
    with pytest.raises(ValueError, match="pad_to must be >= 1 or None, got 0"):
        load_dataset("mnist", tmp_path / "data", pad_to=0)
    with pytest.raises(TypeError, match=r"pad_to must be an int or None, got 32\.0"):
        load_dataset("mnist", tmp_path / "data", pad_to=32.0)
    with pytest.raises(TypeError, match="download must be a bool, got str"):
        load_dataset("mnist", tmp_path / "data", download="yes")
    with pytest.raises(ValueError, match="name must be one of 'mnist', 'fashion-mnist', 'cifar10'"):
        load_dataset("MNIST", tmp_path / "data")
    with pytest.raises(ValueError, match="images must be a uint8 array"):
        unit_float_nhwc(np.zeros((2, 3), np.uint8))


def test_mismatched_counts_name_both_files(tmp_path):
    folder = tmp_path / "data"
    write_idx_set(folder, compress=False)
    (folder / "train-labels-idx1-ubyte").write_bytes(idx_bytes(np.zeros(5, np.uint8)))
    with pytest.raises(
        DatasetError, match=r"5 labels for the 6 images of .*train-images-idx3-ubyte"
    ):
        load_dataset("mnist", folder)


def test_label_outside_the_classes(tmp_path):
    folder = tmp_path / "data"
    write_idx_set(folder, compress=False)
    (folder / "t10k-labels-idx1-ubyte").write_bytes(idx_bytes(np.array([1, 2, 10, 3])))
    with pytest.raises(DatasetError, match=r"t10k-labels-idx1-ubyte: label 10 outside 0\.\.9"):
        load_dataset("mnist", folder)


def test_labels_and_images_swapped(tmp_path):
    folder = tmp_path / "data"
    write_idx_set(folder, compress=False)
    (folder / "train-images-idx3-ubyte").write_bytes(idx_bytes(np.zeros(6, np.uint8)))
    with pytest.raises(
        DatasetError, match=r"expected uint8 images \(N, H, W\), got uint8 of shape \(6,\)"
    ):
        load_dataset("mnist", folder)


def test_corrupt_file_found_by_lookup_is_an_error_not_skipped(tmp_path, isolated_cache):
    write_idx_set(isolated_cache / "mnist")
    write_idx_set(tmp_path / "data")
    (tmp_path / "data" / "train-images-idx3-ubyte.gz").write_bytes(b"\x1f\x8b garbage")
    with pytest.raises(
        DatasetError, match=r"train-images-idx3-ubyte\.gz: corrupt or truncated gzip"
    ):
        load_dataset("mnist", tmp_path / "data")


def cifar_batch(count: int, seed: int) -> tuple[bytes, np.ndarray, list[int]]:
    rng = np.random.default_rng(seed)
    data = rng.integers(0, 256, (count, 3072), dtype=np.uint8)
    labels = [int(label) for label in rng.integers(0, 10, count)]
    return pickle.dumps({b"data": data, b"labels": labels}, protocol=4), data, labels


def test_cifar10_from_the_extracted_folder(tmp_path):
    folder = tmp_path / "data" / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    written = {}
    for seed, name in enumerate(CIFAR_BATCHES):
        content, data, labels = cifar_batch(2, seed)
        (folder / name).write_bytes(content)
        written[name] = (data, labels)
    data = load_dataset("cifar10", tmp_path / "data")
    assert data.train_images.shape == (10, 32, 32, 3)
    assert data.test_images.shape == (2, 32, 32, 3)
    assert data.class_names == tuple(
        "airplane automobile bird cat deer dog frog horse ship truck".split()
    )
    np.testing.assert_array_equal(data.test_labels, written["test_batch"][1])
    np.testing.assert_array_equal(data.train_labels[8:], written["data_batch_5"][1])
    red = written["data_batch_3"][0][1, :1024].reshape(32, 32) / np.float32(255)
    np.testing.assert_array_equal(data.train_images[5, :, :, 0], red)


class ArchiveServer:
    """Serves a directory's files on 127.0.0.1 for the download=True path."""

    def __init__(self, folder: Path) -> None:
        directory = str(folder)

        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, directory=directory, **kwargs)

            def log_message(self, *args) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


def served_spec(name: str, folder: Path, url: str, tamper: str = "") -> DatasetSpec:
    """Point ``name``'s files at ``url`` with the digests of ``folder``'s copies."""
    files = []
    for remote in DATASETS[name].files:
        digest = hashlib.sha256((folder / remote.name).read_bytes()).hexdigest()
        if remote.name == tamper:
            digest = hashlib.sha256(b"something else").hexdigest()
        files.append(RemoteFile(remote.name, url + remote.name, digest))
    return dataclasses.replace(DATASETS[name], files=tuple(files))


def test_download_fills_the_cache_then_loads(tmp_path, isolated_cache, monkeypatch):
    arrays = write_idx_set(tmp_path / "mirror")
    server = ArchiveServer(tmp_path / "mirror")
    try:
        monkeypatch.setitem(
            DATASETS, "mnist", served_spec("mnist", tmp_path / "mirror", server.url)
        )
        with pytest.raises(DatasetNotFoundError):
            load_dataset("mnist")
        data = load_dataset("mnist", download=True)
    finally:
        server.close()
    np.testing.assert_array_equal(data.train_labels, arrays["train-labels-idx1-ubyte"])
    assert sorted(p.name for p in (isolated_cache / "mnist").iterdir()) == sorted(
        f"{name}.gz" for name in arrays
    )


def test_download_with_a_bad_digest_keeps_the_good_files_only(
    tmp_path, isolated_cache, monkeypatch
):
    write_idx_set(tmp_path / "mirror")
    server = ArchiveServer(tmp_path / "mirror")
    tampered = "t10k-images-idx3-ubyte.gz"
    try:
        spec = served_spec("mnist", tmp_path / "mirror", server.url, tamper=tampered)
        monkeypatch.setitem(DATASETS, "mnist", spec)
        with pytest.raises(DatasetError, match=f"{tampered}: SHA-256 mismatch"):
            load_dataset("mnist", download=True)
    finally:
        server.close()
    assert sorted(p.name for p in (isolated_cache / "mnist").iterdir()) == [
        "train-images-idx3-ubyte.gz",
        "train-labels-idx1-ubyte.gz",
    ]


def test_cifar10_download_is_read_from_the_archive(tmp_path, isolated_cache, monkeypatch):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    with tarfile.open(mirror / "cifar-10-python.tar.gz", "w:gz") as tar:
        for seed, name in enumerate(CIFAR_BATCHES):
            content = cifar_batch(1, seed)[0]
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    server = ArchiveServer(mirror)
    try:
        monkeypatch.setitem(DATASETS, "cifar10", served_spec("cifar10", mirror, server.url))
        data = load_dataset("cifar10", download=True)
    finally:
        server.close()
    assert data.train_images.shape == (5, 32, 32, 3)
    assert data.test_labels.tolist() == cifar_batch(1, 5)[2]
    assert [p.name for p in (isolated_cache / "cifar10").iterdir()] == ["cifar-10-python.tar.gz"]


@pytest.mark.skipif(
    not DEBIAN_FASHION_MNIST.is_dir(), reason="Debian's dataset-fashion-mnist is not installed"
)
def test_debians_fashion_mnist_loads(monkeypatch):
    monkeypatch.setitem(DATASETS, "fashion-mnist", UNPATCHED_FASHION_MNIST)
    data = load_dataset("fashion-mnist")
    assert data.train_images.shape == (60000, 32, 32, 1)
    assert data.test_images.shape == (10000, 32, 32, 1)
    assert np.bincount(data.train_labels).tolist() == [6000] * 10
    assert np.bincount(data.test_labels).tolist() == [1000] * 10
    assert data.train_images.max() == 1.0
    assert not data.train_images[:, :2].any()
