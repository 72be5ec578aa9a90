"""Grading a class: parallel workers, a results file per student, resuming, sharding."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from verify.grade.assignments import load_assignment
from verify.grade.overrides import assemble_file
from verify.grade.runner import GRADEBOOK, grade_many, result_path, select_shard
from verify.grade.sandbox import Limits
from verify.grade.submission import Submission, find_submissions

from .conftest import EXAMPLES, hostile_submission


def _example(path: Path) -> str:
    """An example as a full submission (the buggy ones are overrides of correct.py)."""
    source = path.read_text()
    return assemble_file(path) if "\nbase: " in source else source


SEED = load_assignment("seed")


@pytest.fixture
def classroom(tmp_path: Path) -> Path:
    folder = tmp_path / "class"
    folder.mkdir()
    for name in ("correct", "sign_convention"):
        (folder / f"{name}.py").write_text(_example(EXAMPLES / "seed" / f"{name}.py"))
    for name in ("infinite_loop", "os_exit", "syntax_error"):
        hostile_submission(name, folder)
    (folder / "unreadable.ipynb").write_text("{oops")
    return folder


def test_a_class_is_graded_in_parallel_and_hostile_students_harm_no_one(
    classroom, tmp_path
) -> None:
    out = tmp_path / "grades"
    seen: list[str] = []
    results = grade_many(
        SEED,
        find_submissions(classroom),
        out,
        jobs=2,
        limits=Limits(call_timeout=1.5),
        on_result=lambda result, skipped: seen.append(result["student"]),
    )
    scores = {r["student"]: r["score"] for r in results}
    assert scores == {
        "correct": 91,
        "infinite_loop": 83,
        "os_exit": 89,
        "sign_convention": 59,
        "syntax_error": 0,
        "unreadable": 0,
    }
    assert sorted(seen) == sorted(scores)
    stored = json.loads(result_path(out, "correct").read_text())
    assert stored["score"] == 91 and stored["assignment"] == "seed"
    gradebook = (out / GRADEBOOK).read_text().splitlines()
    assert len(gradebook) == 7 and gradebook[1].startswith("correct,91.0,91.0")
    problem = json.loads(result_path(out, "unreadable").read_text())
    assert any("cannot read unreadable.ipynb" in note for note in problem["notes"])
    errors = {c["error"] for t in problem["tasks"] for c in t["cases"]}
    assert errors == {"not run: the submission could not be read (see the note above)"}


def test_students_already_graded_are_skipped_unless_forced(classroom, tmp_path) -> None:
    out = tmp_path / "grades"
    submissions = [s for s in find_submissions(classroom) if s.student == "correct"]
    grade_many(SEED, submissions, out)
    path = result_path(out, "correct")
    marked = json.loads(path.read_text())
    marked["score"] = 12.5
    path.write_text(json.dumps(marked))
    skipped: list[bool] = []
    again = grade_many(SEED, submissions, out, on_result=lambda r, s: skipped.append(s))
    assert skipped == [True] and again[0]["score"] == 12.5
    forced = grade_many(SEED, submissions, out, force=True)
    assert forced[0]["score"] == 91
    assert "12.5" not in (out / GRADEBOOK).read_text()


def test_shards_split_a_class_without_overlap() -> None:
    students = [Submission(name, Path(name)) for name in "edcba"]
    shards = [select_shard(students, (i, 2)) for i in (1, 2)]
    assert [s.student for s in shards[0]] == ["a", "c", "e"]
    assert [s.student for s in shards[1]] == ["b", "d"]
    with pytest.raises(ValueError, match="shard must be i/n"):
        select_shard(students, (3, 2))


def test_a_student_id_becomes_a_safe_file_name(tmp_path) -> None:
    assert result_path(tmp_path, "../ada@x.edu").name == ".._ada@x.edu.json"
    assert result_path(tmp_path, "../ada@x.edu").parent == tmp_path
