"""The corpus of realistic CS231n submissions: correct files in many styles, and wrong ones, each
written as the one function that differs from a correct file (``base:``) with its expected
verdict (``expect: task = LABEL``: a label of :mod:`verify.grade.mistakes`, ``None`` for a wrong
result no pattern names)."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

from verify.grade import mistakes as m
from verify.grade.overrides import assemble, base_name

CORPUS = Path(__file__).resolve().parent / "corpus"
_EXPECT = re.compile(r"^expect:\s*(\w+)\s*=\s*(\w+)\s*$", re.MULTILINE)


@dataclass(frozen=True)
class Wrong:
    name: str
    source: str
    expected: dict[str, str | None]  # task -> the diagnosis every failing output must carry


EXAMPLES = CORPUS.parents[2] / "examples"


def correct_files(assignment: str) -> dict[str, str]:
    """The corpus's correct files, and the assignment's shipped example as ``correct``."""
    folder = CORPUS / assignment / "correct"
    found = {path.stem: path.read_text() for path in sorted(folder.glob("*.py"))}
    example = EXAMPLES / assignment / "correct.py"
    return found | ({"correct": example.read_text()} if example.is_file() else {})


def wrong_files(assignment: str) -> list[Wrong]:
    bases = correct_files(assignment)
    found = []
    for path in sorted((CORPUS / assignment / "wrong").glob("*.py")):
        override = path.read_text()
        docstring = ast.get_docstring(ast.parse(override)) or ""
        expected = {
            task: None if label == "None" else getattr(m, label)
            for task, label in _EXPECT.findall(docstring)
        }
        source = assemble(bases[base_name(override)], override)
        found.append(Wrong(path.stem, source, expected))
    return found
