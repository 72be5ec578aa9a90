"""A hostile ``seed`` submission: log_likelihood prints 20 megabytes.

Only what differs from ``examples/seed/correct.py``; ``assemble.py`` appends it to that file.
"""

import numpy as np


def log_likelihood(t, y):
    print("x" * 20_000_000)
    return float(np.sum(t * np.log(y)))
