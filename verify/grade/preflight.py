"""Checks of the grader's own options before any student code runs: a bad option is the grader's
error, never a student's failure.

The memory limit is tried out once: a child with the same address-space limit must be able to
start Python and import NumPy, or every student would fail with "exited with code 1".
"""

from __future__ import annotations

import resource
import subprocess
import sys
import threading
from pathlib import Path

from .sandbox import Limits

# The largest --timeout Python's waits take (threading.TIMEOUT_MAX, ~292 years), and the largest
# --memory an address-space limit in bytes can express: beyond them a wait raises OverflowError
# mid-grading, and setrlimit fails as if NumPy could not start.
MAX_TIMEOUT = threading.TIMEOUT_MAX
MAX_MEMORY_MB = (2**63 - 1) >> 20


def positive(name: str, value: float, maximum: float) -> float:
    """``value`` if 0 < value <= maximum; ValueError naming the option otherwise."""
    if not value > 0:
        raise ValueError(f"{name} must be positive, got {value:g}")
    if not value <= maximum:
        raise ValueError(f"{name} must be at most {maximum:.0f}, got {value:g}")
    return value


def memory_starts_numpy(memory_mb: int) -> bool:
    """Whether Python with NumPy starts under an address-space limit of ``memory_mb`` MB."""
    limit = memory_mb << 20

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    try:
        done = subprocess.run(
            [sys.executable, "-I", "-c", "import numpy"],
            preexec_fn=cap,
            capture_output=True,
            timeout=60,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


def check_limits(limits: Limits) -> Limits:
    """``limits`` if they let a submission run at all; ValueError saying which option to raise."""
    positive("--timeout", limits.call_timeout, MAX_TIMEOUT)
    positive("--memory", limits.memory_mb, MAX_MEMORY_MB)
    if not memory_starts_numpy(limits.memory_mb):
        raise ValueError(
            f"--memory {limits.memory_mb} MB is too small to start Python with NumPy "
            "(the grader's limit, not a student's fault): raise --memory"
        )
    return limits


def check_path(path: Path) -> Path:
    """``path`` if it exists; ValueError saying it does not."""
    if not path.exists():
        raise ValueError(f"{path} does not exist")
    return path
