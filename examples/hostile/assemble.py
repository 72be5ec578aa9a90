"""Assemble a hostile example into the submission it stands for.

Each file here holds only what makes it hostile; the submission is ``examples/seed/correct.py``
followed by that file, so its definitions replace the correct ones and only the named tasks should
fail. To grade one by hand::

    python examples/hostile/assemble.py infinite_loop > /tmp/infinite_loop.py
    cnnref grade seed /tmp/infinite_loop.py
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BASE = HERE.parent / "seed" / "correct.py"


def names() -> list[str]:
    """Every hostile example, by name."""
    return sorted(p.stem for p in HERE.glob("*.py") if p.name != Path(__file__).name)


def submission(name: str) -> str:
    """The full submission of the hostile example ``name``: the correct one, then its override."""
    if name not in names():
        raise ValueError(f"name must be one of {names()}, got {name!r}")
    override = (HERE / f"{name}.py").read_text(encoding="utf-8")
    banner = f"\n\n# ---- examples/hostile/{name}.py: what makes this submission hostile ----\n"
    return BASE.read_text(encoding="utf-8") + banner + override


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} NAME   (one of {', '.join(names())})")
    sys.stdout.write(submission(sys.argv[1]))
