"""Labels of the mistakes the diagnosis names: one short sentence each, shared by the assignments
(which compute what a mistake would return) and the pattern checks in :mod:`.diagnose`.

Where a mistake is also a mutant of ``verify.mutants`` the wording is the mutant's label (after a
prefix saying how the result relates to the reference), so the oracle and the grader name a
mistake the same way.
"""

from __future__ import annotations

ZEROS = "returns all zeros: the gradient is never accumulated"
NEGATED = "equals −1 × the reference: sign convention (Y − T instead of T − Y)"
MEAN_NOT_SUM = "off by a factor of N: mean instead of sum over the batch"
SUM_NOT_MEAN = "off by a factor of N: sum instead of mean over the batch"
TRANSPOSED = "transposed"
AXES_PERMUTED = "axes in the wrong order"
FILTERS_FLIPPED = "matches the reference with filters flipped: convolution vs cross-correlation"
BIAS_AXIS = "bias gradient summed over the wrong axis"
NO_ACTIVATION_DERIVATIVE = "activation derivative missing (Z′ left out)"
DERIVATIVE_OF_PRE_ACTIVATION = (
    "activation derivative of the pre-activation formula applied to z (σ′(z), not z(1 − z))"
)
POOL_TO_ALL = "pool gradient sent to every element of the window"
SOFTMAX_OVERFLOW = "softmax without max subtraction (overflows on large logits)"
SOFTMAX_WRONG_AXIS = "softmax normalized over the batch axis instead of the classes"
NEGATED_DESCENT = "equals −1 × the reference: sign convention (T − Y instead of Y − T for descent)"
NOT_RESHAPED = "dx keeps the flattened shape (N, D) instead of x's shape"
