"""The oracle's cases for ``cnnref/pool.py`` (naive twin :mod:`verify.naive.pool`): the registry
builders and settings of max and average pooling, forward and backward, with and without exact ties,
and the mutants their cases must reject.
"""

from __future__ import annotations

import numpy as np

import cnnref

from .. import generators as gen
from .. import objectives as obj
from .case import DTYPES, Case, Entry, Mutant, cast, dtype_name, f64, grid


def _pool_shape(rng, size: int, stride: int):
    n = int(rng.integers(1, 3))
    h, w = gen.distinct_sizes(rng, 2, size + stride, size + 3 * stride)
    c = int(rng.integers(2, 4))
    return (n, h, w, c)


def maxpool_dx_case(target: str, dtype, size, stride, ties, dout, x, **more_args) -> Case:
    """A gradient case of dx = ∂⟨dout, maxpool(x)⟩/∂x, each window's winner a kink: ``target`` is
    called with ``(dout, x, *more_args, size, stride)``."""
    step = size if stride is None else stride
    g = f64(dout)
    return Case(
        target,
        "gradient",
        {
            "dtype": dtype_name(dtype),
            "size": f"size {size}",
            "stride": f"stride {step}",
            "ties": f"ties {ties}",
        },
        np.dtype(dtype),
        {"dout": dout, "x": x, **more_args, "size": size, "stride": stride},
        lambda r: {"x": r},
        params={"x": f64(x)},
        objective=lambda p: obj.weighted_sum(g, obj.maxpool(p["x"], size, step)),
        pattern=lambda p: [obj.maxpool_winners(p["x"], size, step)],
        analytic=False,
        upstream="dout",
    )


def build_maxpool2d_backward(rng, dtype, size, stride, ties="none") -> Case:
    step = size if stride is None else stride
    shape = _pool_shape(rng, size, step)
    x = cast(gen.pool_input(rng, shape, size, step, ties), dtype)
    dout = cast(gen.upstream(rng, obj.maxpool(f64(x), size, step).shape), dtype)
    return maxpool_dx_case("maxpool2d_backward", dtype, size, stride, ties, dout, x)


def build_avgpool2d_backward(rng, dtype, size, stride) -> Case:
    step = size if stride is None else stride
    x = cast(gen.values(rng, _pool_shape(rng, size, step)), dtype)
    dout = cast(gen.upstream(rng, obj.avgpool(f64(x), size, step).shape), dtype)
    g = f64(dout)
    return Case(
        "avgpool2d_backward",
        "gradient",
        {"dtype": dtype_name(dtype), "size": f"size {size}", "stride": f"stride {step}"},
        np.dtype(dtype),
        {"dout": dout, "x": x, "size": size, "stride": stride},
        lambda r: {"x": r},
        params={"x": f64(x)},
        objective=lambda p: obj.weighted_sum(g, obj.avgpool(p["x"], size, step)),
        upstream="dout",
    )


def _build_pool_forward(target: str, ties_allowed: bool):
    def build(rng, dtype, size, stride, ties="none") -> Case:
        step = size if stride is None else stride
        shape = _pool_shape(rng, size, step)
        x = gen.pool_input(rng, shape, size, step, ties) if ties_allowed else gen.values(rng, shape)
        settings = {"dtype": dtype_name(dtype), "size": f"size {size}", "stride": f"stride {step}"}
        return Case(
            target,
            "forward",
            settings,
            np.dtype(dtype),
            {"x": cast(x, dtype), "size": size, "stride": stride},
            lambda r: {"out": r},
        )

    return build


POOL_SETTINGS = grid(dtype=DTYPES, size=(2, 3), stride=(None, 1))
MAXPOOL_SETTINGS = POOL_SETTINGS + grid(dtype=DTYPES, size=(2,), stride=(None, 1), ties=("exact",))
MAXPOOL_FORWARD_SETTINGS = POOL_SETTINGS + grid(
    dtype=DTYPES, size=(2,), stride=(None,), ties=("exact",)
)
GRADIENT_ENTRIES = (
    Entry("maxpool2d_backward", "gradient", MAXPOOL_SETTINGS, build_maxpool2d_backward),
    Entry("avgpool2d_backward", "gradient", POOL_SETTINGS, build_avgpool2d_backward),
)
FORWARD_ENTRIES = (
    Entry("maxpool2d", "forward", MAXPOOL_FORWARD_SETTINGS, _build_pool_forward("maxpool2d", True)),
    Entry("avgpool2d", "forward", POOL_SETTINGS, _build_pool_forward("avgpool2d", False)),
)


