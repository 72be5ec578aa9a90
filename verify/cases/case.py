"""What the oracle's cases are made of: a :class:`Case`, an :class:`Entry` (how to build the cases
of one cnnref function), a :class:`Mutant` (a wrong version the cases must reject), and the helpers
and settings the topic modules beside this one share.

A *gradient* case holds the arguments of the cnnref function (in the dtype under test), the float64
variables of the scalar function it differentiates (``params``), that scalar function (batched,
written in :mod:`verify.objectives`), the kink pattern where there are kinks, and a map from the
function's return value to one gradient per variable. A *forward* case is checked against its naive
twin only. Settings run over dtypes, activations, conv modes, strides, paddings, pool sizes, tie
patterns and algorithms; shapes are drawn per case (non-square, every axis a different length).
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

DTYPES = (np.float64, np.float32)
ACTIVATIONS = ("sigmoid", "tanh", "relu")
CONV_MODES = ("cross-correlation", "convolution")


@dataclass
class Case:
    """One check: a call of cnnref's ``target`` and what its result must equal."""

    target: str
    kind: str
    settings: dict[str, Any]
    dtype: np.dtype
    args: dict[str, Any]
    outputs: Callable[[Any], dict[str, np.ndarray]]
    kwargs: dict[str, Any] = field(default_factory=dict)
    params: dict[str, np.ndarray] = field(default_factory=dict)
    objective: Callable[[Mapping[str, np.ndarray]], np.ndarray] | None = None
    pattern: Callable[[Mapping[str, np.ndarray]], list[np.ndarray]] | None = None
    analytic: bool = True
    upstream: str | None = None
    naive_extra: dict[str, Callable[[Any], np.ndarray]] = field(default_factory=dict)

    @functools.cached_property
    def name(self) -> str:
        """target[setting, …], e.g. conv2d_backward[float32, convolution, stride 2, pad 1]."""
        shown = ", ".join(str(v) for v in self.settings.values())
        return f"{self.target}[{shown}]"

    @functools.cached_property
    def shapes(self) -> str:
        """The array arguments' shapes, for the report."""
        parts = []
        for name, value in self.args.items():
            if isinstance(value, np.ndarray):
                parts.append(f"{name}{'×'.join(map(str, value.shape))}")
            elif isinstance(value, list):
                parts.append(f"{name}[{len(value)}]")
        return " ".join(parts)

    def call(self, function: Callable[..., Any]) -> Any:
        """``function(*args, **kwargs)`` — the cnnref function or anything with its signature."""
        return function(*self.args.values(), **self.kwargs)


@dataclass(frozen=True)
class Entry:
    """How to build the cases of one cnnref function."""

    target: str
    kind: str
    settings: tuple[dict[str, Any], ...]
    build: Callable[..., Case]


def cast(value: np.ndarray, dtype) -> np.ndarray:
    """A C-contiguous copy of ``value`` in ``dtype`` (the dtype under test)."""
    return np.ascontiguousarray(value, dtype=dtype)


def f64(value: np.ndarray) -> np.ndarray:
    """``value`` as float64, the precision the scalar functions are evaluated in."""
    return np.asarray(value, dtype=np.float64)


def grid(**axes) -> tuple[dict[str, Any], ...]:
    """Every combination of the named axes' values, one settings dict each."""
    keys = list(axes)
    return tuple(dict(zip(keys, combo, strict=True)) for combo in itertools.product(*axes.values()))


@functools.cache
def dtype_name(dtype) -> str:
    """'float32' or 'float64', as the case names show it."""
    return np.dtype(dtype).name


# ---------------------------------------------------------------- settings several topics share

TARGET_SETTINGS = grid(dtype=DTYPES, targets=("one-hot", "soft"))
NEAR_KINK_SETTINGS = ({"dtype": np.float64, "activation": "relu", "near_kink": True},)
# every activation in both dtypes, then relu with inputs placed next to its kink
ACTIVATION_SETTINGS = grid(dtype=DTYPES, activation=ACTIVATIONS) + NEAR_KINK_SETTINGS


def activation_settings(dtype, activation: str, near_kink: bool = False, **more) -> dict[str, str]:
    """The settings a case of one activation shows in its name: dtype, activation, ``more``, and
    the placement when the inputs sit next to relu's kink on purpose."""
    settings = {"dtype": dtype_name(dtype), "activation": activation, **more}
    if near_kink:
        settings["placement"] = "near kinks"
    return settings


@dataclass(frozen=True)
class Mutant:
    """A wrong version of ``target``, named and labelled with the mistake it makes."""

    name: str
    label: str
    target: str
    function: Callable
