"""The naive versions' argument handling (verify.naive.arguments): float64 widening, complex
input kept or refused, inputs left alone, errors that name the argument."""

from __future__ import annotations

import numpy as np
import pytest

import cnnref
from verify import naive
from verify.naive.arguments import array, zeros

from ._close import MODES, assert_close, one_hot


def test_float32_input_is_computed_and_returned_in_float64(rng):
    x = rng.standard_normal((2, 4, 3, 2)).astype(np.float32)
    w = rng.standard_normal((2, 2, 2, 3)).astype(np.float32)
    b = rng.standard_normal(3).astype(np.float32)
    out = naive.conv2d(x, w, b)
    assert out.dtype == np.float64
    assert_close(out, cnnref.conv2d(x.astype(np.float64), w.astype(np.float64), b.astype(float)))
    assert naive.sigmoid(x).dtype == np.float64
    assert naive.maxpool2d(x).dtype == np.float64


def test_complex_step_through_analytic_functions(rng):
    h = 1e-30
    a = rng.standard_normal((3, 4))
    z = naive.sigmoid(a + 1j * h)
    assert z.dtype == np.complex128
    np.testing.assert_allclose(z.imag / h, cnnref.sigmoid(a) * (1 - cnnref.sigmoid(a)), rtol=1e-14)
    np.testing.assert_allclose(naive.tanh(a + 1j * h).imag / h, 1 - np.tanh(a) ** 2, rtol=1e-14)
    # ∂J/∂a of J = Σ t log softmax(a) is T − Y (one-hot rows): check one entry per row.
    t = one_hot(rng, 3, 4)
    y = cnnref.softmax(a)
    for n in range(3):
        bumped = a.astype(np.complex128)
        bumped[n, 1] += 1j * h
        slope = naive.log_likelihood(t, naive.softmax(bumped)).imag / h
        assert slope == pytest.approx(t[n, 1] - y[n, 1], rel=1e-13)


def test_complex_step_of_conv_and_avgpool_is_their_linear_part(rng):
    h = 1e-30
    x, u = rng.standard_normal((1, 4, 5, 2)), rng.standard_normal((1, 4, 5, 2))
    w, b = rng.standard_normal((2, 3, 2, 2)), rng.standard_normal(2)
    for mode in MODES:
        out = naive.conv2d(x + 1j * h * u, w, b, 1, 1, mode)
        assert out.dtype == np.complex128
        assert_close(out.imag / h, cnnref.conv2d(u, w, np.zeros(2), 1, 1, mode))
        assert_close(out.real, cnnref.conv2d(x, w, b, 1, 1, mode))
    pooled = naive.avgpool2d(x + 1j * h * u)
    assert pooled.dtype == np.complex128
    assert_close(pooled.imag / h, cnnref.avgpool2d(u))
    rows, directions, weights = x.reshape(4, 10), u.reshape(4, 10), rng.standard_normal((10, 2))
    dense_out = naive.dense(rows + 1j * h * directions, weights, b)
    assert dense_out.dtype == np.complex128
    assert_close(dense_out.imag / h, directions @ weights)


@pytest.mark.parametrize(
    "call",
    [
        lambda a: naive.relu(a),
        lambda a: naive.activation_derivative(a, "relu"),
        lambda a: naive.maxpool2d(a.reshape(1, 2, 2, 1)),
        lambda a: naive.maxpool2d_backward(np.ones((1, 1, 1, 1)), a.reshape(1, 2, 2, 1)),
    ],
    ids=["relu", "relu-step", "maxpool2d", "maxpool2d_backward"],
)
def test_non_analytic_functions_refuse_complex_input(call):
    with pytest.raises(TypeError, match="complex"):
        call(np.array([1.0, -1.0, 2.0, 0.5]) + 1e-30j)


