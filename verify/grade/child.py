"""The sandboxed child: loads one student's module and serves the grader's calls over two pipes.

Run as a script (``python -I -B _child.py CONFIG_JSON``), never imported by the child itself, so it
does not import ``cnnref`` or ``verify``; it needs only the standard library and NumPy. The grader
imports this file for the wire format (:func:`send`, :func:`receive`, :func:`encode`) so both ends
share one codec.

Wire format: a message is ``<u32 header length><u32 buffer count>`` + a JSON header + for
every buffer ``<u64 length>`` + raw bytes. Arrays travel as raw C-order bytes plus dtype and
shape; nothing is ever pickled.
"""

from __future__ import annotations

import json
import os
import struct
import sys
import time

import numpy as np

# dtypes an array may carry on the wire: booleans, integers and real floats, native byte order.
WIRE_DTYPES = frozenset(
    np.dtype(t).str
    for t in (np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32)
    for t in (t, np.uint64, np.float16, np.float32, np.float64)
)
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
    if dtype_str not in WIRE_DTYPES:
        raise ValueError(f"array dtype {dtype_str!r} is not allowed on the wire")
    if not isinstance(shape, list) or not all(type(n) is int and n >= 0 for n in shape):
        raise ValueError(f"array shape {shape!r} is not a list of non-negative ints")
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


def receive(fd: int, read=read_exact) -> tuple[dict, list[bytes]]:
    """Read one message written by :func:`send`."""
    head_length, count = _FRAME.unpack(read(fd, _FRAME.size))
    header = json.loads(read(fd, head_length))
    buffers = [read(fd, _LENGTH.unpack(read(fd, _LENGTH.size))[0]) for _ in range(count)]
    return header, buffers


# ---------------------------------------------------------------- the child side only


def _set_limits(limits: dict) -> None:
    import resource
    import signal

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # an oversized write raises OSError instead
    pairs = {
        "cpu_seconds": resource.RLIMIT_CPU,
        "memory_bytes": resource.RLIMIT_AS,
        "file_bytes": resource.RLIMIT_FSIZE,
        "processes": resource.RLIMIT_NPROC,
    }
    for key, which in pairs.items():
        if limits.get(key) is not None:
            resource.setrlimit(which, (limits[key], limits[key]))


_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
_PATH_EVENTS = {
    "os.remove",
    "os.rename",
    "os.rmdir",
    "os.mkdir",
    "os.chmod",
    "os.chown",
    "os.symlink",
    "os.link",
    "os.truncate",
    "os.utime",
    "shutil.rmtree",
}
_DENIED_EVENTS = {
    "os.fork",
    "os.forkpty",
    "os.system",
    "os.exec",
    "os.posix_spawn",
    "os.spawn",
    "os.kill",
    "os.killpg",
    "signal.pthread_kill",
    "subprocess.Popen",
    "ctypes.dlopen",
    "ctypes.dlsym",
    "socket.connect",
    "socket.bind",
}


def _install_guards(blocked_modules: list[str], hidden_dirs: list[str], work_dir: str) -> None:
    """Refuse imports of the reference and autograd libraries, reading the reference's files,
    writing outside ``work_dir``, and starting or signalling processes.

    A meta-path finder refuses the imports by name; an audit hook (which cannot be removed) repeats
    that refusal and guards files and processes, for when the child could not drop to an
    unprivileged user.
    """
    blocked = frozenset(blocked_modules)
    hidden = tuple(os.path.realpath(d) + os.sep for d in hidden_dirs)
    work = os.path.realpath(work_dir) + os.sep
    realpath, fspath, startswith = os.path.realpath, os.fsdecode, str.startswith

    def refuse_import(name: str) -> None:
        if isinstance(name, str) and name.partition(".")[0] in blocked:
            raise ImportError(f"importing {name!r} is not allowed in this assignment")

    class ImportBlocker:
        @staticmethod
        def find_spec(fullname, path=None, target=None):
            refuse_import(fullname)

    def writes(mode, flags) -> bool:
        if isinstance(mode, str):
            return any(c in mode for c in "wax+")
        return isinstance(flags, int) and bool(flags & _WRITE_FLAGS)

    def audit(event: str, args: tuple) -> None:
        if event == "import":
            refuse_import(args[0])
        elif event == "open":
            if isinstance(args[0], int):
                return
            path = realpath(fspath(args[0]))
            if startswith(path, hidden) and not startswith(path, work):
                raise PermissionError(f"reading {args[0]!r} is not allowed: it is the reference")
            if writes(args[1], args[2]) and not startswith(path, work) and path != "/dev/null":
                raise PermissionError(f"writing {args[0]!r} is not allowed outside the work dir")
        elif event in _PATH_EVENTS:
            for arg in args:
                if isinstance(arg, (str, bytes)) and not startswith(realpath(fspath(arg)), work):
                    raise PermissionError(f"{event} on {arg!r} is not allowed outside the work dir")
        elif event in _DENIED_EVENTS:
            raise PermissionError(f"{event} is not allowed in the sandbox")

    sys.meta_path.insert(0, ImportBlocker())
    sys.addaudithook(audit)


