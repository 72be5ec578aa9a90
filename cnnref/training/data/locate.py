"""Where a dataset is looked for: ``data_dir`` (and its ``<name>`` subfolder), the per-user cache,
then a system folder (Debian's ``dataset-fashion-mnist`` package, for Fashion-MNIST only)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .catalog import IDX_FILES, DatasetSpec
from .cifar import CIFAR10_ARCHIVE, CIFAR10_FOLDER, TEST_BATCHES, TRAIN_BATCHES
from .errors import DatasetNotFoundError


@dataclass(frozen=True)
class Found:
    """A complete copy of a dataset: ``kind`` is "idx", "cifar10-folder" or "cifar10-archive";
    ``paths`` maps each IDX role (train_images, …) to its file, or "cifar10" to the folder or
    archive."""

    kind: str
    paths: dict[str, Path]


def default_cache_dir() -> Path:
    """The per-user data cache: $CNNREF_DATA if set, else $XDG_CACHE_HOME/cnnref, else
    ~/.cache/cnnref."""
    explicit = os.environ.get("CNNREF_DATA")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg:
        return Path(xdg).expanduser() / "cnnref"
    return Path.home() / ".cache" / "cnnref"


def dataset_cache_dir(spec: DatasetSpec) -> Path:
    """The cache folder of one dataset, where ``download`` puts its files."""
    return default_cache_dir() / spec.name


def search_places(spec: DatasetSpec, data_dir: str | os.PathLike | None) -> list[Path]:
    """The folders looked in, in order."""
    places = []
    if data_dir is not None:
        if not isinstance(data_dir, (str, os.PathLike)):
            kind = type(data_dir).__name__
            raise TypeError(f"data_dir must be a str, os.PathLike or None, got {kind}")
        data_dir = Path(data_dir).expanduser()
        places += [data_dir, data_dir / spec.name]
    places.append(dataset_cache_dir(spec))
    places += [Path(folder) for folder in spec.system_dirs]
    return places


def locate(spec: DatasetSpec, data_dir: str | os.PathLike | None) -> Found:
    """The first complete copy of ``spec`` in ``search_places``; if there is none,
    ``DatasetNotFoundError`` lists every place looked and what each one lacked."""
    report = []
    for place in search_places(spec, data_dir):
        found, why_not = find_in(place, spec)
        if found is not None:
            return found
        report.append(f"  {place} ({why_not})")
    raise DatasetNotFoundError(
        f"no complete copy of {spec.name} found. Looked in:\n"
        + "\n".join(report)
        + f"\nA copy is {expected_layout(spec)}."
        + f"\nRun with --download (load_dataset(..., download=True)) to fetch it into "
        f"{dataset_cache_dir(spec)}, or pass --data-dir pointing at a folder that holds it."
    )


def find_in(place: Path, spec: DatasetSpec) -> tuple[Found | None, str]:
    """A complete copy of ``spec`` directly in ``place``, or None and the reason why not."""
    if not place.is_dir():
        return None, "does not exist" if not place.exists() else "not a folder"
    if spec.format == "idx":
        return _find_idx(place)
    return _find_cifar10(place)


def expected_layout(spec: DatasetSpec) -> str:
    """A sentence describing the files a place must hold."""
    if spec.format == "idx":
        return "the four files " + ", ".join(f"{stem}[.gz]" for stem in IDX_FILES.values())
    return f"a {CIFAR10_FOLDER} folder (or its contents), or the {CIFAR10_ARCHIVE} archive"


def _find_idx(place: Path) -> tuple[Found | None, str]:
    paths: dict[str, Path] = {}
    missing = []
    for role, stem in IDX_FILES.items():
        candidates = [place / stem, place / f"{stem}.gz"]
        present = [path for path in candidates if path.is_file()]
        if present:
            paths[role] = present[0]
        else:
            missing.append(f"{stem}[.gz]")
    if missing:
        if not paths:
            return None, "no IDX files"
        return None, f"incomplete: lacks {', '.join(missing)}"
    return Found("idx", paths), ""


def _find_cifar10(place: Path) -> tuple[Found | None, str]:
    batches = TRAIN_BATCHES + TEST_BATCHES
    for folder in (place / CIFAR10_FOLDER, place):
        if all((folder / name).is_file() for name in batches):
            return Found("cifar10-folder", {"cifar10": folder}), ""
    archive = place / CIFAR10_ARCHIVE
    if archive.is_file():
        return Found("cifar10-archive", {"cifar10": archive}), ""
    return None, f"no {CIFAR10_FOLDER} folder with {', '.join(batches)}, no {CIFAR10_ARCHIVE}"
