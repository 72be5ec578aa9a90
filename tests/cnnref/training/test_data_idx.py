"""read_idx: every IDX element type, raw and gzip, and a named error for each kind of damage."""

from __future__ import annotations

import gzip
import os
import re
import struct

import numpy as np
import pytest

from cnnref.training.data import DatasetError, read_idx
from cnnref.training.data.idx import parse_idx

TYPE_CODES = {"u1": 0x08, "i1": 0x09, ">i2": 0x0B, ">i4": 0x0C, ">f4": 0x0D, ">f8": 0x0E}


def idx_bytes(array: np.ndarray, big_endian_dtype: str) -> bytes:
    """An IDX file written by hand: magic 0x0000TTDD, big-endian uint32 sizes, big-endian data."""
    header = bytes([0, 0, TYPE_CODES[big_endian_dtype], array.ndim])
    header += struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(big_endian_dtype).tobytes()


@pytest.fixture
def images() -> np.ndarray:
    return np.random.default_rng(0).integers(0, 256, size=(5, 28, 28), dtype=np.uint8)


def test_raw_uint8_images_read_back_exactly(tmp_path, images):
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(idx_bytes(images, "u1"))
    result = read_idx(path)
    assert result.dtype == np.uint8
    assert result.shape == (5, 28, 28)
    np.testing.assert_array_equal(result, images)


def test_gzip_file_read_back_exactly(tmp_path, images):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(idx_bytes(images, "u1")))
    np.testing.assert_array_equal(read_idx(str(path)), images)


def test_gzip_is_recognized_by_content_not_name(tmp_path, images):
    path = tmp_path / "no-suffix"
    path.write_bytes(gzip.compress(idx_bytes(images, "u1")))
    np.testing.assert_array_equal(read_idx(path), images)


@pytest.mark.parametrize("dtype", [">i2", ">i4", ">f4", ">f8", "i1"])
def test_every_element_type_is_converted_to_native_byte_order(tmp_path, dtype):
    values = np.array([[-3, 2, 100], [7, -128, 0]]).astype(dtype)
    path = tmp_path / "values.idx"
    path.write_bytes(idx_bytes(values, dtype))
    result = read_idx(path)
    assert result.dtype == np.dtype(dtype).newbyteorder("=")
    assert result.dtype.isnative
    np.testing.assert_array_equal(result, values)


def test_one_dimensional_labels(tmp_path):
    labels = np.array([9, 0, 0, 3, 1], dtype=np.uint8)
    path = tmp_path / "labels"
    path.write_bytes(idx_bytes(labels, "u1"))
    np.testing.assert_array_equal(read_idx(path), labels)


def test_result_is_writable_and_independent_of_the_file(tmp_path, images):
    path = tmp_path / "images"
    path.write_bytes(idx_bytes(images, "u1"))
    result = read_idx(path)
    result[0, 0, 0] = 7
    assert result[0, 0, 0] == 7


def test_path_of_wrong_type_is_a_type_error():
    with pytest.raises(TypeError, match=r"path must be a str or os\.PathLike, got int"):
        read_idx(3)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "not an IDX file: 0 bytes, shorter than the 4-byte magic number"),
        (b"\x00\x00\x08", "not an IDX file: 3 bytes"),
        (b"\x50\x4b\x03\x04" + bytes(20), r"wrong magic number 0x504b0304, expected 0x0000TTDD"),
        (b"\x00\x01\x08\x01" + bytes(8), r"wrong magic number 0x00010801"),
        (b"\x00\x00\x07\x01" + struct.pack(">I", 1) + b"x", r"unknown IDX type code 0x07"),
        (b"\x00\x00\x08\x00", "declares 0 dimensions"),
        (b"\x00\x00\x08\x03" + struct.pack(">2I", 2, 2), "truncated IDX header: 3 dimensions need"),
        (
            b"\x00\x00\x08\x03" + struct.pack(">3I", 2, 3, 3) + bytes(17),
            r"truncated IDX data: the header \(2, 3, 3\) of uint8 needs 18 bytes of data, "
            "the file has 17",
        ),
        (
            b"\x00\x00\x0c\x01" + struct.pack(">I", 2) + bytes(7),
            r"truncated IDX data: the header \(2,\) of int32 needs 8 bytes",
        ),
        (b"\x00\x00\x08\x01" + struct.pack(">I", 2) + bytes(3), "1 unexpected bytes after the IDX"),
    ],
)
def test_damaged_file_names_the_file_and_the_fault(tmp_path, content, message):
    path = tmp_path / "damaged-idx3-ubyte"
    path.write_bytes(content)
    with pytest.raises(DatasetError, match=message) as caught:
        read_idx(path)
    assert str(caught.value).startswith(f"{path}: ")


