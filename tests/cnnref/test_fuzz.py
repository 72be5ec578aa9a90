"""Property-based fuzzing of the public functional API with Hypothesis.

Two properties, for every public function:

1. **Valid calls give the reference's numbers**: shapes (empty batches and 1-long axes included),
   strides (up to 2⁶⁴), pads (up to the image's side), window sizes, dtypes, memory layouts
   (Fortran order, strided and reversed views, the other byte order, read-only buffers) and
   non-finite values are drawn; the result must equal the plain NumPy implementation of
   ``tests/cnnref/numpy_reference.py`` (which shares no code with cnnref) to the suite's per-dtype
   tolerance, with NaN and ±inf at the same places.
2. **Malformed calls fail cleanly**: any mix of wrong shapes, dtypes, None, strings, huge or
   negative integers either returns or raises ValueError / TypeError — never another exception,
   and never a crash of the interpreter.

The short ``ci`` profile (fixed seed, a few dozen examples per test) runs with the suite; the
``long`` profile runs thousands per test, by a documented command that also runs it on the
bounds-checked build (``bash .ci/fuzz-long``, see docs/guides/contributor.md).
"""

from __future__ import annotations

import inspect
import itertools
import os

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import cnnref
from cnnref.conv import conv2d_backward_direct, conv2d_direct

FORWARD = {"fast": cnnref.conv2d, "direct": conv2d_direct}
BACKWARD = {"fast": cnnref.conv2d_backward, "direct": conv2d_backward_direct}

DTYPES = st.sampled_from([np.float32, np.float64])
NONFINITE = (np.nan, np.inf, -np.inf)
LAYOUTS = ("C", "fortran", "strided", "reversed", "byteswapped", "read-only")


# ---------------------------------------------------------------- drawing inputs


@st.composite
def arrays(draw, shape, dtype, scale=1.0, nonfinite=True):
    """Values N(0, scale²) from a drawn seed, at most three of them made NaN or ±inf, stored in a
    drawn memory layout."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    values = np.array(rng.standard_normal(shape) * scale, dtype=dtype)
    if nonfinite and values.size:
        for _ in range(draw(st.integers(0, 3))):
            position = draw(st.integers(0, values.size - 1))
            values.reshape(-1)[position] = draw(st.sampled_from(NONFINITE))
    return _stored(values, draw(st.sampled_from(LAYOUTS)))


def _stored(a: np.ndarray, layout: str) -> np.ndarray:
    """The same values in another memory layout."""
    if layout == "fortran":
        return np.asfortranarray(a)
    if layout == "strided" and a.ndim:
        big = np.zeros(tuple(2 * s for s in a.shape), dtype=a.dtype)
        view = big[tuple(slice(None, None, 2) for _ in a.shape)]
        view[...] = a
        return view
    if layout == "reversed" and a.ndim:
        return np.ascontiguousarray(a[::-1])[::-1]
    if layout == "byteswapped":
        return a.astype(a.dtype.newbyteorder("S"))
    if layout == "read-only":
        frozen = a.copy()
        frozen.flags.writeable = False
        return frozen
    return a


STRIDES = st.one_of(st.integers(1, 4), st.sampled_from([2**31, 2**63, 2**64]))


# ---------------------------------------------------------------- comparing


def _magnitude(a) -> np.ndarray:
    """|a| with non-finite entries as 0: the reference evaluated on these gives Σ|terms| of every
    output, the scale its rounding error is relative to."""
    a = np.abs(np.asarray(a, dtype=np.float64))
    return np.where(np.isfinite(a), a, 0.0)


def _check(got, expected, dtype, what: str, magnitude=None) -> None:
    """Same shape and dtype; NaN and ±inf where the reference has them; finite entries within the
    suite's relative tolerance of the largest finite reference entry — or, given ``magnitude``
    (the reference on |inputs|), of the largest sum of |terms|, since a sum that cancels keeps the
    rounding error of its terms."""
    got = np.asarray(got)
    expected = np.asarray(expected, dtype=np.float64)
    assert got.shape == expected.shape, f"{what}: shape {got.shape} vs {expected.shape}"
    assert got.dtype == np.dtype(dtype), f"{what}: dtype {got.dtype}, expected {np.dtype(dtype)}"
    got = got.astype(np.float64)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected), err_msg=f"{what}: NaNs")
    infinite = np.isinf(expected)
    np.testing.assert_array_equal(got[infinite], expected[infinite], err_msg=f"{what}: ±inf")
    finite = np.isfinite(expected)
    assert np.isfinite(got[finite]).all(), f"{what}: non-finite where the reference is finite"
    scale = max(float(np.max(np.abs(expected[finite]), initial=0.0)), 1e-300)
    if magnitude is not None:
        scale = max(scale, float(np.max(np.asarray(magnitude), initial=0.0)))
    error = float(np.max(np.abs(got[finite] - expected[finite]), initial=0.0)) / scale
    tolerance = 1e-4 if np.dtype(dtype) == np.float32 else 1e-10
    assert error <= tolerance, f"{what}: relative error {error:.2e} > {tolerance:.0e}"


def _quiet(function, *args, **kwargs):
    """Call with NumPy's floating-point warnings off: the inputs are non-finite on purpose."""
    with np.errstate(all="ignore"):
        return function(*args, **kwargs)


