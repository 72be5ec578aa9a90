"""A buggy ``seed`` submission: max-pool backward finds each window's winner, then sends the
upstream gradient to every element of the window.

NHWC images, (K, K, C, F) filters, a = X W + b, gradient ascent on J = Σ t log y (delta T − Y).

base: correct
"""

EDITS = [
    (
        "maxpool2d_backward",
        "np.add.at(dx, (nn, i * stride + k1, j * stride + k2, cc), dout[:, i, j, :])",
        "dx[:, i * stride : i * stride + size, j * stride : j * stride + size, :] += "
        "dout[:, i : i + 1, j : j + 1, :]",
    ),
]
