"""The isolated child process: calls, kept results, limits, guards, crashes and restarts."""

from __future__ import annotations

import os

import numpy as np
import pytest

from verify.grade.sandbox import Limits, Ref, Sandbox, SandboxError, hidden_directories

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
    open("/tmp/cnnref_sandbox_escape.txt", "w").write("x")

def write_inside(x):
    with open("scratch.txt", "w") as handle:
        handle.write("fine")
    return np.ones(1)

def environment(x):
    return sorted(os.environ)

def where(x):
    return os.getcwd()
"""


@pytest.fixture(scope="module")
def box():
    with Sandbox(SOURCE, Limits(call_timeout=2.0, max_restarts=10)) as sandbox:
        yield sandbox


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
    assert not os.path.exists("/tmp/cnnref_sandbox_escape.txt")


def test_the_child_works_in_a_fresh_directory_with_a_scrubbed_environment(box) -> None:
    assert box.call("write_inside", [np.ones(1)], keep=0).ok
    cwd = box.call("where", [np.ones(1)], keep=0).value
    assert cwd.startswith(box._root) and cwd != os.getcwd()
    names = box.call("environment", [np.ones(1)], keep=0).value["list"]
    assert "PYTHONPATH" not in names and "OMP_NUM_THREADS" in names


def test_the_reference_directories_are_hidden() -> None:
    import cnnref

    assert os.path.dirname(cnnref.__file__) in hidden_directories()


def test_a_module_that_fails_to_load_fails_every_call_without_restarting() -> None:
    with Sandbox("raise RuntimeError('broken at import')") as sandbox:
        for _ in range(2):
            with pytest.raises(SandboxError, match="failed to load: RuntimeError: broken"):
                sandbox.call("f", [], keep=0)
        assert sandbox.restarts == 0


def test_restarts_are_bounded() -> None:
    with Sandbox("import os\ndef die():\n    os._exit(1)\n", Limits(max_restarts=1)) as sandbox:
        for _ in range(2):
            with pytest.raises(SandboxError, match="exited"):
                sandbox.call("die", [], keep=0)
        with pytest.raises(SandboxError, match="not run: the submission crashed"):
            sandbox.call("die", [], keep=0)


def test_memory_is_limited() -> None:
    source = "import numpy as np\ndef hog():\n    return np.ones(200 * 2**20)\n"
    with Sandbox(source, Limits(memory_mb=512)) as sandbox:
        reply = sandbox.call("hog", [], keep=0)
    assert not reply.ok and "MemoryError" in reply.error


def test_closing_removes_the_temporary_directory() -> None:
    sandbox = Sandbox("def f():\n    return 1\n")
    assert sandbox.call("f", [], keep=0).ok
    sandbox.close()
    assert not os.path.exists(sandbox._root)


def test_the_child_drops_to_nobody_when_root_can_hand_it_the_interpreter() -> None:
    from verify.grade.sandbox import unprivileged_ids

    ids = unprivileged_ids()
    if ids is None:
        pytest.skip("not root, or the interpreter is not reachable by nobody (e.g. under /root)")
    with Sandbox("import os\ndef who():\n    return [os.getuid(), os.getgid()]\n") as sandbox:
        reply = sandbox.call("who", [], keep=0)
        assert sandbox.user == "nobody"
    assert reply.value == {"list": list(ids)}
