"""max_pool_forward_naive: the window average instead of its maximum.

base: vectorized
expect: max_pool_forward_naive = AVERAGE_NOT_MAX
"""

EDITS = [("max_pool_forward_naive", ".max(axis=(2, 3))", ".mean(axis=(2, 3))")]
