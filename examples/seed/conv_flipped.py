"""A buggy ``seed`` submission: conv2d always flips the filters (the notes' convolution formula), so
cross-correlation mode is computed as convolution and vice versa.

NHWC images, (K, K, C, F) filters, a = X W + b, gradient ascent on J = Σ t log y (delta T − Y).

base: correct
"""

EDITS = [
    ("conv2d", 'mode == "convolution"', 'mode == "cross-correlation"'),
    ("conv2d_backward", 'mode == "convolution"', 'mode == "cross-correlation"'),
]
