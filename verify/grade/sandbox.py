"""The grader's side of the sandbox: one isolated child process per submission, serving every call.

The child is a fresh ``sys.executable -I -B`` (no fork of the grader's state) started in its own
process group, in a fresh temporary directory, with a scrubbed environment, rlimits on CPU time,
address space, file size and processes, and — when the grader runs as root and the interpreter is
reachable by that user — as ``nobody``. Every call has a wall-clock timeout enforced here: on expiry
the whole process group is killed and the next call starts a new child.
"""

from __future__ import annotations

import functools
import importlib.metadata
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import child

AUTOGRAD_LIBRARIES = ("torch", "jax", "jaxlib", "autograd", "tensorflow")
UNPRIVILEGED_USER = "nobody"
_CHILD_SOURCE = Path(child.__file__)


@dataclass(frozen=True)
class Limits:
    """Resource limits of one submission's child process."""

    call_timeout: float = 10.0  # wall-clock seconds per call
    load_timeout: float = 20.0  # wall-clock seconds to start Python and run the module's top level
    cpu_seconds: int = 120  # CPU time of one child over all its calls
    memory_mb: int = 512  # address space (RLIMIT_AS)
    output_mb: int = 4  # largest file the child may write, its captured output included
    max_restarts: int = 4  # children started again after a crash or timeout, per submission


@dataclass(frozen=True)
class Ref:
    """An argument that is the kept result of an earlier call (e.g. a forward's cache)."""

    call: int
    item: int | None = None


@dataclass
class Reply:
    """What one call returned: a wire tree and its buffers, or an error message."""

    ok: bool
    value: object = None
    buffers: list[bytes] = field(default_factory=list)
    after: list = field(default_factory=list)
    error: str = ""
    traceback: str = ""
    seconds: float = 0.0


class SandboxError(Exception):
    """The child died, timed out or broke the protocol; the message says which."""


def hidden_directories() -> list[str]:
    """Directories the child may not read: the reference and grader packages and their projects."""
    import cnnref

    dirs = {Path(cnnref.__file__).resolve().parent, Path(__file__).resolve().parents[1]}
    dirs |= {d.parent for d in list(dirs) if (d.parent / "pyproject.toml").exists()}
    try:
        url = json.loads(
            importlib.metadata.distribution("cnnref").read_text("direct_url.json") or "{}"
        ).get("url", "")
    except importlib.metadata.PackageNotFoundError:
        url = ""
    if url.startswith("file://"):
        dirs.add(Path(url.removeprefix("file://")))
    return sorted(str(d) for d in dirs)