def _load_module(path: str) -> dict:
    import types

    module = types.ModuleType("submission")
    module.__file__ = path
    sys.modules["submission"] = module
    with open(path, encoding="utf-8") as handle:
        source = handle.read()
    exec(compile(source, "submission.py", "exec"), module.__dict__)
    return module.__dict__


def _describe_error(error: BaseException) -> dict:
    import traceback

    if isinstance(error, SystemExit):
        return {"error": f"SystemExit: sys.exit({error.code!r}) was called", "traceback": ""}
    frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if frame.filename == "submission.py"
    ]
    lines = traceback.format_list(frames[-5:])
    text = f"{type(error).__name__}: {error}"
    return {"error": text[:2000], "traceback": "".join(lines)[-4000:]}


def _resolve(node, buffers: list[bytes], kept: dict):
    """Turn a request tree into call arguments (arrays, containers, earlier results)."""
    if isinstance(node, dict):
        if "array" in node:
            return decode_array(node, buffers)
        if "ref" in node:
            value = kept[node["ref"]]
            return value if node.get("item") is None else value[node["item"]]
        if "list" in node:
            return [_resolve(item, buffers, kept) for item in node["list"]]
        if "tuple" in node:
            return tuple(_resolve(item, buffers, kept) for item in node["tuple"])
        if "dict" in node:
            return {key: _resolve(item, buffers, kept) for key, item in node["dict"].items()}
    return node


def _call(namespace: dict, header: dict, buffers: list[bytes], kept: dict) -> tuple[dict, list]:
    name = header["function"]
    function = namespace.get(name)
    if not callable(function):
        return {"ok": False, "error": f"the submission defines no function named {name!r}"}, []
    args = [_resolve(node, buffers, kept) for node in header["args"]]
    start = time.perf_counter()
    try:
        value = function(*args)
    except BaseException as error:  # the student's exception, SystemExit included
        return {"ok": False, **_describe_error(error)}, []
    seconds = time.perf_counter() - start
    kept[header["keep"]] = value
    if header.get("select") is not None:
        try:
            value = value[header["select"]]
        except BaseException as error:
            return {"ok": False, **_describe_error(error)}, []
    out: list[bytes] = []
    after = [
        None if isinstance(node, dict) and "ref" in node else encode(arg, out)
        for node, arg in zip(header["args"], args, strict=True)
    ]
    reply = {"ok": True, "seconds": seconds, "after": after}
    reply["value"] = encode(value, out) if header.get("reply", True) else None
    return reply, out


def main(config: dict) -> None:
    """Set limits, guard, load the submission, then answer calls until the pipe closes."""
    requests, replies = config["request_fd"], config["reply_fd"]
    _set_limits(config["limits"])
    _install_guards(config["blocked_modules"], config["hidden_dirs"], os.getcwd())
    try:
        namespace = _load_module(config["source"])
    except BaseException as error:
        send(replies, {"ok": False, "stage": "load", **_describe_error(error)}, [])
        return
    send(replies, {"ok": True, "stage": "load"}, [])
    kept: dict = {}
    while True:
        try:
            header, buffers = receive(requests)
        except EOFError:
            return
        reply, out = _call(namespace, header, buffers, kept)
        send(replies, reply, out)


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
