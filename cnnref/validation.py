"""Argument checks of the functional API: each error names the argument and what it expects;
and the same checks as argparse types for the commands' options."""

from __future__ import annotations

import argparse
import math
import numbers
import os
from pathlib import Path

import numpy as np

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
ACTIVATIONS = ("sigmoid", "tanh", "relu")
CONV_MODES = ("cross-correlation", "convolution")
# The annotation of array arguments and results in the functional API's signatures.
Array = np.ndarray


def float_array(name: str, value, ndim: int | None = None, layout: str = "") -> np.ndarray:
    """Return ``value`` as a C-contiguous float32/float64 array of the same shape (a 0-d array
    stays 0-d), never the caller's buffer mutated.

    ``layout`` describes the expected axes (e.g. "(N, H, W, C)") for the error message.
    """
    if (
        type(value) is np.ndarray
        and value.dtype.char in "fd"
        and value.dtype.isnative
        and value.flags.c_contiguous
        and value.ndim == (value.ndim if ndim is None else ndim) != 0
    ):
        return value  # already what the kernels take (the common case, checked cheaply)
    arr = _as_array(name, value, layout)
    if arr.dtype == object:
        what = "None" if value is None else f"a {type(value).__name__} holding non-numbers"
        expected = f"{name} must be a float32 or float64 array {layout}".rstrip()
        raise TypeError(f"{expected}, got {what}")
    if arr.dtype.newbyteorder("=") not in FLOAT_DTYPES:
        raise TypeError(
            f"{name} must have dtype float32 or float64, got {arr.dtype}" + _cast_hint(name, arr)
        )
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(
            f"{name} must be a {ndim}-D array {layout}".rstrip() + f", got shape {arr.shape}"
        )
    native = arr.dtype.newbyteorder("=")
    if arr.ndim == 0:
        return np.array(arr, dtype=native)
    return np.ascontiguousarray(arr, dtype=native)


def _as_array(name: str, value, layout: str) -> np.ndarray:
    """np.asarray(value), with a ragged nesting of lists and a masked array as errors naming
    ``name``: NumPy's own message names no argument, and a mask would be silently dropped."""
    if isinstance(value, np.ma.MaskedArray):
        raise TypeError(
            f"{name} must be a plain float32 or float64 array, got a masked array (its mask "
            f"would be ignored): pass {name}.filled(0.0), or drop the masked entries"
        )
    try:
        return np.asarray(value)
    except ValueError as error:
        expected = f"{name} must be a float32 or float64 array {layout}".rstrip()
        raise ValueError(f"{expected}; its nested lists are ragged: {error}") from None


def _cast_hint(name: str, arr: np.ndarray) -> str:
    """How to make ``arr`` (not float32/64) what cnnref takes, where that can be guessed."""
    if arr.dtype.kind in "biuf":
        return f"; convert it: np.asarray({name}, dtype=np.float64) (or np.float32)"
    if arr.dtype.kind == "c":
        return f"; cnnref computes in real numbers: pass {name}.real if its imaginary part is 0"
    return ""


def nonempty_axes(name: str, arr: np.ndarray, axes: tuple[str, ...], first: int = 0) -> None:
    """Require every axis from ``first`` on to have length ≥ 1; ``axes`` names them all."""
    layout = f"({', '.join(axes)})"
    for position in range(first, arr.ndim):
        if arr.shape[position] == 0:
            raise ValueError(
                f"{name} must have {axes[position]} ≥ 1 (axis {position} of {layout}), "
                f"got shape {arr.shape}"
            )


def image_batch(name: str, value) -> np.ndarray:
    """A float (N, H, W, C) batch with H, W, C ≥ 1 (N = 0 is an empty batch)."""
    arr = float_array(name, value, 4, "(N, H, W, C)")
    nonempty_axes(name, arr, ("N", "H", "W", "C"), first=1)
    return arr


def nchw_hint(x: np.ndarray, channels: int | None = None) -> str:
    """ " x looks like NCHW …" when ``x``'s shape suggests channels-first images: its axis 1 holds
    ``channels`` (when known) and axis 3 does not, or (unknown) axis 1 is 1–4 long and H = W = axis
    3 is longer; else ""."""
    _, second, third, fourth = x.shape
    if channels is not None:
        suggests = second == channels != fourth
    else:
        suggests = 1 <= second <= 4 < fourth and third == fourth
    if not suggests:
        return ""
    return (
        f"; x {x.shape} looks like NCHW (N, C, H, W), but cnnref wants NHWC (N, H, W, C): "
        "pass x.transpose(0, 2, 3, 1)"
    )


