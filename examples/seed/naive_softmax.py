"""A buggy ``seed`` submission: softmax without subtracting the max, and the sigmoid derivative
re-applies σ to z.

NHWC images, (K, K, C, F) filters, a = X W + b, gradient ascent on J = Σ t log y (delta T − Y).

base: correct
"""

EDITS = [
    ("activation_derivative", "return z * (1 - z)", "return sigmoid(z) * (1 - sigmoid(z))"),
    ("softmax", "np.exp(a - a.max(axis=-1, keepdims=True))", "np.exp(a)"),
]
