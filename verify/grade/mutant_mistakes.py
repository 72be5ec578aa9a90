"""The oracle's mutants as known mistakes: what each wrong version of a cnnref function returns.

A task whose student function has the name and signature of a cnnref function (the ``seed``
assignment) gets, for every mutant of ``verify.mutants`` targeting that function, the mutant's
output on the case's inputs under the mutant's label. The catalogue is looked up at each call.
"""

from __future__ import annotations

import importlib


def mutant_mistakes(function: str, args: tuple) -> dict[str, object]:
    """{mutant label: mutant output on ``args``} for the mutants of cnnref.``function``."""
    try:
        catalogue = importlib.import_module("verify.mutants").MUTANTS
    except (ImportError, AttributeError):
        return {}
    found: dict[str, object] = {}
    for mutant in catalogue:
        if mutant.target != function or mutant.label in found:
            continue
        try:
            found[mutant.label] = mutant.function(*args)
        except Exception:  # a mutant that cannot run on these inputs names nothing
            continue
    return found
