"""The grader's side of the sandbox: one isolated child process per submission, serving every call.

The child is a fresh ``sys.executable -I -B -u`` (no fork of the grader's state), started by the
launcher of :mod:`verify.grade.isolation` (a bubblewrap sandbox, or a plain process where namespaces
are unavailable) in its own session, with a scrubbed environment; the child sets rlimits on CPU
time, address space, file size and processes before the student's module runs. Its output goes to a
memory-only file, unbuffered, capped by the file-size limit. Every call has a wall-clock timeout
enforced here: on expiry the whole sandbox is killed and the next call starts a new child.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import time
from dataclasses import dataclass, field

from . import wire
from .assignment import Ref
from .isolation import Isolation, isolation, launcher

AUTOGRAD_LIBRARIES = ("torch", "jax", "jaxlib", "autograd", "tensorflow")


@dataclass(frozen=True)
class Limits:
    """Resource limits of one submission's child process."""

    call_timeout: float = 10.0  # wall-clock seconds per call
    load_timeout: float = 20.0  # wall-clock seconds to start Python and run the module's top level
    cpu_seconds: int = 120  # CPU time of one child over all its calls
    memory_mb: int = 512  # address space (RLIMIT_AS)
    output_mb: int = 4  # largest file the child may write, its captured output included
    scratch_mb: int = 64  # size of the sandbox's private /tmp (with namespaces)
    open_files: int = 64  # descriptors: with output_mb, bounds what memory files can hold
    max_restarts: int = 4  # children started again after a crash or timeout, per submission


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


def encode_args(args: list) -> tuple[list, list[bytes]]:
    """Wire trees for call arguments; :class:`Ref` becomes a reference to a kept result."""
    buffers: list[bytes] = []
    nodes = [
        {"ref": a.call, "item": a.item} if isinstance(a, Ref) else wire.encode(a, buffers)
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
        self.isolation: Isolation = isolation()
        self.restarts = -1
        self.load_error: str | None = None
        self._launcher = launcher(self.isolation, self.limits.scratch_mb)
        self._process: subprocess.Popen | None = None
        self._fds: tuple[int, int] = (-1, -1)
        self._output = -1

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def work_dir(self) -> str:
        """The child's working directory, as the child sees it."""
        return self._launcher.work_dir

    # -- lifecycle

    def _start(self) -> None:
        self.restarts += 1
        if self.restarts > self.limits.max_restarts:
            raise SandboxError(
                f"not run: the submission crashed or timed out {self.restarts} times already"
            )
        to_child, from_parent = os.pipe()
        from_child, to_parent = os.pipe()
        limits = self.limits
        config = {
            "request_fd": to_child,
            "reply_fd": to_parent,
            "blocked_modules": self.blocked,
            "limits": {
                "cpu_seconds": limits.cpu_seconds,
                "memory_bytes": limits.memory_mb << 20,
                "file_bytes": limits.output_mb << 20,
                "processes": 0,
                "open_files": limits.open_files,
            },
        }
        if self._output >= 0:
            os.close(self._output)
        self._output = os.memfd_create("cnnref-grade-output")
        try:
            self._process = self._launcher.start(
                self.source, config, self._output, (to_child, to_parent)
            )
        except BaseException:
            for fd in (from_parent, from_child):
                os.close(fd)
            raise
        finally:
            os.close(to_child)
            os.close(to_parent)
        self._fds = (from_parent, from_child)
        header, _ = self._receive(self.limits.load_timeout, "loading the module")
        if not header.get("ok"):
            self.load_error = _error_text(header)
            self._kill()

    def _exit_code(self) -> int | None:
        """The child's exit status once it has closed its pipe (−N for signal N: bwrap reports a
        signal as 128 + N); None if it lives on regardless."""
        try:
            code = self._process.wait(timeout=5) if self._process else None
        except subprocess.TimeoutExpired:
            return None
        if self.isolation.namespaces and code is not None and code > 128:
            return 128 - code
        return code

    def _kill(self) -> None:
        if self._process is not None:
            try:  # its whole session; and the child itself, should it have left its session
                os.killpg(self._process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self._process.kill()
            self._process.wait()
            self._process = None
        for fd in self._fds:
            if fd >= 0:
                os.close(fd)
        self._fds = (-1, -1)

    def close(self) -> None:
        """Kill the child and everything it started; remove whatever it left."""
        self._kill()
        self._launcher.cleanup()
        if self._output >= 0:
            os.close(self._output)
            self._output = -1

    def output(self, limit: int = 4000) -> str:
        """The first ``limit`` bytes the latest child printed (unbuffered, so even a child killed
        mid-call has shown what it printed), decoded."""
        if self._output < 0:
            return ""
        return os.pread(self._output, limit, 0).decode("utf-8", errors="replace")

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
            wire.send(self._fds[0], request, buffers)
        except OSError as error:
            self._kill()
            raise SandboxError(f"the process died before the call ({error})") from None
        header, out = self._receive(self.limits.call_timeout, f"calling {function}")
        if not header.get("ok"):
            trace = str(header.get("traceback", ""))[-4000:]
            return Reply(False, error=_error_text(header), traceback=trace)
        after, seconds = header.get("after", []), header.get("seconds", 0.0)
        if not isinstance(after, list) or type(seconds) not in (int, float):
            self._kill()
            raise SandboxError(f"the process broke the protocol while calling {function}")
        return Reply(True, header.get("value"), out, after, seconds=float(seconds))

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
            header, buffers = wire.receive(self._fds[1], read)
        except TimeoutError:
            self._kill()
            raise SandboxError(f"timed out after {timeout:g} s {doing} (killed)") from None
        except EOFError:
            why = _exit_reason(self._exit_code())
            self._kill()
            raise SandboxError(f"the process {why} while {doing}") from None
        except (ValueError, UnicodeDecodeError):
            self._kill()
            raise SandboxError(f"the process broke the protocol while {doing}") from None
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
