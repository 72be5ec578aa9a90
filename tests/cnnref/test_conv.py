"""conv2d / conv2d_backward vs the NumPy reference and PyTorch, in both modes, on the fast paths
and the direct loops."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

import cnnref
from cnnref import relu
from cnnref.conv import (
    conv2d_activation,
    conv2d_backward_direct,
    conv2d_direct,
    conv2d_parameter_gradients,
)

DTYPES = [np.float64, np.float32]
MODES = ["cross-correlation", "convolution"]
ALGORITHMS = ["fast", "direct"]
FORWARD = {"fast": cnnref.conv2d, "direct": conv2d_direct}
BACKWARD = {"fast": cnnref.conv2d_backward, "direct": conv2d_backward_direct}


@dataclass(frozen=True)
class ConvCase:
    n: int
    h: int
    w: int
    c: int
    kh: int
    kw: int
    f: int
    stride: int
    pad: int
    seed: int

    def __str__(self) -> str:
        return (
            f"x{self.n}x{self.h}x{self.w}x{self.c}-k{self.kh}x{self.kw}x{self.f}"
            f"-s{self.stride}-p{self.pad}"
        )


def _cases() -> list[ConvCase]:
    fixed = [
        ConvCase(1, 5, 5, 1, 3, 3, 1, 1, 0, seed=1),  # batch 1, square
        ConvCase(2, 6, 9, 3, 1, 1, 4, 1, 0, seed=2),  # K = 1, non-square input
        ConvCase(2, 7, 8, 2, 3, 2, 3, 2, 0, seed=3),  # stride 2 does not divide 7 − 3 or 8 − 2
        ConvCase(3, 5, 4, 2, 2, 3, 2, 3, 1, seed=4),  # KH ≠ KW, stride 3 uneven, pad 1
        ConvCase(1, 4, 6, 3, 5, 5, 2, 1, 2, seed=5),  # kernel larger than the unpadded input
        ConvCase(2, 8, 8, 3, 5, 5, 4, 1, 0, seed=6),  # the notes' 5 × 5 filters
        ConvCase(2, 3, 4, 2, 1, 2, 3, 2, 2, seed=8),  # pad > kernel: border outputs are b
    ]
    rng = np.random.default_rng(20240611)
    drawn = []
    while len(drawn) < 8:
        kh, kw = (int(k) for k in rng.integers(1, 5, size=2))
        h, w = (int(s) for s in rng.integers(1, 10, size=2))
        pad = int(rng.integers(0, 3))
        if h + 2 * pad < kh or w + 2 * pad < kw:
            continue
        n, c, f, stride = (int(v) for v in rng.integers(1, 4, size=4))
        drawn.append(ConvCase(n, h, w, c, kh, kw, f, stride, pad, seed=100 + len(drawn)))
    return fixed + drawn


CASES = _cases()


def _arrays(case: ConvCase, dtype):
    """x, w, b and a non-uniform upstream gradient dout, all of ``dtype``."""
    rng = np.random.default_rng(case.seed)
    ho = (case.h + 2 * case.pad - case.kh) // case.stride + 1
    wo = (case.w + 2 * case.pad - case.kw) // case.stride + 1
    x = rng.standard_normal((case.n, case.h, case.w, case.c)).astype(dtype)
    w = rng.standard_normal((case.kh, case.kw, case.c, case.f)).astype(dtype)
    b = rng.standard_normal(case.f).astype(dtype)
    dout = rng.standard_normal((case.n, ho, wo, case.f)).astype(dtype)
    return x, w, b, dout


def _torch_conv(torch, x, w, b, stride, pad, mode):
    """Leaf tensors in PyTorch's layouts (NCHW, (F, C, KH, KW)) and the NCHW output."""
    xt = torch.tensor(np.ascontiguousarray(x.transpose(0, 3, 1, 2)), requires_grad=True)
    wt = torch.tensor(np.ascontiguousarray(w.transpose(3, 2, 0, 1)), requires_grad=True)
    bt = torch.tensor(b, requires_grad=True)
    kernel = torch.flip(wt, dims=(2, 3)) if mode == "convolution" else wt
    out = torch.nn.functional.conv2d(xt, kernel, bt, stride=stride, padding=pad)
    return xt, wt, bt, out


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", CASES, ids=str)
def test_forward_matches_reference(case, dtype, mode, algorithm, ref, assert_close):
    x, w, b, _ = _arrays(case, dtype)
    out = FORWARD[algorithm](x, w, b, case.stride, case.pad, mode)
    assert out.dtype == dtype
    assert_close(out, ref.conv2d(x, w, b, case.stride, case.pad, mode), dtype, "out")


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", CASES, ids=str)
def test_backward_matches_reference(case, dtype, mode, algorithm, ref, assert_close):
    x, w, _, dout = _arrays(case, dtype)
    grads = BACKWARD[algorithm](dout, x, w, case.stride, case.pad, mode)
    expected = ref.conv2d_backward(dout, x, w, case.stride, case.pad, mode)
    for name, got, want in zip(("dx", "dw", "db"), grads, expected, strict=True):
        assert got.dtype == dtype, name
        assert_close(got, want, dtype, name)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", CASES, ids=str)
