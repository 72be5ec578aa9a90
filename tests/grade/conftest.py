"""Shared fixtures of the grader's tests: the project root, the hostile examples assembled into
submissions, and single-threaded reference kernels."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from verify.grade.runner import limit_openmp_threads

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


def _load_assembler():
    path = EXAMPLES / "hostile" / "assemble.py"
    spec = importlib.util.spec_from_file_location("cnnref_examples_hostile_assemble", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


HOSTILE = _load_assembler()


def hostile_submission(name: str, folder: Path, file_name: str | None = None) -> Path:
    """Write the hostile example ``name``, assembled, into ``folder``; returns the file."""
    path = folder / (file_name or f"{name}.py")
    path.write_text(HOSTILE.submission(name), encoding="utf-8")
    return path


@pytest.fixture(scope="session", autouse=True)
def _one_openmp_thread() -> None:
    limit_openmp_threads(1)
