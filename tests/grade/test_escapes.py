"""Escape attempts: nothing of another student, the reference, the grader or the machine leaks.

Each attempt runs through the grader (the sandbox with the child's Python-level guards) in both
isolation modes, and — where the boundary is the operating system's — also as raw, unguarded code
in the same bubblewrap sandbox, so the namespaces are shown to hold on their own. Tests that need
namespaces skip with the reason where the kernel or the container forbids them.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
import pytest

import cnnref
from verify.grade.assignments import load_assignment
from verify.grade.grading import grade_source
from verify.grade.isolation import bwrap_arguments, run_as, scrubbed_env, seccomp_fd
from verify.grade.report import class_summary, terminal
from verify.grade.runner import grade_many, result_path
from verify.grade.sandbox import Limits, Sandbox, SandboxError
from verify.grade.submission import find_submissions

from .conftest import EXAMPLES
from .sandbox_modes import MODES, namespaces_or_skip, sandbox_mode

CORRECT = (EXAMPLES / "seed" / "correct.py").read_text()
FULL_MARKS = load_assignment("seed").max_score  # what the correct submission earns
# a piece of the reference's source that nothing else on the machine holds
REFERENCE_PIECE = Path(cnnref.__file__).with_name("conv.py").read_bytes()[:120]


def unguarded(code: str, timeout: float = 60, filtered: bool = True) -> subprocess.CompletedProcess:
    """Run ``code`` with no Python-level guard, in the grader's bubblewrap sandbox (with its
    syscall filter unless not ``filtered``: the namespaces alone)."""
    found = namespaces_or_skip()
    program = seccomp_fd() if filtered else None
    command = [*bwrap_arguments(found.bwrap, 64, program), "--chdir", "/tmp", "--remount-ro", "/"]
    command += [sys.executable, "-I", "-c", code]
    try:
        return subprocess.run(
            command,
            env=scrubbed_env("/tmp"),
            cwd="/",
            capture_output=True,
            text=True,
            timeout=timeout,
            pass_fds=() if program is None else (program,),
            **run_as(found.user),
        )
    finally:
        if program is not None:
            os.close(program)


def call_in_sandbox(mode: str, source: str, function: str, args: list | None = None):
    with sandbox_mode(mode), Sandbox(source, Limits(call_timeout=30)) as box:
        return box.call(function, args or [], keep=0)


def _strings(reply) -> str:
    return json.dumps(reply.value) + reply.error


# ---------------------------------------------------------------- other students


SNOOP = """
import os, time
MARK = {mark!r}
found = []
deadline = time.time() + 1.5
tops = set(("/tmp", "/var/tmp", "/dev/shm", "/run", "/home", os.path.dirname(os.getcwd())))
tops.discard("/")
while time.time() < deadline:
    for top in sorted(tops):
        for root, dirs, files in os.walk(top):
            for name in files:
                path = os.path.join(root, name)
                try:
                    fd = os.open(path, os.O_RDONLY)
                    data = os.read(fd, 1 << 20)
                    os.close(fd)
                except OSError:
                    continue
                if b"STUDENT-MARK-" in data and MARK.encode() not in data:
                    found.append(path + " " + data.decode(errors="replace")[:200])
    time.sleep(0.1)
