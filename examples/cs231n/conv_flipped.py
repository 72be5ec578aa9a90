"""A buggy ``cs231n`` submission: the convolution flips its filters (true convolution, not
the cross-correlation the layer API computes).

base: correct
"""

EDITS = [
    ("conv_forward_naive", "xp = np.pad", "w = w[:, :, ::-1, ::-1]\n    xp = np.pad"),
    ("conv_backward_naive", "xp = np.pad", "w = w[:, :, ::-1, ::-1]\n    xp = np.pad"),
    ("conv_backward_naive", "return dx, dw,", "return dx, dw[:, :, ::-1, ::-1],"),
]
