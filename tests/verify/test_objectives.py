"""The oracle's own forwards agree with cnnref's and refuse complex input where not analytic."""

from __future__ import annotations

import numpy as np
import pytest

import cnnref
from verify import objectives
from verify.naive import training_paths as naive_paths

RNG = np.random.default_rng(3)


@pytest.mark.parametrize("mode", ["cross-correlation", "convolution"])
@pytest.mark.parametrize(("stride", "pad"), [(1, 0), (2, 1), (3, 2)])
def test_conv_matches_cnnref_and_broadcasts_a_batch(mode, stride, pad):
    x, w, b = RNG.standard_normal((2, 7, 6, 3)), RNG.standard_normal((3, 2, 3, 4)), RNG.random(4)
    expected = cnnref.conv2d(x, w, b, stride, pad, mode)
    assert np.allclose(objectives.conv(x, w, b, stride, pad, mode), expected, atol=1e-13)
    batch = objectives.conv(np.stack([x, 2 * x]), w, b, stride, pad, mode)
    assert np.allclose(batch[1], cnnref.conv2d(2 * x, w, b, stride, pad, mode), atol=1e-13)


def test_conv_with_complex_filters_is_the_complex_product():
    """Real patches times complex filters (the complex step along w) give NumPy's complex product,
    for one filter bank and a batch of them."""
    x, b = RNG.standard_normal((2, 6, 5, 3)), RNG.random(4)
    w = RNG.standard_normal((2, 3, 2, 3, 4)) + 1j * RNG.standard_normal((2, 3, 2, 3, 4))
    for filters in (w[0], w):
        got = objectives.conv(x, filters, b, 2, 1, "convolution")
        real = objectives.conv(x, filters.real, b, 2, 1, "convolution")
        imaginary = objectives.conv(x, filters.imag, np.zeros(4), 2, 1, "convolution")
        assert got.dtype == np.complex128
        np.testing.assert_allclose(got, real + 1j * imaginary, rtol=0, atol=1e-13)
        reference = objectives.conv(x.astype(np.complex128), filters, b, 2, 1, "convolution")
        np.testing.assert_allclose(got, reference, rtol=0, atol=1e-13)


def test_weighted_sum_is_the_sum_of_g_times_out_per_leading_index():
    g = RNG.standard_normal((2, 3, 4, 5))
    out = RNG.standard_normal((6, 2, 3, 4, 5)) + 1j * RNG.standard_normal((6, 2, 3, 4, 5))
    expected = np.sum(g * out, axis=(-4, -3, -2, -1))
    np.testing.assert_allclose(objectives.weighted_sum(g, out), expected, rtol=1e-13)
    one = objectives.weighted_sum(g, out[2].real)
    np.testing.assert_allclose(one, expected[2].real, rtol=1e-13)


@pytest.mark.parametrize("mode", ["cross-correlation", "convolution"])
@pytest.mark.parametrize(("stride", "pad"), [(1, 0), (2, 1)])
def test_weighted_conv_is_the_weighted_sum_of_conv_for_every_batched_variable(mode, stride, pad):
    """⟨P, g·w′ᵀ⟩ + b·Σg (filters without a batch axis) and ⟨g, P·w′ + b⟩ are the same J: for a
    batch of real or complex images, of biases, of filters, and for one of each."""
    x, w, b = RNG.standard_normal((2, 7, 6, 3)), RNG.standard_normal((3, 2, 3, 4)), RNG.random(4)
    g = RNG.standard_normal(objectives.conv_output_shape(x.shape, w.shape, stride, pad))
    images = np.stack([x, 2 * x, -x]) + 1j * RNG.standard_normal((3, *x.shape))
    biases, banks = RNG.standard_normal((5, 4)), RNG.standard_normal((4, *w.shape))
    for xs, ws, bs in ((x, w, b), (images, w, b), (images.real, w, b), (x, w, biases),
                       (x, banks, b)):  # fmt: skip
        got = objectives.weighted_conv(g, xs, ws, bs, stride, pad, mode)
        expected = objectives.weighted_sum(g, objectives.conv(xs, ws, bs, stride, pad, mode))
        assert np.shape(got) == np.shape(expected)
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    if mode == "convolution":  # the flip is not lost on the cheaper contraction order
        unflipped = objectives.weighted_conv(g, x, w, b, stride, pad, "cross-correlation")
        assert not np.isclose(unflipped, objectives.weighted_conv(g, x, w, b, stride, pad, mode))


def test_pools_dense_softmax_match_cnnref():
    x = RNG.standard_normal((2, 7, 5, 3))
    assert np.array_equal(objectives.maxpool(x, 3, 2), cnnref.maxpool2d(x, 3, 2))
    assert np.allclose(objectives.avgpool(x, 2, 1), cnnref.avgpool2d(x, 2, 1), atol=1e-15)
    a = RNG.standard_normal((4, 5)) * 300
    assert np.allclose(objectives.softmax(a), cnnref.softmax(a), atol=1e-15)
    xs, w, b = RNG.standard_normal((3, 4)), RNG.standard_normal((4, 2)), RNG.random(2)
    assert np.allclose(objectives.dense(xs, w, b), cnnref.dense(xs, w, b))


def test_non_analytic_functions_refuse_complex_input():
    z = np.ones((1, 2, 2, 1), dtype=complex)
    with pytest.raises(objectives.NotAnalyticError):
        objectives.maxpool(z, 2, 2)
    with pytest.raises(objectives.NotAnalyticError):
        objectives.relu(z)
    assert np.iscomplexobj(objectives.avgpool(z, 2, 2))


def test_mlp_logits_shift_and_unknown_activation():
    x, w1, w2 = (
        RNG.standard_normal((3, 4)),
        RNG.standard_normal((4, 5)),
        RNG.standard_normal((5, 2)),
    )
    b1, b2 = np.zeros(5), np.zeros(2)
    logits, pre = objectives.mlp_logits([w1, w2], [b1, b2], x, "tanh")
    assert np.allclose(pre[0], x @ w1) and np.allclose(logits, np.tanh(x @ w1) @ w2)
    shifted, _ = objectives.mlp_logits([w1, w2], [b1, b2], x, "tanh", [0, np.ones(2)])
    assert np.allclose(shifted, logits + 1)
    with pytest.raises(ValueError, match="activation"):
        objectives.activate(x, "softplus")


@pytest.mark.parametrize(("size", "stride"), [(2, 2), (3, 1), (2, 1)])
def test_maxpool_winner_positions_are_the_naive_winners(size, stride):
    x = RNG.permutation(2 * 7 * 6 * 3).reshape(2, 7, 6, 3).astype(np.float64)
    x[0, :2, :2, 0] = 5.0  # a tie: the first maximum in row-major window order wins
    _, winners = naive_paths.maxpool2d_with_winners(x, size, stride)
    positions = objectives.maxpool_winner_positions(x, size, stride)
    assert positions.dtype == winners.dtype and np.array_equal(positions, winners)
