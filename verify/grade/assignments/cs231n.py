"""The ``cs231n`` assignment: CS231n assignment 2's layer API, adapted onto the cnnref reference.

NCHW images, (F, C, HH, WW) filters, ``conv_param = {"stride", "pad"}``, ``pool_param =
{"pool_height", "pool_width", "stride"}``; every forward returns ``(out, cache)`` and every backward
takes ``(dout, cache)``. ``softmax_loss(x, y)`` is the mean cross-entropy over the batch (descent
convention): loss = −J / N and dx = (Y − T) / N.

**Structure fixed, values seeded.** The shapes, strides, pads and window sizes of every case are the
constants below, the same for every student; only the values are drawn per student. Together they
expose each known class of bug: H ≠ W, non-square filters and pools, out_h ≠ out_w, pad 0 and
pad ≥ 1, strides 1, 2 and 3, overlapping windows, N = 1, C = 1 — and no two structural
properties hold in the same set of cases, so the pattern of failing cases names the mistake.

**The contract** (:data:`CONTRACT`, checked for every case by :func:`contract`) is what the course
tells students they may assume; the student guide states it in the same words.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

import cnnref

from .. import evidence
from .. import mistakes as m
from ..assignment import Assignment, Call, Case, Directional, Task, forward_backward
from .inputs import away_from_zero, normal, pairing, tie_free, upstream

NCHW_TO_NHWC, NHWC_TO_NCHW, FILTERS_TO_KKCF = (0, 2, 3, 1), (0, 3, 1, 2), (2, 3, 1, 0)

CONTRACT = (
    "inputs are float64 NumPy arrays; labels y are integers in [0, C)",
    "affine: x has shape (N, d_1, …, d_k) with d_1⋯d_k = D, w (D, M), b (M,)",
    "convolution: x (N, C, H, W), w (F, C, HH, WW), b (F,); the windows fit: "
    "(H + 2·pad − HH) and (W + 2·pad − WW) are divisible by the stride",
    "max pooling: (H − pool_height) and (W − pool_width) are divisible by the stride",
    "relu: no input is exactly 0 (the derivative is not defined there)",
    "the backward receives the cache its own forward returned",
)
KIT = (
    "cs231n",
    "fast_layers",
    "layer_utils",
    "im2col",
    "im2col_cython",
    "gradient_check",
    "data_utils",
    "layers",
)


class ConvShape(NamedTuple):
    n: int
    c: int
    h: int
    w: int
    f: int
    hh: int
    ww: int
    stride: int
    pad: int


class PoolShape(NamedTuple):
    n: int
    c: int
    h: int
    w: int
    pool_h: int
    pool_w: int
    stride: int


CONV_SHAPES = (
    ConvShape(2, 3, 5, 7, 2, 3, 3, 1, 1),  # H ≠ W, out 5×7, pad 1, overlapping
    ConvShape(1, 2, 9, 6, 3, 3, 2, 2, 0),  # N = 1, non-square filter, stride 2, pad 0, out 4×3
    ConvShape(2, 2, 7, 8, 2, 2, 3, 3, 2),  # stride 3 ≥ the filter: no overlap, pad 2
    ConvShape(2, 3, 4, 4, 3, 4, 4, 2, 1),  # square throughout (the course's notebook case)
    ConvShape(2, 1, 6, 6, 2, 3, 3, 1, 0),  # C = 1, square, pad 0, stride 1
)
POOL_SHAPES = (
    PoolShape(2, 3, 4, 6, 2, 2, 2),  # H ≠ W, out 2×3, no overlap
    PoolShape(1, 2, 5, 7, 3, 3, 2),  # N = 1, 3×3 windows at stride 2: overlapping
    PoolShape(2, 2, 6, 5, 3, 2, 3),  # non-square pool, no overlap, out 2×2
    PoolShape(2, 1, 5, 4, 2, 3, 1),  # C = 1, non-square pool, stride 1: overlapping, out 4×2
    PoolShape(2, 2, 4, 4, 2, 2, 2),  # square throughout (the course's notebook case)
)
AFFINE_SHAPES = ((3, (2, 5), 4), (1, (3, 2, 2), 5), (4, (6,), 3))  # (N, (d_1, …), M)
RELU_SHAPES = ((4, 7), (1, 3, 4, 5))
SOFTMAX_SHAPES = ((5, 4, 0.0), (1, 3, 0.0), (3, 6, 1000.0))  # (N, C, offset of the scores)


# ------------------------------------------------------------------ references


def affine(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """out = x.reshape(N, D) W + b with x (N, d1, …, dk), D = d1⋯dk, W (D, M)."""
    return cnnref.dense(x.reshape(len(x), -1), w, b)


def conv(x: np.ndarray, w: np.ndarray, b: np.ndarray, stride: int, pad: int) -> np.ndarray:
    """cnnref.conv2d in NCHW with (F, C, HH, WW) filters (cross-correlation)."""
    out = cnnref.conv2d(x.transpose(NCHW_TO_NHWC), w.transpose(FILTERS_TO_KKCF), b, stride, pad)
    return out.transpose(NHWC_TO_NCHW)


def conv_grads(dout, x, w, stride: int, pad: int, mode: str = "cross-correlation"):
    """(dx, dw, db) of :func:`conv` in NCHW / (F, C, HH, WW)."""
    dx, dw, db = cnnref.conv2d_backward(
        dout.transpose(NCHW_TO_NHWC),
        x.transpose(NCHW_TO_NHWC),
        w.transpose(FILTERS_TO_KKCF),
        stride,
        pad,
        mode,
    )
    return dx.transpose(NHWC_TO_NCHW), dw.transpose(3, 2, 0, 1), db


def pool_windows(x: np.ndarray, pool_h: int, pool_w: int, stride: int) -> np.ndarray:
    """x (N, C, H, W) → (N, C, out_h, out_w, pool_h·pool_w): each window flattened row-major."""
    windows = sliding_window_view(x, (pool_h, pool_w), axis=(2, 3))[:, :, ::stride, ::stride]
    return windows.reshape(*windows.shape[:4], pool_h * pool_w)


def max_pool(x: np.ndarray, pool_h: int, pool_w: int, stride: int) -> np.ndarray:
    """out[n, c, i, j] = max over the pool_h × pool_w window at (i·stride, j·stride)."""
    return pool_windows(x, pool_h, pool_w, stride).max(axis=-1)


def max_pool_dx(dout: np.ndarray, x: np.ndarray, pool_h: int, pool_w: int, stride: int):
    """dx: each window's upstream gradient added at the window's (first) maximum; windows that
    overlap add up where they share a maximum."""
    winners = pool_windows(x, pool_h, pool_w, stride).argmax(axis=-1)
    n, c, out_h, out_w = dout.shape
    rows = np.arange(out_h)[:, None] * stride + winners // pool_w
    cols = np.arange(out_w)[None, :] * stride + winners % pool_w
    dx = np.zeros_like(x)
    np.add.at(
        dx, (np.arange(n)[:, None, None, None], np.arange(c)[None, :, None, None], rows, cols), dout
    )
    return dx


def softmax_loss(x: np.ndarray, y: np.ndarray) -> float:
    """loss = −(1/N) Σₙ log softmax(x)ₙ,yₙ  = −J / N."""
    t = np.eye(x.shape[1])[y]
    return -cnnref.log_likelihood(t, cnnref.softmax(x)) / len(x)


def softmax_loss_dx(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """dx = −(T − Y) / N, the notes' output delta turned into a descent gradient of the mean."""
    t = np.eye(x.shape[1])[y]
    return -cnnref.output_delta(t, cnnref.softmax(x)) / len(x)


