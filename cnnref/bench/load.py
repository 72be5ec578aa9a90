"""A competing process for the shared-machine case of the benchmark: one core kept busy.

The process is a Python loop that never sleeps, started before the timed repeats and stopped after
them. The benchmark then reports each framework's throughput with it running as a share of the
same case on the otherwise idle machine.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from collections.abc import Iterator

_SPIN = "while True:\n    pass\n"


@contextlib.contextmanager
def one_core_busy(warmup_seconds: float = 0.2) -> Iterator[subprocess.Popen]:
    """Keep one core busy with a spinning child process for the block."""
    child = subprocess.Popen([sys.executable, "-c", _SPIN])
    try:
        time.sleep(warmup_seconds)
        yield child
    finally:
        child.kill()
        child.wait()
