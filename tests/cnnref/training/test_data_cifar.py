"""CIFAR-10 python batches: the published (Python 2) pickle layout, folders, archives, bad ones."""

from __future__ import annotations

import io
import os
import pickle
import re
import struct
import tarfile

import numpy as np
import pytest

from cnnref.training.data import DatasetError, read_cifar10_batch
from cnnref.training.data.cifar import read_cifar10_archive, read_cifar10_folder


def py2_string(value: bytes) -> bytes:
    """A Python 2 ``str`` as cPickle writes it (SHORT_BINSTRING / BINSTRING)."""
    if len(value) < 256:
        return b"U" + bytes([len(value)]) + value
    return b"T" + struct.pack("<i", len(value)) + value


def py2_int(value: int) -> bytes:
    return b"J" + struct.pack("<i", value)


def py2_batch(data: np.ndarray, labels: list[int]) -> bytes:
    """A batch in the layout of the published files: a protocol-2 pickle written by Python 2 and
    numpy 1.x, whose array is rebuilt by numpy.core.multiarray._reconstruct."""
    dtype = (
        b"cnumpy\ndtype\n" + py2_string(b"u1") + py2_int(0) + py2_int(1) + b"\x87R"
        b"(" + py2_int(3) + py2_string(b"|") + b"NNN" + py2_int(-1) + py2_int(-1) + py2_int(0)
        + b"tb"
    )  # fmt: skip
    array = (
        b"cnumpy.core.multiarray\n_reconstruct\n" + b"cnumpy\nndarray\n" + py2_int(0) + b"\x85"
        + py2_string(b"b") + b"\x87R"
        b"(" + py2_int(1) + py2_int(data.shape[0]) + py2_int(data.shape[1]) + b"\x86" + dtype
        + b"\x89" + py2_string(data.tobytes()) + b"tb"
    )  # fmt: skip
    label_list = b"](" + b"".join(py2_int(label) for label in labels) + b"e"
    names = b"](" + b"".join(py2_string(b"img%d.png" % i) for i in range(len(labels))) + b"e"
    return (
        b"\x80\x02}("
        + py2_string(b"batch_label") + py2_string(b"training batch 1 of 5")
        + py2_string(b"data") + array
        + py2_string(b"labels") + label_list
        + py2_string(b"filenames") + names
        + b"u."
    )  # fmt: skip


def random_batch(count: int, seed: int) -> tuple[np.ndarray, list[int]]:
    rng = np.random.default_rng(seed)
    data = rng.integers(0, 256, size=(count, 3072), dtype=np.uint8)
    return data, [int(label) for label in rng.integers(0, 10, size=count)]


def test_python2_batch_reads_as_nhwc(tmp_path):
    data, labels = random_batch(4, seed=0)
    path = tmp_path / "data_batch_1"
    path.write_bytes(py2_batch(data, labels))
    images, read_labels = read_cifar10_batch(path)
    assert images.shape == (4, 32, 32, 3)
    assert images.dtype == np.uint8
    assert read_labels.dtype == np.int64
    np.testing.assert_array_equal(read_labels, labels)
    # a row holds the red, green, blue 32 × 32 planes: pixel (i, j) of channel c is at c·1024+32i+j
    for n, i, j, c in [(0, 0, 0, 0), (1, 5, 17, 1), (3, 31, 31, 2), (2, 12, 0, 2)]:
        assert images[n, i, j, c] == data[n, c * 1024 + 32 * i + j]
    assert images.flags.c_contiguous


@pytest.mark.parametrize("key_type", [bytes, str])
def test_python3_batches_with_bytes_or_str_keys(tmp_path, key_type):
    data, labels = random_batch(3, seed=1)
    batch = {key_type("data", "ascii") if key_type is bytes else "data": data}
    batch[key_type("labels", "ascii") if key_type is bytes else "labels"] = labels
    path = tmp_path / "batch"
    path.write_bytes(pickle.dumps(batch, protocol=4))
    images, read_labels = read_cifar10_batch(path)
    np.testing.assert_array_equal(images.transpose(0, 3, 1, 2).reshape(3, 3072), data)
    np.testing.assert_array_equal(read_labels, labels)


def test_malicious_batch_is_refused_without_running(tmp_path):
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    path = tmp_path / "data_batch_1"
    path.write_bytes(pickle.dumps({b"data": Payload(), b"labels": []}))
    expected = f"{path}: refusing to unpickle the global posix.system"
    with pytest.raises(DatasetError, match=re.escape(expected)):
        read_cifar10_batch(path)
    assert not marker.exists()


