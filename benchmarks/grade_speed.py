"""How fast the grader is: the sandbox's start-up, one correct seed submission, and a class.

Targets: a bubblewrap sandbox adds at most 100 ms per student over a plain child process (issue
12); a correct seed submission in under 3 s; a class of 70 submissions in under 15 s with two
workers. Run from the project root::

    python benchmarks/grade_speed.py            # every measurement
    python benchmarks/grade_speed.py --class-size 20 --jobs 2

The start-up is the time from creating a child to the answer of its first call (Python and NumPy
start, the guards go up, the module loads), as a median over ``--repeats`` children in each mode.
The class is the shipped seed examples (correct and buggy, the buggy ones assembled from their
overrides) repeated under different student ids, so every student gets their own values.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from verify.grade.assignments import load_assignment  # noqa: E402
from verify.grade.grading import grade_source  # noqa: E402
from verify.grade.isolation import MODE_VARIABLE, isolation  # noqa: E402
from verify.grade.overrides import assemble_file  # noqa: E402
from verify.grade.runner import grade_many, limit_openmp_threads  # noqa: E402
from verify.grade.sandbox import Sandbox  # noqa: E402
from verify.grade.submission import find_submissions  # noqa: E402

EXAMPLES = ROOT / "examples" / "seed"


def time_startup(mode: str, repeats: int) -> list[float]:
    """Seconds from a new child to the reply of its first call, with ``mode`` ("auto" or
    "process") as the isolation, ``repeats`` times."""
    saved = os.environ.get(MODE_VARIABLE)
    os.environ[MODE_VARIABLE] = mode
    try:
        isolation()  # the one-time probe is not part of a student's start-up
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            with Sandbox("def ready():\n    return 1\n") as box:
                assert box.call("ready", [], keep=0).ok
                times.append(time.perf_counter() - start)
        return times
    finally:
        if saved is None:
            del os.environ[MODE_VARIABLE]
        else:
            os.environ[MODE_VARIABLE] = saved


def time_one(repeats: int) -> list[float]:
    """Wall-clock seconds to grade the correct seed submission, ``repeats`` times."""
    assignment = load_assignment("seed")
    source = (EXAMPLES / "correct.py").read_text()
    times = []
    for i in range(repeats):
        start = time.perf_counter()
        result = grade_source(assignment, f"student{i}", source)
        times.append(time.perf_counter() - start)
        assert result.score == result.max_score, result.score
    return times


def time_class(size: int, jobs: int) -> float:
    """Wall-clock seconds to grade ``size`` submissions into a fresh results folder."""
    examples = sorted(EXAMPLES.glob("*.py"))
    with tempfile.TemporaryDirectory() as folder:
        submissions, out = Path(folder) / "class", Path(folder) / "grades"
        submissions.mkdir()
        for i in range(size):
            example = examples[i % len(examples)]
            full = example.read_text() if example.name == "correct.py" else assemble_file(example)
            (submissions / f"student{i:03d}.py").write_text(full)
        start = time.perf_counter()
        results = grade_many(load_assignment("seed"), find_submissions(submissions), out, jobs)
        seconds = time.perf_counter() - start
        assert len(results) == size
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--class-size", type=int, default=70)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    limit_openmp_threads(1)
    found = isolation()
    plain = statistics.median(time_startup("process", 4 * args.repeats))
    print(f"child start-up, process isolation only: median {plain * 1000:.0f} ms")
    if found.namespaces:
        boxed = statistics.median(time_startup("auto", 4 * args.repeats))
        print(
            f"child start-up, {found.description}: median {boxed * 1000:.0f} ms "
            f"(+{(boxed - plain) * 1000:.0f} ms; target <= +100 ms)"
        )
    else:
        print(f"no namespaces here ({found.description}): the class below ran without them")
    one = time_one(args.repeats)
    print(
        f"correct seed submission: median {statistics.median(one):.2f} s, "
        f"max {max(one):.2f} s over {len(one)} runs (target < 3 s)"
    )
    seconds = time_class(args.class_size, args.jobs)
    print(
        f"{args.class_size} submissions with -j {args.jobs}: {seconds:.1f} s "
        f"({seconds / args.class_size:.2f} s each; target < 15 s for 70)"
    )


if __name__ == "__main__":
    main()
