"""Malformed input never ends the interpreter and always gets an error that names the argument:
zero-size axes, huge strides and pads, empty batches, 0-d arrays, targets that are not
distributions, other frameworks' layouts, None. Also the one rule for non-finite values that meet
the zero padding, on every convolution path."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

import cnnref
from cnnref.activations import times_activation_derivative
from cnnref.conv import conv2d_backward_direct, conv2d_direct

ALGORITHMS = ("fast", "direct")
FORWARD = {"fast": cnnref.conv2d, "direct": conv2d_direct}
BACKWARD = {"fast": cnnref.conv2d_backward, "direct": conv2d_backward_direct}


def _conv_inputs(x_shape, w_shape, dtype=np.float64):
    rng = np.random.default_rng(3)
    x = rng.standard_normal(x_shape).astype(dtype)
    w = rng.standard_normal(w_shape).astype(dtype)
    return x, w, rng.standard_normal(w_shape[3]).astype(dtype)


# ---------------------------------------------------------------- zero-size axes


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize(
    ("x_shape", "w_shape", "message"),
    [
        ((1, 3, 3, 0), (2, 2, 0, 1), r"x must have C ≥ 1 \(axis 3"),  # once SIGFPE
        ((1, 3, 3, 1), (0, 2, 1, 1), r"w must have KH ≥ 1 \(axis 0"),
        ((1, 3, 3, 1), (2, 0, 1, 1), r"w must have KW ≥ 1 \(axis 1"),
        ((1, 3, 3, 1), (2, 2, 1, 0), r"w must have F ≥ 1 \(axis 3"),
        ((1, 0, 3, 1), (1, 1, 1, 1), r"x must have H ≥ 1 \(axis 1"),
    ],
)
def test_zero_size_axes_are_rejected_by_name(algorithm, x_shape, w_shape, message):
    x, w = np.zeros(x_shape), np.zeros(w_shape)
    with pytest.raises(ValueError, match=message):
        FORWARD[algorithm](x, w, np.zeros(w_shape[3]))
    dout = np.zeros((1, 2, 2, max(w_shape[3], 1)))
    with pytest.raises(ValueError, match=message):
        BACKWARD[algorithm](dout, x, w)


@pytest.mark.parametrize(
    "function", [cnnref.maxpool2d, cnnref.avgpool2d], ids=["maxpool2d", "avgpool2d"]
)
def test_pooling_rejects_zero_channels(function):
    with pytest.raises(ValueError, match=r"x must have C ≥ 1"):
        function(np.zeros((1, 2, 2, 0)))


# ---------------------------------------------------------------- strides, pads, batches


@pytest.mark.parametrize("stride", [2**31, 2**63, 2**64, 10**30])
@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_a_stride_past_the_image_keeps_one_window(stride, algorithm):
    x, w, b = _conv_inputs((2, 5, 4, 2), (2, 3, 2, 3))
    one_window = FORWARD[algorithm](x, w, b, 7, 1)  # 7 > H + 2·pad: Ho = Wo = 1
    out = FORWARD[algorithm](x, w, b, stride, 1)
    assert out.shape == (2, 1, 1, 3)
    np.testing.assert_array_equal(out, one_window)
    dout = np.ones_like(out)
    expected = BACKWARD[algorithm](dout, x, w, 7, 1)
    for got, want in zip(BACKWARD[algorithm](dout, x, w, stride, 1), expected, strict=True):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("stride", [2**63, 2**64])
def test_pooling_with_a_huge_stride_keeps_one_window(stride):
    x = np.arange(2 * 5 * 4 * 3, dtype=np.float64).reshape(2, 5, 4, 3)
    for forward in (cnnref.maxpool2d, cnnref.avgpool2d):
        np.testing.assert_array_equal(forward(x, 2, stride), forward(x, 2, 9))
    dout = np.ones((2, 1, 1, 3))
    np.testing.assert_array_equal(
        cnnref.maxpool2d_backward(dout, x, 2, stride), cnnref.maxpool2d_backward(dout, x, 2, 9)
    )
    np.testing.assert_array_equal(
        cnnref.avgpool2d_backward(dout, x, 2, stride), cnnref.avgpool2d_backward(dout, x, 2, 9)
    )


@pytest.mark.parametrize("pad", [4, 10**6, 2**63])
def test_a_pad_wider_than_the_image_is_a_value_error_naming_pad(pad):
    x, w, b = _conv_inputs((1, 3, 2, 1), (2, 2, 1, 1))
    with pytest.raises(ValueError, match=r"pad must be at most .* max\(H, W\) = 3"):
        cnnref.conv2d(x, w, b, pad=pad)
    with pytest.raises(ValueError, match="pad must be at most"):
        cnnref.conv2d_backward(np.zeros((1, 1, 1, 1)), x, w, pad=pad)
    assert cnnref.conv2d(x, w, b, pad=3).shape == (1, 8, 7, 1)  # as wide as the image: allowed


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_an_empty_batch_of_large_images_allocates_nothing_large(algorithm):
    x = np.zeros((0, 1500, 1500, 3))
    w, b = np.ones((5, 5, 3, 16)), np.zeros(16)
    tracemalloc.start()
    try:
        out = FORWARD[algorithm](x, w, b)
        dx, dw, db = BACKWARD[algorithm](np.zeros(out.shape), x, w)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert out.shape == (0, 1496, 1496, 16)
    assert dx.shape == x.shape and not dw.any() and not db.any()
    assert peak < 1 << 20  # one image's patch matrix would be 1.3 GB


# ---------------------------------------------------------------- types, flags, 0-d arrays


def test_activation_derivative_dtype_mismatch_is_a_type_error():
    with pytest.raises(TypeError, match="z is float64, upstream is float32"):
        times_activation_derivative(np.ones(3, np.float32), np.ones(3), "relu")
    with pytest.raises(ValueError, match="upstream must have shape"):
        times_activation_derivative(np.ones(4), np.ones(3), "relu")


def test_flatten_backward_on_an_empty_batch():
    layer = cnnref.Flatten()
    assert layer.forward(np.zeros((0, 2, 3, 4))).shape == (0, 24)
    assert layer.backward(np.zeros((0, 24))).shape == (0, 2, 3, 4)
    with pytest.raises(ValueError, match=r"dout must have shape \(0, 24\)"):
        layer.backward(np.zeros((0, 23)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_zero_dimensional_inputs_keep_their_shape(dtype):
    a = np.array(0.5, dtype=dtype)
    for function, expected in [
        (cnnref.relu, 0.5),
        (cnnref.sigmoid, 1 / (1 + np.exp(-0.5))),
        (cnnref.tanh, np.tanh(0.5)),
    ]:
        z = function(a)
        assert z.shape == () and z.dtype == dtype
        assert z == pytest.approx(expected, rel=1e-6)
    derivative = cnnref.activation_derivative(a, "sigmoid")
    assert derivative.shape == () and derivative == pytest.approx(0.25)
    with pytest.raises(ValueError, match=r"a must be \(N, K\) or \(K,\)"):
        cnnref.softmax(a)


# ---------------------------------------------------------------- targets


def test_targets_whose_rows_do_not_sum_to_one_are_rejected():
    y = cnnref.softmax(np.array([[0.1, 0.7, -0.2], [1.0, 0.0, 0.5]]))
    bad = np.array([[0.5, 0.2, 0.0], [0.0, 1.0, 0.0]])
    message = r"rows that each sum to 1 .* row 0 sums to 0\.7"
    z, v = np.ones((2, 4)) * 0.5, np.ones((4, 3))
    x, w = np.ones((2, 5)), np.ones((5, 4))
    for call in [
        lambda: cnnref.output_delta(bad, y),
        lambda: cnnref.grad_c(bad, y),
        lambda: cnnref.grad_V(z, bad, y),
        lambda: cnnref.grad_W(x, z, v, bad, y, "sigmoid"),
        lambda: cnnref.grad_b(z, v, bad, y, "sigmoid"),
        lambda: cnnref.delta_recursion([w, v], [x, z], bad, y, "sigmoid"),
        lambda: cnnref.backprop([w, v], [np.zeros(4), np.zeros(3)], x, bad, "sigmoid"),
    ]:
        with pytest.raises(ValueError, match=message):
            call()
    with pytest.raises(ValueError, match="row 1 sums to nan"):
        cnnref.output_delta(np.array([[0.0, 1.0, 0.0], [np.nan, 1.0, 0.0]]), y)
    assert np.isfinite(cnnref.log_likelihood(bad, y))  # J itself is defined for any t


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_one_hot_and_soft_targets_are_accepted(dtype):
    rng = np.random.default_rng(0)
    y = cnnref.softmax(rng.standard_normal((5, 7)).astype(dtype))
    soft = rng.random((5, 7)).astype(dtype)
    soft /= soft.sum(axis=1, keepdims=True)  # rounded in dtype: sums are 1 ± a few ε
    labels = np.eye(7, dtype=np.int64)[rng.integers(0, 7, 5)]
    for t in (soft, labels, labels.astype(bool)):
        np.testing.assert_allclose(cnnref.output_delta(t, y), t.astype(dtype) - y, rtol=0)
    assert cnnref.output_delta(np.zeros((0, 7)), np.zeros((0, 7), dtype)).shape == (0, 7)


# ---------------------------------------------------------------- other layouts and None


def test_a_pytorch_layout_filter_is_named_as_such():
    x = np.zeros((2, 32, 32, 3))
    for w in (np.zeros((16, 3, 3, 3)), np.zeros((16, 3, 5, 5))):
        with pytest.raises(
            ValueError, match=r"looks like PyTorch's \(F, C, KH, KW\).*transpose\(2, 3, 1, 0\)"
        ):
            cnnref.conv2d(x, w, np.zeros(16))
    with pytest.raises(ValueError, match="looks like PyTorch's"):
        cnnref.conv2d_backward(np.zeros((2, 28, 28, 16)), x, np.zeros((16, 3, 5, 5)))
    # (KH, KW, C, F) filters whose sizes happen to coincide are not mistaken for it
    assert cnnref.conv2d(x, np.zeros((16, 3, 3, 16)), np.zeros(16)).shape == (2, 17, 30, 16)
    assert cnnref.conv2d(x, np.zeros((3, 3, 3, 16)), np.zeros(16)).shape == (2, 30, 30, 16)


def test_nchw_images_get_a_layout_hint():
    hint = r"x \(2, 3, 32, 32\) looks like NCHW .* wants NHWC .*transpose\(0, 2, 3, 1\)"
    with pytest.raises(ValueError, match=hint):
        cnnref.conv2d(np.zeros((2, 3, 32, 32)), np.zeros((5, 5, 3, 16)), np.zeros(16))
    with pytest.raises(ValueError, match=hint):
        cnnref.maxpool2d(np.zeros((2, 3, 32, 32)), size=4)
    with pytest.raises(ValueError) as plain:
        cnnref.conv2d(np.zeros((2, 8, 8, 2)), np.zeros((3, 3, 3, 4)), np.zeros(4))
    assert "NCHW" not in str(plain.value)


@pytest.mark.parametrize("name", ["x", "w", "b"])
def test_none_is_named_as_none(name):
    args = dict(zip("xwb", _conv_inputs((1, 4, 4, 2), (2, 2, 2, 3)), strict=True))
    args[name] = None
    with pytest.raises(TypeError, match=rf"{name} must be a float32 or float64 array .*got None"):
        cnnref.conv2d(**args)


# ---------------------------------------------------------------- non-finite values and padding


def _ieee_conv(x, w, b, stride, pad):
    """out = b + Σ in·w over every tap of the zero-padded input, element by element in NumPy (no
    BLAS): 0 · inf is NaN, as IEEE arithmetic says."""
    kh, kw, _, f = w.shape
    padded = np.zeros((x.shape[0], x.shape[1] + 2 * pad, x.shape[2] + 2 * pad, x.shape[3]))
    padded[:, pad : pad + x.shape[1], pad : pad + x.shape[2]] = x
    ho = (padded.shape[1] - kh) // stride + 1
    wo = (padded.shape[2] - kw) // stride + 1
    out = np.empty((x.shape[0], ho, wo, f))
    with np.errstate(invalid="ignore"):
        for i in range(ho):
            for j in range(wo):
                window = padded[:, i * stride : i * stride + kh, j * stride : j * stride + kw]
                out[:, i, j] = (window[..., None] * w).sum(axis=(1, 2, 3)) + b
    return out


def _ieee_filter_gradient(dout, x, w, stride, pad):
    """dw[k1, k2, c, f] = Σ in·dout over every window, element by element (0 · inf = NaN)."""
    kh, kw = w.shape[:2]
    padded = np.zeros((x.shape[0], x.shape[1] + 2 * pad, x.shape[2] + 2 * pad, x.shape[3]))
    padded[:, pad : pad + x.shape[1], pad : pad + x.shape[2]] = x
    ho, wo = dout.shape[1:3]
    dw = np.zeros(w.shape)
    with np.errstate(invalid="ignore"):
        for k1 in range(kh):
            for k2 in range(kw):
                taps = padded[
                    :,
                    k1 : k1 + stride * (ho - 1) + 1 : stride,
                    k2 : k2 + stride * (wo - 1) + 1 : stride,
                ]
                dw[k1, k2] = (taps[..., :, None] * dout[..., None, :]).sum(axis=(0, 1, 2))
    return dw


PATHS = {  # (algorithm, batch, filters) that select each convolution path
    "im2col": ("fast", 1, 3),  # fewer images than OpenMP threads: one patch matrix
    "per-image": ("fast", 8, 3),
    "simd": ("fast", 8, 16),  # the SIMD micro-kernel where the CPU has it (else per image)
    "direct": ("direct", 8, 3),
}


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("value", [np.inf, -np.inf, np.nan])
@pytest.mark.parametrize(("stride", "pad"), [(1, 1), (2, 2), (1, 0)])
def test_nonfinite_values_meeting_the_padding_give_nan_on_every_path(path, value, stride, pad):
    algorithm, n, f = PATHS[path]
    x, w, b = _conv_inputs((n, 4, 5, 2), (3, 2, 2, f))
    w[0, 1, 1, 2] = value
    x[n // 2, 2, 1, 0] = value  # inside the image: meets every weight of its windows
    dout_shape = _ieee_conv(x, w, b, stride, pad).shape
    dout = np.random.default_rng(1).standard_normal(dout_shape)
    dout[n - 1, 0, dout_shape[2] - 1, 1] = value
    out = FORWARD[algorithm](x, w, b, stride, pad)
    _, dw, _ = BACKWARD[algorithm](dout, x, w, stride, pad)
    np.testing.assert_allclose(out, _ieee_conv(x, w, b, stride, pad), rtol=1e-12, atol=1e-12)
    expected = _ieee_filter_gradient(dout, x, w, stride, pad)
    np.testing.assert_allclose(dw, expected, rtol=1e-12, atol=1e-12)
    if pad:
        assert np.isnan(out[0, 0, 0, 2])  # window (0, 0) reads padding through tap (0, 1)


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_convolution_mode_follows_the_same_rule(algorithm):
    x, w, b = _conv_inputs((2, 4, 4, 1), (2, 2, 1, 1))
    w[0, 0, 0, 0] = np.inf
    out = FORWARD[algorithm](x, w, b, 1, 1, "convolution")
    expected = _ieee_conv(x, w[::-1, ::-1], b, 1, 1)
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------- ragged lists, masks, non-strings


def test_ragged_nested_lists_are_a_value_error_naming_the_argument():
    with pytest.raises(ValueError, match=r"x must be a float32 or float64 array .*ragged"):
        cnnref.conv2d([[[[1.0]]], [1.0]], np.ones((1, 1, 1, 1)), np.zeros(1))
    with pytest.raises(ValueError, match=r"a must be a float32 or float64 array; .*ragged"):
        cnnref.relu([[1.0], [1.0, 2.0]])
    with pytest.raises(ValueError, match=r"t must be .*ragged"):
        cnnref.log_likelihood([[1.0], [0.0, 1.0]], np.full((2, 2), 0.5))


def test_a_masked_array_is_a_type_error_not_a_silently_dropped_mask():
    masked = np.ma.masked_array([1.0, -2.0], mask=[False, True])
    with pytest.raises(TypeError, match=r"a must be a plain .*masked array.*filled"):
        cnnref.relu(masked)


@pytest.mark.parametrize("mode", [np.array(["convolution", "x"]), None, ["convolution"], 1])
def test_a_mode_that_is_not_a_string_is_a_type_error(mode):
    x, w, b = _conv_inputs((1, 4, 4, 2), (2, 2, 2, 3))
    with pytest.raises(TypeError, match=r"mode must be a string, one of 'cross-correlation'"):
        cnnref.conv2d(x, w, b, mode=mode)
    with pytest.raises(TypeError, match=r"kind must be a string"):
        cnnref.activation_derivative(np.ones(3), np.array(["relu", "tanh"]))


@pytest.mark.parametrize("weights", [None, (w for w in [np.ones((3, 2))]), "ab"])
def test_weights_that_are_no_list_are_a_type_error_naming_weights(weights):
    with pytest.raises(TypeError, match=r"weights must be a list with one array per layer"):
        cnnref.mlp_forward(weights, [np.zeros(2)], np.ones((4, 3)), "relu")
    with pytest.raises(TypeError, match=r"zs must be a list with one array per layer"):
        cnnref.delta_recursion([np.ones((3, 2))], None, np.eye(2), np.full((2, 2), 0.5), "relu")


def test_an_activation_layer_without_a_kind_is_rejected_when_built():
    from cnnref.nn.layers import Activation

    with pytest.raises(TypeError, match=r"kind must be a string, one of 'sigmoid'"):
        Activation()  # once built, then failing at forward with "got ''"


def test_an_activation_layer_given_another_kind_is_rejected():
    with pytest.raises(ValueError, match=r"ReLU computes relu, got kind='tanh': use Tanh\(\)"):
        cnnref.ReLU("tanh")  # once a ReLU that computed tanh
    assert cnnref.ReLU("relu").kind == "relu"


def test_a_wrong_dtype_says_how_to_convert_where_it_can_be_guessed():
    with pytest.raises(TypeError, match=r"int64; convert it: np.asarray\(a, dtype=np.float64\)"):
        cnnref.relu(np.ones(3, np.int64))
    with pytest.raises(TypeError, match=r"got complex128; .*pass a.real"):
        cnnref.relu(np.ones(3) + 0j)
    x, w, b = _conv_inputs((1, 4, 4, 2), (2, 2, 2, 3))
    with pytest.raises(TypeError, match=r"w is float32; cast them to one, e.g. w.astype\(np.f"):
        cnnref.conv2d(x, w.astype(np.float32), b)


def test_an_output_too_large_to_allocate_is_a_value_error_naming_x_and_w(monkeypatch):
    def out_of_memory(*args, **kwargs):
        raise MemoryError("Unable to allocate 7.28 TiB")  # what NumPy says, naming no argument

    monkeypatch.setattr("cnnref.conv_paths.forward", out_of_memory)
    monkeypatch.setattr("cnnref.linear.matmul", out_of_memory)
    x, w, b = _conv_inputs((2, 4, 4, 2), (2, 2, 2, 3))
    message = (
        r"x and w ask for the output \(N, Ho, Wo, F\) of shape \(2, 3, 3, 3\) \(float64\), 432"
    )
    with pytest.raises(ValueError, match=message):
        cnnref.conv2d(x, w, b)
    with pytest.raises(ValueError, match=r"x and w ask for the output \(N, M\) of shape \(2, 3\)"):
        cnnref.dense(np.ones((2, 4)), np.ones((4, 3)), np.zeros(3))
