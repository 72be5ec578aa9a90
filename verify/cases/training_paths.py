"""The oracle's cases for the paths cnnref's layers and seed network take instead of the formula
functions: fused bias + activation (``conv.conv2d_activation``, ``linear.dense_activation``),
the parameter gradients without the input gradient (``conv.conv2d_parameter_gradients``,
``linear.dense_parameter_gradients``), the fused delta
(``activations.times_activation_derivative``), the max-pool's kept winners
(``pool.maxpool2d_with_winners``, ``pool.maxpool2d_backward_to_winners``) and the delta through σ
and the pool (``pool.activation_delta_through_maxpool``). Their naive twins are compositions of
the naive formulas (``verify.naive.training_paths``).

The convolution cases draw F from two settings: a small F (the im2col path) and the SIMD
micro-kernel's filter block (16 in float32, 8 in float64), so the code that runs in training is the
code checked; batches of two images take the per-image path, one image the whole-batch one.
"""

from __future__ import annotations

import numpy as np

from .. import generators as gen
from .. import kinks
from .. import objectives as obj
from .activations import pre_activation, pre_activation_gradient_case
from .case import (
    ACTIVATIONS,
    DTYPES,
    NEAR_KINK_SETTINGS,
    Case,
    Entry,
    activation_settings,
    cast,
    dtype_name,
    f64,
    grid,
)
from .linear import BATCHES, dense_gradient_case, dense_sizes
from .pool import maxpool_dx_case

SIMD_FILTERS = {np.dtype(np.float32): 16, np.dtype(np.float64): 8}
# How many SIMD blocks of channels a setting asks for: one block is 2 AVX2 vectors and 1 AVX-512
# vector; two blocks fill the AVX-512 kernels' 2-vector blocks (the seed network's conv2 has 32
# float filters).
SIMD_BLOCKS = {"SIMD block": 1, "2 SIMD blocks": 2}
# The fused forward passes: σ of the three activations, or none ("identity").
FUSED = ("identity", "relu", "tanh")


def _activation(name: str) -> str | None:
    return None if name == "identity" else name


def _conv_inputs(rng, dtype, filters: str, batch: int, channels: str = "small"):
    """x (N, H, W, C) and w (KH, KW, C, F) for a setting's ``filters`` and ``channels``: "small"
    (2 or 3), or one or two SIMD blocks (SIMD_BLOCKS)."""
    simd = filters in SIMD_BLOCKS
    simd_channels = channels in SIMD_BLOCKS
    # Smaller images with the SIMD block's 16 filters keep every array within compare.N_MAX.
    h, w_ = gen.distinct_sizes(rng, 2, 4, 5) if simd else gen.distinct_sizes(rng, 2, 5, 8)
    if SIMD_BLOCKS.get(filters) == 2:  # 32 float filters: outputs of at most 2 × 4 × 3 pixels
        h, w_ = gen.distinct_sizes(rng, 2, 3, 4)
    if simd_channels:
        h, w_ = gen.distinct_sizes(rng, 2, 3, 4)
    block = SIMD_FILTERS[np.dtype(dtype)]
    c = block * SIMD_BLOCKS[channels] if simd_channels else int(rng.integers(2, 4))
    f = block * SIMD_BLOCKS[filters] if simd else int(rng.integers(2, 4))
    # KH·KW·C·F stays within compare.N_MAX: float32's 16 × 16 channels leave kernels of ≤ 2 × 2,
    # its 32 × 16 kernels of one row.
    sides = [1, 2] if simd_channels and c * f > 64 else [2, 3]
    if SIMD_BLOCKS.get(filters) == 2:
        sides = [3]
    kh, kw = (int(v) for v in rng.choice(sides, size=2))
    if c * f > 256:
        kh = 1
    x = cast(gen.values(rng, (batch, h, w_, c)), dtype)
    w = cast(gen.values(rng, (kh, kw, c, f), 0.5), dtype)
    return x, w