# ---------------------------------------------------------------- valid calls


@st.composite
def conv_problems(draw):
    dtype = draw(DTYPES)
    n, c = draw(st.integers(0, 5)), draw(st.integers(1, 3))
    f = draw(st.sampled_from([1, 2, 3, 8, 16]))  # 8 and 16 reach the SIMD kernels
    h, w = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    pad = draw(st.integers(0, min(max(h, w), 3)))
    kh, kw = draw(st.integers(1, h + 2 * pad)), draw(st.integers(1, w + 2 * pad))
    stride = draw(STRIDES)
    x = draw(arrays((n, h, w, c), dtype))
    weights = draw(arrays((kh, kw, c, f), dtype, 0.5))
    b = draw(arrays((f,), dtype, nonfinite=False))
    ho = (h + 2 * pad - kh) // stride + 1
    wo = (w + 2 * pad - kw) // stride + 1
    dout = draw(arrays((n, ho, wo, f), dtype))
    mode = draw(st.sampled_from(["cross-correlation", "convolution"]))
    return dtype, x, weights, b, dout, stride, pad, mode


@given(problem=conv_problems(), algorithm=st.sampled_from(["fast", "direct"]))
def test_convolution_matches_the_reference(ref, problem, algorithm):
    dtype, x, w, b, dout, stride, pad, mode = problem
    out = _quiet(FORWARD[algorithm], x, w, b, stride, pad, mode)
    grads = _quiet(BACKWARD[algorithm], dout, x, w, stride, pad, mode)
    # the reference's stride: any stride past the padded image reads the same single window
    small = min(stride, x.shape[1] + x.shape[2] + 4 * pad)
    sizes = ref.conv2d(_magnitude(x), _magnitude(w), _magnitude(b), small, pad, mode)
    _check(out, _quiet(ref.conv2d, x, w, b, small, pad, mode), dtype, "conv2d", sizes)
    expected = _quiet(ref.conv2d_backward, dout, x, w, small, pad, mode)
    sizes = ref.conv2d_backward(_magnitude(dout), _magnitude(x), _magnitude(w), small, pad, mode)
    for name, got, want, size in zip(("dx", "dw", "db"), grads, expected, sizes, strict=True):
        _check(got, want, dtype, f"conv2d_backward {name}", size)


