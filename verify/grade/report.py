"""Reports of graded submissions: terminal text, JSON, Gradescope's results.json, a CSV gradebook.

All of them take the JSON form of a result (:meth:`SubmissionResult.to_dict`), so students graded
in an earlier run (read back from their results file) report the same way. ``feedback="student"``
leaves out the expected values and how the grader isolated the code; ``"instructor"`` shows
everything, and says loudly when student code ran without an operating-system sandbox.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import os
import tempfile
from pathlib import Path

FEEDBACK_LEVELS = ("instructor", "student")


_CONTROL = {c: f"\\x{c:02x}" for c in (*range(0x20), *range(0x7F, 0xA0)) if chr(c) not in "\n\t"}


def printable(text: str) -> str:
    """``text`` with control characters spelled out (``\\x1b``), so that nothing a student
    wrote (an exception message, a class name, a file name) can drive the instructor's terminal."""
    return text.translate(_CONTROL)


def for_audience(result: dict, feedback: str) -> dict:
    """A copy of ``result`` with the expected values and the sandbox removed for students."""
    if feedback not in FEEDBACK_LEVELS:
        raise ValueError(f"feedback must be one of {FEEDBACK_LEVELS}, got {feedback!r}")
    shown = copy.deepcopy(result)
    if feedback == "student":
        shown.pop("sandbox", None)
        for task in shown["tasks"]:
            for case in task["cases"]:
                for output in case["outputs"]:
                    output["detail"] = ""
    return shown


def case_lines(case: dict) -> list[str]:
    """The lines telling what went wrong in one case, and its notes (an input modified in place,
    the canonical cache used) even when it passed; empty for a clean pass."""
    notes = case.get("notes", [])
    if case["points"] >= case["max_points"]:
        return [f"{case['label']}: ok — {'; '.join(notes)}"] if notes else []
    lines = [f"{case['label']}: {case['points']:g}/{case['max_points']:g}"]
    if case["error"]:
        lines += ["    " + line for line in case["error"].splitlines()]
    if case.get("diagnosis") and case.get("status") != "not implemented":
        lines.append(f"    mistake: {case['diagnosis']}")
    lines += [f"    note: {note}" for note in notes]
    for output in case["outputs"]:
        if not output["passed"]:
            detail = f"; {output['detail']}" if output["detail"] else ""
            lines.append(f"    {output['name']}: {output['message']}{detail}")
    return lines


def task_text(task: dict) -> str:
    """One task's cases, passed and failed, as text (Gradescope's test output)."""
    lines = [f"{task['signature']}"]
    for case in task["cases"]:
        if case["points"] >= case["max_points"] and not case.get("notes"):
            lines.append(f"{case['label']}: {case['points']:g}/{case['max_points']:g} ok")
        else:
            lines += case_lines(case)
    return "\n".join(lines)


def terminal(result: dict, feedback: str = "instructor") -> str:
    """A readable summary of one student: a line per task, the failures underneath."""
    result = for_audience(result, feedback)
    lines = [
        f"{result['student']} — {result['assignment']}: {result['score']:g}/{result['max_score']:g}"
        f" ({result['seconds']:.1f} s)"
    ]
    lines += [f"  note: {note}" for note in result["notes"]]
    if unsandboxed(result):
        lines.append(f"  WARNING: {result['sandbox']['description']}")
    for task in result["tasks"]:
        status = " (not implemented)" if task.get("status") == "not implemented" else ""
        lines.append(f"  {task['function']:<26} {task['score']:>5g}/{task['max_score']:g}{status}")
        for case in task["cases"]:
            lines += ["      " + line for line in case_lines(case)]
    return printable("\n".join(lines))


def unsandboxed(result: dict) -> bool:
    """Whether this result's code ran without an operating-system sandbox (namespaces)."""
    return result.get("sandbox", {}).get("namespaces") is False


def class_summary(results: list[dict]) -> str:
    """One line per student and the class mean; a warning if any ran without namespaces."""
    lines = [f"{r['student']:<30} {r['score']:>6g}/{r['max_score']:g}" for r in results]
    if results:
        mean = sum(r["score"] for r in results) / len(results)
        lines.append(f"{len(results)} students, mean {mean:.2f}/{results[0]['max_score']:g}")
    exposed = [r for r in results if unsandboxed(r)]
    if exposed:
        lines.append(f"WARNING: {len(exposed)} graded with {exposed[0]['sandbox']['description']}")
    return printable("\n".join(lines))


def gradescope(result: dict, feedback: str = "student") -> dict:
    """Gradescope's results.json: score, max_score, execution_time, output, one test per task."""
    result = for_audience(result, feedback)
    tests = [
        {
            "name": task["function"],
            "score": task["score"],
            "max_score": task["max_score"],
            "status": "passed" if task["score"] >= task["max_score"] else "failed",
            "output": task_text(task),
            "visibility": "visible",
        }
        for task in result["tasks"]
    ]
    output = "\n".join(result["notes"])
    if result["output"]:
        output += f"\nYour code printed:\n{result['output']}"
    return {
        "score": result["score"],
        "max_score": result["max_score"],
        "execution_time": round(result["seconds"], 3),
        "output": output.strip(),
        "tests": tests,
    }


def gradebook(results: list[dict]) -> str:
    """CSV: student, score, max_score, then each task's score."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    functions = [task["function"] for task in results[0]["tasks"]] if results else []
    writer.writerow(["student", "score", "max_score", *functions])
    for r in sorted(results, key=lambda r: r["student"]):
        writer.writerow(
            [r["student"], r["score"], r["max_score"], *(t["score"] for t in r["tasks"])]
        )
    return buffer.getvalue()


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename (never half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def write_json(path: Path, data: dict) -> None:
    """Atomically write ``data`` as indented JSON."""
    write_atomic(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
