"""conv_forward_naive: the stride applied to rows only.

base: vectorized
expect: conv_forward_naive = STRIDE_IGNORED
"""

EDITS = [("conv_forward_naive", "j * stride:j * stride + WW", "j:j + WW")]
