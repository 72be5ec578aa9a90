"""``python -m verify``: the same as ``cnnref verify``."""

import sys

from .cli import main

sys.exit(main())
