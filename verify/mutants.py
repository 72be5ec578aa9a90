"""Wrong implementations modelled on real student mistakes: the oracle must reject every one.

Each :class:`~verify.cases.case.Mutant` has the signature of the cnnref function it replaces
(``target``) and a short ``label`` naming the mistake; the grader uses the labels to diagnose a
submission whose errors match a mutant's. The mutants live beside the cases that must reject them,
in ``verify/cases/<topic>.py``; ``MUTANTS`` is the catalogue of all of them, in the registry's topic
order.
"""

from __future__ import annotations

from .cases.case import Mutant
from .registry import TOPICS

MUTANTS: list[Mutant] = [mutant for topic in TOPICS for mutant in topic.MUTANTS]

__all__ = ["MUTANTS", "Mutant", "by_name"]


def by_name(name: str) -> Mutant:
    """The mutant called ``name``."""
    for mutant in MUTANTS:
        if mutant.name == name:
            return mutant
    raise ValueError(f"name: no mutant called {name!r}")