def test_inputs_are_not_modified(rng):
    x = rng.standard_normal((2, 5, 4, 2))
    w = rng.standard_normal((2, 2, 2, 3))
    dout = rng.standard_normal((2, 4, 3, 3))
    copies = [x.copy(), w.copy(), dout.copy()]
    naive.conv2d(x, w, np.zeros(3), 1, 0, "convolution")
    naive.conv2d_backward(dout, x, w, 1, 0, "convolution")
    naive.maxpool2d_backward(rng.standard_normal((2, 2, 2, 2)), x)
    for before, after in zip(copies, [x, w, dout], strict=True):
        np.testing.assert_array_equal(before, after)


@pytest.mark.parametrize(
    ("call", "error", "names"),
    [
        (lambda: naive.conv2d(np.zeros((1, 4, 4)), np.zeros((2, 2, 1, 1)), np.zeros(1)),
         ValueError, "x must be a 4-D"),
        (lambda: naive.conv2d(np.zeros((1, 4, 4, 2)), np.zeros((2, 2, 1, 1)), np.zeros(1)),
         ValueError, "C \\(input channels\\)"),
        (lambda: naive.conv2d(np.zeros((1, 4, 4, 1)), np.zeros((2, 2, 1, 1)), np.zeros(1), 0),
         ValueError, "stride"),
        (lambda: naive.conv2d(np.zeros((1, 4, 4, 1)), np.zeros((2, 2, 1, 1)), np.zeros(1), 1, 1.5),
         TypeError, "pad"),
        (lambda: naive.conv2d(np.zeros((1, 4, 4, 1)), np.zeros((2, 2, 1, 1)), np.zeros(1),
                              mode="full"), ValueError, "mode"),
        (lambda: naive.conv2d(np.zeros((1, 1, 4, 1)), np.zeros((2, 2, 1, 1)), np.zeros(1)),
         ValueError, "kernel height"),
        (lambda: naive.conv2d_backward(np.zeros((1, 2, 2, 1)), np.zeros((1, 4, 4, 1)),
                                       np.zeros((2, 2, 1, 1))), ValueError, "dout"),
        (lambda: naive.maxpool2d(np.zeros((1, 4, 4, 1)), size=True), TypeError, "size"),
        (lambda: naive.avgpool2d(np.zeros((1, 4, 4, 1)), 2, -1), ValueError, "stride"),
        (lambda: naive.dense(np.zeros((2, 3)), np.zeros((4, 2)), np.zeros(2)), ValueError, "D"),
        (lambda: naive.dense(np.zeros((2, 3), dtype=int), np.zeros((3, 2)), np.zeros(2)),
         TypeError, "x must be"),
        (lambda: naive.softmax(np.zeros((2, 0))), ValueError, "a must be"),
        (lambda: naive.log_likelihood(np.zeros((2, 3)), np.zeros((3, 2))), ValueError, "t must"),
        (lambda: naive.log_likelihood(np.zeros((2, 3), dtype=complex), np.zeros((2, 3))),
         TypeError, "t must"),
        (lambda: naive.activation_derivative(np.zeros(3), "softplus"), ValueError, "kind"),
        (lambda: naive.grad_W(np.zeros((2, 3)), np.zeros((3, 4)), np.zeros((4, 2)),
                              np.zeros((2, 2)), np.zeros((2, 2)), "tanh"), ValueError, "N"),
        (lambda: naive.grad_b(np.zeros((2, 4)), np.zeros((4, 2)), np.zeros((2, 2)),
                              np.zeros((2, 2)), "elu"), ValueError, "activation"),
        (lambda: naive.mlp_forward([], [], np.zeros((2, 3)), "relu"), ValueError, "weights"),
        (lambda: naive.backprop([np.zeros((3, 2))], [], np.zeros((2, 3)), np.zeros((2, 2)),
                                "relu"), ValueError, "biases"),
    ],
)  # fmt: skip
def test_bad_input_raises_an_error_naming_the_argument(call, error, names):
    with pytest.raises(error, match=names):
        call()


def test_nested_lists_round_trip_with_empty_axes():
    for shape in [(2, 3), (0, 4), (3, 0, 2), ()]:
        assert array(zeros(shape), shape).shape == shape
    assert array(zeros((2,), np.complex128), (2,), np.complex128).dtype == np.complex128
