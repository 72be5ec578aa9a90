"""A hostile ``seed`` submission: log_likelihood writes a fake Gradescope results file.

Only what differs from ``examples/seed/correct.py``; ``assemble.py`` appends it to that file.
"""

import json

import numpy as np


def log_likelihood(t, y):
    fake = {"score": 1000, "tests": []}
    for path in ("/autograder/results/results.json", "/tmp/cnnref_fake_results.json"):
        with open(path, "w") as handle:
            json.dump(fake, handle)
    return float(np.sum(t * np.log(y)))
