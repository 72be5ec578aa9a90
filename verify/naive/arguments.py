"""Argument checks of the naive versions: every bad input a clear error naming the argument.

They belong to the naive package alone (nothing here comes from cnnref). Arrays are returned as
float64 copies, or complex128 when complex, so the caller's arrays are never touched.

The loops index nested Python lists (``x.tolist()``, results built in :func:`zeros` and returned
by :func:`array`): Python floats are IEEE doubles, so every sum rounds exactly as with NumPy
float64 scalars, several times faster.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np

ACTIVATIONS = ("sigmoid", "tanh", "relu")
CONV_MODES = ("cross-correlation", "convolution")
Array = np.ndarray  # the annotations of the naive functions
Arrays = Sequence[np.ndarray]  # one array per layer


def copied_array(name: str, value, ndim: int | None = None, layout: str = "") -> np.ndarray:
    """A float64 (or complex128) copy of ``value``; the caller's array is never touched."""
    arr = np.asarray(value)
    if arr.dtype.kind not in "fc":
        raise TypeError(f"{name} must be a real or complex floating-point array, got {arr.dtype}")
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(
            f"{name} must be a {ndim}-D array {layout}".rstrip() + f", got shape {arr.shape}"
        )
    return arr.astype(np.complex128 if arr.dtype.kind == "c" else np.float64)


def zeros(shape: tuple[int, ...], dtype=np.float64) -> list:
    """Nested lists of zeros of ``shape`` (of Python numbers of ``dtype``), for a loop to fill."""
    return np.zeros(shape, dtype=dtype).tolist()


def array(nested, shape: tuple[int, ...], dtype=np.float64) -> np.ndarray:
    """The nested lists a loop filled, as an array of ``shape`` (also when an axis has length 0)."""
    return np.array(nested, dtype=dtype).reshape(shape)


def targets_like(name: str, value, y: np.ndarray) -> np.ndarray:
    """Targets t as a float64 copy shaped like y; bool, integer or real float dtype."""
    arr = np.asarray(value)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must have a bool, integer or real float dtype, got {arr.dtype}")
    if arr.shape != y.shape:
        raise ValueError(f"{name} must have the same shape as y {y.shape}, got shape {arr.shape}")
    return arr.astype(np.float64)


def refuse_complex(name: str, arr: np.ndarray, why: str) -> None:
    """Refuse complex input to a function that is not analytic."""
    if arr.dtype.kind == "c":
        raise TypeError(f"{name} must be real: {why}, so complex input (complex step) is refused")


def sizes_agree(what: str, **sizes: int) -> None:
    """Require every named axis length to be equal, e.g. the batch size N of x, t and y."""
    if len(set(sizes.values())) > 1:
        listed = ", ".join(f"{name} has {size}" for name, size in sizes.items())
        raise ValueError(f"the arrays must agree on {what}: {listed}")


def result_dtype(*arrays: np.ndarray) -> type:
    """complex128 when any operand is complex, else float64."""
    return np.complex128 if any(arr.dtype.kind == "c" for arr in arrays) else np.float64


def integer_at_least(name: str, value, minimum: int) -> int:
    """``value`` as an int, refused unless it is an integer (not a bool) of at least ``minimum``."""
    wanted = f"{name} must be an integer >= {minimum}"
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        if value >= minimum:
            return int(value)
        raise ValueError(f"{wanted}, got {value}")
    raise TypeError(f"{wanted}, got {value!r}")


def one_of(name: str, value, options: tuple[str, ...]) -> str:
    if value not in options:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, options))}; got {value!r}")
    return value


def window_count(name: str, size_in: int, window: int, stride: int, what: str) -> int:
    """How many windows of length ``window``, moved by ``stride``, fit in ``size_in``."""
    if window > size_in:
        raise ValueError(f"{what} {window} is larger than the (padded) input {name} {size_in}")
    return (size_in - window) // stride + 1
