"""Submissions: a .py file, a Jupyter notebook (code cells only), or a folder of them.

In a folder, each .py/.ipynb file is one student (named by the file's stem) and each subfolder is
one student (named by the subfolder) holding exactly one .py or .ipynb file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from cnnref.validation import file_problem

SUFFIXES = (".py", ".ipynb")


@dataclass(frozen=True)
class Submission:
    """One student's code; ``problem`` says why there is none to run."""

    student: str
    path: Path
    source: str = ""
    problem: str = ""


def _is_shell_or_magic(line: str) -> bool:
    return line.lstrip().startswith(("%", "!"))


def notebook_source(text: str) -> str:
    """The code cells of a notebook's JSON joined into one module; IPython magics (``%``, ``%%``)
    and shell lines (``!``) are skipped, a ``%%`` cell magic skips its whole cell."""
    cells = json.loads(text).get("cells", [])
    blocks = []
    for cell in cells:
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        if source.lstrip().startswith("%%"):
            continue
        blocks.append(
            "\n".join(line for line in source.splitlines() if not _is_shell_or_magic(line))
        )
    return "\n\n".join(blocks) + "\n"


def load_file(path: Path, student: str | None = None) -> Submission:
    """A .py or .ipynb file as one submission (the student defaults to the file's stem)."""
    student = student or path.stem
    if path.suffix not in SUFFIXES:
        return Submission(student, path, problem=f"{path.name} is not a .py or .ipynb file")
    unreadable = file_problem(path)  # a pipe named alice.py would block the grader forever
    if unreadable is not None:
        return Submission(student, path, problem=f"cannot read {path.name}: {unreadable}")
    try:
        text = path.read_text(encoding="utf-8")
        source = notebook_source(text) if path.suffix == ".ipynb" else text
    except (OSError, UnicodeDecodeError, ValueError, AttributeError) as error:
        return Submission(student, path, problem=f"cannot read {path.name}: {error}")
    return Submission(student, path, source)


def load_folder_as_one(folder: Path, student: str | None = None) -> Submission:
    """A folder holding one student's submission: exactly one .py or .ipynb file."""
    student = student or folder.name
    files = sorted(
        p for p in folder.iterdir() if p.suffix in SUFFIXES and not p.name.startswith(".")
    )
    if len(files) != 1:
        found = ", ".join(p.name for p in files) or "none"
        return Submission(
            student, folder, problem=f"expected one .py or .ipynb file, found {found}"
        )
    return load_file(files[0], student)


def find_submissions(folder: Path) -> list[Submission]:
    """Every student's submission in ``folder``, sorted by student."""
    if not folder.is_dir():
        raise ValueError(f"submissions folder {folder} is not a directory")
    found = []
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith((".", "_")):
            continue
        if entry.is_dir():
            found.append(load_folder_as_one(entry))
        elif entry.suffix in SUFFIXES:
            found.append(load_file(entry))
    return sorted(found, key=lambda s: s.student)
