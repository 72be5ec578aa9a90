"""Shared fixtures: the NumPy reference, PyTorch (skipped where absent), a per-dtype comparison, a
fresh interpreter that imports the cnnref under test."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from hypothesis import settings

# Hypothesis profiles of tests/cnnref/test_fuzz.py: "ci" (the default; a fixed seed and a few
# dozen examples per test, seconds in all) and "long" (thousands per test: CNNREF_FUZZ=long, or
# bash .ci/fuzz-long, which also builds and runs the bounds-checked kernels).
settings.register_profile("ci", max_examples=30, deadline=None, derandomize=True)
settings.register_profile("long", max_examples=3000, deadline=None, print_blob=True)
settings.load_profile(os.environ.get("CNNREF_FUZZ", "ci"))

# Relative tolerance per dtype, relative error = max|a − b| / max(max|b|, tiny).
RELATIVE_TOLERANCE = {np.dtype(np.float64): 1e-10, np.dtype(np.float32): 1e-4}


def _load_reference() -> ModuleType:
    path = Path(__file__).parent / "cnnref" / "numpy_reference.py"
    spec = importlib.util.spec_from_file_location("cnnref_tests_numpy_reference", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def ref() -> ModuleType:
    """The plain NumPy implementation in tests/cnnref/numpy_reference.py."""
    return _load_reference()


@pytest.fixture(scope="session")
def torch():
    """PyTorch on one thread (the suite runs in parallel workers); skips the test where absent."""
    module = pytest.importorskip("torch")
    module.set_num_threads(1)
    return module


def _relative_error(actual: np.ndarray, expected: np.ndarray) -> float:
    scale = max(float(np.max(np.abs(expected), initial=0.0)), np.finfo(np.float64).tiny)
    return float(np.max(np.abs(actual - expected), initial=0.0)) / scale


def _check_close(actual, expected, dtype, what: str = "") -> None:
    """Assert actual ≈ expected within the tolerance of ``dtype``; on failure show both sides."""
    actual = np.asarray(actual)
    expected = np.asarray(expected)
    label = f"{what}: " if what else ""
    assert actual.shape == expected.shape, (
        f"{label}cnnref shape {actual.shape} vs reference shape {expected.shape}"
    )
    tolerance = RELATIVE_TOLERANCE[np.dtype(dtype)]
    a64 = actual.astype(np.float64)
    e64 = expected.astype(np.float64)
    error = _relative_error(a64, e64)
    if not error <= tolerance:
        worst = np.unravel_index(np.argmax(np.abs(a64 - e64)), a64.shape) if a64.size else ()
        raise AssertionError(
            f"{label}relative error {error:.3e} > {tolerance:.0e} ({np.dtype(dtype)}); "
            f"worst at index {tuple(int(i) for i in worst)}: cnnref {float(a64[worst])!r} vs "
            f"reference {float(e64[worst])!r}\ncnnref:\n{np.array2string(a64, threshold=60)}\n"
            f"reference:\n{np.array2string(e64, threshold=60)}"
        )


@pytest.fixture(scope="session")
def assert_close():
    """``assert_close(actual, expected, dtype, what)`` with the suite's per-dtype tolerance."""
    return _check_close


def _run_child(code: str, cwd, *, text: bool = True, **environment: str):
    """Run ``code`` in a fresh interpreter that imports the cnnref these tests import (built in
    place or installed), from ``cwd``, a folder holding no source checkout (a checkout without
    its built kernels would shadow an installed cnnref); stdout and stderr captured."""
    import cnnref

    home = os.path.dirname(os.path.dirname(cnnref.__file__))
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, **environment, "PYTHONPATH": home},
        cwd=cwd,
        capture_output=True,
        text=text,
        timeout=120,
    )


@pytest.fixture(scope="session")
def run_child():
    """``run_child(code, cwd, text=True, **environment)``: ``code`` in a fresh interpreter."""
    return _run_child
