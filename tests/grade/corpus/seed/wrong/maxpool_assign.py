"""maxpool2d_backward: = instead of += where windows overlap.

base: correct
expect: maxpool2d_backward = OVERLAP_ASSIGN
"""

EDITS = [
    (
        "maxpool2d_backward",
        "np.add.at(dx, (nn, i * stride + k1, j * stride + k2, cc), dout[:, i, j, :])",
        "dx[nn, i * stride + k1, j * stride + k2, cc] = dout[:, i, j, :]",
    ),
]
