"""verify.cases.output, the cases for softmax and the log-likelihood:
the reference passes every one, the oracle rejects every mutant.

One pytest item per case; in parallel:  python -m pytest -n 2 tests/verify/cases/test_output.py
"""

from __future__ import annotations

import pytest

from verify.cases import output

from ._topic import check_mutant_rejected, check_reference_passes, topic_cases

CASES = topic_cases(output)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_reference_passes_every_oracle(case):
    check_reference_passes(case)


@pytest.mark.parametrize("mutant", output.MUTANTS, ids=[m.name for m in output.MUTANTS])
def test_every_mutant_is_rejected(mutant):
    check_mutant_rejected(mutant)
