"""``python -m verify``: the same as ``cnnref verify``."""

import sys

from cnnref.cli import main

sys.exit(main(["verify", *sys.argv[1:]]))
