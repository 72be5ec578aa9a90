"""A hostile ``seed`` submission: dense allocates far more memory than the limit.

Only what differs from ``examples/seed/correct.py``; ``assemble.py`` appends it to that file.
"""

import numpy as np


def dense(x, w, b):
    hog, size = [], 1 << 20
    while True:
        hog.append(np.empty(size))
        size *= 2