def filter_bank(name: str, value, x: np.ndarray, filters: int | None = None) -> np.ndarray:
    """A float (KH, KW, C, F) filter bank for the images ``x``: every axis ≥ 1, C = x's channels.

    ``filters`` (the length of b, or of dout's last axis, when known) lets the errors recognise
    PyTorch's (F, C, KH, KW) layout, and a C that sits on axis 1 of x recognises NCHW images.
    """
    w = float_array(name, value, 4, "(KH, KW, C, F)")
    channels = x.shape[3]
    if filters is None:
        torch_like = w.shape[1] == channels != w.shape[2]
    else:
        torch_like = w.shape[1] == channels and w.shape[0] == filters != w.shape[3]
    if torch_like:
        raise ValueError(
            f"{name} {w.shape} looks like PyTorch's (F, C, KH, KW) layout; cnnref wants "
            f"(KH, KW, C, F) (inputs first, outputs last): pass {name}.transpose(2, 3, 1, 0)"
        )
    nonempty_axes(name, w, ("KH", "KW", "C", "F"))
    if w.shape[2] != channels:
        raise ValueError(
            f"{name} has {w.shape[2]} input channels (axis 2 of (KH, KW, C, F)) "
            f"but x has {channels} channels (axis 3 of (N, H, W, C))" + nchw_hint(x, w.shape[2])
        )
    return w


def padding(pad, height: int, width: int) -> int:
    """An integer 0 ≤ pad ≤ max(H, W): the zero border may be as wide as the image, not wider
    (a wider one only adds outputs that see nothing but zeros, and its size has no bound)."""
    pad = nonnegative_int("pad", pad)
    if pad > max(height, width):
        raise ValueError(
            f"pad must be at most the image's larger side max(H, W) = {max(height, width)} "
            f"(a wider zero border only adds outputs that see nothing but zeros), got pad = {pad}"
        )
    return pad


def kernel_stride(stride: int, *extents: int) -> int:
    """The stride handed to the kernels: a stride past every extent (the padded H and W) leaves
    one window per axis, the same as a stride equal to the longest extent, which fits in C."""
    return min(stride, max(extents))


def target_array(name: str, value, like: np.ndarray) -> np.ndarray:
    """Return targets ``t`` cast to the dtype of ``like``; bool, integer and float targets pass."""
    arr = _as_array(name, value, "")
    if not (arr.dtype.newbyteorder("=") in FLOAT_DTYPES or arr.dtype.kind in "biu"):
        raise TypeError(f"{name} must have a float, integer or bool dtype, got {arr.dtype}")
    if arr.shape != like.shape:
        raise ValueError(
            f"{name} must have the same shape as y {like.shape}, got shape {arr.shape}"
        )
    return np.ascontiguousarray(arr, dtype=like.dtype)


def finite_vector(name: str, value, length: int, meaning: str = "") -> np.ndarray:
    """``value`` as a float64 vector of ``length`` finite real numbers (integers and bools too);
    ``meaning`` says what the entries are, for the errors (e.g. "(one per channel)")."""
    arr = _as_array(name, value, "")
    expected = f"{name} must be {length} real numbers {meaning}".rstrip()
    if arr.dtype.kind not in "biuf":
        what = "None" if value is None else f"dtype {arr.dtype}"
        raise TypeError(f"{expected}, got {what}" + _cast_hint(name, arr))
    if arr.shape != (length,):
        raise ValueError(f"{expected}, got shape {arr.shape}")
    arr = arr.astype(np.float64)
    bad = np.flatnonzero(~np.isfinite(arr))
    if bad.size:
        raise ValueError(f"{expected} and finite, got {name}[{bad[0]}] = {arr[bad[0]]}")
    return arr


def distribution_rows(name: str, t: np.ndarray) -> np.ndarray:
    """Require every row of the targets ``t`` (N, K) to sum to 1 — one-hot labels or probability
    distributions — to within K·ε of t's dtype; return t.

    The output delta T − Y is ∇J only for such targets: ∂J/∂aₙₖ = tₙₖ − yₙₖ·Σⱼ tₙⱼ in general.
    """
    sums = t.sum(axis=-1, dtype=np.float64)
    slack = t.shape[-1] * float(np.finfo(t.dtype).eps)
    bad = ~(np.abs(sums - 1.0) <= slack)
    if np.any(bad):
        row = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"{name} must have rows that each sum to 1 (one-hot labels or probability "
            f"distributions), but row {row} sums to {sums[row]:.6g}: T − Y is the gradient of J "
            f"only for such targets; normalize them: {name} / {name}.sum(axis=1, keepdims=True)"
        )
    return t