@pytest.mark.parametrize(
    ("batch", "message"),
    [
        ([1, 2], "a CIFAR-10 batch is a dict, got list"),
        ({b"labels": [1]}, "needs the key 'data', found b'labels'"),
        ({b"data": np.zeros((1, 3072), np.uint8)}, "needs the key 'labels'"),
        (
            {b"data": np.zeros((1, 3072), np.float32), b"labels": [1]},
            r"'data' must be a 2-D uint8 array, got array of dtype float32 and shape \(1, 3072\)",
        ),
        ({b"data": b"\x00" * 3072, b"labels": [1]}, "'data' must be a 2-D uint8 array, got bytes"),
        (
            {b"data": np.zeros((1, 3000), np.uint8), b"labels": [1]},
            r"'data' rows must hold 3072 bytes \(3 × 32 × 32\), got shape \(1, 3000\)",
        ),
        (
            {b"data": np.zeros((2, 3072), np.uint8), b"labels": [1]},
            "'labels' must be a list of 2 class indices .one per image., got list of length 1",
        ),
        ({b"data": np.zeros((1, 3072), np.uint8), b"labels": [1.0]}, "'labels' must hold integers"),
        (
            {b"data": np.zeros((2, 3072), np.uint8), b"labels": [3, 10]},
            "'labels' must lie in 0..9, got values from 3 to 10",
        ),
    ],
)
def test_malformed_batch_names_the_file_and_the_fault(tmp_path, batch, message):
    path = tmp_path / "data_batch_3"
    path.write_bytes(pickle.dumps(batch, protocol=4))
    with pytest.raises(DatasetError, match=message) as caught:
        read_cifar10_batch(path)
    assert str(caught.value).startswith(f"{path}: ")


def test_truncated_batch(tmp_path):
    data, labels = random_batch(2, seed=2)
    path = tmp_path / "data_batch_1"
    path.write_bytes(py2_batch(data, labels)[:5000])
    with pytest.raises(DatasetError, match=re.escape(f"{path}: not a valid pickle")):
        read_cifar10_batch(path)


def write_folder(folder, sizes: dict[str, int]) -> dict[str, tuple[np.ndarray, list[int]]]:
    folder.mkdir(parents=True, exist_ok=True)
    batches = {}
    for seed, (name, count) in enumerate(sizes.items()):
        batches[name] = random_batch(count, seed)
        (folder / name).write_bytes(py2_batch(*batches[name]))
    return batches


def test_folder_batches_are_concatenated_in_order(tmp_path):
    batches = write_folder(tmp_path, {"data_batch_1": 2, "data_batch_2": 3})
    images, labels = read_cifar10_folder(tmp_path, ("data_batch_1", "data_batch_2"))
    assert images.shape == (5, 32, 32, 3)
    np.testing.assert_array_equal(labels, batches["data_batch_1"][1] + batches["data_batch_2"][1])
    first_of_second = images[2].transpose(2, 0, 1).ravel()
    np.testing.assert_array_equal(first_of_second, batches["data_batch_2"][0][0])


def make_archive(path, members: dict[str, bytes]) -> None:
    with tarfile.open(path, "w:gz") as tar:
        for name, content in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))


def test_archive_is_read_in_memory(tmp_path):
    first, second = random_batch(2, seed=3), random_batch(1, seed=4)
    archive = tmp_path / "cifar-10-python.tar.gz"
    make_archive(
        archive,
        {
            "cifar-10-batches-py/test_batch": py2_batch(*second),
            "cifar-10-batches-py/data_batch_1": py2_batch(*first),
        },
    )
    images, labels = read_cifar10_archive(archive, ("data_batch_1", "test_batch"))
    np.testing.assert_array_equal(labels, first[1] + second[1])
    np.testing.assert_array_equal(images.transpose(0, 3, 1, 2).reshape(3, 3072)[:2], first[0])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cifar-10-python.tar.gz"]


def test_archive_without_a_batch(tmp_path):
    archive = tmp_path / "cifar-10-python.tar.gz"
    make_archive(archive, {"cifar-10-batches-py/data_batch_1": py2_batch(*random_batch(1, 0))})
    with pytest.raises(DatasetError, match="has no file cifar-10-batches-py/test_batch"):
        read_cifar10_archive(archive, ("test_batch",))


def test_truncated_archive(tmp_path):
    archive = tmp_path / "cifar-10-python.tar.gz"
    make_archive(archive, {"cifar-10-batches-py/data_batch_1": py2_batch(*random_batch(20, 0))})
    archive.write_bytes(archive.read_bytes()[:30000])
    expected = f"{archive}: corrupt or truncated tar.gz archive"
    with pytest.raises(DatasetError, match=re.escape(expected)):
        read_cifar10_archive(archive, ("data_batch_1",))


def test_bad_batch_inside_archive_names_archive_and_member(tmp_path):
    archive = tmp_path / "cifar-10-python.tar.gz"
    make_archive(archive, {"cifar-10-batches-py/data_batch_1": pickle.dumps([1], protocol=4)})
    expected = f"{archive}:cifar-10-batches-py/data_batch_1: a CIFAR-10 batch is a dict"
    with pytest.raises(DatasetError, match=re.escape(expected)):
        read_cifar10_archive(archive, ("data_batch_1",))


def test_a_pipe_is_named_not_read(tmp_path):
    fifo = tmp_path / "data_batch_1"
    os.mkfifo(fifo)
    with pytest.raises(ValueError, match=r"data_batch_1': not a regular file"):
        read_cifar10_batch(fifo)  # once blocked forever, waiting for a writer
