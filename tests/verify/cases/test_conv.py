"""verify.cases.conv, the cases for convolution (conv2d, conv2d_backward):
the reference passes every one, the oracle rejects every mutant.

One pytest item per case; in parallel:  python -m pytest -n 2 tests/verify/cases/test_conv.py
"""

from __future__ import annotations

import pytest

from verify.cases import conv

from ._topic import check_mutant_rejected, check_reference_passes, topic_cases

CASES = topic_cases(conv)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_reference_passes_every_oracle(case):
    check_reference_passes(case)


@pytest.mark.parametrize("mutant", conv.MUTANTS, ids=[m.name for m in conv.MUTANTS])
def test_every_mutant_is_rejected(mutant):
    check_mutant_rejected(mutant)


def test_shapes_are_not_square():
    assert all(
        c.args["x"].shape[1] != c.args["x"].shape[2] for c in CASES if c.target == "conv2d_backward"
    )


def test_settings_cover_modes_strides_pads_and_the_direct_loops():
    seen = {k: {str(c.settings.get(k)) for c in CASES} for k in ("mode", "stride", "pad")}
    assert {"cross-correlation", "convolution"} <= seen["mode"]
    assert {"stride 1", "stride 2"} <= seen["stride"] and {"pad 0", "pad 1"} <= seen["pad"]
    targets = {c.target for c in CASES}
    assert {"conv.conv2d_direct", "conv.conv2d_backward_direct"} <= targets
