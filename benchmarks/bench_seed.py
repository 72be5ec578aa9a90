"""Time cnnref and PyTorch side by side on the seed network; prints ratios cnnref / PyTorch.

    python benchmarks/bench_seed.py [--quick] [--dtype float32] [--batch 64] [--json out.json]

The same as ``cnnref bench``; the logic lives in cnnref/bench/seed.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cnnref.cli import main

if __name__ == "__main__":
    sys.exit(main(["bench", *sys.argv[1:]]))