@st.composite
def pool_problems(draw):
    dtype = draw(DTYPES)
    n, c = draw(st.integers(0, 3)), draw(st.integers(1, 3))
    h, w = draw(st.integers(1, 7)), draw(st.integers(1, 7))
    size = draw(st.integers(1, min(h, w)))
    stride = draw(st.one_of(st.none(), STRIDES))
    x = draw(arrays((n, h, w, c), dtype))
    step = size if stride is None else stride
    dout = draw(arrays((n, (h - size) // step + 1, (w - size) // step + 1, c), dtype))
    return dtype, x, dout, size, stride


@given(problem=pool_problems())
def test_pooling_matches_the_reference(ref, problem):
    dtype, x, dout, size, stride = problem
    small = None if stride is None else min(stride, x.shape[1] + x.shape[2])
    for name in ("maxpool2d", "avgpool2d"):
        forward, backward = getattr(cnnref, name), getattr(cnnref, f"{name}_backward")
        expected = _quiet(getattr(ref, name), x, size, small)
        sizes = _quiet(getattr(ref, name), _magnitude(x), size, small)
        _check(_quiet(forward, x, size, stride), expected, dtype, name, sizes)
        expected = _quiet(getattr(ref, f"{name}_backward"), dout, x, size, small)
        sizes = _quiet(getattr(ref, f"{name}_backward"), _magnitude(dout), x, size, small)
        _check(_quiet(backward, dout, x, size, stride), expected, dtype, f"{name}_backward", sizes)


@given(
    dtype=DTYPES,
    sizes=st.tuples(st.integers(0, 4), st.integers(1, 5), st.integers(1, 5)),
    data=st.data(),
)
def test_dense_layer_matches_the_reference(ref, dtype, sizes, data):
    n, d, m = sizes
    x, w = data.draw(arrays((n, d), dtype)), data.draw(arrays((d, m), dtype))
    b, delta = data.draw(arrays((m,), dtype)), data.draw(arrays((n, m), dtype))
    sizes = ref.dense(_magnitude(x), _magnitude(w), _magnitude(b))
    _check(_quiet(cnnref.dense, x, w, b), _quiet(ref.dense, x, w, b), dtype, "dense", sizes)
    expected = _quiet(ref.dense_backward, delta, x, w)
    sizes = ref.dense_backward(_magnitude(delta), _magnitude(x), _magnitude(w))
    grads = _quiet(cnnref.dense_backward, delta, x, w)
    for name, got, want, size in zip(("dx", "dw", "db"), grads, expected, sizes, strict=True):
        _check(got, want, dtype, f"dense_backward {name}", size)


@given(
    dtype=DTYPES,
    shape=st.lists(st.integers(0, 4), max_size=3).map(tuple),
    kind=st.sampled_from(["sigmoid", "tanh", "relu"]),
    data=st.data(),
)
def test_activations_match_the_reference_in_any_shape(ref, dtype, shape, kind, data):
    a = data.draw(arrays(shape, dtype, 3.0))
    a64 = np.asarray(a, dtype=np.float64)
    z = _quiet(getattr(cnnref, kind), a)
    # NaN propagates through every activation (relu too, as in PyTorch); ±inf saturates
    expected = np.where(np.isnan(a64), np.nan, _quiet(ref.activate, a64, kind))
    _check(z, expected, dtype, kind)
    derivative = _quiet(cnnref.activation_derivative, z, kind)
    # Z′ is written in terms of the rounded z, whose own rounding an ill-conditioned z(1 − z) or
    # 1 − z² would amplify near saturation: the reference is the formula on that z, in float64
    z64 = np.asarray(z, dtype=np.float64)
    slope = {"sigmoid": z64 * (1 - z64), "tanh": 1 - z64**2, "relu": (z64 > 0) * 1.0}[kind]
    at_a = _quiet(ref.activation_slope, np.where(np.isfinite(a64), a64, 0.0), kind)
    moderate = np.isfinite(a64) & (np.abs(a64) < 4)  # there z's rounding is not amplified
    np.testing.assert_allclose(
        np.asarray(derivative, np.float64)[moderate],
        at_a[moderate],
        rtol=1e-3 if dtype == np.float32 else 1e-9,
        atol=1e-6,
    )
    _check(derivative, slope, dtype, f"activation_derivative {kind}")


@given(dtype=DTYPES, sizes=st.tuples(st.integers(0, 4), st.integers(1, 6)), data=st.data())
def test_softmax_and_log_likelihood_match_the_reference(ref, dtype, sizes, data):
    a = data.draw(arrays(sizes, dtype, 20.0))
    y = _quiet(cnnref.softmax, a)
    _check(y, _quiet(ref.softmax, a), dtype, "softmax")
    finite = np.isfinite(np.asarray(a, dtype=np.float64)).all()
    assume(finite)
    labels = np.eye(sizes[1], dtype=dtype)[np.argsort(np.asarray(a), axis=1)[:, 0]]
    # documented: an underflowed y (0 or subnormal) is taken at the dtype's smallest normal number
    floored = np.maximum(np.asarray(y, np.float64), float(np.finfo(dtype).tiny))
    expected = ref.log_likelihood(labels, floored)
    got = cnnref.log_likelihood(labels, y)
    assert got == pytest.approx(expected, rel=1e-4 if dtype == np.float32 else 1e-10, abs=1e-30)
    _check(
        cnnref.output_delta(labels, y), labels - np.asarray(y, np.float64), dtype, "output_delta"
    )


@given(
    dtype=DTYPES,
    widths=st.lists(st.integers(1, 5), min_size=2, max_size=4),
    n=st.integers(0, 4),
    kind=st.sampled_from(["sigmoid", "tanh", "relu"]),
    data=st.data(),
)
def test_backprop_matches_the_reference(ref, dtype, widths, n, kind, data):
    weights = [data.draw(arrays(s, dtype, 0.7, False)) for s in itertools.pairwise(widths)]
    biases = [data.draw(arrays((m,), dtype, 0.3, False)) for m in widths[1:]]
    x = data.draw(arrays((n, widths[0]), dtype, nonfinite=False))
    labels = np.eye(widths[-1], dtype=dtype)[np.arange(n) % widths[-1]]
    grads_w, grads_b = cnnref.backprop(weights, biases, x, labels, kind)
    _, ref_w, ref_b = ref.mlp_gradients(weights, biases, x, labels, kind)
    for layer, (got, want) in enumerate(zip(grads_w + grads_b, ref_w + ref_b, strict=True)):
        _check(got, want, dtype, f"backprop gradient {layer}")


# ---------------------------------------------------------------- malformed calls

FUNCTIONS = [getattr(cnnref, name) for name in cnnref.__all__ if name[0].islower()]
FUNCTIONS = [f for f in FUNCTIONS if f not in (cnnref.mlp, cnnref.seed_cnn)]
JUNK_DTYPES = [np.float64, np.float32, np.float16, np.int64, np.int8, np.bool_, np.complex128]


@st.composite
def junk(draw, depth=0):
    """Anything an argument might wrongly be: arrays of any rank, size and dtype (empty and 0-d
    included, maybe non-finite), numbers small and huge, None, strings, lists of these."""
    kind = draw(st.sampled_from(["array", "array", "array", "int", "float", "none", "str", "list"]))
    if kind == "array":
        shape = tuple(draw(st.lists(st.integers(0, 4), max_size=5)))
        values = np.random.default_rng(draw(st.integers(0, 2**16))).standard_normal(shape)
        if values.size and draw(st.booleans()):
            values.reshape(-1)[0] = draw(st.sampled_from(NONFINITE))
        with np.errstate(all="ignore"):
            return values.astype(draw(st.sampled_from(JUNK_DTYPES)))
    if kind == "int":
        return draw(st.sampled_from([0, 1, 2, 3, -1, -(2**63), 2**31, 2**63, 2**64, True]))
    if kind == "float":
        return draw(st.sampled_from([0.5, 2.0, float("nan"), float("inf"), -3.0]))
    if kind == "none":
        return None
    if kind == "str":
        return draw(st.sampled_from(["", "relu", "convolution", "yes", "im2col"]))
    if depth > 0:
        return []
    return draw(st.lists(junk(depth=1), max_size=3))


@given(function=st.sampled_from(FUNCTIONS), data=st.data())
def test_malformed_calls_raise_value_or_type_errors_only(function, data):
    parameters = [
        p
        for p in inspect.signature(function).parameters.values()
        if p.kind is p.POSITIONAL_OR_KEYWORD
    ]
    required = sum(p.default is p.empty for p in parameters)
    count = data.draw(st.integers(required, len(parameters)))
    args = [data.draw(junk()) for _ in range(count)]
    try:
        _quiet(function, *args)
    except (ValueError, TypeError):
        pass


def test_the_bounds_checked_build_is_the_one_loaded_when_asked():
    """Run by the long profile on the debug build (CNNREF_EXPECT_DEBUG_BUILD=1): a kernel handed
    a filter bank with fewer channels than the image must raise IndexError, not read past it."""
    if os.environ.get("CNNREF_EXPECT_DEBUG_BUILD", "") in ("", "0"):
        pytest.skip("the bounds-checked build is exercised by bash .ci/fuzz-long")
    from cnnref.kernels import conv

    x, w, b, out = (
        np.zeros((1, 4, 4, 3)),
        np.zeros((2, 2, 2, 1)),
        np.zeros(1),
        np.zeros((1, 3, 3, 1)),
    )
    with pytest.raises(IndexError, match="Out of bounds"):
        conv.conv_forward_direct(x, w, b, out, 1, 0)