print("FOUND:", found)
"""


@pytest.mark.parametrize("mode", MODES)
def test_a_student_cannot_read_another_students_file_while_both_are_graded(tmp_path, mode):
    folder, out = tmp_path / "class", tmp_path / "grades"
    folder.mkdir()
    marks = {name: f"STUDENT-MARK-{name}-{uuid.uuid4().hex}" for name in ("alice", "bob")}
    for name, mark in marks.items():
        (folder / f"{name}.py").write_text(CORRECT + SNOOP.format(mark=mark))
    with sandbox_mode(mode):
        results = grade_many(load_assignment("seed"), find_submissions(folder), out, jobs=2)
    for result in results:
        assert result["score"] == FULL_MARKS
        assert "FOUND: []" in result["output"]
        assert not any(mark in result["output"] for mark in marks.values())


# ---------------------------------------------------------------- the network


@pytest.fixture
def listener():
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    server.settimeout(0.5)
    yield server
    server.close()


def _nobody_came(server: socket.socket) -> bool:
    try:
        server.accept()[0].close()
    except TimeoutError:
        return True
    return False


CONNECT = """
import socket
def connect(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(2)
    s.connect(("127.0.0.1", int(port)))
    s.sendall(b"escaped")
    return "connected"
"""


@pytest.mark.parametrize("mode", MODES)
def test_a_student_cannot_connect_to_a_listener_on_localhost(listener, mode):
    port = np.array(listener.getsockname()[1])
    reply = call_in_sandbox(mode, CONNECT, "connect", [port])
    assert not reply.ok and reply.value is None
    assert _nobody_came(listener)


def test_without_guards_the_network_namespace_has_no_way_out(listener):
    port = listener.getsockname()[1]
    abstract = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    name = f"\0cnnref-test-{uuid.uuid4().hex}"
    abstract.bind(name)
    abstract.listen(1)
    abstract.settimeout(0.5)
    code = f"""
import socket
for family, address in ((socket.AF_INET, ("127.0.0.1", {port})), (socket.AF_UNIX, {name!r})):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(2)
    try:
        s.connect(address)
        print("CONNECTED", address)
    except OSError as error:
        print("refused", type(error).__name__)
"""
    try:
        done = unguarded(code)
        assert _nobody_came(abstract)
    finally:
        abstract.close()
    assert done.stdout.count("refused") == 2 and "CONNECTED" not in done.stdout
    assert _nobody_came(listener)


# ---------------------------------------------------------------- the reference


READ_REFERENCE = """
import os
def by_os_open(path):
    fd = os.open(str(path), os.O_RDONLY)
    return os.read(fd, 4096).decode()

def by_ctypes(path):
    import ctypes
    libc = ctypes.CDLL(None)
    buffer = ctypes.create_string_buffer(4096)
    fd = libc.open(str(path).encode(), 0)
    libc.read(fd, buffer, 4096)
    return buffer.value.decode()

def by_proc_root(path):
    with open("/proc/self/root" + str(path)) as handle:
        return handle.read()

def by_symlink(path):
    os.symlink(str(path), "link.py")
    with open("link.py") as handle:
        return handle.read()
"""


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("how", ["by_os_open", "by_ctypes", "by_proc_root", "by_symlink"])
def test_the_reference_cannot_be_read_even_knowing_its_path(mode, how):
    path = Path(cnnref.__file__).with_name("conv.py")
    reply = call_in_sandbox(mode, READ_REFERENCE, how, [str(path)])
    assert not reply.ok
    assert REFERENCE_PIECE.decode() not in _strings(reply)


def test_without_guards_no_copy_of_the_reference_is_anywhere_on_the_sandboxs_disk():
    code = f"""
import os
piece = {REFERENCE_PIECE!r}
named, holding, seen = [], [], 0
for root, dirs, files in os.walk("/"):
    if root in ("/proc", "/sys", "/dev"):
        dirs[:] = []
        continue
    for name in dirs + files:
        if "cnnref" in name or os.path.isdir(os.path.join(root, name, "grade", "assignments")):
            named.append(os.path.join(root, name))
    for name in files:
        seen += 1
        if name.endswith((".py", ".pyx", ".pxd", ".md", ".txt", ".json", ".toml", ".ipynb")):
            try:
                with open(os.path.join(root, name), "rb") as handle:
                    if piece in handle.read():
                        holding.append(os.path.join(root, name))
            except OSError:
                pass
print("NAMED", named)
print("HOLDING", holding)
print("SEEN", seen)
"""
    done = unguarded(code, timeout=300)
    assert "NAMED []" in done.stdout and "HOLDING []" in done.stdout, done.stdout
    assert int(done.stdout.split("SEEN ")[1]) > 1000  # the walk really saw the runtime


# ---------------------------------------------------------------- other processes


PROC = """
import os
def snoop(mark):
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        for what in ("environ", "cmdline"):
            try:
                with open(f"/proc/{pid}/{what}", "rb") as handle:
                    if mark.encode() in handle.read():
                        found.append(f"{pid}/{what}")
            except OSError:
                pass
        try:
            if mark in os.readlink(f"/proc/{pid}/cwd"):
                found.append(f"{pid}/cwd")
        except OSError:
            pass
    return found
"""


@pytest.fixture
def secret_process(tmp_path):
    """A process of the grader's user with a secret in its environment and its cwd's name."""
    mark = f"cnnref-secret-{uuid.uuid4().hex}"
    cwd = tmp_path / mark
    cwd.mkdir()
    process = subprocess.Popen(
        ["sleep", "60"], cwd=cwd, env={"PATH": os.environ["PATH"], "SECRET": mark}
    )
    yield mark
    process.kill()
    process.wait()


def test_a_student_cannot_read_other_processes_environ_or_cwd(secret_process):
    namespaces_or_skip()  # process isolation alone does not hide /proc from the same user
    reply = call_in_sandbox("namespaces", PROC, "snoop", [secret_process])
    assert reply.ok and reply.value == {"list": []}


def test_without_guards_proc_shows_only_the_sandboxs_own_processes(secret_process):
    spelled = secret_process[::-1]  # not the secret itself, or this code's cmdline would hold it
    code = PROC + f"\nprint('FOUND', snoop({spelled!r}[::-1]))"
    code += "\nprint('PIDS', sorted(int(p) for p in os.listdir('/proc') if p.isdigit()))"
    done = unguarded(code)
    assert "FOUND []" in done.stdout
    assert done.stdout.split("PIDS ")[1].strip() == "[1, 2]"  # bwrap's init and this python


@pytest.mark.parametrize("mode", MODES)
def test_the_graders_environment_does_not_reach_the_student(mode, monkeypatch):
    mark = f"cnnref-secret-{uuid.uuid4().hex}"
    monkeypatch.setenv("CNNREF_GRADER_SECRET", mark)
    source = """
import os
def environment():
    seen = dict(os.environ)
    for path in ("/proc/self/environ", "/proc/1/environ"):
        try:
            with open(path, "rb") as handle:
                seen[path] = handle.read().decode(errors="replace")
        except OSError as error:
            seen[path] = str(error)
    return seen
"""
    reply = call_in_sandbox(mode, source, "environment")
    assert reply.ok and mark not in json.dumps(reply.value)


# ---------------------------------------------------------------- processes and signals


def _processes_with(mark: str) -> list[int]:
    found = []
    for pid in os.listdir("/proc"):
        try:
            if pid.isdigit() and mark.encode() in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.append(int(pid))
        except OSError:
            continue
    return found


def test_without_guards_the_syscall_filter_refuses_new_processes_and_ptrace_not_threads():
    code = """
import ctypes, os, threading
libc = ctypes.CDLL(None, use_errno=True)
try:
    os.fork()
    print("FORKED")
except OSError as error:
    print("fork", error.errno)
print("ptrace", libc.ptrace(16, 1, 0, 0), ctypes.get_errno())
ran = []
thread = threading.Thread(target=lambda: ran.append(1))
thread.start()
thread.join()
print("thread", ran)
"""
    done = unguarded(code)
    assert "FORKED" not in done.stdout
    assert "fork 1" in done.stdout and "ptrace -1 1" in done.stdout  # EPERM
    assert "thread [1]" in done.stdout


def test_without_guards_a_double_forked_setsid_child_dies_with_the_sandbox():
    mark = f"cnnref-orphan-{uuid.uuid4().hex}"
    code = f"""
import os, time
# {mark}
child = os.fork()
if child == 0:
    os.setsid()
    if os.fork() == 0:
        time.sleep(60)
    os._exit(0)
os.waitpid(child, 0)
time.sleep(0.2)
print("parent leaves")
"""
    done = unguarded(code, filtered=False)  # the namespaces alone, fork allowed
    assert "parent leaves" in done.stdout
    deadline = time.monotonic() + 2
    while _processes_with(mark) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _processes_with(mark) == []


@pytest.mark.parametrize("mode", MODES)
def test_a_student_cannot_start_or_signal_processes(mode):
    source = """
import os, signal
def double_fork():
    if os.fork() == 0:
        os.setsid()
        os.fork()
    return "forked"
def signal_everyone():
    os.kill(-1, signal.SIGKILL)
def signal_parent():
    os.kill(os.getppid(), signal.SIGKILL)
"""
    for function in ("double_fork", "signal_everyone", "signal_parent"):
        reply = call_in_sandbox(mode, source, function)
        assert not reply.ok and "not allowed" in reply.error


def test_without_guards_signals_reach_only_the_sandbox():
    witness = subprocess.Popen(["sleep", "60"])
    try:
        done = unguarded("import os, signal\nos.kill(-1, signal.SIGKILL)\nprint('survived?')")
        assert witness.poll() is None  # a process of the same user outside is untouched
    finally:
        witness.kill()
        witness.wait()
    assert done.returncode != 0 or "survived?" in done.stdout


# ---------------------------------------------------------------- the grader's files


@pytest.mark.parametrize("mode", MODES)
def test_a_student_cannot_write_into_the_grades_folder(tmp_path, mode):
    folder, out = tmp_path / "class", tmp_path / "grades"
    folder.mkdir()
    out.mkdir()
    attack = f"""
import json, os
def _forge():
    fake = json.dumps({{"student": "mallory", "assignment": "seed", "score": 1000}})
    for name in ("mallory.json", "gradebook.csv", "extra.txt"):
        try:
            fd = os.open(os.path.join({str(out)!r}, name), os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
            os.write(fd, fake.encode())
            os.close(fd)
        except OSError as error:
            print("refused", error)
_forge()
"""
    (folder / "mallory.py").write_text(CORRECT + attack)
    with sandbox_mode(mode):
        results = grade_many(load_assignment("seed"), find_submissions(folder), out)
    assert results[0]["score"] == FULL_MARKS
    assert json.loads(result_path(out, "mallory").read_text())["score"] == FULL_MARKS
    assert sorted(p.name for p in out.iterdir()) == ["gradebook.csv", "mallory.json"]
    assert "1000" not in (out / "gradebook.csv").read_text()


def test_without_guards_nothing_outside_the_private_tmp_is_writable():
    code = """
import os
for path in ("/x", "/usr/lib/x", "/etc/x", "/dev/x", "/sandbox/x", "/proc/x", "/tmp/x"):
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT))
        print("WROTE", path)
    except OSError as error:
        print("refused", path, error.strerror)
