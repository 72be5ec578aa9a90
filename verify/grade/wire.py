"""The wire format between the grader and its sandboxed child: framed JSON headers plus raw buffers.

A message is ``<u32 header length><u32 buffer count>`` + a JSON header + for every buffer
``<u64 length>`` + raw bytes. Arrays travel as raw C-order bytes plus dtype and shape; nothing is
ever pickled. Both ends import this module: the grader as ``verify.grade.wire``, the child as the
file ``wire.py`` placed next to it in the sandbox; so it needs only the standard library and NumPy.
"""

from __future__ import annotations

import json
import os
import struct

import numpy as np

# dtypes an array may carry on the wire: booleans, integers and real floats, native byte order.
WIRE_DTYPES = frozenset(
    np.dtype(t).str
    for t in (np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32)
    for t in (t, np.uint64, np.float16, np.float32, np.float64)
)
MAX_MESSAGE = 256 << 20  # bytes of one message: far above any graded case's arrays
MAX_DEPTH = 100  # nesting of a header: results of a few levels, each level two in the tree
MAX_DIMENSIONS = 32  # NumPy's own limit on an array's dimensions
_FRAME = struct.Struct("<II")
_LENGTH = struct.Struct("<Q")
_ndarray = np.ndarray
_memoryview = memoryview
_scalar_types = (bool, int, float, str, type(None))


def encode(value, buffers: list[bytes]):
    """A JSON-able tree for ``value``; arrays are appended to ``buffers`` as raw bytes.

    Only exact types are encoded: plain ``np.ndarray`` with a wire dtype, NumPy scalars, bool, int,
    float, str, None, list, tuple and dict with str keys. Anything else becomes ``{"bad": type}``.
    """
    kind = type(value)
    if kind is _ndarray:
        if value.dtype.str not in WIRE_DTYPES:
            return {"bad": f"numpy.ndarray of dtype {value.dtype}"}
        data = value if value.flags.c_contiguous else value.copy(order="C")
        buffers.append(bytes(_memoryview(data).cast("B")) if data.size else b"")
        return {"array": len(buffers) - 1, "dtype": data.dtype.str, "shape": list(data.shape)}
    if isinstance(value, np.generic) and kind.__module__ == "numpy":
        return encode(np.asarray(value), buffers)
    if kind in _scalar_types:
        return value
    if kind is list or kind is tuple:
        return {kind.__name__: [encode(item, buffers) for item in value]}
    if kind is dict and all(type(key) is str for key in value):
        return {"dict": {key: encode(item, buffers) for key, item in value.items()}}
    if isinstance(value, _ndarray):
        return {"bad": f"an ndarray subclass ({kind.__module__}.{kind.__qualname__})"}
    return {"bad": f"{kind.__module__}.{kind.__qualname__}"}


def decode_array(node: dict, buffers: list[bytes]) -> np.ndarray:
    """Rebuild one array from its wire description as a fresh, writeable array of its dtype."""
    dtype_str, shape, index = node.get("dtype"), node.get("shape"), node.get("array")
    if not isinstance(dtype_str, str) or dtype_str not in WIRE_DTYPES:
        raise ValueError(f"array dtype {dtype_str!r} is not allowed on the wire")
    if (
        not isinstance(shape, list)
        or len(shape) > MAX_DIMENSIONS
        or not all(type(n) is int and 0 <= n < 1 << 40 for n in shape)
    ):
        raise ValueError(f"array shape {shape!r} is not a short list of non-negative ints")
    if type(index) is not int or not 0 <= index < len(buffers):
        raise ValueError(f"array buffer index {index!r} is out of range")
    dtype = np.dtype(dtype_str)
    count = 1
    for n in shape:
        count *= n
    if count * dtype.itemsize != len(buffers[index]):
        raise ValueError(f"buffer of {len(buffers[index])} bytes does not hold {shape} {dtype}")
    return np.frombuffer(buffers[index], dtype=dtype, count=count).reshape(tuple(shape)).copy()


def _write_all(fd: int, data: bytes) -> None:
    view = _memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def send(fd: int, header: dict, buffers: list[bytes]) -> None:
    """Write one message: the JSON header and the raw buffers."""
    head = json.dumps(header).encode()
    parts = [_FRAME.pack(len(head), len(buffers)), head]
    for buffer in buffers:
        parts += [_LENGTH.pack(len(buffer)), buffer]
    _write_all(fd, b"".join(parts))


def read_exact(fd: int, size: int) -> bytes:
    """Read exactly ``size`` bytes; EOFError if the other end closed first."""
    chunks, remaining = [], size
    while remaining:
        chunk = os.read(fd, min(remaining, 1 << 20))
        if not chunk:
            raise EOFError("pipe closed")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def check_tree(tree) -> None:
    """ValueError unless a decoded JSON ``tree`` nests at most :data:`MAX_DEPTH` levels and holds
    only numbers a float64 can hold (walked without recursion: a child chooses the depth)."""
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, (list, dict)):
            if depth > MAX_DEPTH:
                raise ValueError(f"a message header nested deeper than {MAX_DEPTH} levels")
            items = node.values() if isinstance(node, dict) else node
            stack += [(item, depth + 1) for item in items]
        elif type(node) is int and abs(node) > 1 << 1023:
            raise ValueError("a message header holds an integer no float can hold")


def receive(fd: int, read=read_exact, limit: int = MAX_MESSAGE) -> tuple[dict, list[bytes]]:
    """Read one message written by :func:`send`; ValueError, before reading it, for a message
    that announces more than ``limit`` bytes (a child must not make the grader hoard memory)."""
    head_length, count = _FRAME.unpack(read(fd, _FRAME.size))
    if head_length > limit:
        raise ValueError(f"a message header of {head_length} bytes is over the limit of {limit}")
    try:
        header = json.loads(read(fd, head_length))
    except RecursionError:
        raise ValueError("a message header nested too deeply") from None
    check_tree(header)
    buffers, total = [], head_length
    for _ in range(count):
        (length,) = _LENGTH.unpack(read(fd, _LENGTH.size))
        total += length
        if total > limit:
            raise ValueError(f"a message of more than {limit} bytes is over the limit")
        buffers.append(read(fd, length))
    return header, buffers