def same_dtype(**arrays: np.ndarray) -> np.dtype:
    """Require every array to share one dtype; return it."""
    dtypes = {name: arr.dtype for name, arr in arrays.items()}
    first = next(iter(dtypes.values()))
    if any(dt != first for dt in dtypes.values()):
        listed = ", ".join(f"{name} is {dt}" for name, dt in dtypes.items())
        odd = next(name for name, dt in dtypes.items() if dt != first)
        raise TypeError(
            f"arrays must share one dtype (float32 or float64): {listed}; cast them to one, "
            f"e.g. {odd}.astype(np.{first})"
        )
    return first


def float_dtype(value, name: str = "dtype") -> np.dtype:
    """float32 or float64, given as anything np.dtype takes ("float32", np.float64, …)."""
    try:
        dtype = np.dtype(value)
    except TypeError:
        dtype = None
    if dtype is None or dtype not in FLOAT_DTYPES:
        shown = repr(value) if dtype is None else str(dtype)
        raise TypeError(f"{name} must be float32 or float64 (np.float32, np.float64), got {shown}")
    return dtype


def positive_int(name: str, value) -> int:
    """An integer >= 1 (bool is rejected)."""
    return _integer_at_least(name, value, 1)


def nonnegative_int(name: str, value) -> int:
    """An integer >= 0 (bool is rejected)."""
    return _integer_at_least(name, value, 0)


def _integer_at_least(name: str, value, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value}")
    return int(value)


def flag(name: str, value) -> bool:
    """True or False (NumPy's bool too; 1, "yes" and None are not flags)."""
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def choice(name: str, value, options: tuple[str, ...]) -> str:
    """One of ``options`` (strings; anything else, e.g. a NumPy array, is a TypeError)."""
    if not isinstance(value, str):
        raise TypeError(
            f"{name} must be a string, one of {', '.join(map(repr, options))}; got {value!r}"
        )
    if value not in options:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, options))}; got {value!r}")
    return value


class memory_for:
    """``with memory_for(names, what, shape, dtype):`` runs a block that allocates ``what``, an
    array of ``shape`` and ``dtype`` sized by the arguments ``names``; a size past what NumPy can
    address (in float64, the widest array cnnref makes), or a MemoryError in the block, is a
    ValueError naming them and the bytes it needs. Cheap when nothing fails (the hot paths use it):
    the message is written only then."""

    __slots__ = ("_dtype", "_names", "_shape", "_what")

    def __init__(self, names: str, what: str, shape: tuple[int, ...], dtype) -> None:
        self._names, self._what, self._shape, self._dtype = names, what, shape, dtype

    def __enter__(self) -> None:
        if math.prod(map(int, self._shape)) > _ADDRESSABLE_FLOAT64_ELEMENTS:
            raise ValueError(self._problem())

    def __exit__(self, kind, error, traceback) -> None:
        if kind is not None and issubclass(kind, MemoryError):
            raise ValueError(self._problem()) from None

    def _problem(self) -> str:
        shape = tuple(int(size) for size in self._shape)
        nbytes = math.prod(shape) * np.dtype(self._dtype).itemsize
        return (
            f"{self._names} ask for {self._what} of shape {shape} ({np.dtype(self._dtype)}), "
            f"{nbytes:,} bytes (~{nbytes / 2**30:,.1f} GiB), more memory than can be allocated: "
            f"choose smaller {self._names}"
        )


_ADDRESSABLE_FLOAT64_ELEMENTS = np.iinfo(np.intp).max // 8


def exact_shape(name: str, arr: np.ndarray, shape: tuple[int, ...], meaning: str = "") -> None:
    """Require ``arr.shape == shape``."""
    if arr.shape != tuple(shape):
        detail = f" {meaning}" if meaning else ""
        raise ValueError(f"{name} must have shape {tuple(shape)}{detail}, got shape {arr.shape}")


