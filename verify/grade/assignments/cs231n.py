"""The ``cs231n`` assignment: the layer API many courses use, adapted onto the cnnref reference.

NCHW images, (F, C, HH, WW) filters, ``conv_param = {"stride", "pad"}``, ``pool_param =
{"pool_height", "pool_width", "stride"}``; every forward returns ``(out, cache)`` and every backward
takes ``(dout, cache)``. ``softmax_loss(x, y)`` is the mean cross-entropy over the batch (descent
convention): loss = −J / N and dx = (Y − T) / N.
"""

from __future__ import annotations

import numpy as np

import cnnref

from .. import mistakes as m
from ..assignment import Assignment, Call, Case, Directional, Task, forward_backward
from .inputs import away_from_zero, normal, pairing, tie_free, upstream

NCHW_TO_NHWC, NHWC_TO_NCHW, FILTERS_TO_KKCF = (0, 2, 3, 1), (0, 3, 1, 2), (2, 3, 1, 0)


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


def max_pool(x: np.ndarray, size: int, stride: int) -> np.ndarray:
    """cnnref.maxpool2d in NCHW."""
    return cnnref.maxpool2d(x.transpose(NCHW_TO_NHWC), size, stride).transpose(NHWC_TO_NCHW)


def softmax_loss(x: np.ndarray, y: np.ndarray) -> float:
    """loss = −(1/N) Σₙ log softmax(x)ₙ,yₙ  = −J / N."""
    t = np.eye(x.shape[1])[y]
    return -cnnref.log_likelihood(t, cnnref.softmax(x)) / len(x)


