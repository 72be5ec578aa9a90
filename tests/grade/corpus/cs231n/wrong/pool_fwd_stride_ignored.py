"""max_pool_forward_naive: windows at (i, j), the stride only in the output size.

base: vectorized
expect: max_pool_forward_naive = STRIDE_IGNORED
"""

EDITS = [
    ("max_pool_forward_naive", "x[:, :, i * s:i * s + ph, j * s:j * s + pw]", "x[:, :, i:i + ph, j:j + pw]"),
]
