"""Labels of the mistakes the diagnosis names: one short sentence each, shared by the assignments
(which compute what a mistake would return) and the pattern checks in :mod:`.diagnose`.

Where a mistake is also a mutant of :mod:`verify.mutants` the label is the mutant's own (after a
prefix saying how the result relates to the reference), so the oracle and the grader name a
mistake in the same words.
"""

from __future__ import annotations

from verify.mutants import MUTANTS

_MUTANT = {mutant.name: mutant.label for mutant in MUTANTS}

ZEROS = "returns all zeros: the gradient is never accumulated"
NEGATED = "equals −1 × the reference: " + _MUTANT["output_delta_sign"]
MEAN_NOT_SUM = "off by a factor of N: " + _MUTANT["grad_c_mean"]
SUM_NOT_MEAN = "off by a factor of N: sum instead of mean over the batch"
TRANSPOSED = "transposed"
AXES_PERMUTED = "axes in the wrong order"
FILTERS_FLIPPED = "matches the reference with filters flipped: convolution vs cross-correlation"
BIAS_AXIS = "bias gradient summed over the wrong axis"
NO_ACTIVATION_DERIVATIVE = _MUTANT["grad_W_no_derivative"]
DERIVATIVE_OF_PRE_ACTIVATION = _MUTANT["grad_W_derivative_of_z"]
POOL_TO_ALL = _MUTANT["maxpool2d_backward_every"]
SOFTMAX_OVERFLOW = _MUTANT["softmax_no_max"]
SOFTMAX_WRONG_AXIS = "softmax normalized over the batch axis instead of the classes"
NEGATED_DESCENT = "equals −1 × the reference: sign convention (T − Y instead of Y − T for descent)"
NOT_RESHAPED = "dx keeps the flattened shape (N, D) instead of x's shape"
