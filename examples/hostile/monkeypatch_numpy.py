"""A hostile ``seed`` submission: patches NumPy's comparisons to always succeed and returns zeros
from grad_V.

Only what differs from ``examples/seed/correct.py``; ``assemble.py`` appends it to that file.
"""

import numpy as np

np.allclose = lambda *args, **kwargs: True
np.array_equal = lambda *args, **kwargs: True
np.testing.assert_allclose = lambda *args, **kwargs: None


def grad_V(z, t, y):
    return np.zeros((z.shape[1], t.shape[1]))
