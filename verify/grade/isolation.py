"""How a submission's child process is isolated from the machine: bubblewrap namespaces, or, where
the kernel or the container forbids them, process isolation only (announced once, loudly).

With namespaces (:class:`NamespaceLauncher`) every child runs under ``bwrap`` in new user, PID, IPC,
UTS, network and cgroup namespaces, and in a mount namespace that holds only the system libraries,
the Python runtime and NumPy (read-only, at their usual paths; every other site-packages folder is
hidden), a fresh ``/dev`` and ``/proc``, the child program, and a private size-limited tmpfs
``/tmp`` that is its working directory and holds the student's file, under the syscall filter of
:mod:`verify.grade.seccomp`. Nothing of the student's is
written to the grader's disk; ``--die-with-parent`` and the PID namespace end every process of the
sandbox when the grader dies. As root, bwrap runs as ``nobody`` where ``nobody`` can run the
interpreter.

Without namespaces (:class:`ProcessLauncher`) the child is a plain process in a temporary folder, as
``nobody`` when root can hand it the interpreter, killed by the kernel when the grader dies; folders
of crashed runs are removed by the next run. ``CNNREF_SANDBOX=process`` forces this mode.
"""

from __future__ import annotations

import atexit
import functools
import importlib.metadata
import json
import os
import re
import shutil
import site
import subprocess
import sys
import sysconfig
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from .seccomp import seccomp_filter

MODE_VARIABLE = "CNNREF_SANDBOX"
MODES = ("auto", "process")
UNPRIVILEGED_USER = "nobody"
SANDBOX_ID = 65534  # the uid and gid the student's code has inside the user namespace
SYSTEM_LIBRARIES = ("/usr/lib", "/usr/lib64", "/usr/lib32", "/lib", "/lib64", "/lib32")
CHILD_FILES = ("child.py", "wire.py")  # the child program and the codec it imports
_HERE = Path(__file__).resolve().parent
_FALLBACK_PREFIX = "cnnref-grade-"


@dataclass(frozen=True)
class Isolation:
    """What protects the machine from student code; ``description`` is for the instructor only."""

    namespaces: bool
    description: str
    bwrap: str = ""
    user: tuple[int, int] | None = None  # (uid, gid) the child or its launcher is started as


class SandboxUnavailable(RuntimeError):
    """Namespaces were required (``--require-sandbox``) but cannot be used here."""


