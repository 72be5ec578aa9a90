"""A hostile ``seed`` submission: dense returns a nested list instead of an array.

Only what differs from ``examples/seed/correct.py``; ``assemble.py`` appends it to that file.
"""


def dense(x, w, b):
    return (x @ w + b).tolist()
