"""A restricted unpickler for CIFAR-10's python batches: data, never code.

A CIFAR-10 batch is a pickled dict of bytes keys, lists of ints and bytes, and one numpy uint8
array. Plain containers need no global at all; a numpy array needs exactly three: the array
reconstructor, ``numpy.ndarray`` and ``numpy.dtype``. Every other global — ``os.system``,
``builtins.eval``, ``subprocess.Popen``, … — is refused before it can be called.
"""

from __future__ import annotations

import io
import pickle

import numpy as np

from .errors import DatasetError

try:  # numpy ≥ 2 keeps the reconstructor in numpy._core; numpy 1.x only has numpy.core
    from numpy._core.multiarray import _reconstruct
except ImportError:  # pragma: no cover - numpy 1.x
    from numpy.core.multiarray import _reconstruct

# (module, name) as written in the pickle → the object it may resolve to
ALLOWED_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"): _reconstruct,  # Python 2 / numpy 1.x pickles
    ("numpy._core.multiarray", "_reconstruct"): _reconstruct,  # numpy 2 pickles
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
}


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that resolves only ``ALLOWED_GLOBALS``; ``source`` names the file in errors."""

    def __init__(self, file: io.BufferedIOBase, source: str) -> None:
        # encoding="bytes": Python 2 str objects (the keys b"data", b"labels", …) stay bytes
        super().__init__(file, encoding="bytes")
        self.source = source

    def find_class(self, module: str, name: str) -> object:
        allowed = ALLOWED_GLOBALS.get((module, name))
        if allowed is None:
            raise DatasetError(
                f"{self.source}: refusing to unpickle the global {module}.{name}: a CIFAR-10 "
                "batch holds only dicts, lists, bytes, numbers and numpy arrays"
            )
        return allowed

    def persistent_load(self, pid: object) -> object:
        raise DatasetError(f"{self.source}: refusing a pickle persistent id ({pid!r})")


def safe_unpickle(content: bytes, source: str) -> object:
    """Unpickle ``content`` allowing only ``ALLOWED_GLOBALS``; bad input raises ``DatasetError``."""
    try:
        return RestrictedUnpickler(io.BytesIO(content), source).load()
    except DatasetError:
        raise
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError,
            IndexError, KeyError, UnicodeDecodeError, OverflowError) as error:  # fmt: skip
        reason = f"{type(error).__name__}: {error}"
        raise DatasetError(f"{source}: not a valid pickle ({reason})") from error
