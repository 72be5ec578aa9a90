"""verify.cases.linear, the cases for the dense layer:
the reference passes every one, the oracle rejects every mutant.

One pytest item per case; in parallel:  python -m pytest -n 2 tests/verify/cases/test_linear.py
"""

from __future__ import annotations

import pytest

from verify.cases import linear

from ._topic import check_mutant_rejected, check_reference_passes, topic_cases

CASES = topic_cases(linear)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_reference_passes_every_oracle(case):
    check_reference_passes(case)


@pytest.mark.parametrize("mutant", linear.MUTANTS, ids=[m.name for m in linear.MUTANTS])
def test_every_mutant_is_rejected(mutant):
    check_mutant_rejected(mutant)


def test_shapes_are_not_square():
    dense = [c for c in CASES if c.target == "dense_backward"]
    assert all(len(set(c.args["x"].shape + c.args["w"].shape[1:])) == 3 for c in dense)
