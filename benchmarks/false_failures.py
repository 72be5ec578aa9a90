"""False failures of the oracle at scale: run it on the correct reference over many random cases.

Each case draws a registry entry, its settings (dtype, activation, mode, stride, pad, pool size,
tie pattern, near-kink placement) and its shapes and values from one seed. The oracle must pass
every one; the script prints the number of failures (with their reports), the time taken, cases
per second and the CPU time per case (which other jobs on the machine do not inflate as much).

    python benchmarks/false_failures.py                 # 10,000 cases, 2 processes, full mode
    python benchmarks/false_failures.py --cases 2000 --mode screen --jobs 1
    python benchmarks/false_failures.py --cases 1000000 --targets backprop grad_c   # a subset

``screen`` mode runs structural checks, the naive twin, the directional screen, the Taylor test and
the complex step on every case, and per-element differences whenever the screen fails; ``full``
runs the per-element differences on every case too.
"""

from __future__ import annotations

import os

# Each worker is one process on one core: library threads (cnnref's OpenMP pool, NumPy's OpenBLAS)
# would only fight the other workers for the cores. Read when the libraries load, so set first.
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import argparse  # noqa: E402
import multiprocessing  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from verify import oracle, registry  # noqa: E402

TARGETS = list(registry.REGISTRY)


def run_chunk(task: tuple[int, int, str, frozenset[str]]) -> tuple[int, list[str], float]:
    """Run cases start … stop − 1 whose target is in ``only`` (all when empty); return (cases
    run, failure reports, CPU seconds). Case #i is the same case whatever the selection."""
    start, stop, mode, only = task
    cpu = time.process_time()
    reports = []
    run = 0
    for index in range(start, stop):
        target = TARGETS[index % len(TARGETS)]
        if only and target not in only:
            continue
        run += 1
        rng = np.random.default_rng([index, 31337])
        case = registry.random_case(rng, target)
        result = oracle.run_case(case, seed=index, mode=mode)
        if not result.passed:
            reports.append(f"case #{index}:\n{result.report}")
    return run, reports, time.process_time() - cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000, help="case indices 0 … CASES − 1")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes")
    parser.add_argument("--mode", choices=("screen", "full"), default="full")
    parser.add_argument(
        "--targets",
        nargs="+",
        choices=TARGETS,
        default=(),
        metavar="NAME",
        help="run only the cases of these registry entries (same indices, same cases)",
    )
    parser.add_argument(
        "--progress", type=int, default=0, metavar="K", help="print a line every K chunks"
    )
    args = parser.parse_args(argv)
    chunk = 100
    only = frozenset(args.targets)
    tasks = [(s, min(s + chunk, args.cases), args.mode, only) for s in range(0, args.cases, chunk)]
    begin = time.perf_counter()
    outcomes = []
    with multiprocessing.Pool(args.jobs) if args.jobs > 1 else _Serial() as pool:
        for done, outcome in enumerate(pool.imap(run_chunk, tasks), start=1):
            outcomes.append(outcome)
            if args.progress and done % args.progress == 0:
                run = sum(n for n, _, _ in outcomes)
                failed = sum(len(r) for _, r, _ in outcomes)
                rate = run / (time.perf_counter() - begin)
                print(f"  {run} cases, {failed} failures, {rate:.0f} cases/s", flush=True)
    elapsed = time.perf_counter() - begin
    total = sum(n for n, _, _ in outcomes)
    cpu = sum(seconds for _, _, seconds in outcomes)
    failures = [report for _, reports, _ in outcomes for report in reports]
    for report in failures:
        print(report, end="\n\n")
    selection = f", targets {' '.join(sorted(only))}" if only else ""
    print(
        f"{len(failures)} false failures in {total} cases ({args.mode} mode, {args.jobs} jobs"
        f"{selection}), {elapsed:.1f} s, {total / elapsed:.0f} cases/s"
        f" ({1000 * cpu / max(total, 1):.2f} ms of CPU per case)"
    )
    return 0 if not failures else 1


class _Serial:
    """The in-process stand-in for a one-job pool."""

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None

    @staticmethod
    def imap(function, tasks):
        return map(function, tasks)


if __name__ == "__main__":
    sys.exit(main())
