"""Submissions written as a difference: a base file plus an override holding only what differs.

An override is a Python file whose docstring has a line ``base: NAME`` (the base file, ``NAME.py``
in the override's folder or its parent). :func:`assemble` replaces every top-level function of the
base that the override defines again and appends the override's other functions, so a buggy
example holds only its bug and still grades as a full submission. From the shell::

    python -m verify.grade.overrides examples/seed/buggy/batch_mean.py > batch_mean_full.py
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

_BASE = re.compile(r"^base:\s*(\S+)\s*$", re.MULTILINE)
_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _definitions(tree: ast.Module) -> dict[str, ast.stmt]:
    return {node.name: node for node in tree.body if isinstance(node, _DEFS)}


def _span(node: ast.stmt) -> tuple[int, int]:
    """(first, last) 0-based line of a definition, its decorators included."""
    first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
    return first - 1, node.end_lineno - 1


def assemble(base: str, override: str) -> str:
    """``base`` with each top-level function or class that ``override`` defines replaced by the
    override's, and the override's other definitions appended at the end."""
    replacements = _definitions(ast.parse(override))
    override_lines = override.splitlines()
    lines = base.splitlines()
    used = set()
    for name, node in sorted(
        _definitions(ast.parse(base)).items(), key=lambda item: -item[1].lineno
    ):
        if name in replacements:
            first, last = _span(node)
            new_first, new_last = _span(replacements[name])
            lines[first : last + 1] = override_lines[new_first : new_last + 1]
            used.add(name)
    for name, node in replacements.items():
        if name not in used:
            first, last = _span(node)
            lines += ["", "", *override_lines[first : last + 1]]
    return "\n".join(lines) + "\n"


def base_name(override: str) -> str:
    """The ``base:`` named in an override's docstring; ValueError when there is none."""
    docstring = ast.get_docstring(ast.parse(override)) or ""
    found = _BASE.search(docstring)
    if not found:
        raise ValueError("override: its docstring has no 'base: NAME' line")
    return found.group(1)


def assemble_file(path: Path) -> str:
    """The full submission of the override at ``path`` (its base looked up next to it, then in
    the parent folder)."""
    path = Path(path)
    override = path.read_text(encoding="utf-8")
    name = base_name(override)
    for folder in (path.parent, path.parent.parent):
        candidate = folder / f"{name}.py"
        if candidate.is_file():
            return assemble(candidate.read_text(encoding="utf-8"), override)
    raise ValueError(f"override {path}: base {name}.py not found next to it or one folder up")


if __name__ == "__main__":
    for argument in sys.argv[1:]:
        sys.stdout.write(assemble_file(Path(argument)))
