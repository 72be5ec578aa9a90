"""The restricted unpickler: numpy arrays and plain containers load; no other global is called."""

from __future__ import annotations

import os
import pickle
import subprocess

import numpy as np
import pytest

from cnnref.training.data import DatasetError
from cnnref.training.data.safe_pickle import safe_unpickle


class RunsShellCommand:
    """Unpickling this with the standard unpickler would run ``touch <marker>``."""

    def __init__(self, marker) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


class StartsProcess:
    def __reduce__(self):
        return (subprocess.Popen, (["true"],))


class CallsEval:
    def __reduce__(self):
        return (eval, ("1 + 1",))


def test_plain_containers_and_numpy_arrays_load():
    value = {b"data": np.arange(6, dtype=np.uint8).reshape(2, 3), b"labels": [1, 2], "n": 2.5}
    for protocol in (3, 4):
        loaded = safe_unpickle(pickle.dumps(value, protocol=protocol), "batch")
        np.testing.assert_array_equal(loaded[b"data"], value[b"data"])
        assert loaded[b"data"].dtype == np.uint8
        assert loaded[b"labels"] == [1, 2]
        assert loaded["n"] == 2.5


def test_the_shell_payload_is_live_under_the_standard_unpickler(tmp_path):
    marker = tmp_path / "ran"
    pickle.loads(pickle.dumps(RunsShellCommand(marker)))
    assert marker.exists()


def test_shell_command_in_reduce_is_refused_without_running(tmp_path):
    marker = tmp_path / "pwned"
    payload = pickle.dumps({b"data": RunsShellCommand(marker)})
    with pytest.raises(DatasetError, match=r"batch_1: refusing to unpickle the global posix\.sys"):
        safe_unpickle(payload, "batch_1")
    assert not marker.exists()


@pytest.mark.parametrize(
    ("payload", "global_name"),
    [
        (StartsProcess(), "subprocess.Popen"),
        (CallsEval(), "builtins.eval"),
        (np.float64(1.0), "numpy._core.multiarray.scalar"),
    ],
)
def test_any_other_global_is_refused(payload, global_name):
    with pytest.raises(DatasetError, match=rf"refusing to unpickle the global {global_name}"):
        safe_unpickle(pickle.dumps(payload, protocol=4), "batch")


def test_protocol_2_bytes_need_codecs_which_is_refused():
    with pytest.raises(DatasetError, match=r"global _codecs\.encode"):
        safe_unpickle(pickle.dumps({b"data": b"x"}, protocol=2), "batch")


def test_persistent_ids_are_refused():
    payload = b"\x80\x04\x95\x06\x00\x00\x00\x00\x00\x00\x00\x8c\x01x\x94Q."  # BINPERSID 'x'
    with pytest.raises(DatasetError, match="refusing a pickle persistent id"):
        safe_unpickle(payload, "batch")


@pytest.mark.parametrize(
    "content", [b"", b"not a pickle at all", pickle.dumps([1, 2, 3], protocol=4)[:-3]]
)
def test_garbage_and_truncated_pickles_are_dataset_errors(content):
    with pytest.raises(DatasetError, match=r"^batch: not a valid pickle"):
        safe_unpickle(content, "batch")
