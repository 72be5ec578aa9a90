"""The sandboxed child: loads one student's module and serves the grader's calls over two pipes.

Run as a script (``python -I -B -u child.py CONFIG_JSON``) inside the sandbox, never imported by the
grader. It imports neither ``cnnref`` nor ``verify``: only the standard library, NumPy and the wire
codec ``wire.py``, which the grader puts next to this file (the same module the grader imports as
:mod:`verify.grade.wire`). Before the student's module runs it sets its rlimits and installs the
Python-level guards, a second layer under the operating-system sandbox.
"""

from __future__ import annotations

import json
import os
import sys
import time


def _import_codec(paths: list[str]):
    """``wire.py`` from this file's folder; ``paths`` are where NumPy lives if the interpreter's own
    search path lacks it. This file's folder leaves ``sys.path`` again once the codec is loaded."""
    sys.path[:0] = [os.path.dirname(os.path.abspath(__file__))]
    sys.path += [p for p in paths if p not in sys.path]
    import wire

    del sys.path[0]
    return wire


def _die_with_parent(parent: int) -> None:
    """Without namespaces: ask the kernel to SIGKILL this process when the grader dies
    (``prctl(PR_SET_PDEATHSIG, SIGKILL)``); exit now if the grader is already gone."""
    import ctypes
    import signal

    pr_set_pdeathsig = 1
    ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(1)


def _set_limits(limits: dict) -> None:
    import resource
    import signal

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # an oversized write raises OSError instead
    pairs = {
        "cpu_seconds": resource.RLIMIT_CPU,
        "memory_bytes": resource.RLIMIT_AS,
        "file_bytes": resource.RLIMIT_FSIZE,
        "processes": resource.RLIMIT_NPROC,
        "open_files": resource.RLIMIT_NOFILE,
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
    "ctypes.call_function",
    "ctypes.cdata",
    "ctypes.PyObj_FromPtr",
    "socket.connect",
    "socket.bind",
}


def _install_guards(blocked_modules: list[str], hidden_dirs: list[str], work_dir: str) -> None:
    """Refuse imports of the reference and autograd libraries, reading the reference's files,
    writing outside ``work_dir``, and starting or signalling processes.

    A meta-path finder refuses the imports by name; an audit hook (which cannot be removed) repeats
    that refusal and guards files, processes, sockets and foreign calls. These are a second layer:
    the operating-system sandbox around this process is the boundary.
    """
    blocked = frozenset((*blocked_modules, "_posixsubprocess"))
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
            if writes(args[1], args[2]) and not startswith(path, work) and path != "/dev/null":
                raise PermissionError(f"writing {args[0]!r} is not allowed outside the work dir")
            if startswith(path, hidden) and not startswith(path, work):
                raise PermissionError(f"reading {args[0]!r} is not allowed: it is the grader's")
        elif event in _PATH_EVENTS:
            for arg in args:
                if isinstance(arg, (str, bytes)) and not startswith(realpath(fspath(arg)), work):
                    raise PermissionError(f"{event} on {arg!r} is not allowed outside the work dir")
        elif event in _DENIED_EVENTS:
            raise PermissionError(f"{event} is not allowed in the sandbox")

    def refuse_to_start(*args, **kwargs):
        raise PermissionError("starting processes is not allowed in the sandbox")

    import _posixsubprocess  # subprocess's fork+exec, which raises no audit event of its own

    _posixsubprocess.fork_exec = refuse_to_start  # and it cannot be imported afresh (blocked)
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


def _resolve(wire, node, buffers: list[bytes], kept: dict):
    """Turn a request tree into call arguments (arrays, containers, earlier results)."""
    if isinstance(node, dict):
        if "array" in node:
            return wire.decode_array(node, buffers)
        if "ref" in node:
            value = kept[node["ref"]]
            return value if node.get("item") is None else value[node["item"]]
        if "list" in node:
            return [_resolve(wire, item, buffers, kept) for item in node["list"]]
        if "tuple" in node:
            return tuple(_resolve(wire, item, buffers, kept) for item in node["tuple"])
        if "dict" in node:
            return {key: _resolve(wire, item, buffers, kept) for key, item in node["dict"].items()}
    return node


def _call(
    wire, namespace: dict, header: dict, buffers: list[bytes], kept: dict
) -> tuple[dict, list]:
    name = header["function"]
    function = namespace.get(name)
    if not callable(function):
        return {"ok": False, "error": f"the submission defines no function named {name!r}"}, []
    args = [_resolve(wire, node, buffers, kept) for node in header["args"]]
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
        None if isinstance(node, dict) and "ref" in node else wire.encode(arg, out)
        for node, arg in zip(header["args"], args, strict=True)
    ]
    reply = {"ok": True, "seconds": seconds, "after": after}
    reply["value"] = wire.encode(value, out) if header.get("reply", True) else None
    return reply, out


def main(config: dict) -> None:
    """Set limits, guard, load the submission, then answer calls until the pipe closes."""
    requests, replies = config["request_fd"], config["reply_fd"]
    if config.get("die_with_parent"):
        _die_with_parent(config["die_with_parent"])
    wire = _import_codec(config.get("paths", []))
    _set_limits(config["limits"])
    _install_guards(config["blocked_modules"], config["hidden_dirs"], os.getcwd())
    try:
        namespace = _load_module(config["source"])
    except BaseException as error:
        wire.send(replies, {"ok": False, "stage": "load", **_describe_error(error)}, [])
        return
    wire.send(replies, {"ok": True, "stage": "load"}, [])
    kept: dict = {}
    while True:
        try:
            header, buffers = wire.receive(requests)
        except EOFError:
            return
        reply, out = _call(wire, namespace, header, buffers, kept)
        wire.send(replies, reply, out)


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
