"""A buggy ``cs231n`` submission: relu_backward masks with the upstream gradient instead of the
input.

base: correct
"""


def relu_backward(dout, cache):
    return dout * (dout > 0)
