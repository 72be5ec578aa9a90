"""verify.cases.activations, the cases for the activations and their derivative:
the reference passes every one, the oracle rejects every mutant.

One pytest item per case; in parallel:  python -m pytest -n 2 tests/verify/cases/test_activations.py
"""

from __future__ import annotations

import pytest

from verify.cases import activations

from ._topic import check_mutant_rejected, check_reference_passes, topic_cases

CASES = topic_cases(activations)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_reference_passes_every_oracle(case):
    check_reference_passes(case)


@pytest.mark.parametrize("mutant", activations.MUTANTS, ids=[m.name for m in activations.MUTANTS])
def test_every_mutant_is_rejected(mutant):
    check_mutant_rejected(mutant)


def test_settings_cover_every_activation():
    assert {"sigmoid", "tanh", "relu"} <= {str(c.settings.get("activation")) for c in CASES}