def _conv_settings(dtype, filters, stride, pad, batch, **more) -> dict[str, str]:
    return {
        "dtype": dtype_name(dtype),
        **more,
        "filters": f"F {filters}",
        "stride": f"stride {stride}",
        "pad": f"pad {pad}",
        "batch": f"N {batch}",
    }


def build_conv2d_activation(rng, dtype, activation, filters, stride, pad, batch) -> Case:
    x, w = _conv_inputs(rng, dtype, filters, batch)
    b = cast(gen.values(rng, (w.shape[3],), 0.5), dtype)
    return Case(
        "conv.conv2d_activation",
        "forward",
        _conv_settings(dtype, filters, stride, pad, batch, activation=activation),
        np.dtype(dtype),
        {"x": x, "w": w, "b": b, "activation": _activation(activation), "stride": stride,
         "pad": pad},
        lambda r: {"out": r},
    )  # fmt: skip


def build_conv2d_parameter_gradients(rng, dtype, filters, stride, pad, batch) -> Case:
    x, w = _conv_inputs(rng, dtype, filters, batch)
    b = gen.values(rng, (w.shape[3],), 0.5)
    dout = cast(gen.upstream(rng, obj.conv_output_shape(x.shape, w.shape, stride, pad)), dtype)
    g, x64 = f64(dout), f64(x)

    def objective(p):
        return obj.weighted_conv(g, x64, p["w"], p["b"], stride, pad, "cross-correlation")

    return Case(
        "conv.conv2d_parameter_gradients",
        "gradient",
        _conv_settings(dtype, filters, stride, pad, batch),
        np.dtype(dtype),
        {"dout": dout, "x": x, "w": w, "stride": stride, "pad": pad},
        lambda r: {"w": r[0], "b": r[1]},
        params={"w": f64(w), "b": b},
        objective=objective,
        upstream="dout",
    )


def build_conv2d_backward_simd(rng, dtype, channels, stride, pad, batch) -> Case:
    """conv2d_backward where F is a multiple of the SIMD channel block, so that the SIMD kernels
    compute dw: with C a multiple too they compute dx as well (the seed network's conv2 in
    training); with few channels dx goes by the gather-form kernel at stride 1 and by the
    per-image patch matrices at stride 2 (conv1 in a loop over the plain functional API, which
    asks for dx)."""
    x, w = _conv_inputs(rng, dtype, "SIMD block", batch, channels)
    b = gen.values(rng, (w.shape[3],), 0.5)
    dout = cast(gen.upstream(rng, obj.conv_output_shape(x.shape, w.shape, stride, pad)), dtype)
    g = f64(dout)

    def objective(p):
        return obj.weighted_conv(g, p["x"], p["w"], p["b"], stride, pad, "cross-correlation")

    return Case(
        "conv.conv2d_backward",
        "gradient",
        _conv_settings(dtype, "SIMD block", stride, pad, batch, channels=f"C {channels}"),
        np.dtype(dtype),
        {"dout": dout, "x": x, "w": w, "stride": stride, "pad": pad},
        lambda r: {"x": r[0], "w": r[1], "b": r[2]},
        params={"x": f64(x), "w": f64(w), "b": b},
        objective=objective,
        upstream="dout",
    )


def build_dense_activation(rng, dtype, activation, batch) -> Case:
    n, d, m = dense_sizes(rng, batch)
    args = {
        "x": cast(gen.values(rng, (n, d)), dtype),
        "w": cast(gen.values(rng, (d, m)), dtype),
        "b": cast(gen.values(rng, (m,)), dtype),
        "activation": _activation(activation),
    }
    settings = activation_settings(dtype, activation, batch=batch)
    return Case(
        "linear.dense_activation", "forward", settings, np.dtype(dtype), args, lambda r: {"out": r}
    )