def softmax_loss_dx(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """dx = −(T − Y) / N, the notes' output delta turned into a descent gradient of the mean."""
    t = np.eye(x.shape[1])[y]
    return -cnnref.output_delta(t, cnnref.softmax(x)) / len(x)


def affine_cases(rng: np.random.Generator, backward: bool) -> list[Case]:
    cases = []
    d1, d2, k = int(rng.integers(2, 4)), int(rng.integers(3, 5)), int(rng.integers(3, 6))
    for n in (int(rng.integers(3, 6)), 1):
        x, w, b = normal(rng, n, d1, d2), normal(rng, d1 * d2, k), normal(rng, k)
        label = f"x {n}×{d1}×{d2}, w {d1 * d2}×{k}"
        if not backward:
            call = Call("affine_forward", (x, w, b), 0)
            cases.append(Case(label, (call,), affine(x, w, b), 1.0, n))
            continue
        dout = upstream(rng, (n, k))
        dx, dw, db = cnnref.dense_backward(dout, x.reshape(n, -1), w)
        gradients = {
            "dx": Directional(pairing(dout, lambda v, w=w, b=b: affine(v, w, b)), x),
            "dw": Directional(pairing(dout, lambda v, x=x, b=b: affine(x, v, b)), w),
            "db": Directional(pairing(dout, lambda v, x=x, w=w: affine(x, w, v)), b),
        }
        wrong = {m.NOT_RESHAPED: (dx, dw, db), m.BIAS_AXIS: (dx.reshape(x.shape), dw, dout.sum(1))}
        calls = forward_backward("affine_forward", (x, w, b), "affine_backward", dout)
        expected = (dx.reshape(x.shape), dw, db)
        cases.append(Case(label, calls, expected, 2.0, n, ("dx", "dw", "db"), gradients, wrong))
    return cases


def relu_cases(rng: np.random.Generator, backward: bool) -> list[Case]:
    cases = []
    for shape in ((int(rng.integers(3, 6)), int(rng.integers(4, 8))), (1, 3, 4, 5)):
        x = away_from_zero(normal(rng, *shape, scale=2.0))
        label = "x " + "×".join(map(str, shape))
        if not backward:
            cases.append(
                Case(label, (Call("relu_forward", (x,), 0),), cnnref.relu(x), 1.0, shape[0])
            )
            continue
        dout = upstream(rng, shape)
        dx = dout * cnnref.activation_derivative(cnnref.relu(x), "relu")
        gradient = Directional(pairing(dout, cnnref.relu), x)
        calls = forward_backward("relu_forward", (x,), "relu_backward", dout)
        cases.append(Case(label, calls, dx, 1.0, shape[0], ("dx",), {"dx": gradient}))
    return cases


def _conv_inputs(rng: np.random.Generator):
    c, f, h = int(rng.integers(2, 4)), int(rng.integers(2, 4)), int(rng.integers(6, 9))
    w_ = h + int(rng.integers(1, 3))
    for n, stride, pad in ((int(rng.integers(2, 4)), 1, 1), (1, 2, 1), (2, 1, 0)):
        x, w, b = normal(rng, n, c, h, w_), normal(rng, f, c, 3, 3), normal(rng, f)
        label = f"x {n}×{c}×{h}×{w_}, w {f}×{c}×3×3, stride {stride}, pad {pad}"
        yield label, x, w, b, stride, pad


def _conv_backward_case(rng, label, x, w, b, stride, pad) -> Case:
    dout = upstream(rng, conv(x, w, b, stride, pad).shape)
    gradients = {
        "dx": Directional(pairing(dout, lambda v: conv(v, w, b, stride, pad)), x),
        "dw": Directional(pairing(dout, lambda v: conv(x, v, b, stride, pad)), w),
        "db": Directional(pairing(dout, lambda v: conv(x, w, v, stride, pad)), b),
    }
    params = {"stride": stride, "pad": pad}
    calls = forward_backward("conv_forward_naive", (x, w, b, params), "conv_backward_naive", dout)
    expected = conv_grads(dout, x, w, stride, pad)
    wrong = {m.FILTERS_FLIPPED: conv_grads(dout, x, w, stride, pad, "convolution")}
    return Case(label, calls, expected, 3.0, len(x), ("dx", "dw", "db"), gradients, wrong)


def conv_forward_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    for label, x, w, b, stride, pad in _conv_inputs(rng):
        call = Call("conv_forward_naive", (x, w, b, {"stride": stride, "pad": pad}), 0)
        flipped = conv(x, w[:, :, ::-1, ::-1], b, stride, pad)
        cases.append(
            Case(
                label,
                (call,),
                conv(x, w, b, stride, pad),
                2.0,
                len(x),
                mistakes={m.FILTERS_FLIPPED: flipped},
            )
        )
    return cases


def _pool_inputs(rng: np.random.Generator):
    c, h, w = int(rng.integers(2, 4)), 2 * int(rng.integers(3, 5)), 2 * int(rng.integers(4, 6))
    for n, size, stride in ((int(rng.integers(2, 4)), 2, 2), (1, 3, 2)):
        params = {"pool_height": size, "pool_width": size, "stride": stride}
        yield (
            f"x {n}×{c}×{h}×{w}, pool {size}×{size}, stride {stride}",
            tie_free(rng, n, c, h, w),
            params,
        )


def max_pool_cases(rng: np.random.Generator, backward: bool) -> list[Case]:
    cases = []
    for label, x, params in _pool_inputs(rng):
        size, stride = params["pool_height"], params["stride"]
        if not backward:
            call = Call("max_pool_forward_naive", (x, params), 0)
            cases.append(Case(label, (call,), max_pool(x, size, stride), 1.0, len(x)))
            continue
        dout = upstream(rng, max_pool(x, size, stride).shape)
        nhwc = (dout.transpose(NCHW_TO_NHWC), x.transpose(NCHW_TO_NHWC), size, stride)
        dx = cnnref.maxpool2d_backward(*nhwc).transpose(NHWC_TO_NCHW)
        to_all = (cnnref.avgpool2d_backward(*nhwc) * size**2).transpose(NHWC_TO_NCHW)
        gradient = Directional(
            pairing(dout, lambda v, size=size, stride=stride: max_pool(v, size, stride)), x
        )
        calls = forward_backward(
            "max_pool_forward_naive", (x, params), "max_pool_backward_naive", dout
        )
        cases.append(
            Case(label, calls, dx, 2.0, len(x), ("dx",), {"dx": gradient}, {m.POOL_TO_ALL: to_all})
        )
    return cases


def softmax_loss_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    k = int(rng.integers(3, 7))
    for n, offset in ((int(rng.integers(4, 8)), 0.0), (1, 0.0), (3, 1000.0)):
        x, y = normal(rng, n, k, scale=2.0) + offset, rng.integers(0, k, size=n)
        dx = softmax_loss_dx(x, y)
        gradient = Directional(lambda v, y=y: softmax_loss(v, y), x)
        label = f"x {n}×{k}" + (", scores offset by +1000" if offset else "")
        cases.append(
            Case(
                label,
                (Call("softmax_loss", (x, y)),),
                (softmax_loss(x, y), dx),
                2.0,
                n,
                ("loss", "dx"),
                {"dx": gradient},
            )
        )
    return cases


ASSIGNMENT = Assignment(
    name="cs231n",
    description="the layer API of CS231n assignment 2 (NCHW, (F, C, HH, WW), (out, cache))",
    seed=231,
    negated_label=m.NEGATED_DESCENT,
    tasks=(
        Task(
            "affine_forward",
            "affine_forward(x, w, b) -> (out, cache)",
            "forward",
            lambda rng: affine_cases(rng, False),
        ),
        Task(
            "affine_backward",
            "affine_backward(dout, cache) -> (dx, dw, db)",
            "backward",
            lambda rng: affine_cases(rng, True),
        ),
        Task(
            "relu_forward",
            "relu_forward(x) -> (out, cache)",
            "forward",
            lambda rng: relu_cases(rng, False),
        ),
        Task(
            "relu_backward",
            "relu_backward(dout, cache) -> dx",
            "backward",
            lambda rng: relu_cases(rng, True),
        ),
        Task(
            "conv_forward_naive",
            "conv_forward_naive(x, w, b, conv_param) -> (out, cache)",
            "forward",
            conv_forward_cases,
        ),
        Task(
            "conv_backward_naive",
            "conv_backward_naive(dout, cache) -> (dx, dw, db)",
            "backward",
            lambda rng: [_conv_backward_case(rng, *inputs) for inputs in _conv_inputs(rng)],
        ),
        Task(
            "max_pool_forward_naive",
            "max_pool_forward_naive(x, pool_param) -> (out, cache)",
            "forward",
            lambda rng: max_pool_cases(rng, False),
        ),
        Task(
            "max_pool_backward_naive",
            "max_pool_backward_naive(dout, cache) -> dx",
            "backward",
            lambda rng: max_pool_cases(rng, True),
        ),
        Task("softmax_loss", "softmax_loss(x, y) -> (loss, dx)", "backward", softmax_loss_cases),
    ),
)
