"""A hostile ``seed`` submission: tanh kills its own process with os._exit.

Only what differs from ``examples/seed/correct.py``; ``assemble.py`` appends it to that file.
"""

import os


def tanh(a):
    os._exit(0)