def build_dense_parameter_gradients(rng, dtype, batch) -> Case:
    target, outputs = "linear.dense_parameter_gradients", lambda r: {"w": r[0], "b": r[1]}
    return dense_gradient_case(rng, dtype, batch, target, ("w", "b"), outputs)


def build_times_activation_derivative(rng, dtype, activation, near_kink=False) -> Case:
    shape = tuple(gen.distinct_sizes(rng, 2, 2, 6))
    a = pre_activation(rng, shape, near_kink)
    z = cast(obj.activate(a, activation), dtype)
    upstream = cast(gen.upstream(rng, shape), dtype)
    g = f64(upstream)
    return pre_activation_gradient_case(
        "activations.times_activation_derivative",
        (dtype, activation, near_kink),
        {"upstream": upstream, "z": z, "kind": activation},
        lambda r: {"a": r},
        a,
        lambda p: np.sum(g * obj.activate(p["a"], activation), axis=(-2, -1)),
        upstream="upstream",
    )


def _pool_shape(rng, size: int, step: int):
    h, w = gen.distinct_sizes(rng, 2, size + step, size + 3 * step)
    return (int(rng.integers(1, 3)), h, w, int(rng.integers(2, 4)))


def _pool_settings(dtype, size, step, **more) -> dict[str, str]:
    return {"dtype": dtype_name(dtype), "size": f"size {size}", "stride": f"stride {step}", **more}


def build_maxpool2d_with_winners(rng, dtype, size, stride, ties="none") -> Case:
    step = size if stride is None else stride
    x = cast(gen.pool_input(rng, _pool_shape(rng, size, step), size, step, ties), dtype)
    # The winners are small integers (offsets within the window): compared as values of the case's
    # dtype, exactly.
    return Case(
        "pool.maxpool2d_with_winners",
        "forward",
        _pool_settings(dtype, size, step, ties=f"ties {ties}"),
        np.dtype(dtype),
        {"x": x, "size": size, "stride": stride},
        lambda r: {"out": r[0], "winners": np.asarray(r[1]).astype(np.asarray(r[0]).dtype)},
    )


def build_maxpool2d_backward_to_winners(rng, dtype, size, stride, ties="none") -> Case:
    step = size if stride is None else stride
    x = cast(gen.pool_input(rng, _pool_shape(rng, size, step), size, step, ties), dtype)
    winners = obj.maxpool_winner_positions(f64(x), size, step)
    dout = cast(gen.upstream(rng, winners.shape), dtype)
    target = "pool.maxpool2d_backward_to_winners"
    return maxpool_dx_case(target, dtype, size, stride, ties, dout, x, winners=winners)


def _pre_activations_through_pool(rng, dtype, activation, size: int, step: int):
    """Tie-free pre-activations a, moved away from relu's kink, one unit active, and z = σ(a) in
    ``dtype``, whose every window keeps a unique maximum. σ is monotone, but where it saturates the
    rounding to float32 can tie two values that differ in float64: the code under test would then
    route the gradient by a tie that the float64 objective does not have. Such a draw is redrawn
    (relu's zeros are tied too, but their derivative is 0 on both sides)."""
    shape = _pool_shape(rng, size, step)
    for _ in range(gen.MAX_REDRAWS):
        a = gen.pool_input(rng, shape, size, step)
        a = a + np.where(a >= 0, gen.RELU_MARGIN, -gen.RELU_MARGIN)
        a.flat[0] = abs(a.flat[0])
        z = cast(obj.activate(a, activation), dtype)
        if activation == "relu" or kinks.min_window_gap(z, size, step) > 0:
            return a, z
    raise RuntimeError("could not draw pre-activations whose activations are tie-free in the dtype")