def scrubbed_env(home: str) -> dict[str, str]:
    """The whole environment of a child: a search path, a home, a locale, one BLAS thread."""
    one_thread = {k: "1" for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    return {"PATH": "/usr/bin:/bin", "HOME": home, "LANG": "C.UTF-8", **one_thread}


def _user_ids(name: str = UNPRIVILEGED_USER) -> tuple[int, int] | None:
    import pwd

    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        return None
    return entry.pw_uid, entry.pw_gid


def run_as(ids: tuple[int, int] | None) -> dict:
    """``subprocess`` arguments that start the process as ``ids`` (nothing when None)."""
    return {"user": ids[0], "group": ids[1], "extra_groups": []} if ids else {}


# ---------------------------------------------------------------- the mount namespace


def _inside(path: str, roots: list[str]) -> bool:
    return any(path == root or path.startswith(root.rstrip("/") + "/") for root in roots)


def _file_args(path: str) -> list[str]:
    """bwrap arguments showing one file at its path: its chain of symlinks, then the file."""
    args: list[str] = []
    path = os.path.abspath(path)
    for _ in range(16):
        if not os.path.islink(path):
            break
        target = os.readlink(path)
        args += ["--symlink", target, path]
        path = os.path.normpath(os.path.join(os.path.dirname(path), target))
    return [*args, "--ro-bind", path, path]


def _site_folders() -> set[str]:
    """Every site-packages / dist-packages folder this interpreter knows of."""
    found = set(site.getsitepackages()) | {site.getusersitepackages()}
    found |= {p for p in sys.path if p.rstrip("/").endswith(("site-packages", "dist-packages"))}
    found |= {sysconfig.get_paths()[k] for k in ("purelib", "platlib")}
    return {os.path.realpath(p) for p in found if os.path.isdir(p)}


def hidden_directories() -> list[str]:
    """Directories of the reference and the grader: their packages and project folders, and any
    other copy of the ``cnnref`` package on ``sys.path`` (an installed one beside a checkout)."""
    import cnnref

    dirs = {Path(cnnref.__file__).resolve().parent, _HERE.parent}
    dirs |= {
        (Path(folder or ".") / "cnnref").resolve()
        for folder in sys.path
        if (Path(folder or ".") / "cnnref" / "__init__.py").is_file()
    }
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
def runtime_mounts() -> tuple[list[str], list[str]]:
    """(bwrap arguments, extra ``sys.path`` entries) that show the system libraries, this Python
    and NumPy read-only at their own paths, and hide every other Python package folder."""
    import numpy

    args: list[str] = []
    bound: list[str] = []
    for path in SYSTEM_LIBRARIES:
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
            bound.append(path)
    for path in ("/etc/ld.so.cache", "/etc/alternatives"):  # the loader's index; Debian's BLAS
        if os.path.exists(path):
            args += ["--ro-bind", path, path]
    masks = [  # other interpreters' libraries and their packages
        os.path.join(root, entry)
        for root in bound
        for entry in sorted(os.listdir(root))
        if entry.startswith("python") and os.path.isdir(os.path.join(root, entry))
    ]
    args += [item for path in masks for item in ("--tmpfs", path)]
    stdlib = sorted({os.path.realpath(sysconfig.get_paths()[k]) for k in ("stdlib", "platstdlib")})
    for path in stdlib:
        args += ["--ro-bind", path, path]
    bound += stdlib
    executable = os.path.abspath(sys.executable)
    args += _file_args(executable)
    for folder in (Path(executable).parent, Path(executable).parents[1]):
        config = folder / "pyvenv.cfg"
        if config.is_file():
            args += ["--ro-bind", str(config), str(config)]
    if sysconfig.get_config_var("Py_ENABLE_SHARED"):
        library = os.path.join(
            sysconfig.get_config_var("LIBDIR") or "", sysconfig.get_config_var("INSTSONAME") or ""
        )
        if os.path.isfile(library):
            args += _file_args(library)
    hidden = sorted(_site_folders() | {os.path.realpath(d) for d in hidden_directories()})
    hidden = [path for path in hidden if _inside(path, bound)]
    # a folder inside another hidden one is gone already; a tmpfs over it would leave its name
    hidden = [path for path in hidden if not _inside(path, [h for h in hidden if h != path])]
    args += [item for path in hidden for item in ("--tmpfs", path)]
    package = os.path.dirname(os.path.realpath(numpy.__file__))
    for path in (package, package + ".libs"):
        if os.path.isdir(path):
            args += ["--ro-bind", path, path]
    args += [item for path in (*masks, *hidden) for item in ("--remount-ro", path)]
    return args, [os.path.dirname(package)]


def seccomp_fd() -> int | None:
    """A memory file holding :func:`~verify.grade.seccomp.seccomp_filter` for ``bwrap --seccomp``
    (None on a machine without a syscall table); the caller passes it on and closes it."""
    program = seccomp_filter()
    return None if program is None else _data_fd(program)


def bwrap_arguments(bwrap: str, scratch_mb: int, seccomp: int | None = None) -> list[str]:
    """The sandbox: new namespaces, the runtime, fresh /dev, /proc and a private /tmp; with
    ``seccomp`` (a descriptor from :func:`seccomp_fd`) the syscall filter too."""
    mounts, _ = runtime_mounts()
    return [
        bwrap,
        *(["--seccomp", str(seccomp)] if seccomp is not None else []),
        "--unshare-user",
        "--unshare-pid",
        "--unshare-ipc",
        "--unshare-uts",
        "--unshare-net",
        "--unshare-cgroup-try",
        "--disable-userns",
        "--die-with-parent",
        "--new-session",
        "--uid",
        str(SANDBOX_ID),
        "--gid",
        str(SANDBOX_ID),
        "--hostname",
        "sandbox",
        "--size",  # first, so that a runtime living under /tmp (a venv) is mounted into it
        str(scratch_mb << 20),
        "--tmpfs",
        "/tmp",
        *mounts,
        "--dev",
        "/dev",
        "--remount-ro",
        "/dev",
        "--proc",
        "/proc",
    ]


# ---------------------------------------------------------------- choosing the isolation


def _probe(bwrap: str, ids: tuple[int, int] | None) -> str:
    """'' when a sandbox started as ``ids`` can import NumPy, else the reason it cannot."""
    program = seccomp_fd()
    command = [*bwrap_arguments(bwrap, 1, program), "--remount-ro", "/", sys.executable, "-I"]
    command += ["-c", "import numpy"]
    try:
        done = subprocess.run(
            command,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            env=scrubbed_env("/tmp"),
            cwd="/",
            timeout=60,
            pass_fds=() if program is None else (program,),
            **run_as(ids),
        )
    except (OSError, subprocess.SubprocessError) as error:
        return str(error)
    finally:
        if program is not None:
            os.close(program)
    if done.returncode == 0:
        return ""
    lines = done.stderr.decode(errors="replace").strip().splitlines()
    return lines[-1] if lines else f"bwrap exited with code {done.returncode}"


@functools.cache
def _can_run_python(ids: tuple[int, int]) -> bool:
    """Whether a process started as ``ids`` can run this interpreter with NumPy (root only)."""
    try:
        done = subprocess.run(
            [sys.executable, "-I", "-c", "import numpy"],
            capture_output=True,
            cwd="/",
            env=scrubbed_env("/"),
            timeout=60,
            **run_as(ids),
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


def _fallback(reason: str) -> Isolation:
    nobody = _user_ids() if os.geteuid() == 0 else None
    ids = nobody if nobody and _can_run_python(nobody) else None
    who = f"as {UNPRIVILEGED_USER}" if ids else f"as uid {os.geteuid()}"
    text = f"NO NAMESPACES ({reason}): process isolation only, {who}"
    return Isolation(False, text, user=ids)


@functools.cache
def _detect() -> Isolation:
    bwrap = shutil.which("bwrap") or ""
    if not bwrap:
        return _fallback("bwrap not found: install bubblewrap")
    nobody = _user_ids() if os.geteuid() == 0 else None
    if nobody and not _probe(bwrap, nobody):
        return Isolation(True, f"bubblewrap namespaces, as {UNPRIVILEGED_USER}", bwrap, nobody)
    reason = _probe(bwrap, None)
    if reason:
        return _fallback(f"bwrap cannot start a sandbox: {reason}")
    return Isolation(True, f"bubblewrap namespaces, as uid {os.geteuid()}", bwrap)


_announced: set[str] = set()
_lock = threading.Lock()


def announce(found: Isolation) -> None:
    """Tell the instructor once per process, on stderr, that student code runs unsandboxed."""
    if found.namespaces or found.description in _announced:
        return
    _announced.add(found.description)
    print(
        f"\n*** cnnref grade: WARNING: {found.description}.\n"
        "*** Student code is NOT in an operating-system sandbox: only rlimits, a separate process\n"
        "*** and Python-level guards protect this machine. Install bubblewrap and allow user\n"
        "*** namespaces, or pass --require-sandbox to refuse to grade without them.\n",
        file=sys.stderr,
        flush=True,
    )


def isolation() -> Isolation:
    """The isolation this machine allows (probed once per process); ``CNNREF_SANDBOX=process``
    forces process isolation. A fallback is announced once on stderr."""
    mode = os.environ.get(MODE_VARIABLE, "auto") or "auto"
    if mode not in MODES:
        raise ValueError(f"{MODE_VARIABLE} must be one of {MODES}, got {mode!r}")
    with _lock:
        found = _fallback(f"{MODE_VARIABLE}=process") if mode == "process" else _detect()
        announce(found)
    return found


def require_namespaces() -> Isolation:
    """:func:`isolation`, or :class:`SandboxUnavailable` when it has no namespaces."""
    found = isolation()
    if not found.namespaces:
        raise SandboxUnavailable(f"no operating-system sandbox here: {found.description}")
    return found


# ---------------------------------------------------------------- starting one child


def _data_fd(data: bytes) -> int:
    """A memory-only file holding ``data``, positioned at its start (never on disk)."""
    fd = os.memfd_create("cnnref-grade")
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


class NamespaceLauncher:
    """Starts each child in a fresh bubblewrap sandbox; the student's file lives in its tmpfs."""

    work_dir = "/tmp"

    def __init__(self, found: Isolation, scratch_mb: int) -> None:
        self.isolation = found
        self.scratch_mb = scratch_mb

    def start(self, source: str, config: dict, stdout: int, keep_fds: tuple[int, ...]):
        """The running ``bwrap`` process; ``config`` is completed with the child's paths."""
        files = {name: (_HERE / name).read_bytes() for name in CHILD_FILES}
        fds = [_data_fd(source.encode("utf-8"))] + [_data_fd(data) for data in files.values()]
        program = seccomp_fd()
        command = bwrap_arguments(self.isolation.bwrap, self.scratch_mb, program)
        if program is not None:
            fds.append(program)
        command += ["--file", str(fds[0]), "/tmp/submission.py"]
        for fd, name in zip(fds[1:], CHILD_FILES, strict=False):
            command += ["--ro-bind-data", str(fd), f"/sandbox/{name}"]
        command += ["--chdir", self.work_dir, "--remount-ro", "/"]
        config = {**config, "source": "/tmp/submission.py", "hidden_dirs": []}
        config["paths"] = runtime_mounts()[1]
        command += [sys.executable, "-I", "-B", "-u", "/sandbox/child.py", json.dumps(config)]
        try:
            return subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=stdout,
                stderr=stdout,
                cwd="/",
                env=scrubbed_env(self.work_dir),
                pass_fds=(*keep_fds, *fds),
                start_new_session=True,
                **run_as(self.isolation.user),
            )
        finally:
            for fd in fds:
                os.close(fd)

    def cleanup(self) -> None:
        """Nothing to remove: the sandbox's files vanish with its tmpfs."""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_folders(parent: str | None = None) -> list[str]:
    """Remove the temporary folders of process-isolated runs whose grader is dead (crashed or
    killed); returns the folders removed."""
    parent = parent or tempfile.gettempdir()
    removed = []
    for entry in os.listdir(parent):
        match = re.fullmatch(rf"{_FALLBACK_PREFIX}(\d+)-\w+", entry)
        if match and int(match.group(1)) != os.getpid() and not _alive(int(match.group(1))):
            shutil.rmtree(os.path.join(parent, entry), ignore_errors=True)
            removed.append(os.path.join(parent, entry))
    return removed


@functools.cache
def _run_folder() -> str:
    """This grader's folder for process-isolated children, named by its pid so that the next run
    can tell it is stale; created after removing the stale folders of dead graders."""
    remove_stale_folders()
    folder = tempfile.mkdtemp(prefix=f"{_FALLBACK_PREFIX}{os.getpid()}-")
    os.chmod(folder, 0o711)
    atexit.register(shutil.rmtree, folder, True)
    return folder


def _grader_folders() -> list[str]:
    """The grader's working folder and home, unless the runtime lives inside one of them."""
    import numpy

    runtime = [sys.prefix, sys.base_prefix, os.path.dirname(os.path.realpath(numpy.__file__))]
    runtime = [os.path.realpath(path) for path in runtime]
    folders = {os.path.realpath(os.getcwd()), os.path.realpath(os.path.expanduser("~"))}
    return sorted(f for f in folders if not any(_inside(path, [f]) for path in runtime))


class ProcessLauncher:
    """Starts each child as a plain process in a temporary folder (no namespaces)."""

    def __init__(self, found: Isolation) -> None:
        self.isolation = found
        self.root = tempfile.mkdtemp(dir=_run_folder())
        os.chmod(self.root, 0o711)
        self.work_dir = ""

    def start(self, source: str, config: dict, stdout: int, keep_fds: tuple[int, ...]):
        """The running child process, in a fresh folder under this launcher's root."""
        self.work_dir = tempfile.mkdtemp(dir=self.root)
        work = Path(self.work_dir)
        (work / "submission.py").write_text(source, encoding="utf-8")
        for name in CHILD_FILES:
            shutil.copyfile(_HERE / name, work / name)
        ids = self.isolation.user
        if ids:
            for path in (work, work / "submission.py", *(work / name for name in CHILD_FILES)):
                os.chown(path, *ids)
        config = {**config, "source": str(work / "submission.py")}
        # the reference, every other student's folder, other processes' /proc entries, and the
        # instructor's folders (an assignment's solutions, the grades)
        hidden = [*hidden_directories(), tempfile.gettempdir(), "/proc", *_grader_folders()]
        config["hidden_dirs"] = hidden
        config["die_with_parent"] = os.getpid()
        command = [sys.executable, "-I", "-B", "-u", str(work / "child.py"), json.dumps(config)]
        return subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=stdout,
            cwd=work,
            env=scrubbed_env(str(work)),
            pass_fds=keep_fds,
            start_new_session=True,
            **run_as(ids),
        )

    def cleanup(self) -> None:
        """Remove this launcher's folders (the student's file and scratch files)."""
        shutil.rmtree(self.root, ignore_errors=True)


def launcher(found: Isolation, scratch_mb: int):
    """The launcher for ``found``: namespaces when available, else plain processes."""
    return NamespaceLauncher(found, scratch_mb) if found.namespaces else ProcessLauncher(found)
