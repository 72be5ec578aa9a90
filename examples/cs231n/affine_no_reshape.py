"""A buggy ``cs231n`` submission: affine_backward returns dx in the flattened (N, D) shape.

base: correct
"""

EDITS = [("affine_backward", "dx = (dout @ w.T).reshape(x.shape)", "dx = dout @ w.T")]
