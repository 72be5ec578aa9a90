"""A hostile ``seed`` submission: sigmoid calls sys.exit.

Only what differs from ``examples/seed/correct.py``; ``assemble.py`` appends it to that file.
"""

import sys


def sigmoid(a):
    sys.exit(0)
