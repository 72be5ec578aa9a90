"""Building the documentation in a subprocess, shared by the docs tests."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"
BUILD_TIMEOUT_S = 300


def _package_root(name: str) -> str | None:
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        return None
    return str(Path(spec.origin).resolve().parents[1])


def run_sphinx(builder: str, source: Path, out: Path) -> subprocess.CompletedProcess[str]:
    """Run ``sphinx-build -W --keep-going -b <builder>`` on ``source`` into ``out/<builder>``, with
    the cnnref and verify this test session imports first on the path."""
    roots = [root for root in (_package_root("cnnref"), _package_root("verify")) if root]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([*roots, env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    command = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", builder]
    command += ["-d", str(out / "doctrees"), str(source), str(out / builder)]
    out.mkdir(parents=True, exist_ok=True)
    # cwd=out: `python -m` puts the working directory first on sys.path, and a source checkout's
    # cnnref/ has no compiled kernels unless built in place.
    return subprocess.run(
        command,
        env=env,
        cwd=out,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_S,
        check=False,
    )


@pytest.fixture(scope="session")
def sphinx() -> Callable[[str, Path, Path], subprocess.CompletedProcess[str]]:
    """``sphinx(builder, source, out)``: :func:`run_sphinx`."""
    return run_sphinx
