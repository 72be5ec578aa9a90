"""A hostile ``seed`` submission: relu tries to fork itself.

Only what differs from ``examples/seed/correct.py``; ``assemble.py`` appends it to that file.
"""

import os


def relu(a):
    while True:
        os.fork()