def build_activation_delta_through_maxpool(rng, dtype, activation, size, stride, pooled) -> Case:
    """With ``pooled``, the call also gets p = maxpool2d(z) (σ′ read from it, as training does)."""
    step = size if stride is None else stride
    a, z = _pre_activations_through_pool(rng, dtype, activation, size, step)
    winners = obj.maxpool_winner_positions(f64(z), size, step)
    kept = {"pooled": cast(obj.maxpool(f64(z), size, step), dtype)} if pooled else {}
    dout = cast(gen.upstream(rng, winners.shape), dtype)
    g = f64(dout)

    def objective(p):
        pooled = obj.maxpool(obj.activate(p["a"], activation), size, step)
        return obj.weighted_sum(g, pooled)

    def pattern(p):
        kinks = [obj.maxpool_winners(obj.activate(p["a"].real, activation), size, step)]
        return kinks + ([p["a"].real > 0] if activation == "relu" else [])

    return Case(
        "pool.activation_delta_through_maxpool",
        "gradient",
        _pool_settings(dtype, size, step, activation=activation,
                       pooled="p kept" if pooled else "p not kept"),
        np.dtype(dtype),
        {"dout": dout, "z": z, "winners": winners, "kind": activation, "size": size,
         "stride": stride, **kept},
        lambda r: {"a": r},
        params={"a": a},
        objective=objective,
        pattern=pattern,
        analytic=False,
        upstream="dout",
    )  # fmt: skip


CONV_PATH_SETTINGS = grid(
    dtype=DTYPES,
    filters=("small", "SIMD block", "2 SIMD blocks"),
    stride=(1, 2),
    pad=(0, 1),
    batch=(1, 2),
)
POOL_PATH_SETTINGS = grid(dtype=DTYPES, size=(2, 3), stride=(None, 1)) + grid(
    dtype=DTYPES, size=(2,), stride=(None,), ties=("exact",)
)
GRADIENT_ENTRIES = (
    Entry(
        "conv.conv2d_parameter_gradients",
        "gradient",
        CONV_PATH_SETTINGS,
        build_conv2d_parameter_gradients,
    ),
    Entry(
        "linear.dense_parameter_gradients",
        "gradient",
        grid(dtype=DTYPES, batch=BATCHES),
        build_dense_parameter_gradients,
    ),
    Entry(
        "activations.times_activation_derivative",
        "gradient",
        grid(dtype=DTYPES, activation=ACTIVATIONS) + NEAR_KINK_SETTINGS,
        build_times_activation_derivative,
    ),
    Entry(
        "pool.maxpool2d_backward_to_winners",
        "gradient",
        grid(dtype=DTYPES, size=(2, 3), stride=(None, 1)),
        build_maxpool2d_backward_to_winners,
    ),
    Entry(
        "pool.activation_delta_through_maxpool",
        "gradient",
        grid(
            dtype=DTYPES,
            activation=ACTIVATIONS,
            size=(2, 3),
            stride=(None, 2),
            pooled=(False, True),
        ),
        build_activation_delta_through_maxpool,
    ),
    Entry(
        "conv.conv2d_backward",
        "gradient",
        grid(
            dtype=DTYPES,
            channels=("SIMD block", "2 SIMD blocks", "small"),
            stride=(1, 2),
            pad=(0, 1),
            batch=(1, 2),
        ),
        build_conv2d_backward_simd,
    ),
)
CONV_FORWARD_SETTINGS = grid(
    dtype=DTYPES,
    activation=FUSED,
    filters=("small", "SIMD block", "2 SIMD blocks"),
    stride=(1, 2),
    pad=(0, 1),
    batch=(1, 2),
)
FORWARD_ENTRIES = (
    Entry("conv.conv2d_activation", "forward", CONV_FORWARD_SETTINGS, build_conv2d_activation),
    Entry(
        "linear.dense_activation",
        "forward",
        grid(dtype=DTYPES, activation=FUSED, batch=BATCHES),
        build_dense_activation,
    ),
    Entry(
        "pool.maxpool2d_with_winners",
        "forward",
        POOL_PATH_SETTINGS,
        build_maxpool2d_with_winners,
    ),
)
