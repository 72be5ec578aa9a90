"""Argument checks of the functional API: each error names the argument and what it expects;
and the same checks as argparse types for the commands' options."""

from __future__ import annotations

import argparse
import math
import numbers
from pathlib import Path

import numpy as np

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
ACTIVATIONS = ("sigmoid", "tanh", "relu")
CONV_MODES = ("cross-correlation", "convolution")


def float_array(name: str, value, ndim: int | None = None, layout: str = "") -> np.ndarray:
    """Return ``value`` as a C-contiguous float32/float64 array, never the caller's buffer mutated.

    ``layout`` describes the expected axes (e.g. "(N, H, W, C)") for the error message.
    """
    arr = np.asarray(value)
    if arr.dtype.newbyteorder("=") not in FLOAT_DTYPES:
        raise TypeError(f"{name} must have dtype float32 or float64, got {arr.dtype}")
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(
            f"{name} must be a {ndim}-D array {layout}".rstrip() + f", got shape {arr.shape}"
        )
    return np.ascontiguousarray(arr, dtype=arr.dtype.newbyteorder("="))


def target_array(name: str, value, like: np.ndarray) -> np.ndarray:
    """Return targets ``t`` cast to the dtype of ``like``; bool, integer and float targets pass."""
    arr = np.asarray(value)
    if not (arr.dtype.newbyteorder("=") in FLOAT_DTYPES or arr.dtype.kind in "biu"):
        raise TypeError(f"{name} must have a float, integer or bool dtype, got {arr.dtype}")
    if arr.shape != like.shape:
        raise ValueError(
            f"{name} must have the same shape as y {like.shape}, got shape {arr.shape}"
        )
    return np.ascontiguousarray(arr, dtype=like.dtype)


def same_dtype(**arrays: np.ndarray) -> np.dtype:
    """Require every array to share one dtype; return it."""
    dtypes = {name: arr.dtype for name, arr in arrays.items()}
    if len(set(dtypes.values())) > 1:
        listed = ", ".join(f"{name} is {dt}" for name, dt in dtypes.items())
        raise TypeError(f"arrays must share one dtype (float32 or float64): {listed}")
    return next(iter(dtypes.values()))


def positive_int(name: str, value) -> int:
    """An integer >= 1 (bool is rejected)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer >= 1, got {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {value}")
    return int(value)


def nonnegative_int(name: str, value) -> int:
    """An integer >= 0 (bool is rejected)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer >= 0, got {value!r}")
    if value < 0:
        raise ValueError(f"{name} must be an integer >= 0, got {value}")
    return int(value)


def choice(name: str, value, options: tuple[str, ...]) -> str:
    """One of ``options``."""
    if value not in options:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, options))}; got {value!r}")
    return value


def exact_shape(name: str, arr: np.ndarray, shape: tuple[int, ...], meaning: str = "") -> None:
    """Require ``arr.shape == shape``."""
    if arr.shape != tuple(shape):
        detail = f" {meaning}" if meaning else ""
        raise ValueError(f"{name} must have shape {tuple(shape)}{detail}, got shape {arr.shape}")


def window_output_size(
    name: str, size_in: int, window: int, stride: int, pad: int, what: str
) -> int:
    """Output length (size_in + 2 pad − window) // stride + 1 of a sliding window, or a clear error.

    ``what`` names the window argument (e.g. "w kernel height KH"), ``name`` the input extent
    (e.g. "x height H"); the error quotes both.
    """
    padded = size_in + 2 * pad
    if window > padded:
        extent = (
            f"{name} + 2·pad = {size_in} + 2·{pad} = {padded}" if pad else f"{name} = {size_in}"
        )
        raise ValueError(f"{what} = {window} must not exceed {extent}")
    return (padded - window) // stride + 1


# The same checks for command-line options: argparse ``type=`` callables. argparse turns their
# ArgumentTypeError into "PROG: error: argument --OPTION: MESSAGE" with exit status 2, so the
# message names the option without repeating it.


def nonnegative_int_option(text: str) -> int:
    """A whole number >= 0, from the command line."""
    return _int_option(text, minimum=0)


def positive_int_option(text: str) -> int:
    """A whole number >= 1, from the command line."""
    return _int_option(text, minimum=1)


def positive_float_option(text: str) -> float:
    """A finite number > 0, from the command line."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}")
    return value


def existing_folder_option(text: str) -> Path:
    """A folder that exists, from the command line."""
    path = Path(text)
    if not path.is_dir():
        problem = "is not a folder" if path.exists() else "does not exist"
        raise argparse.ArgumentTypeError(f"the folder {text!r} {problem}")
    return path


def _int_option(text: str, minimum: int) -> int:
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or value < minimum:
        raise argparse.ArgumentTypeError(f"expected a whole number >= {minimum}, got {text!r}")
    return value
