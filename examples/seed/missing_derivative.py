"""A buggy ``seed`` submission: the hidden delta forgets the activation derivative Z′.

NHWC images, (K, K, C, F) filters, a = X W + b, gradient ascent on J = Σ t log y (delta T − Y).

base: correct
"""

EDITS = [
    (
        "hidden_delta_named",
        "((t - y) @ v.T) * activation_derivative(z, activation)",
        "(t - y) @ v.T",
    ),
    ("delta_recursion", "back * activation_derivative(zs[layer], activation)", "back"),
]
