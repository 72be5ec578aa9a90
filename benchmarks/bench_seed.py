"""Time cnnref and PyTorch side by side on the seed network; prints ratios cnnref / PyTorch.

    python benchmarks/bench_seed.py [--quick] [--dtype float32] [--batch 64] [--json out.json]

The same as ``cnnref bench``; the logic lives in cnnref/benchmark.py.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cnnref import bench_cli


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    bench_cli.add_arguments(parser)
    return bench_cli.run(parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