def _overflowing_softmax_loss(x: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """What a softmax_loss without the max subtracted returns: inf/NaN on large scores."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        e = np.exp(x)
        p = e / e.sum(axis=1, keepdims=True)
        loss = -np.mean(np.log(p[np.arange(len(x)), y]))
        p[np.arange(len(x)), y] -= 1
    return loss, p / len(x)


# ------------------------------------------------------------------ cases


def _batch_structure(n: int) -> dict[str, bool]:
    return {evidence.BATCH_ONE: n == 1}


def affine_cases(rng: np.random.Generator, backward: bool) -> list[Case]:
    cases = []
    for n, dims, k in AFFINE_SHAPES:
        d = int(np.prod(dims))
        x, w, b = normal(rng, n, *dims), normal(rng, d, k), normal(rng, k)
        label = f"x {'×'.join(map(str, (n, *dims)))}, w {d}×{k}"
        structure = _batch_structure(n) | {evidence.MANY_AXES: len(dims) > 1}
        if not backward:
            call = Call("affine_forward", (x, w, b), 0)
            wrong = {m.BIAS_FORGOTTEN: affine(x, w, np.zeros_like(b))}
            cases.append(
                Case(label, (call,), affine(x, w, b), 1.0, n, mistakes=wrong, structure=structure)
            )
            continue
        dout = upstream(rng, (n, k))
        dx, dw, db = cnnref.dense_backward(dout, x.reshape(n, -1), w)
        gradients = {
            "dx": Directional(pairing(dout, lambda v, w=w, b=b: affine(v, w, b)), x),
            "dw": Directional(pairing(dout, lambda v, x=x, b=b: affine(x, v, b)), w),
            "db": Directional(pairing(dout, lambda v, x=x, w=w: affine(x, w, v)), b),
        }
        dx = dx.reshape(x.shape)
        wrong = {m.NOT_RESHAPED: (dx.reshape(n, -1), dw, db), m.BIAS_AXIS: (dx, dw, dout.sum(1))}
        if n > 1:  # at N = 1 these two are the same array: neither can be told from the other
            wrong |= {m.BIAS_KEEPDIMS: (dx, dw, db[None]), m.BIAS_NO_BATCH_SUM: (dx, dw, dout)}
        calls = forward_backward("affine_forward", (x, w, b), "affine_backward", dout)
        fallback = (Call("affine_backward", (dout, (x, w, b))),)
        cases.append(
            Case(
                label,
                calls,
                (dx, dw, db),
                2.0,
                n,
                ("dx", "dw", "db"),
                gradients,
                wrong,
                structure,
                fallback,
            )
        )
    return cases


def relu_cases(rng: np.random.Generator, backward: bool) -> list[Case]:
    cases = []
    for shape in RELU_SHAPES:
        x = away_from_zero(rng, *shape, scale=2.0)
        label = "x " + "×".join(map(str, shape))
        structure = _batch_structure(shape[0])
        if not backward:
            call = Call("relu_forward", (x,), 0)
            cases.append(Case(label, (call,), cnnref.relu(x), 1.0, shape[0], structure=structure))
            continue
        dout = upstream(rng, shape)
        dx = dout * cnnref.activation_derivative(cnnref.relu(x), "relu")
        gradient = Directional(pairing(dout, cnnref.relu), x)
        calls = forward_backward("relu_forward", (x,), "relu_backward", dout)
        fallback = (Call("relu_backward", (dout, x)),)
        wrong = {m.RELU_MASK_OF_DOUT: dout * (dout > 0), m.RELU_NO_UPSTREAM: 1.0 * (x > 0)}
        cases.append(
            Case(
                label,
                calls,
                dx,
                1.0,
                shape[0],
                ("dx",),
                {"dx": gradient},
                wrong,
                structure,
                fallback,
            )
        )
    return cases


def _conv_label(s: ConvShape) -> str:
    return f"x {s.n}×{s.c}×{s.h}×{s.w}, w {s.f}×{s.c}×{s.hh}×{s.ww}, stride {s.stride}, pad {s.pad}"


def _conv_structure(s: ConvShape) -> dict[str, bool]:
    return evidence.window_structure(s.n, s.c, (s.h, s.w), (s.hh, s.ww), s.stride, s.pad)


def _conv_inputs(rng: np.random.Generator):
    for s in CONV_SHAPES:
        x, w, b = (
            normal(rng, s.n, s.c, s.h, s.w),
            normal(rng, s.f, s.c, s.hh, s.ww),
            normal(rng, s.f),
        )
        yield s, x, w, b, {"stride": s.stride, "pad": s.pad}


def conv_forward_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    for s, x, w, b, params in _conv_inputs(rng):
        call = Call("conv_forward_naive", (x, w, b, params), 0)
        wrong = {
            m.FILTERS_FLIPPED: conv(x, w[:, :, ::-1, ::-1], b, s.stride, s.pad),
            m.BIAS_FORGOTTEN: conv(x, w, np.zeros_like(b), s.stride, s.pad),
        }
        cases.append(
            Case(
                _conv_label(s),
                (call,),
                conv(x, w, b, s.stride, s.pad),
                1.0,
                s.n,
                mistakes=wrong,
                structure=_conv_structure(s),
            )
        )
    return cases


def _conv_of(name: str, x, w, b, stride: int, pad: int):
    """The convolution as a function of one of its inputs ("dx": x, "dw": w, "db": b)."""
    if name == "dx":
        return lambda v: conv(v, w, b, stride, pad)
    if name == "dw":
        return lambda v: conv(x, v, b, stride, pad)
    return lambda v: conv(x, w, v, stride, pad)


def conv_backward_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    for s, x, w, b, params in _conv_inputs(rng):
        stride, pad = s.stride, s.pad
        dout = upstream(rng, conv(x, w, b, stride, pad).shape)
        gradients = {
            name: Directional(pairing(dout, _conv_of(name, x, w, b, stride, pad)), point)
            for name, point in (("dx", x), ("dw", w), ("db", b))
        }
        dx, dw, db = conv_grads(dout, x, w, stride, pad)
        wrong = {
            m.FILTERS_FLIPPED: conv_grads(dout, x, w, stride, pad, "convolution"),
            m.BIAS_KEEPDIMS: (dx, dw, db.reshape(1, -1, 1, 1)),
            m.BIAS_NO_BATCH_SUM: (dx, dw, dout.sum(axis=(2, 3))),
            m.BIAS_NO_SPATIAL_SUM: (dx, dw, dout.sum(axis=0)),
        }
        calls = forward_backward(
            "conv_forward_naive", (x, w, b, params), "conv_backward_naive", dout
        )
        fallback = (Call("conv_backward_naive", (dout, (x, w, b, params))),)
        cases.append(
            Case(
                _conv_label(s),
                calls,
                (dx, dw, db),
                2.0,
                s.n,
                ("dx", "dw", "db"),
                gradients,
                wrong,
                _conv_structure(s),
                fallback,
            )
        )
    return cases


def _pool_input(rng: np.random.Generator, s: PoolShape) -> np.ndarray:
    """Tie-free values; where windows overlap, the element at (stride, stride) — shared by the first
    two windows of each axis — is made the largest of its channel, so the four windows around it
    route their gradient to the same element (``=`` instead of ``+=`` is then always wrong)."""
    x = tie_free(rng, s.n, s.c, s.h, s.w)
    if s.stride < s.pool_h and s.stride < s.pool_w:
        top = float(np.max(x)) + 1.0
        x[:, :, s.stride, s.stride] = top + np.arange(s.n * s.c).reshape(s.n, s.c)
    return x


def _pool_label(s: PoolShape) -> str:
    return f"x {s.n}×{s.c}×{s.h}×{s.w}, pool {s.pool_h}×{s.pool_w}, stride {s.stride}"


def max_pool_cases(rng: np.random.Generator, backward: bool) -> list[Case]:
    cases = []
    for s in POOL_SHAPES:
        x = _pool_input(rng, s)
        params = {"pool_height": s.pool_h, "pool_width": s.pool_w, "stride": s.stride}
        structure = evidence.window_structure(
            s.n, s.c, (s.h, s.w), (s.pool_h, s.pool_w), s.stride, 0
        )
        structure[evidence.PAD_ZERO] = False  # pooling has no padding
        out = max_pool(x, s.pool_h, s.pool_w, s.stride)
        if not backward:
            call = Call("max_pool_forward_naive", (x, params), 0)
            average = pool_windows(x, s.pool_h, s.pool_w, s.stride).mean(axis=-1)
            cases.append(
                Case(
                    _pool_label(s),
                    (call,),
                    out,
                    1.0,
                    s.n,
                    mistakes={m.AVERAGE_NOT_MAX: average},
                    structure=structure,
                )
            )
            continue
        dout = upstream(rng, out.shape)
        dx = max_pool_dx(dout, x, s.pool_h, s.pool_w, s.stride)
        to_all = _pool_to_all(dout, x, s)
        gradient = Directional(
            pairing(dout, lambda v, s=s: max_pool(v, s.pool_h, s.pool_w, s.stride)), x
        )
        calls = forward_backward(
            "max_pool_forward_naive", (x, params), "max_pool_backward_naive", dout
        )
        fallback = (Call("max_pool_backward_naive", (dout, (x, params))),)
        cases.append(
            Case(
                _pool_label(s),
                calls,
                dx,
                1.0,
                s.n,
                ("dx",),
                {"dx": gradient},
                {m.POOL_TO_ALL: to_all},
                structure,
                fallback,
            )
        )
    return cases


def _pool_to_all(dout: np.ndarray, x: np.ndarray, s: PoolShape) -> np.ndarray:
    """What sending each window's upstream gradient to every element of the window returns."""
    dx = np.zeros_like(x)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            rows = slice(i * s.stride, i * s.stride + s.pool_h)
            cols = slice(j * s.stride, j * s.stride + s.pool_w)
            dx[:, :, rows, cols] += dout[:, :, i : i + 1, j : j + 1]
    return dx


def softmax_loss_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    for n, k, offset in SOFTMAX_SHAPES:
        x, y = normal(rng, n, k, scale=2.0) + offset, rng.integers(0, k, size=n)
        dx = softmax_loss_dx(x, y)
        gradient = Directional(lambda v, y=y: softmax_loss(v, y), x)
        label = f"x {n}×{k}" + (f", scores offset by +{offset:g}" if offset else "")
        wrong = {m.SOFTMAX_OVERFLOW: _overflowing_softmax_loss(x, y)} if offset else {}
        cases.append(
            Case(
                label,
                (Call("softmax_loss", (x, y)),),
                (softmax_loss(x, y), dx),
                2.0,
                n,
                ("loss", "dx"),
                {"dx": gradient},
                wrong,
                _batch_structure(n),
            )
        )
    return cases


# ------------------------------------------------------------------ the contract


def _fits(size: int, window: int, stride: int, pad: int) -> bool:
    return size + 2 * pad >= window and (size + 2 * pad - window) % stride == 0


def _float64(args) -> list[str]:
    arrays = [a for a in args if isinstance(a, np.ndarray)]
    return [f"an input has dtype {a.dtype}, not float64" for a in arrays if a.dtype != np.float64]


def contract(task: Task, case: Case) -> list[str]:
    """How the case's inputs break :data:`CONTRACT` (empty when they keep it)."""
    first = case.calls[0]
    args, problems = first.args, []
    if first.function == "softmax_loss":
        x, y = args
        if y.dtype.kind not in "iu" or y.min() < 0 or y.max() >= x.shape[1]:
            problems.append("labels y must be integers in [0, C)")
        return problems + _float64((x,))
    problems += _float64(args)
    if first.function == "affine_forward":
        x, w, b = args
        if x.reshape(len(x), -1).shape[1] != w.shape[0] or b.shape != (w.shape[1],):
            problems.append("affine shapes do not agree")
    elif first.function == "relu_forward":
        if np.any(args[0] == 0):
            problems.append("relu input exactly 0")
    elif first.function == "conv_forward_naive":
        x, w, _, params = args
        s, p = params["stride"], params["pad"]
        if x.shape[1] != w.shape[1]:
            problems.append("channels of x and w differ")
        if not (_fits(x.shape[2], w.shape[2], s, p) and _fits(x.shape[3], w.shape[3], s, p)):
            problems.append("convolution windows do not fit")
    elif first.function == "max_pool_forward_naive":
        x, params = args
        s = params["stride"]
        if not (
            _fits(x.shape[2], params["pool_height"], s, 0)
            and _fits(x.shape[3], params["pool_width"], s, 0)
        ):
            problems.append("pool windows do not fit")
    return problems


# ------------------------------------------------------------------ the assignment


def _task(function: str, signature: str, kind: str, cases) -> Task:
    # modifying an argument in place is a warning only: the course's own code does it
    # (relu_backward writing into dout) and nothing downstream in the course depends on it
    return Task(function, signature, kind, cases, side_effect_default=0.0)


ASSIGNMENT = Assignment(
    name="cs231n",
    description="the layer API of CS231n assignment 2 (NCHW, (F, C, HH, WW), (out, cache))",
    seed=231,
    negated_label=m.NEGATED_DESCENT,
    contract=contract,
    contract_text=CONTRACT,
    kit=KIT,
    kit_package="cs231n",
    tasks=(
        _task(
            "affine_forward",
            "affine_forward(x, w, b) -> (out, cache)",
            "forward",
            lambda rng: affine_cases(rng, False),
        ),
        _task(
            "affine_backward",
            "affine_backward(dout, cache) -> (dx, dw, db)",
            "backward",
            lambda rng: affine_cases(rng, True),
        ),
        _task(
            "relu_forward",
            "relu_forward(x) -> (out, cache)",
            "forward",
            lambda rng: relu_cases(rng, False),
        ),
        _task(
            "relu_backward",
            "relu_backward(dout, cache) -> dx",
            "backward",
            lambda rng: relu_cases(rng, True),
        ),
        _task(
            "conv_forward_naive",
            "conv_forward_naive(x, w, b, conv_param) -> (out, cache)",
            "forward",
            conv_forward_cases,
        ),
        _task(
            "conv_backward_naive",
            "conv_backward_naive(dout, cache) -> (dx, dw, db)",
            "backward",
            conv_backward_cases,
        ),
        _task(
            "max_pool_forward_naive",
            "max_pool_forward_naive(x, pool_param) -> (out, cache)",
            "forward",
            lambda rng: max_pool_cases(rng, False),
        ),
        _task(
            "max_pool_backward_naive",
            "max_pool_backward_naive(dout, cache) -> dx",
            "backward",
            lambda rng: max_pool_cases(rng, True),
        ),
        _task("softmax_loss", "softmax_loss(x, y) -> (loss, dx)", "backward", softmax_loss_cases),
    ),
)
