"""``cnnref grade``: grade a submission file, a notebook, or a folder of them."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from verify.grade.assignments import BUILTIN, load_assignment
from verify.grade.isolation import SandboxUnavailable, require_namespaces
from verify.grade.preflight import check_limits, check_path
from verify.grade.report import (
    FEEDBACK_LEVELS,
    class_summary,
    for_audience,
    gradescope,
    printable,
    terminal,
    write_json,
)
from verify.grade.runner import grade_many, result_path, select_shard
from verify.grade.sandbox import Limits
from verify.grade.submission import find_submissions, load_file, load_folder_as_one

from ..validation import output_file_option, output_folder_option, positive_int_option


def _shard(text: str) -> tuple[int, int]:
    index, _, count = text.partition("/")
    try:
        return int(index), int(count)
    except ValueError:
        raise argparse.ArgumentTypeError(f"shard must look like 2/5, got {text!r}") from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``cnnref grade``."""
    parser.add_argument(
        "assignment", help=f"{' or '.join(BUILTIN)}, or the path of your own assignment .py"
    )
    parser.add_argument("path", type=Path, help="a .py or .ipynb submission, or a folder of them")
    parser.add_argument(
        "--student", help="the student id of a single submission (seeds its inputs)"
    )
    parser.add_argument(
        "--one", action="store_true", help="PATH is a folder holding one submission"
    )
    parser.add_argument(
        "-o",
        "--out",
        type=output_folder_option,
        help="results folder (default: grades/ for a folder)",
    )
    parser.add_argument(
        "--json", type=output_file_option, help="write the result of a single submission as JSON"
    )
    parser.add_argument(
        "--gradescope", type=output_file_option, help="write Gradescope's results.json here"
    )
    parser.add_argument(
        "--feedback",
        choices=FEEDBACK_LEVELS,
        default="instructor",
        help="instructor: everything; student: no expected values, for the terminal, --json and "
        "--gradescope (default: instructor)",
    )
    parser.add_argument(
        "-j",
        "--jobs",
        type=positive_int_option,
        default=os.cpu_count() or 1,
        help="students graded at once (default: all cores)",
    )
    parser.add_argument("--force", action="store_true", help="grade again students already graded")
    parser.add_argument("--shard", type=_shard, help="grade only shard i of n (e.g. 1/4)")
    parser.add_argument(
        "--timeout",
        type=float,
        default=Limits.call_timeout,
        help=f"seconds per call (default: {Limits.call_timeout:g})",
    )
    parser.add_argument(
        "--memory",
        type=int,
        default=Limits.memory_mb,
        help=f"MB of address space per submission (default: {Limits.memory_mb})",
    )
    parser.add_argument(
        "--require-sandbox",
        action="store_true",
        help="refuse to grade (exit 2) where student code cannot run in bubblewrap namespaces",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="print only the class summary")


def run(args: argparse.Namespace) -> int:
    """Grade, print, write the requested files; 0 when grading ran (whatever the scores), 2 on
    a usage error (a bad option, a path that does not exist, a folder without submissions). A
    submission that cannot be read is the student's: graded 0, its reason said once."""
    try:
        if args.require_sandbox:
            require_namespaces()
        assignment = load_assignment(args.assignment)
        limits = check_limits(Limits(call_timeout=args.timeout, memory_mb=args.memory))
        single = check_path(args.path).is_file() or args.one
        if args.one and not args.path.is_dir():
            raise ValueError(
                f"--one: {args.path} is not a folder; --one grades a folder holding one "
                "submission (drop --one to grade the file itself)"
            )
        if single:
            submission = (load_folder_as_one if args.one else load_file)(args.path, args.student)
            submissions = [submission]
        else:
            submissions = select_shard(find_submissions(args.path), args.shard)
            if not submissions:
                raise ValueError(f"no submissions (.py or .ipynb) were found in {args.path}")
    except (ValueError, OSError, SandboxUnavailable) as error:
        print(f"cnnref grade: {error}", file=sys.stderr)
        return 2
    out = args.out or (None if single else Path("grades"))

    def show(result: dict, skipped: bool) -> None:
        if skipped:
            print(
                printable(f"{result['student']}: already graded ")
                + f"({result['score']:g}/{result['max_score']:g}); --force grades again"
            )
        elif not args.quiet:
            print(terminal(result, args.feedback), flush=True)

    if out is None:
        from verify.grade.runner import grade_one, limit_openmp_threads

        limit_openmp_threads(1)
        results = [grade_one(assignment, submissions[0], limits)]
        show(results[0], False)
    else:
        results = grade_many(assignment, submissions, out, args.jobs, args.force, limits, show)
    if single and args.json:
        write_json(args.json, for_audience(results[0], args.feedback))
    if single and args.gradescope:
        write_json(args.gradescope, gradescope(results[0], args.feedback))
    if not single:
        print(class_summary(results))
        print(f"results: {out}/ (one JSON per student, gradebook.csv)")
    elif out is not None:
        print(f"result: {result_path(out, results[0]['student'])}")
    return 0
