"""Shared fixtures of the grader's tests: the project root and single-threaded reference kernels."""

from __future__ import annotations

from pathlib import Path

import pytest

from verify.grade.runner import limit_openmp_threads

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


@pytest.fixture(scope="session", autouse=True)
def _one_openmp_thread() -> None:
    limit_openmp_threads(1)