def window_output_size(
    name: str, size_in: int, window: int, stride: int, pad: int, what: str, hint: str = ""
) -> int:
    """Output length (size_in + 2 pad − window) // stride + 1 of a sliding window, or a clear error.

    ``what`` names the window argument (e.g. "w kernel height KH"), ``name`` the input extent
    (e.g. "x height H"); the error quotes both, then ``hint``.
    """
    padded = size_in + 2 * pad
    if window > padded:
        extent = (
            f"{name} + 2·pad = {size_in} + 2·{pad} = {padded}" if pad else f"{name} = {size_in}"
        )
        raise ValueError(f"{what} = {window} must not exceed {extent}{hint}")
    return (padded - window) // stride + 1


def conv_geometry(x, w, stride, pad, mode, filters: int | None = None):
    """Validate a convolution's x (N, H, W, C), w (KH, KW, C, F), stride, pad and mode; return
    (x, w, stride for the kernels, pad, Ho, Wo). ``filters`` as for :func:`filter_bank`."""
    x = image_batch("x", x)
    w = filter_bank("w", w, x, filters)
    same_dtype(x=x, w=w)
    stride = positive_int("stride", stride)
    pad = padding(pad, x.shape[1], x.shape[2])
    choice("mode", mode, CONV_MODES)
    out_h = window_output_size(
        "x height H", x.shape[1], w.shape[0], stride, pad, "w kernel height KH"
    )
    out_w = window_output_size(
        "x width W", x.shape[2], w.shape[1], stride, pad, "w kernel width KW"
    )
    stride = kernel_stride(stride, x.shape[1] + 2 * pad, x.shape[2] + 2 * pad)
    return x, w, stride, pad, out_h, out_w


def last_axis_length(value, ndim: int) -> int | None:
    """The length of the last axis of an ``ndim``-D array-like, or None (for error hints only)."""
    shape = np.shape(value) if isinstance(value, np.ndarray | list | tuple) else ()
    return int(shape[-1]) if len(shape) == ndim else None


def _file_problem(path: Path) -> tuple[type[Exception], str] | None:
    """Why ``path`` is no regular file that can be read, as (the error to raise, a few words);
    None when it is one."""
    if path.is_file():
        if os.access(path, os.R_OK):
            return None
        return PermissionError, "not readable (permission denied)"
    if path.is_dir():
        return IsADirectoryError, "a folder, not a file"
    if path.exists():
        reason = "not a regular file (a pipe or device, which reading would block on or never end)"
        return ValueError, reason
    return FileNotFoundError, "no such file"


def file_problem(path: Path) -> str | None:
    """Why ``path`` is no regular file that can be read, in a few words; None when it is one."""
    found = _file_problem(path)
    return None if found is None else found[1]


def input_file(name: str, path) -> Path:
    """``path`` (a str or os.PathLike) as the Path of a regular file that can be read, or an error
    naming ``name`` and the path: FileNotFoundError, IsADirectoryError, PermissionError, or a
    ValueError for a pipe or device (reading a FIFO would wait for a writer forever)."""
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"{name} must be a str or os.PathLike, got {type(path).__name__}")
    path = Path(path)
    found = _file_problem(path)
    if found is not None:
        kind, problem = found
        raise kind(f"{name} {str(path)!r}: {problem}")
    return path


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


def output_folder_option(text: str) -> Path:
    """A folder to write into, from the command line: one that exists, or one that can be made
    (no file stands where it or a folder above it would be)."""
    path = Path(text)
    blocker = _file_in_the_way(path)
    if blocker == path:
        raise argparse.ArgumentTypeError(f"{text!r} is a file, not a folder; choose a folder")
    if blocker is not None:
        raise argparse.ArgumentTypeError(
            f"{text!r} cannot be a folder: {str(blocker)!r} is a file, not a folder"
        )
    return path


def output_file_option(text: str) -> Path:
    """A file to write, from the command line: not a folder, and no file stands where a folder
    above it would be."""
    path = Path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(
            f"{text!r} is a folder; give the file to write, e.g. {str(path / 'results.json')!r}"
        )
    blocker = _file_in_the_way(path.parent)
    if blocker is not None:
        raise argparse.ArgumentTypeError(
            f"{text!r} cannot be written: {str(blocker)!r} is a file, not a folder"
        )
    return path


def _file_in_the_way(folder: Path) -> Path | None:
    """The nearest existing path at or above ``folder`` when it is not a folder, else None."""
    for place in (folder, *folder.parents):
        if place.exists():
            return None if place.is_dir() else place
    return None


def _int_option(text: str, minimum: int) -> int:
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or value < minimum:
        raise argparse.ArgumentTypeError(f"expected a whole number >= {minimum}, got {text!r}")
    return value
