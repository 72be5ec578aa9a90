"""The isolated child process: calls, kept results, limits, guards, crashes and restarts, in both
isolation modes (bubblewrap namespaces and the process-only fallback)."""

from __future__ import annotations

import os
import tempfile
import uuid
from pathlib import Path

import numpy as np
import pytest

from verify.grade.assignment import Ref
from verify.grade.isolation import hidden_directories
from verify.grade.sandbox import Limits, Sandbox, SandboxError

from .sandbox_modes import MODES, sandbox_mode

SOURCE = """
import os
import numpy as np

def double(x):
    return 2 * x

def forward(x):
    return x + 1, {"x": x}

def backward(dout, cache):
    return dout * cache["x"]

def spin(x):
    while True:
        pass

def die(x):
    os._exit(7)

def fork(x):
    return os.fork()

def cheat(x):
    import cnnref

def autograd(x):
    import torch

def write_outside(x):
    open("/var/tmp/cnnref_sandbox_escape.txt", "w").write("x")

def write_inside(x):
    with open("scratch.txt", "w") as handle:
        handle.write("fine")
    return np.ones(1)

def environment(x):
    return sorted(os.environ)

def where(x):
    return os.getcwd()

def who(x):
    return [os.getuid(), os.getgid()]
"""


@pytest.fixture(scope="module", params=MODES)
def mode(request) -> str:
    return request.param


@pytest.fixture(scope="module")
def box(mode):
    with sandbox_mode(mode), Sandbox(SOURCE, Limits(call_timeout=2.0, max_restarts=10)) as sandbox:
        yield sandbox


@pytest.fixture
def isolated(mode):
    with sandbox_mode(mode):
        yield


def test_a_call_returns_the_functions_value_and_the_arguments_afterwards(box) -> None:
    reply = box.call("double", [np.arange(3.0)], keep=0)
    assert reply.ok
    assert reply.value == {"array": 1, "dtype": "<f8", "shape": [3]}
    assert reply.after[0]["array"] == 0


def test_a_backward_receives_its_forwards_cache_kept_in_the_child(box) -> None:
    x = np.array([1.0, 2.0, 3.0])
    box.call("forward", [x], keep=0, reply=False)
    reply = box.call("backward", [np.full(3, 2.0), Ref(0, 1)], keep=1)
    assert reply.ok
    assert reply.after[1] is None


def test_an_infinite_loop_is_killed_and_the_next_call_gets_a_new_child(box) -> None:
    with pytest.raises(SandboxError, match="timed out after 2 s calling spin"):
        box.call("spin", [np.ones(1)], keep=0)
    assert box.call("double", [np.ones(1)], keep=0).ok


def test_a_dying_child_is_reported_with_its_exit_code(box) -> None:
    with pytest.raises(SandboxError, match="exited with code 7"):
        box.call("die", [np.ones(1)], keep=0)
    assert box.call("double", [np.ones(1)], keep=0).ok


@pytest.mark.parametrize(
    ("function", "message"),
    [
        ("fork", "os.fork is not allowed"),
        ("cheat", "importing 'cnnref' is not allowed"),
        ("autograd", "importing 'torch' is not allowed"),
        ("write_outside", "is not allowed outside the work dir"),
        ("missing", "defines no function named 'missing'"),
    ],
)
def test_guarded_operations_fail_the_call_only(box, function, message) -> None:
    reply = box.call(function, [np.ones(1)], keep=0)
    assert not reply.ok
    assert message in reply.error
    assert not os.path.exists("/var/tmp/cnnref_sandbox_escape.txt")


def test_the_child_works_in_a_fresh_directory_with_a_scrubbed_environment(box) -> None:
    assert box.call("write_inside", [np.ones(1)], keep=0).ok
    cwd = box.call("where", [np.ones(1)], keep=0).value
    assert cwd == os.path.realpath(box.work_dir) and cwd != os.getcwd()
    names = box.call("environment", [np.ones(1)], keep=0).value["list"]
    assert "PYTHONPATH" not in names and "OMP_NUM_THREADS" in names


def test_the_reference_directories_are_known() -> None:
    import cnnref

    assert os.path.dirname(cnnref.__file__) in hidden_directories()


