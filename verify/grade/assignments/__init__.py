"""The shipped assignments and loading an instructor's own assignment module by path."""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path

from ..assignment import Assignment

BUILTIN = ("seed", "cs231n")


def load_assignment(name_or_path: str) -> Assignment:
    """A shipped assignment by name ("seed", "cs231n"), or the ``ASSIGNMENT`` of a .py file."""
    if name_or_path in BUILTIN:
        return importlib.import_module(f"{__name__}.{name_or_path}").ASSIGNMENT
    path = Path(name_or_path)
    if path.suffix != ".py" or not path.is_file():
        raise ValueError(
            f"assignment must be one of {', '.join(BUILTIN)} or a path to a .py file, "
            f"got {name_or_path!r}"
        )
    spec = importlib.util.spec_from_file_location(f"cnnref_assignment_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assignment = getattr(module, "ASSIGNMENT", None)
    if not isinstance(assignment, Assignment):
        raise ValueError(f"assignment file {path} must define ASSIGNMENT = Assignment(...)")
    return assignment
