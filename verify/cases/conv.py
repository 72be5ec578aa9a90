"""The oracle's cases for ``cnnref/conv.py`` (naive twin :mod:`verify.naive.conv`): the registry
builders and settings of ``conv2d`` and ``conv2d_backward``, and the mutants their cases must
reject.
"""

from __future__ import annotations

import numpy as np

import cnnref

from .. import generators as gen
from .. import objectives as obj
from .case import CONV_MODES, DTYPES, Case, Entry, Mutant, cast, dtype_name, f64, grid


def _conv_shapes(rng):
    n = int(rng.integers(1, 3))
    h, w_ = gen.distinct_sizes(rng, 2, 5, 8)
    c, f = gen.distinct_sizes(rng, 2, 2, 4)
    kh, kw = (int(v) for v in rng.choice([2, 3], size=2))
    return (n, h, w_, c), (kh, kw, c, f)


def _conv_case(target, kind, setting, args, outputs, **more) -> Case:
    """A case of ``target`` at ``setting`` = (dtype, mode, stride, pad): called with ``args``
    then stride, pad and mode."""
    dtype, mode, stride, pad = setting
    return Case(
        target,
        kind,
        {
            "dtype": dtype_name(dtype),
            "mode": mode,
            "stride": f"stride {stride}",
            "pad": f"pad {pad}",
        },
        np.dtype(dtype),
        {**args, "stride": stride, "pad": pad, "mode": mode},
        outputs,
        **more,
    )


def _inputs(rng, dtype):
    """x (N, H, W, C) and w (KH, KW, C, F) in ``dtype``, every axis its own length."""
    x_shape, w_shape = _conv_shapes(rng)
    return cast(gen.values(rng, x_shape), dtype), cast(gen.values(rng, w_shape, 0.5), dtype)


def build_conv2d_backward(rng, dtype, mode, stride, pad, target="conv2d_backward") -> Case:
    x, w = _inputs(rng, dtype)
    b = gen.values(rng, (w.shape[3],), 0.5)
    out_shape = obj.conv_output_shape(x.shape, w.shape, stride, pad)
    dout = cast(gen.upstream(rng, out_shape), dtype)
    g = f64(dout)

    def objective(p):
        return obj.weighted_conv(g, p["x"], p["w"], p["b"], stride, pad, mode)

    return _conv_case(
        target,
        "gradient",
        (dtype, mode, stride, pad),
        {"dout": dout, "x": x, "w": w},
        lambda r: {"x": r[0], "w": r[1], "b": r[2]},
        params={"x": f64(x), "w": f64(w), "b": b},
        objective=objective,
        upstream="dout",
    )


def build_conv2d(rng, dtype, mode, stride, pad, target="conv2d") -> Case:
    x, w = _inputs(rng, dtype)
    b = cast(gen.values(rng, (w.shape[3],), 0.5), dtype)
    setting = (dtype, mode, stride, pad)
    return _conv_case(target, "forward", setting, {"x": x, "w": w, "b": b}, lambda r: {"out": r})


def build_conv2d_backward_direct(rng, dtype, mode, stride, pad) -> Case:
    """The same cases for the direct index loops (``cnnref.conv.conv2d_backward_direct``)."""
    return build_conv2d_backward(rng, dtype, mode, stride, pad, "conv.conv2d_backward_direct")


def build_conv2d_direct(rng, dtype, mode, stride, pad) -> Case:
    """The same cases for the direct index loops (``cnnref.conv.conv2d_direct``)."""
    return build_conv2d(rng, dtype, mode, stride, pad, "conv.conv2d_direct")


CONV_SETTINGS = grid(dtype=DTYPES, mode=CONV_MODES, stride=(1, 2), pad=(0, 1))
GRADIENT_ENTRIES = (Entry("conv2d_backward", "gradient", CONV_SETTINGS, build_conv2d_backward),)
FORWARD_ENTRIES = (Entry("conv2d", "forward", CONV_SETTINGS, build_conv2d),)
# The compiled direct loops, checked like the formulas they compute (registered after every other
# entry, so that adding them left the other entries' case seeds as they were).
DIRECT_ENTRIES = (
    Entry("conv.conv2d_backward_direct", "gradient", CONV_SETTINGS, build_conv2d_backward_direct),
    Entry("conv.conv2d_direct", "forward", CONV_SETTINGS, build_conv2d_direct),
)


# ---------------------------------------------------------------- mutants


def _conv_input_gradient(dout, w, x_shape, pad, mode, row_step, crop):
    """dx scattered as dout·wᵀ into a padded buffer; ``row_step``, ``crop`` carry the mistakes."""
    if mode == "convolution":
        w = w[::-1, ::-1]
    n, h, wd, c = x_shape
    kh, kw = w.shape[:2]
    _, ho, wo, _ = dout.shape
    buffer = np.zeros((n, h + 2 * pad + kh + row_step * ho, wd + 2 * pad + kw + row_step * wo, c))
    for k1 in range(kh):
        for k2 in range(kw):
            contribution = dout @ w[k1, k2].T
            buffer[:, k1 : k1 + row_step * ho : row_step, k2 : k2 + row_step * wo : row_step] += (
                contribution
            )
    return buffer[:, crop : crop + h, crop : crop + wd].astype(dout.dtype)


def conv2d_not_flipped(x, w, b, stride=1, pad=0, mode="cross-correlation"):
    """Convolution mode computed as cross-correlation: the filter is never flipped."""
    return cnnref.conv2d(x, w, b, stride, pad, "cross-correlation")


def conv2d_backward_not_flipped(dout, x, w, stride=1, pad=0, mode="cross-correlation"):
    """Convolution-mode gradients computed as for cross-correlation: no flips at all."""
    return cnnref.conv2d_backward(dout, x, w, stride, pad, "cross-correlation")


