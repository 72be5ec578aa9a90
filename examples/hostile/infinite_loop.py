"""A hostile ``seed`` submission: conv2d never returns.

Only what differs from ``examples/seed/correct.py``; ``assemble.py`` appends it to that file.
"""


def conv2d(x, w, b, stride=1, pad=0, mode="cross-correlation"):
    while True:
        pass