def test_damaged_gzip_file_reports_the_header_fault_too(tmp_path):
    path = tmp_path / "wrong-magic.gz"
    path.write_bytes(gzip.compress(b"\x12\x34\x56\x78" + bytes(8)))
    expected = f"{path}: not an IDX file: wrong magic number"
    with pytest.raises(DatasetError, match=re.escape(expected)):
        read_idx(path)


def test_truncated_gzip_stream(tmp_path, images):
    compressed = gzip.compress(idx_bytes(images, "u1"))
    path = tmp_path / "cut.gz"
    path.write_bytes(compressed[: len(compressed) // 2])
    with pytest.raises(DatasetError, match=re.escape(f"{path}: corrupt or truncated gzip data")):
        read_idx(path)


def test_corrupt_gzip_stream(tmp_path, images):
    compressed = bytearray(gzip.compress(idx_bytes(images, "u1")))
    compressed[-8] ^= 0xFF  # the CRC-32 of the trailer no longer matches the data
    path = tmp_path / "bad-crc.gz"
    path.write_bytes(bytes(compressed))
    with pytest.raises(DatasetError, match=re.escape(f"{path}: corrupt or truncated gzip data")):
        read_idx(path)


def test_corrupt_deflate_data(tmp_path):
    compressed = bytearray(gzip.compress(bytes(range(256)) * 64))
    compressed[10:20] = b"\xff" * 10  # garbage where the deflate blocks begin
    path = tmp_path / "bad-deflate.gz"
    path.write_bytes(bytes(compressed))
    with pytest.raises(DatasetError, match=re.escape(f"{path}: corrupt or truncated gzip data")):
        read_idx(path)


def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_idx(tmp_path / "absent")


def test_parse_idx_names_its_source():
    with pytest.raises(DatasetError, match=r"^memory: not an IDX file"):
        parse_idx(b"\x01", "memory")


@pytest.mark.parametrize(
    ("sizes", "message"),
    [
        # a product of int64 wraps to 0 = the bytes present; once NumPy's "cannot reshape"
        ((65536,) * 4, r"truncated IDX data: .* needs 18446744073709551616 bytes"),
        ((65536,) * 4 + (0,), r"the IDX header .* is no array NumPy can hold"),
        ((0,) * 255, r"the IDX header .* is no array NumPy can hold"),  # once NumPy's limit of 64
    ],
)
def test_a_header_no_array_can_follow_is_a_dataset_error(sizes, message):
    content = bytes([0, 0, 0x08, len(sizes)]) + struct.pack(f">{len(sizes)}I", *sizes)
    with pytest.raises(DatasetError, match=message):
        parse_idx(content, "bad.idx")


def test_a_folder_a_pipe_or_an_unreadable_file_is_named(tmp_path, monkeypatch):
    with pytest.raises(IsADirectoryError, match=r"path '.*': a folder, not a file"):
        read_idx(tmp_path)
    fifo = tmp_path / "images.idx"
    os.mkfifo(fifo)
    with pytest.raises(ValueError, match=r"images\.idx': not a regular file \(a pipe"):
        read_idx(fifo)  # once blocked forever, waiting for a writer
    with pytest.raises(FileNotFoundError, match=r"path '.*absent': no such file"):
        read_idx(tmp_path / "absent")
    readable = tmp_path / "data.idx"
    readable.write_bytes(b"\0\0\x08\x01\0\0\0\0")
    monkeypatch.setattr("os.access", lambda path, mode: False)  # root reads any file
    with pytest.raises(PermissionError, match=r"data\.idx': not readable \(permission denied\)"):
        read_idx(readable)
