"""A hostile ``seed`` submission: a syntax error (a return dedented out of its function).

Only what differs from ``examples/seed/correct.py``; ``assemble.py`` appends it to that file.
"""


def dense(x, w, b):
    a = x @ w + b  # noqa: F841


return a  # noqa: F706, F821  (the dedented return is the mistake)
