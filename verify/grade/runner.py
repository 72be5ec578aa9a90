"""Grade many submissions in parallel, writing each student's result as soon as it is known.

Each student's result goes to ``<out>/<student>.json`` atomically; a student whose file already
exists (same assignment) is skipped unless ``force``, so re-running after a crash resumes where it
stopped. ``shard = (i, n)`` grades only every n-th student starting at the i-th (1-based), so n
machines can split a class; the gradebook is rebuilt from all the results files in ``out``.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .assignment import Assignment
from .grading import grade_source
from .report import gradebook, write_atomic, write_json
from .sandbox import Limits
from .submission import Submission

GRADEBOOK = "gradebook.csv"


def limit_openmp_threads(count: int = 1) -> None:
    """Give cnnref's OpenMP loops ``count`` threads in this process: the grader's parallelism is
    across students, and a thread team per tiny reference call only adds start-up cost."""
    name = ctypes.util.find_library("gomp")
    if name is None:
        return
    try:
        ctypes.CDLL(name).omp_set_num_threads(count)
    except (OSError, AttributeError):
        return


def result_path(out: Path, student: str) -> Path:
    """Where one student's result lives (the id made safe as a file name)."""
    safe = "".join(ch if ch.isalnum() or ch in "-_.@" else "_" for ch in student)
    return out / f"{safe}.json"


def graded_before(out: Path, student: str, assignment: Assignment) -> dict | None:
    """The stored result of ``student`` for this assignment, if any."""
    path = result_path(out, student)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    ok = isinstance(data, dict) and data.get("assignment") == assignment.name
    return data if ok and data.get("student") == student else None


def problem_result(assignment: Assignment, submission: Submission, limits: Limits | None) -> dict:
    """A zero-score result for a submission that could not be read (every case says why)."""
    return grade_source(
        assignment, submission.student, "", limits, problem=submission.problem
    ).to_dict()


def grade_one(assignment: Assignment, submission: Submission, limits: Limits | None) -> dict:
    """The JSON form of one submission's result."""
    if submission.problem:
        return problem_result(assignment, submission, limits)
    return grade_source(assignment, submission.student, submission.source, limits).to_dict()


def select_shard(submissions: list[Submission], shard: tuple[int, int] | None) -> list[Submission]:
    """Every n-th submission (by student) starting at the i-th, for ``shard = (i, n)``."""
    if shard is None:
        return submissions
    index, count = shard
    if not 1 <= index <= count:
        raise ValueError(f"shard must be i/n with 1 <= i <= n, got {index}/{count}")
    ordered = sorted(submissions, key=lambda s: s.student)
    return ordered[index - 1 :: count]


def grade_many(
    assignment: Assignment,
    submissions: list[Submission],
    out: Path,
    jobs: int = 1,
    force: bool = False,
    limits: Limits | None = None,
    on_result: Callable[[dict, bool], None] | None = None,
) -> list[dict]:
    """Grade ``submissions`` with ``jobs`` workers; returns every result (skipped ones included)
    and rewrites ``out/gradebook.csv`` from all results files there."""
    limit_openmp_threads(1)
    results: dict[str, dict] = {}
    todo = []
    for submission in submissions:
        earlier = None if force else graded_before(out, submission.student, assignment)
        if earlier is not None:
            results[submission.student] = earlier
            if on_result:
                on_result(earlier, True)
        else:
            todo.append(submission)

    def work(submission: Submission) -> dict:
        result = grade_one(assignment, submission, limits)
        write_json(result_path(out, submission.student), result)
        if on_result:
            on_result(result, False)
        return result

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        for result in pool.map(work, todo):
            results[result["student"]] = result
    write_gradebook(out, assignment)
    return [results[s.student] for s in submissions]


def write_gradebook(out: Path, assignment: Assignment) -> Path:
    """Rebuild the CSV gradebook from every result of ``assignment`` stored in ``out``."""
    stored = []
    for path in sorted(out.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and data.get("assignment") == assignment.name and "tasks" in data:
            stored.append(data)
    path = out / GRADEBOOK
    write_atomic(path, gradebook(stored))
    return path
