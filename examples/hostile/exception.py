"""A hostile ``seed`` submission: conv2d raises an exception.

Only what differs from ``examples/seed/correct.py``; ``assemble.py`` appends it to that file.
"""


def conv2d(x, w, b, stride=1, pad=0, mode="cross-correlation"):
    raise ValueError("not implemented yet")