def test_forward_and_backward_match_torch(case, dtype, mode, algorithm, torch, assert_close):
    x, w, b, dout = _arrays(case, dtype)
    xt, wt, bt, out_t = _torch_conv(torch, x, w, b, case.stride, case.pad, mode)
    out_t.backward(torch.tensor(np.ascontiguousarray(dout.transpose(0, 3, 1, 2))))

    out = FORWARD[algorithm](x, w, b, case.stride, case.pad, mode)
    assert_close(out, out_t.detach().numpy().transpose(0, 2, 3, 1), dtype, "out vs torch")
    dx, dw, db = BACKWARD[algorithm](dout, x, w, case.stride, case.pad, mode)
    assert_close(dx, xt.grad.numpy().transpose(0, 2, 3, 1), dtype, "dx vs torch")
    assert_close(dw, wt.grad.numpy().transpose(2, 3, 1, 0), dtype, "dw vs torch")
    assert_close(db, bt.grad.numpy(), dtype, "db vs torch")


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", CASES, ids=str)
def test_im2col_and_direct_agree(case, dtype, mode, assert_close):
    x, w, b, dout = _arrays(case, dtype)
    args = (case.stride, case.pad, mode)
    fast = cnnref.conv2d(x, w, b, *args)
    direct = conv2d_direct(x, w, b, *args)
    assert_close(fast, direct, dtype, "out im2col vs direct")
    fast_grads = cnnref.conv2d_backward(dout, x, w, *args)
    direct_grads = conv2d_backward_direct(dout, x, w, *args)
    for name, got, want in zip(("dx", "dw", "db"), fast_grads, direct_grads, strict=True):
        assert_close(got, want, dtype, f"{name} im2col vs direct")


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_convolution_is_cross_correlation_with_the_flipped_filter(algorithm, assert_close):
    case = ConvCase(2, 6, 7, 2, 3, 2, 3, 2, 1, seed=7)
    x, w, b, _ = _arrays(case, np.float64)
    conv = FORWARD[algorithm](x, w, b, 2, 1, "convolution")
    xcorr = FORWARD[algorithm](x, w[::-1, ::-1].copy(), b, 2, 1)
    assert_close(conv, xcorr, np.float64, "convolution vs flipped cross-correlation")
    assert not np.allclose(conv, FORWARD[algorithm](x, w, b, 2, 1))


def test_notes_convolution_formula_on_a_hand_example():
    """out[i, j] = Σ in[i − k1, j − k2] f[k1, k2] on the valid region: a 1-D-like check by hand."""
    x = np.array([1.0, 2.0, 3.0, 4.0]).reshape(1, 1, 4, 1)
    w = np.array([1.0, 10.0]).reshape(1, 2, 1, 1)
    b = np.zeros(1)
    conv = cnnref.conv2d(x, w, b, mode="convolution").ravel()
    xcorr = cnnref.conv2d(x, w, b).ravel()
    np.testing.assert_array_equal(conv, [2 + 10 * 1, 3 + 10 * 2, 4 + 10 * 3])
    np.testing.assert_array_equal(xcorr, [1 + 10 * 2, 2 + 10 * 3, 3 + 10 * 4])