@functools.cache
def unprivileged_ids() -> tuple[int, int] | None:
    """(uid, gid) of ``nobody`` if we are root and that user can run this Python with NumPy."""
    if os.geteuid() != 0:
        return None
    import pwd

    try:
        entry = pwd.getpwnam(UNPRIVILEGED_USER)
    except KeyError:
        return None
    probe = [sys.executable, "-I", "-c", "import numpy"]
    try:
        done = subprocess.run(
            probe,
            user=entry.pw_uid,
            group=entry.pw_gid,
            extra_groups=[],
            cwd="/",
            env=_scrubbed_env("/"),
            capture_output=True,
            timeout=30,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return (entry.pw_uid, entry.pw_gid) if done.returncode == 0 else None


def _scrubbed_env(home: str) -> dict[str, str]:
    one_thread = {k: "1" for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    return {"PATH": "/usr/bin:/bin", "HOME": home, "LANG": "C.UTF-8", **one_thread}


def encode_args(args: list) -> tuple[list, list[bytes]]:
    """Wire trees for call arguments; :class:`Ref` becomes a reference to a kept result."""
    buffers: list[bytes] = []
    nodes = [
        {"ref": a.call, "item": a.item} if isinstance(a, Ref) else child.encode(a, buffers)
        for a in args
    ]
    return nodes, buffers


class Sandbox:
    """One submission's child process. Use as a context manager; :meth:`call` runs one function."""

    def __init__(
        self,
        source: str,
        limits: Limits | None = None,
        blocked_modules: tuple[str, ...] = AUTOGRAD_LIBRARIES,
    ) -> None:
        self.source = source
        self.limits = limits or Limits()
        self.blocked = ["cnnref", "verify", *blocked_modules]
        self.ids = unprivileged_ids()
        self.user = UNPRIVILEGED_USER if self.ids else f"uid {os.geteuid()} (not dropped)"
        self.restarts = -1
        self.load_error: str | None = None
        self._process: subprocess.Popen | None = None
        self._root = tempfile.mkdtemp(prefix="cnnref-grade-")
        os.chmod(self._root, 0o711)
        self._work = ""
        self._fds: tuple[int, int] = (-1, -1)

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- lifecycle

    def _start(self) -> None:
        self.restarts += 1
        if self.restarts > self.limits.max_restarts:
            raise SandboxError(
                f"not run: the submission crashed or timed out {self.restarts} times already"
            )
        self._work = tempfile.mkdtemp(dir=self._root)
        work = Path(self._work)
        (work / "submission.py").write_text(self.source, encoding="utf-8")
        shutil.copyfile(_CHILD_SOURCE, work / "_child.py")
        if self.ids:
            for path in (work, work / "submission.py", work / "_child.py"):
                os.chown(path, *self.ids)
        to_child, from_parent = os.pipe()
        from_child, to_parent = os.pipe()
        limits = self.limits
        config = {
            "request_fd": to_child,
            "reply_fd": to_parent,
            "source": str(work / "submission.py"),
            "blocked_modules": self.blocked,
            "hidden_dirs": [*hidden_directories(), self._root],
            "limits": {
                "cpu_seconds": limits.cpu_seconds,
                "memory_bytes": limits.memory_mb << 20,
                "file_bytes": limits.output_mb << 20,
                "processes": 0,
            },
        }
        output = open(work / "output.txt", "wb")  # handed to the child
        drop = {"user": self.ids[0], "group": self.ids[1], "extra_groups": []} if self.ids else {}
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-I", "-B", str(work / "_child.py"), json.dumps(config)],
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                cwd=work,
                env=_scrubbed_env(str(work)),
                pass_fds=(to_child, to_parent),
                start_new_session=True,
                **drop,
            )
        finally:
            output.close()
            os.close(to_child)
            os.close(to_parent)
        self._fds = (from_parent, from_child)
        header, _ = self._receive(self.limits.load_timeout, "loading the module")
        if not header.get("ok"):
            self.load_error = _error_text(header)
            self._kill()

    def _kill(self) -> None:
        if self._process is not None:
            try:
                os.killpg(self._process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self._process.wait()
            self._process = None
        for fd in self._fds:
            if fd >= 0:
                os.close(fd)
        self._fds = (-1, -1)

    def close(self) -> None:
        """Kill the child and its process group; remove the temporary directories."""
        self._kill()
        shutil.rmtree(self._root, ignore_errors=True)

    def output(self, limit: int = 4000) -> str:
        """The first ``limit`` characters the current child printed."""
        path = Path(self._work) / "output.txt"
        if not self._work or not path.exists():
            return ""
        with open(path, "rb") as handle:
            return handle.read(limit).decode("utf-8", errors="replace")

    # -- calls

    def call(
        self, function: str, args: list, keep: int, reply: bool = True, select: int | None = None
    ) -> Reply:
        """Call ``function(*args)`` in the child; keep its result as ``keep`` for a later Ref.

        Raises :class:`SandboxError` when the module does not load, or when the child dies or
        exceeds the timeout during the call (the next call then starts a new child).
        """
        if self.load_error is not None:
            raise SandboxError(f"the module failed to load: {self.load_error}")
        if self._process is None:
            self._start()
            if self.load_error is not None:
                raise SandboxError(f"the module failed to load: {self.load_error}")
        nodes, buffers = encode_args(args)
        request = {"function": function, "args": nodes, "keep": keep, "reply": reply}
        request["select"] = select
        try:
            child.send(self._fds[0], request, buffers)
        except OSError as error:
            self._kill()
            raise SandboxError(f"the process died before the call ({error})") from None
        header, out = self._receive(self.limits.call_timeout, f"calling {function}")
        if not header.get("ok"):
            return Reply(False, error=_error_text(header), traceback=header.get("traceback", ""))
        return Reply(
            True, header.get("value"), out, header.get("after", []), seconds=header["seconds"]
        )

    def _receive(self, timeout: float, doing: str) -> tuple[dict, list[bytes]]:
        deadline = time.monotonic() + timeout

        def read(fd: int, size: int) -> bytes:
            chunks, remaining = [], size
            while remaining:
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([fd], [], [], left)[0]:
                    raise TimeoutError
                chunk = os.read(fd, min(remaining, 1 << 20))
                if not chunk:
                    raise EOFError
                chunks.append(chunk)
                remaining -= len(chunk)
            return b"".join(chunks)

        try:
            header, buffers = child.receive(self._fds[1], read)
        except TimeoutError:
            self._kill()
            raise SandboxError(f"timed out after {timeout:g} s {doing} (killed)") from None
        except (EOFError, ValueError, UnicodeDecodeError) as error:
            code = self._process.wait(timeout=5) if self._process else None
            self._kill()
            why = _exit_reason(code) if isinstance(error, EOFError) else "broke the protocol"
            raise SandboxError(f"the process {why} while {doing}") from None
        if not isinstance(header, dict):
            self._kill()
            raise SandboxError(f"the process broke the protocol while {doing}")
        return header, buffers


def _error_text(header: dict) -> str:
    return str(header.get("error", "unknown error"))[:2000]


def _exit_reason(code: int | None) -> str:
    if code is None:
        return "stopped answering"
    if code < 0:
        name = signal.Signals(-code).name if -code in signal.valid_signals() else str(-code)
        hint = {"SIGXCPU": " (CPU time limit)", "SIGKILL": " (killed)", "SIGSEGV": " (crash)"}
        return f"was killed by {name}{hint.get(name, '')}"
    return f"exited with code {code} (sys.exit/os._exit?)"
