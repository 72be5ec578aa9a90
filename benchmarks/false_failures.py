"""False failures of the oracle at scale: run it on the correct reference over many random cases.

Each case draws a registry entry, its settings (dtype, activation, mode, stride, pad, pool size,
tie pattern, near-kink placement) and its shapes and values from one seed. The oracle must pass
every one; the script prints the number of failures (with their reports) and the time taken.

    python benchmarks/false_failures.py                 # 10,000 cases, 2 processes, full mode
    python benchmarks/false_failures.py --cases 2000 --mode screen --jobs 1

``screen`` mode runs structural checks, the naive twin, the directional screen, the Taylor test and
the complex step on every case, and per-element differences whenever the screen fails; ``full``
runs the per-element differences on every case too.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from verify import oracle, registry

TARGETS = list(registry.REGISTRY)


def run_chunk(task: tuple[int, int, str]) -> tuple[int, list[str]]:
    """Run cases start … stop − 1; return (cases run, failure reports)."""
    start, stop, mode = task
    reports = []
    for index in range(start, stop):
        rng = np.random.default_rng([index, 31337])
        case = registry.random_case(rng, TARGETS[index % len(TARGETS)])
        result = oracle.run_case(case, seed=index, mode=mode)
        if not result.passed:
            reports.append(f"case #{index}:\n{result.report}")
    return stop - start, reports


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--mode", choices=("screen", "full"), default="full")
    args = parser.parse_args(argv)
    chunk = 100
    tasks = [(s, min(s + chunk, args.cases), args.mode) for s in range(0, args.cases, chunk)]
    begin = time.perf_counter()
    if args.jobs > 1:
        with multiprocessing.Pool(args.jobs) as pool:
            outcomes = pool.map(run_chunk, tasks)
    else:
        outcomes = [run_chunk(task) for task in tasks]
    elapsed = time.perf_counter() - begin
    total = sum(n for n, _ in outcomes)
    failures = [report for _, reports in outcomes for report in reports]
    for report in failures:
        print(report, end="\n\n")
    print(
        f"{len(failures)} false failures in {total} cases ({args.mode} mode, {args.jobs} jobs), "
        f"{elapsed:.1f} s"
    )
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