"""
    done = unguarded(code)
    assert [line for line in done.stdout.splitlines() if line.startswith("WROTE")] == [
        "WROTE /tmp/x"
    ]


def test_without_guards_the_private_tmp_is_size_limited():
    code = """
import os
written = 0
try:
    with open("/tmp/fill", "wb") as handle:
        while written < 200 << 20:
            handle.write(b"x" * (1 << 20))
            written += 1 << 20
except OSError as error:
    print("stopped", error.strerror)
print("MB", written >> 20)
"""
    done = unguarded(code)
    assert "No space left on device" in done.stdout
    assert int(done.stdout.split("MB ")[1]) <= 64


# ---------------------------------------------------------------- killing the grader


GRADER = """
import json, sys
from pathlib import Path
sys.path.insert(0, {root!r})
from verify.grade.assignments import load_assignment
from verify.grade.runner import grade_many
from verify.grade.sandbox import Limits
from verify.grade.submission import find_submissions

graded = []
grade_many(
    load_assignment("seed"), find_submissions(Path({folder!r})), Path({out!r}), jobs=2,
    on_result=lambda result, skipped: None if skipped else graded.append(result["student"]),
)
print(json.dumps(graded))
"""


def _descendants(pid: int) -> set[tuple[int, str]]:
    """(pid, start time) of every process below ``pid``."""
    parents = {}
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        parents[int(entry)] = (int(fields[1]), fields[19])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {p for p, (ppid, _) in parents.items() if ppid in frontier}
        found |= {(p, parents[p][1]) for p in frontier}
    return found


def _alive(process: tuple[int, str]) -> bool:
    try:
        fields = Path(f"/proc/{process[0]}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return False
    return fields[19] == process[1] and fields[0] != "Z"


def _files_holding(marker: str) -> list[str]:
    found = []
    top = tempfile.gettempdir()
    for entry in os.listdir(top):
        if not entry.startswith(("cnnref", "tmp")):
            continue
        for root, _, files in os.walk(os.path.join(top, entry)):
            for name in files:
                try:
                    if marker.encode() in Path(root, name).read_bytes():
                        found.append(os.path.join(root, name))
                except OSError:
                    continue
    return found


@pytest.mark.parametrize("mode", MODES)
def test_a_grader_killed_mid_class_leaves_nothing_and_the_rerun_grades_everyone_once(
    tmp_path, mode
):
    with sandbox_mode(mode):
        pass  # skips when the mode is unavailable
    folder, out = tmp_path / "class", tmp_path / "grades"
    folder.mkdir()
    marker = f"cnnref-kill-{uuid.uuid4().hex}"
    slow = f"\nimport time\n_MARK = {marker!r}\ntime.sleep(1.0)\n"
    students = [f"s{i}" for i in range(6)]
    for name in students:
        (folder / f"{name}.py").write_text(CORRECT + slow)
    env = {**os.environ, "CNNREF_SANDBOX": "process" if mode == "process" else "auto"}
    # the packages this test session imports (installed, or a checkout built in place)
    packages = str(Path(cnnref.__file__).resolve().parents[1])
    script = GRADER.format(root=packages, folder=str(folder), out=str(out))
    grader = subprocess.Popen([sys.executable, "-c", script], env=env, stdout=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not list(out.glob("s*.json")) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)  # the next students are being graded now
    running = _descendants(grader.pid)
    assert running  # sandboxes were running when the grader was killed
    os.kill(grader.pid, signal.SIGKILL)
    grader.wait()
    time.sleep(2)
    assert [p for p in running if _alive(p)] == []
    graded_before = {p.stem for p in out.glob("s*.json")}
    assert graded_before and graded_before != set(students)
    if mode == "namespaces":
        assert _files_holding(marker) == []  # never written to disk
    rerun = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300
    )
    graded_now = set(json.loads(rerun.stdout.splitlines()[-1]))
    assert graded_now.isdisjoint(graded_before)
    assert graded_now | graded_before == set(students)
    assert all(json.loads(result_path(out, s).read_text())["score"] == FULL_MARKS for s in students)
    assert _files_holding(marker) == []  # the killed run's stale folders are gone too


# ---------------------------------------------------------------- the grader's resources


@pytest.mark.parametrize("mode", MODES)
def test_a_forged_giant_reply_is_a_protocol_error_not_a_memory_hoard(mode):
    source = """
