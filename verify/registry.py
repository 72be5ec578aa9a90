"""The registry: one entry per function cnnref exports, each with a case generator.

The entries live beside the topic they check: ``verify/cases/<topic>.py`` holds the builders and
settings for the functions of ``cnnref/<topic>.py`` (and the mutants their cases must reject);
:mod:`verify.cases.case` says what a :class:`~verify.cases.case.Case` and an :class:`Entry` are.
This module assembles them: ``REGISTRY`` maps each cnnref name to its :class:`Entry`, gradient
checks first and then forward ones, each in the topic order of ``TOPICS``; :func:`cases` builds the
cases. The order is part of each case's seed, so it is fixed here.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from .cases import activations, conv, gradients, linear, multilayer, output, pool, training_paths
from .cases.case import Case, Entry

TOPICS = (conv, pool, linear, activations, output, gradients, multilayer)

# The formula functions' entries, then those of the paths training takes (dotted names such as
# ``conv.conv2d_activation``; verify/cases/training_paths.py), appended so that the formulas' case
# seeds stay what they were.
REGISTRY: dict[str, Entry] = {
    entry.target: entry
    for entries in ("GRADIENT_ENTRIES", "FORWARD_ENTRIES")
    for topic in TOPICS
    for entry in getattr(topic, entries)
}
REGISTRY.update(
    (entry.target, entry)
    for entries in ("GRADIENT_ENTRIES", "FORWARD_ENTRIES")
    for entry in getattr(training_paths, entries)
)
REGISTRY.update((entry.target, entry) for entry in conv.DIRECT_ENTRIES)

__all__ = ["REGISTRY", "TOPICS", "Case", "Entry", "cases", "random_case"]


def cases(
    seed: int = 0, targets: list[str] | None = None, near_kink: bool = True
) -> Iterator[Case]:
    """Every registry case (or those of ``targets``), reproducibly from ``seed``.

    ``near_kink=False`` leaves out the settings that place inputs next to kinks on purpose.
    """
    names = list(REGISTRY) if targets is None else targets
    for name in names:
        if name not in REGISTRY:
            raise ValueError(
                f"targets: {name!r} has no registry entry; known: {', '.join(REGISTRY)}"
            )
        entry = REGISTRY[name]
        entry_index = list(REGISTRY).index(name)
        for position, settings in enumerate(entry.settings):
            if not near_kink and settings.get("near_kink"):
                continue
            rng = np.random.default_rng([seed, entry_index, position])
            yield entry.build(rng, **settings)


def random_case(rng: np.random.Generator, target: str) -> Case:
    """One case of ``target``, settings and shapes drawn from ``rng`` (for false-failure runs)."""
    entry = REGISTRY[target]
    settings = entry.settings[int(rng.integers(0, len(entry.settings)))]
    return entry.build(rng, **settings)
