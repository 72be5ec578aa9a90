"""log_likelihood: t · log y summed everywhere, NaN where y = 0 and t = 0.

base: correct
expect: log_likelihood = LOG_OF_ZERO
"""

import numpy as np


def log_likelihood(t, y):
    return float(np.sum(t * np.log(y)))
