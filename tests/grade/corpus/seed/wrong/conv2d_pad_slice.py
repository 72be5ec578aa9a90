"""conv2d_backward: dx cropped with [pad:-pad] (empty at pad 0).

base: correct
expect: conv2d_backward = PAD_SLICE
"""

EDITS = [
    (
        "conv2d_backward",
        "dxp[:, pad : pad + x.shape[1], pad : pad + x.shape[2], :]",
        "dxp[:, pad:-pad, pad:-pad, :]",
    ),
]
