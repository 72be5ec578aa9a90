"""The diagnosis labels reuse the oracle's mutant labels where a mistake is a mutant."""

from __future__ import annotations

from verify.grade import mistakes as m
from verify.mutants import MUTANTS

LABELS = {mutant.name: mutant.label for mutant in MUTANTS}


def test_labels_that_are_mutants_use_the_mutants_words() -> None:
    assert m.NEGATED.endswith(LABELS["output_delta_sign"])
    assert m.MEAN_NOT_SUM.endswith(LABELS["grad_c_mean"])
    assert m.NO_ACTIVATION_DERIVATIVE == LABELS["grad_W_no_derivative"]
    assert m.DERIVATIVE_OF_PRE_ACTIVATION == LABELS["activation_derivative_of_z"]
    assert m.POOL_TO_ALL == LABELS["maxpool2d_backward_every"]
    assert m.SOFTMAX_OVERFLOW == LABELS["softmax_no_max"]