def test_every_copy_of_the_reference_on_the_path_is_hidden(tmp_path, monkeypatch) -> None:
    """An installed cnnref beside the checkout the grader runs from (or the reverse) is hidden too:
    a submission could otherwise read the other copy's source."""
    other = tmp_path / "site" / "cnnref"
    other.mkdir(parents=True)
    (other / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    assert str(other.resolve()) in hidden_directories()


def test_a_module_that_fails_to_load_fails_every_call_without_restarting(isolated) -> None:
    with Sandbox("raise RuntimeError('broken at import')") as sandbox:
        for _ in range(2):
            with pytest.raises(SandboxError, match="failed to load: RuntimeError: broken"):
                sandbox.call("f", [], keep=0)
        assert sandbox.restarts == 0


def test_restarts_are_bounded(isolated) -> None:
    with Sandbox("import os\ndef die():\n    os._exit(1)\n", Limits(max_restarts=1)) as sandbox:
        for _ in range(2):
            with pytest.raises(SandboxError, match="exited"):
                sandbox.call("die", [], keep=0)
        with pytest.raises(SandboxError, match="not run: the submission crashed"):
            sandbox.call("die", [], keep=0)


def test_memory_is_limited(isolated) -> None:
    source = "import numpy as np\ndef hog():\n    return np.ones(200 * 2**20)\n"
    with Sandbox(source, Limits(memory_mb=512)) as sandbox:
        reply = sandbox.call("hog", [], keep=0)
    assert not reply.ok and "MemoryError" in reply.error


def test_the_childs_user_is_unprivileged(box, mode) -> None:
    uid, gid = box.call("who", [np.ones(1)], keep=0).value["list"]
    if mode == "namespaces":
        assert (uid, gid) == (65534, 65534)  # inside its user namespace
    elif box.isolation.user:
        assert (uid, gid) == box.isolation.user
    else:
        assert uid == os.getuid()


def _files_holding(marker: bytes, folder: str) -> list[str]:
    """Files holding ``marker`` in the temporary folders a grader could have made in ``folder``."""
    found = []
    tops = [os.path.join(folder, e) for e in os.listdir(folder) if e.startswith(("cnnref", "tmp"))]
    for root, _, files in (step for top in tops for step in os.walk(top)):
        for name in files:
            try:
                if marker in Path(root, name).read_bytes():
                    found.append(os.path.join(root, name))
            except OSError:
                continue
    return found


def test_the_students_file_is_never_on_disk_with_namespaces_and_removed_on_close(mode) -> None:
    marker = f"cnnref-test-{uuid.uuid4().hex}"
    with sandbox_mode(mode):
        sandbox = Sandbox(f"MARK = {marker!r}\ndef f():\n    return 1\n")
        assert sandbox.call("f", [], keep=0).ok
        during = _files_holding(marker.encode(), tempfile.gettempdir())
        sandbox.close()
    assert during == ([] if mode == "namespaces" else during)
    assert _files_holding(marker.encode(), tempfile.gettempdir()) == []


def test_top_level_output_is_captured_unbuffered_even_when_the_child_is_killed(isolated) -> None:
    source = "print('hello from the top level')\ndef spin():\n    while True:\n        pass\n"
    with Sandbox(source, Limits(call_timeout=1.0)) as sandbox:
        with pytest.raises(SandboxError, match="timed out"):
            sandbox.call("spin", [], keep=0)
        assert sandbox.output() == "hello from the top level\n"


def test_output_is_cut_at_the_file_size_limit(isolated) -> None:
    source = "def shout():\n    print('x' * 3_000_000)\n"
    with Sandbox(source, Limits(output_mb=1)) as sandbox:
        reply = sandbox.call("shout", [], keep=0)
        assert not reply.ok and "File too large" in reply.error
        assert sandbox.output(limit=10**7) == "x" * (1 << 20)


def test_a_child_killed_by_a_signal_is_reported_with_the_signal(isolated) -> None:
    source = "import signal\ndef crash():\n    signal.raise_signal(signal.SIGSEGV)\n"
    with Sandbox(source) as sandbox:
        with pytest.raises(SandboxError, match=r"was killed by SIGSEGV \(crash\)"):
            sandbox.call("crash", [], keep=0)


def test_a_child_that_leaves_its_session_is_still_killed_on_timeout(isolated) -> None:
    source = """
import os
def hide():
    try:
        os.setsid()  # fails where the child already leads its own session (bwrap)
    except OSError:
        pass
    while True:
        pass
"""
    with Sandbox(source, Limits(call_timeout=1.0)) as sandbox:
        with pytest.raises(SandboxError, match="timed out after 1 s calling hide"):
            sandbox.call("hide", [], keep=0)
