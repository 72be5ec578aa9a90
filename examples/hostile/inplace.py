"""A hostile ``seed`` submission: grad_V computes T − Y by overwriting y.

Only what differs from ``examples/seed/correct.py``; ``assemble.py`` appends it to that file.
"""


def grad_V(z, t, y):
    y -= t
    return -(z.T @ y)