def conv2d_backward_flipped_twice(dout, x, w, stride=1, pad=0, mode="cross-correlation"):
    """The filter gradient flipped once more on the way out (left in the flipped frame)."""
    dx, dw, db = cnnref.conv2d_backward(dout, x, w, stride, pad, mode)
    if mode == "convolution":
        dw = np.ascontiguousarray(dw[::-1, ::-1])
    return dx, dw, db


def conv2d_backward_pad_off_by_one(dout, x, w, stride=1, pad=0, mode="cross-correlation"):
    """dx cropped from the padded gradient at pad + 1 instead of pad."""
    _, dw, db = cnnref.conv2d_backward(dout, x, w, stride, pad, mode)
    return _conv_input_gradient(dout, w, x.shape, pad, mode, stride, pad + 1), dw, db


def conv2d_backward_stride_ignored(dout, x, w, stride=1, pad=0, mode="cross-correlation"):
    """dx routed with r = i + k1 instead of r = i·stride + k1."""
    _, dw, db = cnnref.conv2d_backward(dout, x, w, stride, pad, mode)
    return _conv_input_gradient(dout, w, x.shape, pad, mode, 1, pad), dw, db


def conv2d_backward_db_not_summed(dout, x, w, stride=1, pad=0, mode="cross-correlation"):
    """db summed over the batch only, at the first output position: Σₙ dout[n, 0, 0]."""
    dx, dw, _ = cnnref.conv2d_backward(dout, x, w, stride, pad, mode)
    return dx, np.ascontiguousarray(dw), np.ascontiguousarray(dout[:, 0, 0].sum(axis=0))


def conv2d_backward_dw_doubled(dout, x, w, stride=1, pad=0, mode="cross-correlation"):
    """dw twice too large: the factor 2 of a squared-error derivative kept in."""
    dx, dw, db = cnnref.conv2d_backward(dout, x, w, stride, pad, mode)
    return dx, dw * 2, db


def conv2d_backward_dw_unit_stride(dout, x, w, stride=1, pad=0, mode="cross-correlation"):
    """dw[k1, k2] = Σ in[n, i + k1, j + k2]·dout[n, i, j]: windows read at unit stride, so right
    only at stride 1."""
    dx, _, db = cnnref.conv2d_backward(dout, x, w, stride, pad, mode)
    padded = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    ho, wo = dout.shape[1:3]
    dw = np.zeros(w.shape, dtype=x.dtype)
    for k1 in range(w.shape[0]):
        for k2 in range(w.shape[1]):
            taps = padded[:, k1 : k1 + ho, k2 : k2 + wo]
            dw[k1, k2] = np.einsum("nijc,nijf->cf", taps, dout)
    if mode == "convolution":
        dw = dw[::-1, ::-1]
    return dx, np.ascontiguousarray(dw), db


def conv2d_backward_dx_flipped(dout, x, w, stride=1, pad=0, mode="cross-correlation"):
    """dx computed with the filter flipped: the backward pass of a cross-correlation taken to be
    a convolution (and the other way round)."""
    other = "convolution" if mode == "cross-correlation" else "cross-correlation"
    dx, _, _ = cnnref.conv2d_backward(dout, x, w, stride, pad, other)
    _, dw, db = cnnref.conv2d_backward(dout, x, w, stride, pad, mode)
    return dx, dw, db


def conv2d_backward_dw_transposed(dout, x, w, stride=1, pad=0, mode="cross-correlation"):
    """dW with its kernel axes transposed (dw[k2, k1] read back in w's shape)."""
    dx, dw, db = cnnref.conv2d_backward(dout, x, w, stride, pad, mode)
    return dx, np.ascontiguousarray(dw.transpose(1, 0, 2, 3)).reshape(dw.shape), db


MUTANTS: list[Mutant] = [
    Mutant(
        "conv2d_not_flipped",
        "filters not flipped in convolution mode",
        "conv2d",
        conv2d_not_flipped,
    ),
    Mutant(
        "conv2d_backward_not_flipped",
        "filters not flipped in convolution mode",
        "conv2d_backward",
        conv2d_backward_not_flipped,
    ),
    Mutant(
        "conv2d_backward_flipped_twice",
        "filter gradient flipped twice (left in flipped frame)",
        "conv2d_backward",
        conv2d_backward_flipped_twice,
    ),
    Mutant(
        "conv2d_backward_pad_off_by_one",
        "padding off by one (dx cropped at pad + 1)",
        "conv2d_backward",
        conv2d_backward_pad_off_by_one,
    ),
    Mutant(
        "conv2d_backward_stride_ignored",
        "stride off (dx routed to i + k1, not i·s + k1)",
        "conv2d_backward",
        conv2d_backward_stride_ignored,
    ),
    Mutant(
        "conv2d_backward_db_not_summed",
        "bias gradient not summed over the output positions (first position only)",
        "conv2d_backward",
        conv2d_backward_db_not_summed,
    ),
    Mutant(
        "conv2d_backward_dw_doubled",
        "filter gradient off by a factor of 2",
        "conv2d_backward",
        conv2d_backward_dw_doubled,
    ),
    Mutant(
        "conv2d_backward_dw_unit_stride",
        "filter gradient reads windows at unit stride (wrong only at stride 2)",
        "conv2d_backward",
        conv2d_backward_dw_unit_stride,
    ),
    Mutant(
        "conv2d_backward_dx_flipped",
        "input gradient with the filter flipped (backward of correlation taken as convolution)",
        "conv2d_backward",
        conv2d_backward_dx_flipped,
    ),
    Mutant(
        "conv2d_backward_dw_transposed",
        "transposed dW (kernel axes swapped)",
        "conv2d_backward",
        conv2d_backward_dw_transposed,
    ),
]