def test_unreached_pixels_get_zero_gradient():
    """With stride 2 and K = 2 on width 5 the last column is in no window."""
    x = np.ones((1, 5, 5, 1))
    w = np.ones((2, 2, 1, 1))
    dout = np.ones((1, 2, 2, 1))
    for algorithm in ALGORITHMS:
        dx, _, _ = BACKWARD[algorithm](dout, x, w, stride=2)
        assert np.all(dx[0, 4, :, 0] == 0) and np.all(dx[0, :, 4, 0] == 0)
        assert np.all(dx[0, :4, :4, 0] == 1)


def _patch_matrix(x, kh, kw, stride, pad):
    """im2col written with NumPy: row (n·Ho + i)·Wo + j = window (n, i, j) in (k1, k2, c) order."""
    padded = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    windows = np.lib.stride_tricks.sliding_window_view(padded, (kh, kw), axis=(1, 2))
    windows = windows[:, ::stride, ::stride]  # (N, Ho, Wo, C, KH, KW)
    return windows.transpose(0, 1, 2, 4, 5, 3).reshape(-1, kh * kw * x.shape[3])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", CASES, ids=str)
def test_the_im2col_kernel_builds_the_patch_matrix(case, dtype):
    from cnnref.kernels import conv as _conv

    x = _arrays(case, dtype)[0]
    expected = _patch_matrix(x, case.kh, case.kw, case.stride, case.pad)
    n, h, width, c = x.shape
    out_h = (h + 2 * case.pad - case.kh) // case.stride + 1
    out_w = (width + 2 * case.pad - case.kw) // case.stride + 1
    cols = np.full(expected.shape, np.nan, dtype=x.dtype)
    geometry = {"H": h, "W": width, "C": c, "KH": case.kh, "KW": case.kw, "stride": case.stride,
                "pad": case.pad, "Ho": out_h, "Wo": out_w}  # fmt: skip
    _conv.im2col(np.ascontiguousarray(x).reshape(n, h, width * c), cols, geometry)
    np.testing.assert_array_equal(cols, expected)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", CASES, ids=str)
def test_per_image_path_agrees_with_the_whole_batch_path(case, dtype, mode):
    x, w, b, dout = _arrays(case, dtype)
    args = (case.stride, case.pad, mode)
    whole = relu(conv2d_direct(x, w, b, *args))
    grads = conv2d_backward_direct(dout, x, w, *args)
    per_image = conv2d_activation(x, w, b, "relu", *args)
    per_image_grads = cnnref.conv2d_backward(dout, x, w, *args)
    dw_only, db_only = conv2d_parameter_gradients(dout, x, w, *args)
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    scale = max(1.0, float(np.abs(whole).max(initial=0)))
    np.testing.assert_allclose(per_image, whole, rtol=rtol, atol=rtol * scale)
    for ours, theirs in zip(per_image_grads, grads, strict=True):
        scale = max(1.0, float(np.abs(theirs).max(initial=0)))
        np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=rtol * scale)
    np.testing.assert_array_equal(dw_only, per_image_grads[1])
    np.testing.assert_array_equal(db_only, per_image_grads[2])


def test_per_image_path_handles_batches_of_zero_one_and_more_than_the_threads():
    rng = np.random.default_rng(4)
    w = rng.standard_normal((5, 5, 3, 4))
    b = rng.standard_normal(4)
    for n in (0, 1, 7):
        x = rng.standard_normal((n, 9, 9, 3))
        dout = rng.standard_normal((n, 5, 5, 4))
        out = cnnref.conv2d(x, w, b)
        dx, dw, db = cnnref.conv2d_backward(dout, x, w)
        np.testing.assert_allclose(out, conv2d_direct(x, w, b), atol=1e-12)
        ref_dx, ref_dw, _ = conv2d_backward_direct(dout, x, w)
        np.testing.assert_allclose(dx, ref_dx, atol=1e-12)
        np.testing.assert_allclose(dw, ref_dw, atol=1e-12)
        assert out.shape == (n, 5, 5, 4) and db.shape == (4,)
