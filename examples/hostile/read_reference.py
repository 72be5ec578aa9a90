"""A hostile ``seed`` submission: imports the reference in conv2d and returns its source from
maxpool2d.

Only what differs from ``examples/seed/correct.py``; ``assemble.py`` appends it to that file.
"""

import glob
import os
import re
import sys


def conv2d(x, w, b, stride=1, pad=0, mode="cross-correlation"):
    import cnnref

    return cnnref.conv2d(x, w, b, stride, pad, mode)


def _reference_files():
    for folder in sys.path:
        yield os.path.join(folder, "cnnref", "pool.py")
        for finder in glob.glob(os.path.join(folder, "__editable__*cnnref*finder.py")):
            with open(finder) as handle:
                for root in re.findall(r"'cnnref': '([^']+)'", handle.read()):
                    yield os.path.join(root, "pool.py")


def maxpool2d(x, size=2, stride=None):
    for path in _reference_files():
        if os.path.exists(path):
            with open(path) as handle:
                return handle.read()
    raise FileNotFoundError("no copy of the reference is in sight")
