"""Where datasets are looked for, in which order, and what the not-found error says."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from cnnref.training.data import DatasetError, DatasetNotFoundError, default_cache_dir
from cnnref.training.data.catalog import DATASETS, dataset_spec
from cnnref.training.data.locate import locate, search_places

IDX_NAMES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)
UNPATCHED_FASHION_MNIST = DATASETS["fashion-mnist"]
CIFAR_BATCHES = ("data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5")


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path, monkeypatch) -> Path:
    """Every test gets its own cache and a Fashion-MNIST system folder under tmp_path."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("CNNREF_DATA", str(cache))
    spec = dataclasses.replace(DATASETS["fashion-mnist"], system_dirs=(str(tmp_path / "system"),))
    monkeypatch.setitem(DATASETS, "fashion-mnist", spec)
    return cache


def touch_idx(folder: Path, suffix: str = ".gz", names=IDX_NAMES) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / f"{name}{suffix}").write_bytes(b"")


def test_cache_dir_prefers_cnnref_data(monkeypatch, tmp_path):
    monkeypatch.setenv("CNNREF_DATA", str(tmp_path / "explicit"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "explicit"


def test_cache_dir_falls_back_to_xdg_then_home(monkeypatch, tmp_path):
    monkeypatch.delenv("CNNREF_DATA")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "cnnref"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_cache_dir() == tmp_path / "home" / ".cache" / "cnnref"


def test_empty_variables_count_as_unset(monkeypatch, tmp_path):
    monkeypatch.setenv("CNNREF_DATA", "")
    monkeypatch.setenv("XDG_CACHE_HOME", "")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert default_cache_dir() == tmp_path / ".cache" / "cnnref"


def test_search_order(tmp_path, isolated_cache):
    places = search_places(dataset_spec("fashion-mnist"), tmp_path / "data")
    assert places == [
        tmp_path / "data",
        tmp_path / "data" / "fashion-mnist",
        isolated_cache / "fashion-mnist",
        tmp_path / "system",
    ]
    assert search_places(dataset_spec("mnist"), None) == [isolated_cache / "mnist"]


def test_only_fashion_mnist_has_a_system_folder_debians():
    assert UNPATCHED_FASHION_MNIST.system_dirs == ("/usr/share/datasets/fashion-mnist",)
    assert dataset_spec("mnist").system_dirs == ()
    assert dataset_spec("cifar10").system_dirs == ()


def test_data_dir_wins_over_cache_and_system(tmp_path, isolated_cache):
    for folder in (tmp_path / "data", isolated_cache / "fashion-mnist", tmp_path / "system"):
        touch_idx(folder)
    found = locate(dataset_spec("fashion-mnist"), tmp_path / "data")
    assert found.kind == "idx"
    assert found.paths["train_images"] == tmp_path / "data" / "train-images-idx3-ubyte.gz"


def test_named_subfolder_of_data_dir(tmp_path):
    touch_idx(tmp_path / "data" / "mnist", suffix="")
    found = locate(dataset_spec("mnist"), tmp_path / "data")
    assert found.paths["test_labels"] == tmp_path / "data" / "mnist" / "t10k-labels-idx1-ubyte"


def test_cache_wins_over_system(tmp_path, isolated_cache):
    touch_idx(isolated_cache / "fashion-mnist")
    touch_idx(tmp_path / "system")
    found = locate(dataset_spec("fashion-mnist"), None)
    assert found.paths["train_labels"].parent == isolated_cache / "fashion-mnist"


def test_system_folder_is_the_last_resort(tmp_path):
    touch_idx(tmp_path / "system")
    found = locate(dataset_spec("fashion-mnist"), tmp_path / "empty")
    assert found.paths["test_images"].parent == tmp_path / "system"


def test_raw_and_gz_files_may_be_mixed(tmp_path):
    touch_idx(tmp_path / "data", ".gz", IDX_NAMES[:2])
    touch_idx(tmp_path / "data", "", IDX_NAMES[2:])
    found = locate(dataset_spec("mnist"), tmp_path / "data")
    assert found.paths["train_images"].name == "train-images-idx3-ubyte.gz"
    assert found.paths["test_images"].name == "t10k-images-idx3-ubyte"


def test_incomplete_copy_is_skipped_and_reported(tmp_path, isolated_cache):
    touch_idx(tmp_path / "data", names=IDX_NAMES[:3])
    touch_idx(isolated_cache / "mnist")
    found = locate(dataset_spec("mnist"), tmp_path / "data")
    assert found.paths["train_images"].parent == isolated_cache / "mnist"


def test_not_found_lists_every_place_and_suggests_download(tmp_path, isolated_cache):
    touch_idx(tmp_path / "data", names=IDX_NAMES[:3])
    (tmp_path / "system").write_text("a file, not a folder")
    with pytest.raises(DatasetNotFoundError) as caught:
        locate(dataset_spec("fashion-mnist"), tmp_path / "data")
    message = str(caught.value)
    assert message.startswith("no complete copy of fashion-mnist found. Looked in:\n")
    assert f"  {tmp_path / 'data'} (incomplete: lacks t10k-labels-idx1-ubyte[.gz])" in message
    assert f"  {tmp_path / 'data' / 'fashion-mnist'} (does not exist)" in message
    assert f"  {isolated_cache / 'fashion-mnist'} (does not exist)" in message
    assert f"  {tmp_path / 'system'} (not a folder)" in message
    assert "train-images-idx3-ubyte[.gz]" in message
    cache = isolated_cache / "fashion-mnist"
    assert (
        f"Run with --download (load_dataset(..., download=True)) to fetch it into {cache}"
        in message
    )
    assert isinstance(caught.value, DatasetError)
    assert isinstance(caught.value, FileNotFoundError)


def test_empty_folder_is_reported_as_such(tmp_path, isolated_cache):
    (isolated_cache / "mnist").mkdir(parents=True)
    with pytest.raises(DatasetNotFoundError, match=r"mnist \(no IDX files\)"):
        locate(dataset_spec("mnist"), None)


def test_cifar_folder_archive_and_bare_batches(tmp_path):
    spec = dataset_spec("cifar10")
    bare = tmp_path / "bare"
    bare.mkdir()
    for name in (*CIFAR_BATCHES, "test_batch"):
        (bare / name).write_bytes(b"")
    assert locate(spec, bare).kind == "cifar10-folder"
    assert locate(spec, bare).paths["cifar10"] == bare

    nested = tmp_path / "nested"
    (nested / "cifar-10-batches-py").mkdir(parents=True)
    for name in (*CIFAR_BATCHES, "test_batch"):
        (nested / "cifar-10-batches-py" / name).write_bytes(b"")
    (nested / "cifar-10-python.tar.gz").write_bytes(b"")
    found = locate(spec, nested)
    assert found.kind == "cifar10-folder"  # the extracted folder is preferred: no decompression
    assert found.paths["cifar10"] == nested / "cifar-10-batches-py"

    archive_only = tmp_path / "archive"
    archive_only.mkdir()
    (archive_only / "cifar-10-python.tar.gz").write_bytes(b"")
    found = locate(spec, archive_only)
    assert found.kind == "cifar10-archive"
    assert found.paths["cifar10"] == archive_only / "cifar-10-python.tar.gz"


def test_cifar_not_found_message(tmp_path):
    (tmp_path / "cifar-10-batches-py").mkdir()
    (tmp_path / "cifar-10-batches-py" / "data_batch_1").write_bytes(b"")
    with pytest.raises(
        DatasetNotFoundError, match="no cifar-10-batches-py folder with data_batch_1"
    ):
        locate(dataset_spec("cifar10"), tmp_path)


def test_unknown_name_and_bad_data_dir():
    with pytest.raises(ValueError, match="name must be one of 'mnist', 'fashion-mnist', 'cifar10'"):
        dataset_spec("imagenet")
    with pytest.raises(TypeError, match="name must be a str, got int"):
        dataset_spec(3)
    with pytest.raises(TypeError, match=r"data_dir must be a str, os\.PathLike or None, got int"):
        search_places(dataset_spec("mnist"), 5)
