"""The naive convolution of verify.naive.conv against cnnref.conv, and by hand."""

from __future__ import annotations

import numpy as np
import pytest

import cnnref
from cnnref.conv import conv2d_backward_direct, conv2d_direct
from verify import naive

from ._close import MODES, assert_close

FORWARD = {"fast": cnnref.conv2d, "direct": conv2d_direct}
BACKWARD = {"fast": cnnref.conv2d_backward, "direct": conv2d_backward_direct}
# (N, H, W, C), (KH, KW, F), stride, pad: non-square images and kernels, strides that do not divide
# evenly (dropped edge), padding wider than the kernel, batch 1.
CONV_CASES = [
    ((2, 5, 4, 3), (3, 2, 2), 1, 0),
    ((1, 6, 7, 2), (2, 3, 3), 2, 1),
    ((2, 7, 5, 1), (3, 3, 2), 3, 2),
    ((1, 4, 6, 2), (1, 2, 3), 2, 0),
    ((1, 3, 2, 2), (2, 2, 1), 1, 3),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("x_shape", "kernel", "stride", "pad"), CONV_CASES)
def test_conv2d_forward_and_backward_match_cnnref(rng, x_shape, kernel, stride, pad, mode):
    kh, kw, f = kernel
    x = rng.standard_normal(x_shape)
    w = rng.standard_normal((kh, kw, x_shape[3], f))
    b = rng.standard_normal(f)
    out = naive.conv2d(x, w, b, stride, pad, mode)
    dout = rng.standard_normal(out.shape)
    naive_grads = naive.conv2d_backward(dout, x, w, stride, pad, mode)
    for algorithm in ("fast", "direct"):
        assert_close(out, FORWARD[algorithm](x, w, b, stride, pad, mode), "out")
        reference = BACKWARD[algorithm](dout, x, w, stride, pad, mode)
        for name, mine, theirs in zip(("dx", "dw", "db"), naive_grads, reference, strict=True):
            assert_close(mine, theirs, f"{name} ({algorithm})")


def test_convolution_mode_is_the_notes_formula_by_hand():
    # One row [1, 2, 3], filter [10, 1]. Cross-correlation: 1·10 + 2·1 = 12, 2·10 + 3·1 = 23.
    # The notes' out[p] = Σ_k in[p − k] w[k] at p = 1, 2: 2·10 + 1·1 = 21, 3·10 + 2·1 = 32.
    x = np.array([1.0, 2.0, 3.0]).reshape(1, 1, 3, 1)
    w = np.array([10.0, 1.0]).reshape(1, 2, 1, 1)
    b = np.zeros(1)
    assert naive.conv2d(x, w, b).ravel().tolist() == [12.0, 23.0]
    assert naive.conv2d(x, w, b, mode="convolution").ravel().tolist() == [21.0, 32.0]


def test_conv2d_pixels_no_window_reaches_get_zero_gradient(rng):
    # H = W = 6, kernel 2, stride 3: rows/columns 2 and 5 are never read.
    x = rng.standard_normal((1, 6, 6, 1))
    w = rng.standard_normal((2, 2, 1, 1))
    dout = rng.standard_normal((1, 2, 2, 1))
    dx, _, _ = naive.conv2d_backward(dout, x, w, stride=3)
    assert np.all(dx[0, [2, 5], :, 0] == 0) and np.all(dx[0, :, [2, 5], 0] == 0)
    assert np.all(dx[0, :2, :2, 0] != 0)
