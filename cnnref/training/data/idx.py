"""The IDX format of MNIST and Fashion-MNIST, read from raw or gzip-compressed files.

An IDX file is a 4-byte magic number 0x00 0x00 T D (T the element type code, D the number of
dimensions), then D big-endian uint32 sizes, then the elements in row-major (C) order, big-endian.
"""

from __future__ import annotations

import gzip
import math
import os
import zlib

import numpy as np

from ...validation import input_file
from .errors import DatasetError

GZIP_MAGIC = b"\x1f\x8b"

# type code → big-endian element dtype, as the IDX format defines them
IDX_DTYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (raw, or gzip-compressed: detected by its content, not its name).

    Returns an array of the file's shape (d₁, …, d_D) in native byte order. A corrupt gzip stream,
    a wrong magic number, an unknown type code, or a size that does not match the header raises a
    ``DatasetError`` naming the file and the fault.
    """
    path = input_file("path", path)
    content = path.read_bytes()
    if content.startswith(GZIP_MAGIC):
        content = gunzip(content, str(path))
    return parse_idx(content, str(path))


def gunzip(content: bytes, source: str) -> bytes:
    """Decompress a whole gzip stream; a corrupt or truncated stream raises ``DatasetError``."""
    try:
        return gzip.decompress(content)
    except (OSError, EOFError, zlib.error) as error:
        raise DatasetError(f"{source}: corrupt or truncated gzip data ({error})") from error


def parse_idx(content: bytes, source: str = "<bytes>") -> np.ndarray:
    """Parse the bytes of an uncompressed IDX file; ``source`` names it in error messages."""
    if len(content) < 4:
        raise DatasetError(
            f"{source}: not an IDX file: {len(content)} bytes, shorter than the 4-byte magic number"
        )
    zero0, zero1, type_code, ndim = content[:4]
    if zero0 != 0 or zero1 != 0:
        raise DatasetError(
            f"{source}: not an IDX file: wrong magic number 0x{content[:4].hex()}, "
            "expected 0x0000TTDD (two zero bytes, a type code, the number of dimensions)"
        )
    if type_code not in IDX_DTYPES:
        known = ", ".join(f"0x{code:02x}" for code in IDX_DTYPES)
        raise DatasetError(
            f"{source}: unknown IDX type code 0x{type_code:02x}, expected one of {known}"
        )
    if ndim == 0:
        raise DatasetError(f"{source}: IDX header declares 0 dimensions, expected at least 1")
    header_size = 4 + 4 * ndim
    if len(content) < header_size:
        raise DatasetError(
            f"{source}: truncated IDX header: {ndim} dimensions need {header_size} bytes, "
            f"the file has {len(content)}"
        )
    shape = tuple(int(size) for size in np.frombuffer(content, dtype=">u4", count=ndim, offset=4))
    dtype = IDX_DTYPES[type_code]
    expected = math.prod(shape) * dtype.itemsize  # exact: a product of int64 could wrap to 0
    actual = len(content) - header_size
    if actual < expected:
        raise DatasetError(
            f"{source}: truncated IDX data: the header {shape} of {dtype.name} needs "
            f"{expected} bytes of data, the file has {actual}"
        )
    if actual > expected:
        raise DatasetError(
            f"{source}: {actual - expected} unexpected bytes after the IDX data "
            f"(the header {shape} of {dtype.name} needs {expected} bytes)"
        )
    try:
        elements = np.frombuffer(content, dtype=dtype, offset=header_size).reshape(shape)
    except ValueError as error:  # e.g. (65536,) * 4 + (0,): no data, but too many dimensions
        raise DatasetError(
            f"{source}: the IDX header {shape} is no array NumPy can hold: {error}"
        ) from None
    return elements.astype(dtype.newbyteorder("="))
