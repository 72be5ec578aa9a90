"""How fast the grader is: one correct seed submission, and a class of 70 submissions with -j 2.

Targets: a correct seed submission in under 3 s (issue 4); a class of 70 files in under 15 s with
two workers (issue 11). Run from the project root::

    python benchmarks/grade_speed.py            # both measurements
    python benchmarks/grade_speed.py --class-size 20 --jobs 2

The class is the shipped seed examples (correct and buggy, the buggy ones assembled from their
overrides) repeated under different student ids, so every student gets their own values.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from verify.grade.assignments import load_assignment  # noqa: E402
from verify.grade.grading import grade_source  # noqa: E402
from verify.grade.overrides import assemble_file  # noqa: E402
from verify.grade.runner import grade_many, limit_openmp_threads  # noqa: E402
from verify.grade.submission import find_submissions  # noqa: E402

EXAMPLES = ROOT / "examples" / "seed"


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
