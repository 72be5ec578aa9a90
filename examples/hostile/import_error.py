"""A hostile ``seed`` submission: imports a module that does not exist.

Only what differs from ``examples/seed/correct.py``; ``assemble.py`` appends it to that file.
"""

import numpyy  # noqa: F401
