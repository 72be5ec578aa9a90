"""Submissions written as a difference: a base file plus an override holding only what differs.

An override is a Python file whose docstring has a line ``base: NAME`` (the base file, ``NAME.py``
in the override's folder or its parent). It says what differs in two ways:

- ``EDITS``, a list of ``(function, text, replacement)``: in the base's top-level function (or
  class) ``function``, the one place where ``text`` stands becomes ``replacement``. ``text`` must
  stand there exactly once, so an edit that no longer fits its base fails loudly.
- definitions: every top-level function or class of the override replaces the base's of the same
  name, or is appended when the base has none.

:func:`assemble` applies both, so a buggy example holds only its bug and still grades as a full
submission. From the shell::

    python -m verify.grade.overrides examples/seed/conv_flipped.py > conv_flipped_full.py
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

from .scan import parse

_BASE = re.compile(r"^base:\s*(\S+)\s*$", re.MULTILINE)
_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _definitions(tree: ast.Module) -> dict[str, ast.stmt]:
    return {node.name: node for node in tree.body if isinstance(node, _DEFS)}


def _span(node: ast.stmt) -> tuple[int, int]:
    """(first, last) 0-based line of a definition, its decorators included."""
    first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
    return first - 1, node.end_lineno - 1


def edits_of(override: str) -> list[tuple[str, str, str]]:
    """The override's ``EDITS`` as (function, text, replacement) triples; [] when it has none."""
    for node in parse(override).body:
        if "EDITS" in (getattr(target, "id", "") for target in getattr(node, "targets", ())):
            edits = ast.literal_eval(node.value)
            if not isinstance(edits, list | tuple) or not all(map(_is_edit, edits)):
                raise ValueError("EDITS must be a list of (function, text, replacement) strings")
            return list(edits)
    return []


def _is_edit(edit: object) -> bool:
    return isinstance(edit, tuple) and len(edit) == 3 and all(isinstance(s, str) for s in edit)


def apply_edits(base: str, edits: list[tuple[str, str, str]]) -> str:
    """``base`` with each edit made inside its function; ValueError when an edit names no function
    of the base or its text does not stand exactly once in that function."""
    for function, text, replacement in edits:
        node = _definitions(parse(base)).get(function)
        if node is None:
            raise ValueError(f"an edit names {function}, which the base does not define")
        lines = base.splitlines(keepends=True)
        first, last = _span(node)
        source = "".join(lines[first : last + 1])
        found = source.count(text)
        if found != 1:
            raise ValueError(
                f"the edit of {function} expects {text!r} once in it, found it {found} times: "
                "the base has changed, update the edit"
            )
        lines[first : last + 1] = [source.replace(text, replacement)]
        base = "".join(lines)
    return base


def assemble(base: str, override: str, name: str = "override") -> str:
    """``base`` with the override's ``EDITS`` made, each top-level function or class that
    ``override`` defines replaced by the override's, and its other definitions appended.

    ValueError, its message starting with ``name``, when an edit does not fit the base or a
    function is both edited and defined again."""
    replacements = _definitions(parse(override))
    try:
        edits = edits_of(override)
        both = sorted({function for function, _, _ in edits} & set(replacements))
        if both:
            raise ValueError(f"{', '.join(both)} both edited and defined again: keep one")
        base = apply_edits(base, edits)
    except ValueError as error:
        raise ValueError(f"{name}: {error}") from None
    override_lines = override.splitlines()
    lines = base.splitlines()
    used = set()
    for function, node in sorted(
        _definitions(parse(base)).items(), key=lambda item: -item[1].lineno
    ):
        if function in replacements:
            first, last = _span(node)
            new_first, new_last = _span(replacements[function])
            lines[first : last + 1] = override_lines[new_first : new_last + 1]
            used.add(function)
    for function, node in replacements.items():
        if function not in used:
            first, last = _span(node)
            lines += ["", "", *override_lines[first : last + 1]]
    return "\n".join(lines) + "\n"


def base_name(override: str) -> str:
    """The ``base:`` named in an override's docstring; ValueError when there is none."""
    docstring = ast.get_docstring(parse(override)) or ""
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
            return assemble(candidate.read_text(encoding="utf-8"), override, f"override {path}")
    raise ValueError(f"override {path}: base {name}.py not found next to it or one folder up")


if __name__ == "__main__":
    for argument in sys.argv[1:]:
        sys.stdout.write(assemble_file(Path(argument)))