import json, os, struct, sys
def forge():
    reply_fd = json.loads(sys.argv[1])["reply_fd"]
    head = json.dumps({"ok": True, "seconds": 0, "after": [], "value": None}).encode()
    os.write(reply_fd, struct.pack("<II", len(head), 1) + head + struct.pack("<Q", 1 << 40))
    while True:
        os.write(reply_fd, b"x" * (1 << 20))
"""
    with sandbox_mode(mode), Sandbox(source, Limits(call_timeout=20)) as box:
        start = time.monotonic()
        with pytest.raises(SandboxError, match="broke the protocol"):
            box.call("forge", [], keep=0)
        assert time.monotonic() - start < 10  # refused at the frame, not after reading it


@pytest.mark.parametrize("mode", MODES)
def test_memory_files_are_bounded_by_the_descriptor_and_file_size_limits(mode):
    source = """
import os
def hoard():
    held = []
    try:
        while True:
            fd = os.memfd_create("hoard")
            os.write(fd, b"x" * (4 << 20))
            held.append(fd)
    except OSError as error:
        return [len(held), str(error)]
"""
    with sandbox_mode(mode), Sandbox(source, Limits(open_files=32)) as box:
        reply = box.call("hoard", [], keep=0)
    count, error = reply.value["list"]
    assert count < 32 and "Too many open files" in error


@pytest.mark.parametrize("mode", MODES)
def test_a_students_text_cannot_drive_the_instructors_terminal(tmp_path, mode):
    evil = "\x1b]0;owned\x07\x1b[2J"
    source = CORRECT + f"\n\ndef relu(a):\n    raise ValueError({evil!r})\n"
    with sandbox_mode(mode):
        result = grade_source(load_assignment("seed"), f"eve{evil}", source).to_dict()
    shown = terminal(result) + class_summary([result])
    assert "\x1b" not in shown and "\x07" not in shown
    assert "\\x1b]0;owned\\x07" in shown


@pytest.mark.parametrize("mode", MODES)
def test_a_deeply_nested_result_fails_its_case_and_grading_goes_on(mode):
    source = (
        CORRECT
        + """

