"""verify.cases.pool, the cases for pooling (max and average, forward and backward):
the reference passes every one, the oracle rejects every mutant.

One pytest item per case; in parallel:  python -m pytest -n 2 tests/verify/cases/test_pool.py
"""

from __future__ import annotations

import pytest

from verify.cases import pool

from ._topic import check_mutant_rejected, check_reference_passes, topic_cases

CASES = topic_cases(pool)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_reference_passes_every_oracle(case):
    check_reference_passes(case)


@pytest.mark.parametrize("mutant", pool.MUTANTS, ids=[m.name for m in pool.MUTANTS])
def test_every_mutant_is_rejected(mutant):
    check_mutant_rejected(mutant)