# ---------------------------------------------------------------- mutants


def _pool_geometry(x: np.ndarray, size: int, stride: int | None):
    step = size if stride is None else stride
    _n, h, w, _c = x.shape
    return step, (h - size) // step + 1, (w - size) // step + 1


def _route_max(dout, x, size, stride, rule):
    step, ho, wo = _pool_geometry(x, size, stride)
    dx = np.zeros_like(x)
    for i in range(ho):
        for j in range(wo):
            window = x[:, i * step : i * step + size, j * step : j * step + size, :]
            flat = window.reshape(x.shape[0], size * size, x.shape[3])
            top = flat.max(axis=1, keepdims=True)
            if rule == "every":
                share = np.ones_like(flat)
            elif rule == "all":
                share = (flat == top).astype(x.dtype)
            elif rule == "split":
                share = (flat == top) / np.sum(flat == top, axis=1, keepdims=True)
            else:
                last = size * size - 1 - np.argmax((flat == top)[:, ::-1], axis=1)
                share = np.arange(size * size)[None, :, None] == last[:, None, :]
            routed = (share * dout[:, i : i + 1, j, :]).reshape(window.shape)
            dx[:, i * step : i * step + size, j * step : j * step + size, :] += routed
    return dx


def maxpool2d_backward_every(dout, x, size=2, stride=None):
    """The window's upstream gradient sent to every element, not only the maximum."""
    return _route_max(dout, x, size, stride, "every")


def maxpool2d_backward_split_ties(dout, x, size=2, stride=None):
    """Ties split the gradient equally (the stated rule gives it all to the first maximum)."""
    return _route_max(dout, x, size, stride, "split")


def maxpool2d_backward_last_tie(dout, x, size=2, stride=None):
    """Ties broken toward the last maximum in row-major order instead of the first."""
    return _route_max(dout, x, size, stride, "last")


def avgpool2d_backward_no_divide(dout, x, size=2, stride=None):
    """The average-pool gradient not divided by size²."""
    return cnnref.avgpool2d_backward(dout, x, size, stride) * (size * size)


def avgpool2d_backward_hardcoded(dout, x, size=2, stride=None):
    """The notes' 32 × 32 image size written into the code."""
    dx = np.zeros((x.shape[0], 32, 32, x.shape[3]), dtype=x.dtype)
    step = size if stride is None else stride
    for k1 in range(size):
        for k2 in range(size):
            rows = slice(k1, k1 + step * dout.shape[1], step)
            cols = slice(k2, k2 + step * dout.shape[2], step)
            dx[:, rows, cols, :] += dout / (size * size)
    return dx


def maxpool2d_backward_ties_to_all(dout, x, size=2, stride=None):
    """Every tied maximum gets the window's whole gradient (the rule gives it to the first only)."""
    return _route_max(dout, x, size, stride, "all")


MUTANTS: list[Mutant] = [
    Mutant(
        "maxpool2d_backward_every",
        "pool gradient sent to every element of the window",
        "maxpool2d_backward",
        maxpool2d_backward_every,
    ),
    Mutant(
        "maxpool2d_backward_split_ties",
        "pool gradient split among tied maxima",
        "maxpool2d_backward",
        maxpool2d_backward_split_ties,
    ),
    Mutant(
        "maxpool2d_backward_last_tie",
        "pool ties broken toward the last maximum, not the first",
        "maxpool2d_backward",
        maxpool2d_backward_last_tie,
    ),
    Mutant(
        "avgpool2d_backward_no_divide",
        "average-pool gradient not divided by size²",
        "avgpool2d_backward",
        avgpool2d_backward_no_divide,
    ),
    Mutant(
        "avgpool2d_backward_hardcoded",
        "shapes hard-coded to 32 × 32",
        "avgpool2d_backward",
        avgpool2d_backward_hardcoded,
    ),
    Mutant(
        "maxpool2d_backward_ties_to_all",
        "pool gradient given in full to every tied maximum",
        "maxpool2d_backward",
        maxpool2d_backward_ties_to_all,
    ),
]