import sys


def relu(a):
    sys.setrecursionlimit(100_000)
    nested = 1.0
    for _ in range(20_000):
        nested = [nested]
    return nested
"""
    )
    with sandbox_mode(mode):
        result = grade_source(load_assignment("seed"), "deep", source)
    failed = {t.function for t in result.tasks if t.score < t.max_score}
    assert "relu" in failed and result.score > 0
    relu = next(t for t in result.tasks if t.function == "relu")
    assert all("broke the protocol" in c.error for c in relu.cases if c.points < c.max_points)


FORGED = [
    {"ok": True},
    {"ok": True, "after": 5, "seconds": "soon", "value": None},
    {"ok": False, "error": ["not", "text"], "traceback": {"a": 1}},
    {"ok": True, "seconds": 0, "after": [], "value": {"list": 5}},
    {"ok": True, "seconds": 0, "after": [], "value": {"array": 0, "dtype": [1], "shape": [2]}},
    {"ok": True, "seconds": 0, "after": [{"array": 0, "dtype": "<f8", "shape": [10**30]}]},
    {"ok": True, "seconds": 0, "after": [], "value": {"tuple": [{"bad": 7}, {"dict": {}}]}},
    [1, 2, 3],
]


@pytest.mark.parametrize("forged", FORGED, ids=range(len(FORGED)))
def test_a_forged_reply_fails_its_case_and_never_the_grader(forged):
    source = (
        CORRECT
        + f"""

import json, os, struct, sys


def relu(a):
    head = json.dumps({forged!r}).encode()
    reply_fd = json.loads(sys.argv[1])["reply_fd"]
    os.write(reply_fd, struct.pack("<II", len(head), 0) + head)
    os._exit(0)
"""
    )
    result = grade_source(load_assignment("seed"), "forger", source)
    relu = next(t for t in result.tasks if t.function == "relu")
    assert relu.score < relu.max_score
    assert result.score > 0  # everything else was graded


@pytest.mark.parametrize("mode", MODES)
def test_the_instructors_working_folder_is_out_of_reach(mode, monkeypatch):
    course = Path(tempfile.mkdtemp(dir="/var/tmp", prefix="cnnref-course-"))
    try:
        solution = course / "my_assignment.py"
        solution.write_text("SOLUTION = 'the instructor solution'\n")
        monkeypatch.chdir(course)
        source = "def peek(path):\n    with open(path) as handle:\n        return handle.read()\n"
        reply = call_in_sandbox(mode, source, "peek", [str(solution)])
    finally:
        solution.unlink()
        course.rmdir()
    assert not reply.ok and "instructor solution" not in _strings(reply)
