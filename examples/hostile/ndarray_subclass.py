"""A hostile ``seed`` submission: sigmoid returns an ndarray subclass that claims to equal
anything.

Only what differs from ``examples/seed/correct.py``; ``assemble.py`` appends it to that file.
"""

import numpy as np


class Agreeable(np.ndarray):
    def __eq__(self, other):
        return True


def sigmoid(a):
    return np.zeros_like(a).view(Agreeable)
