"""A buggy ``seed`` submission: the output delta is Y − T (cross-entropy's sign) instead of T − Y.

NHWC images, (K, K, C, F) filters, a = X W + b, gradient ascent on J = Σ t log y (delta T − Y).

base: correct
"""

EDITS = [
    ("grad_V", "t - y", "y - t"),
    ("grad_c", "t - y", "y - t"),
    ("hidden_delta_named", "t - y", "y - t"),
    ("delta_recursion", "t - y", "y - t"),
]
