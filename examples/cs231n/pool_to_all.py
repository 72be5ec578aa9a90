"""A buggy ``cs231n`` submission: max-pool backward finds each window's winner, then gives every
element of the window the upstream gradient.

base: correct
"""

EDITS = [
    (
        "max_pool_backward_naive",
        "dx[n, c, i * s + k1, j * s + k2]",
        "dx[n, c, i * s : i * s + ph, j * s : j * s + pw]",
    ),
]
