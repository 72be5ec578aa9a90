"""A hostile ``seed`` submission: tanh returns an object whose __eq__ is always True.

Only what differs from ``examples/seed/correct.py``; ``assemble.py`` appends it to that file.
"""

import numpy as np


class AlwaysEqual:
    shape = property(lambda self: self.like.shape)

    def __init__(self, like):
        self.like = like

    def __eq__(self, other):
        return True

    def __array__(self, dtype=None, copy=None):
        return np.tanh(self.like)


def tanh(a):
    return AlwaysEqual(a)
