"""Checkpoints: exact round trip, allow_pickle=False, atomic writes, clear errors on bad files."""

from __future__ import annotations

import json
import os
import zipfile

import numpy as np
import pytest

from cnnref.training import checkpoint as checkpoint_module
from cnnref.training.checkpoint import (
    Checkpoint,
    CheckpointError,
    check_parameters,
    load_checkpoint,
    save_checkpoint,
)


def sample_checkpoint(epoch: int = 3) -> Checkpoint:
    rng = np.random.default_rng(0)
    return Checkpoint(
        parameters={
            "layers.0.w": rng.standard_normal((5, 5, 1, 4)).astype(np.float32),
            "layers.0.b": np.zeros(4, np.float32),
        },
        optimizer_state={"velocity/layers.0.w": rng.standard_normal((5, 5, 1, 4))},
        epoch=epoch,
        step=2,
        training={"rng_state": {"state": 2**100 + 7}, "metrics": [{"epoch": 1, "loss": 0.5}]},
        config={"dataset": "mnist", "normalization": {"mean": [0.1], "std": [0.3]}},
    )


def test_round_trip_is_exact(tmp_path):
    path = tmp_path / "checkpoint.npz"
    original = sample_checkpoint()
    save_checkpoint(path, original)
    loaded = load_checkpoint(path)
    assert loaded.epoch == 3 and loaded.step == 2
    assert loaded.training == original.training  # the 128-bit RNG state survives JSON
    assert loaded.config == original.config
    for name, value in original.parameters.items():
        np.testing.assert_array_equal(loaded.parameters[name], value)
        assert loaded.parameters[name].dtype == value.dtype
    np.testing.assert_array_equal(
        loaded.optimizer_state["velocity/layers.0.w"],
        original.optimizer_state["velocity/layers.0.w"],
    )


def test_file_holds_no_pickled_objects(tmp_path):
    path = tmp_path / "c.npz"
    save_checkpoint(path, sample_checkpoint())
    with np.load(path, allow_pickle=False) as archive:
        kinds = {key: archive[key].dtype.kind for key in archive.files}
    assert "O" not in kinds.values()
    assert kinds["config"] == "U" and kinds["epoch"] == "i"


def test_overwrite_replaces_and_leaves_no_temporary_files(tmp_path):
    path = tmp_path / "checkpoint.npz"
    save_checkpoint(path, sample_checkpoint(epoch=1))
    save_checkpoint(path, sample_checkpoint(epoch=2))
    assert load_checkpoint(path).epoch == 2
    assert [p.name for p in tmp_path.iterdir()] == ["checkpoint.npz"]


def test_crash_mid_write_keeps_the_last_good_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / "checkpoint.npz"
    save_checkpoint(path, sample_checkpoint(epoch=1))

    def savez_that_dies(handle, **arrays):
        handle.write(b"PK\x03\x04 half a zip")
        raise OSError("disk full")

    monkeypatch.setattr(checkpoint_module.np, "savez", savez_that_dies)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(path, sample_checkpoint(epoch=2))
    monkeypatch.undo()
    assert load_checkpoint(path).epoch == 1
    assert [p.name for p in tmp_path.iterdir()] == ["checkpoint.npz"]


def test_truncated_file_names_file_and_problem(tmp_path):
    path = tmp_path / "checkpoint.npz"
    save_checkpoint(path, sample_checkpoint())
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match=r"checkpoint.npz: not a readable .npz") as info:
        load_checkpoint(path)
    assert info.value.path == str(path)


def test_corrupted_bytes_are_detected(tmp_path):
    path = tmp_path / "checkpoint.npz"
    save_checkpoint(path, sample_checkpoint())
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("param/layers.0.w.npy")
    middle = info.header_offset + 200  # inside the stored array bytes
    data[middle : middle + 8] = b"\xff" * 8
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="corrupt"):
        load_checkpoint(path)


def test_not_a_checkpoint_at_all(tmp_path):
    text = tmp_path / "notes.npz"
    text.write_text("hello")
    with pytest.raises(CheckpointError, match=r"notes\.npz"):
        load_checkpoint(text)
    with pytest.raises(CheckpointError, match="no such file"):
        load_checkpoint(tmp_path / "missing.npz")
    other = tmp_path / "other.npz"
    np.savez(other, weights=np.zeros(3))
    with pytest.raises(CheckpointError, match="missing entries"):
        load_checkpoint(other)


def test_bad_entries_are_reported(tmp_path):
    path = tmp_path / "c.npz"
    base = {
        "format": np.array(1),
        "epoch": np.array(1),
        "step": np.array(0),
        "training": np.array("{}"),
        "config": np.array("{}"),
    }
    np.savez(path, **dict(base, format=np.array(99)))
    with pytest.raises(CheckpointError, match="format version 99"):
        load_checkpoint(path)
    np.savez(path, **dict(base, config=np.array("{not json")))
    with pytest.raises(CheckpointError, match="'config' is not valid JSON"):
        load_checkpoint(path)
    np.savez(path, **dict(base, epoch=np.array(1.5)))
    with pytest.raises(CheckpointError, match="'epoch' must be a 0-d integer"):
        load_checkpoint(path)
    np.savez(path, **dict(base, training=np.array(json.dumps([1, 2]))))
    with pytest.raises(CheckpointError, match="JSON object"):
        load_checkpoint(path)


def test_check_parameters_names_the_mismatch(tmp_path):
    path = tmp_path / "c.npz"
    save_checkpoint(path, sample_checkpoint())
    loaded = load_checkpoint(path)
    check_parameters(loaded, loaded.parameters)
    wrong_shape = dict(loaded.parameters, **{"layers.0.w": np.zeros((5, 5, 3, 4), np.float32)})
    with pytest.raises(CheckpointError, match=r"c.npz: architecture mismatch: layers\.0\.w"):
        check_parameters(loaded, wrong_shape)
    extra = dict(loaded.parameters, **{"layers.2.w": np.zeros(3, np.float32)})
    with pytest.raises(CheckpointError, match="missing from the file"):
        check_parameters(loaded, extra)


def test_object_arrays_are_refused(tmp_path):
    bad = sample_checkpoint()
    bad.parameters["layers.0.b"] = np.array([{"a": 1}], dtype=object)
    with pytest.raises(TypeError, match="object"):
        save_checkpoint(tmp_path / "c.npz", bad)


def test_deeply_nested_json_and_a_folder_are_checkpoint_errors(tmp_path):
    path = tmp_path / "checkpoint.npz"
    save_checkpoint(path, sample_checkpoint())
    with np.load(path) as archive:
        entries = {key: archive[key] for key in archive.files}
    entries["training"] = np.array("[" * 100_000 + "]" * 100_000)  # once a RecursionError
    np.savez(path, **entries)
    with pytest.raises(CheckpointError, match=r"entry 'training' is not valid JSON"):
        load_checkpoint(path)
    with pytest.raises(CheckpointError, match=r"a folder, not a file"):
        load_checkpoint(tmp_path)
    fifo = tmp_path / "fifo.npz"
    os.mkfifo(fifo)
    with pytest.raises(CheckpointError, match=r"fifo\.npz: not a regular file"):
        load_checkpoint(fifo)  # once "no such file"


def test_saving_something_that_is_no_checkpoint_is_a_type_error(tmp_path):
    with pytest.raises(TypeError, match=r"checkpoint must be a Checkpoint .*got NoneType"):
        save_checkpoint(tmp_path / "c.npz", None)  # once AttributeError: no attribute 'epoch'
    assert not list(tmp_path.iterdir())
