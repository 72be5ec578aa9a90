"""The two ways the grader isolates a child, for tests that must hold in both: ``namespaces``
(bubblewrap; skipped with the reason where the kernel or container forbids them) and ``process``
(the fallback, forced through ``CNNREF_SANDBOX=process``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from verify.grade.isolation import MODE_VARIABLE, Isolation, isolation

MODES = ("namespaces", "process")


def namespaces_or_skip() -> Isolation:
    """The namespace isolation, or skip the test saying why there is none here."""
    found = isolation()
    if not found.namespaces:
        pytest.skip(f"needs user namespaces and bwrap, unavailable here: {found.description}")
    return found


@contextmanager
def sandbox_mode(mode: str) -> Iterator[Isolation]:
    """Run the enclosed grading with ``mode``'s isolation."""
    with pytest.MonkeyPatch.context() as patch:
        if mode == "process":
            patch.setenv(MODE_VARIABLE, "process")
            yield isolation()
        else:
            yield namespaces_or_skip()
