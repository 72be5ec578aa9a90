"""The fast paths agree with the readable ones: every convolution path of cnnref.conv_paths (SIMD,
per-image and chunked im2col) vs the direct loops, fused bias + activation vs separate calls, fused
delta vs upstream ⊙ Z′."""

from __future__ import annotations

import io

import numpy as np
import pytest

import cnnref.conv_paths as paths
from cnnref import activation_derivative, conv2d, conv2d_backward, dense, relu, sigmoid, tanh
from cnnref.activations import times_activation_derivative
from cnnref.conv import (
    conv2d_activation,
    conv2d_backward_direct,
    conv2d_direct,
    conv2d_parameter_gradients,
)
from cnnref.linear import dense_activation

TOLERANCE = {np.float32: 2e-5, np.float64: 1e-12}
ACTIVATE = {"relu": relu, "sigmoid": sigmoid, "tanh": tanh}
# (N, H, W, C, KH, KW, F, stride, pad): square and non-square, padding wider than the kernel,
# strides that do not divide the input evenly.
SHAPES = [
    (3, 9, 7, 2, 3, 3, 4, 1, 0),
    (2, 8, 9, 3, 3, 2, 5, 2, 1),
    (2, 6, 6, 1, 5, 5, 2, 1, 2),
    (2, 5, 7, 2, 2, 3, 3, 3, 2),
    (1, 4, 4, 2, 4, 4, 2, 1, 3),
    (4, 12, 12, 3, 5, 5, 6, 1, 0),
]


def _case(dtype, shape, seed=0):
    n, h, w, c, kh, kw, f, stride, pad = shape
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, h, w, c)).astype(dtype)
    filters = rng.standard_normal((kh, kw, c, f)).astype(dtype)
    bias = rng.standard_normal(f).astype(dtype)
    return x, filters, bias, stride, pad


def _assert_close(fast, slow, dtype, what):
    scale = max(1.0, float(np.abs(slow).max()))
    error = float(np.abs(fast - slow).max()) / scale
    assert error <= TOLERANCE[dtype], f"{what}: fast vs direct differ by {error:.3g} (scaled)"


def _geometry(x, w, stride, pad):
    return (
        (x.shape[1] + 2 * pad - w.shape[0]) // stride + 1,
        (x.shape[2] + 2 * pad - w.shape[1]) // stride + 1,
    )


FORWARD_PATHS = {
    "simd": paths.forward_simd,
    "per-image": paths.forward_per_image,
    "im2col": paths.forward_im2col,
    "direct": paths.forward_direct,
}
BACKWARD_PATHS = {
    "simd": paths.backward_simd,
    "per-image": paths.backward_per_image,
    "im2col": paths.backward_im2col,
    "direct": paths.backward_direct,
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("mode", ["cross-correlation", "convolution"])
def test_conv2d_im2col_matches_direct(dtype, shape, mode):
    x, w, b, stride, pad = _case(dtype, shape)
    fast = conv2d(x, w, b, stride, pad, mode)
    slow = conv2d_direct(x, w, b, stride, pad, mode)
    assert fast.dtype == slow.dtype == dtype
    _assert_close(fast, slow, dtype, "out")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("mode", ["cross-correlation", "convolution"])
def test_conv2d_backward_im2col_matches_direct(dtype, shape, mode):
    x, w, b, stride, pad = _case(dtype, shape)
    dout = np.random.default_rng(1).standard_normal(conv2d(x, w, b, stride, pad).shape)
    dout = dout.astype(dtype)
    fast = conv2d_backward(dout, x, w, stride, pad, mode)
    slow = conv2d_backward_direct(dout, x, w, stride, pad, mode)
    for name, f, s in zip(("dx", "dw", "db"), fast, slow, strict=True):
        assert f.dtype == dtype and f.shape == s.shape
        _assert_close(f, s, dtype, name)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("mode", ["cross-correlation", "convolution"])
def test_conv2d_parameter_gradients_are_the_backward_pass_without_dx(shape, mode):
    x, w, b, stride, pad = _case(np.float64, shape)
    dout = np.random.default_rng(2).standard_normal(conv2d(x, w, b, stride, pad).shape)
    full = conv2d_backward(dout, x, w, stride, pad, mode)
    dw, db = conv2d_parameter_gradients(dout, x, w, stride, pad, mode)
    np.testing.assert_array_equal(dw, full[1])
    np.testing.assert_array_equal(db, full[2])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_chunked_patch_matrix_matches_whole_batch(dtype, monkeypatch):
    x, w, b, stride, pad = _case(dtype, (7, 10, 9, 3, 3, 3, 4, 1, 1))
    out_h, out_w = _geometry(x, w, stride, pad)
    dout = np.random.default_rng(3).standard_normal((7, out_h, out_w, 4)).astype(dtype)
    whole_out = paths.forward_im2col(x, w, b, None, stride, pad, out_h, out_w)
    whole_grads = paths.backward_im2col(dout, x, w, stride, pad, True)
    rows_per_image, patch = out_h * out_w, 3 * 3 * 3
    monkeypatch.setattr(paths, "_CHUNK_ENTRIES", 2 * rows_per_image * patch)
    step, chunks = paths._chunks(7, rows_per_image, patch)
    assert step == 2 and [count for _, count in chunks] == [2, 2, 2, 1]
    chunked_out = paths.forward_im2col(x, w, b, None, stride, pad, out_h, out_w)
    np.testing.assert_array_equal(chunked_out, whole_out)
    chunked_grads = paths.backward_im2col(dout, x, w, stride, pad, True)
    for chunked, whole in zip(chunked_grads, whole_grads, strict=True):
        _assert_close(chunked, whole, dtype, "chunked gradient")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kind", ["relu", "sigmoid", "tanh"])
@pytest.mark.parametrize("path", ["per-image", "im2col", "direct"])
def test_conv2d_fused_activation_equals_separate_call(dtype, kind, path):
    x, w, b, stride, pad = _case(dtype, SHAPES[5])
    out_h, out_w = _geometry(x, w, stride, pad)
    separate = ACTIVATE[kind](FORWARD_PATHS[path](x, w, b, None, stride, pad, out_h, out_w))
    fused = FORWARD_PATHS[path](x, w, b, kind, stride, pad, out_h, out_w)
    np.testing.assert_array_equal(fused, separate)
    _assert_close(conv2d_activation(x, w, b, kind, stride, pad), separate, dtype, kind)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kind", ["relu", "sigmoid", "tanh"])
def test_dense_fused_activation_equals_separate_call(dtype, kind):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((5, 7)).astype(dtype)
    w = rng.standard_normal((7, 3)).astype(dtype)
    b = rng.standard_normal(3).astype(dtype)
    np.testing.assert_array_equal(dense_activation(x, w, b, kind), ACTIVATE[kind](dense(x, w, b)))


def test_fused_activation_rejects_unknown_name():
    x, w, b, _, _ = _case(np.float64, SHAPES[0])
    with pytest.raises(ValueError, match="activation"):
        conv2d_activation(x, w, b, "softplus")
    with pytest.raises(ValueError, match="activation"):
        dense_activation(np.ones((2, 3)), np.ones((3, 2)), np.ones(2), "softplus")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kind", ["relu", "sigmoid", "tanh"])
def test_activation_derivative_times_upstream_equals_product(dtype, kind):
    rng = np.random.default_rng(5)
    z = ACTIVATE[kind](rng.standard_normal((4, 6)).astype(dtype))
    z[0, :2] = 0  # the relu kink
    upstream = rng.standard_normal((4, 6)).astype(dtype)
    fused = times_activation_derivative(upstream, z, kind)
    np.testing.assert_array_equal(fused, upstream * activation_derivative(z, kind))


def test_activation_derivative_rejects_mismatched_upstream():
    z = np.ones((2, 3))
    with pytest.raises(ValueError, match="upstream"):
        times_activation_derivative(np.ones((3, 2)), z, "relu")
    with pytest.raises(TypeError, match="upstream is float32"):
        times_activation_derivative(np.ones((2, 3), dtype=np.float32), z, "relu")


def test_fast_paths_leave_inputs_unchanged():
    x, w, b, stride, pad = _case(np.float64, SHAPES[3])
    copies = [x.copy(), w.copy(), b.copy()]
    out = conv2d_activation(x, w, b, "relu", stride, pad)
    conv2d_backward(np.ones_like(out), x, w, stride, pad)
    for original, copy in zip((x, w, b), copies, strict=True):
        np.testing.assert_array_equal(original, copy)


# The SIMD micro-kernels (direct_conv.h) against the readable direct loops and the im2col path;
# shapes with F (and C, for the input gradient) a multiple of the channel block (16 float32 /
# 8 float64), every pixel-block tail (Wo mod 6 = 0 … 5), stride 2 and padding.
SIMD_SHAPES = [
    (3, 32, 32, 3, 5, 5, 16, 1, 0),  # conv1 of the seed network
    (3, 14, 14, 16, 5, 5, 32, 1, 0),  # conv2
    (2, 9, 12, 16, 3, 3, 16, 1, 1),
    (2, 11, 10, 8, 3, 2, 32, 2, 1),
    (1, 7, 13, 32, 3, 3, 16, 1, 2),
    (4, 6, 9, 1, 1, 1, 48, 1, 0),
    (2, 9, 8, 16, 4, 3, 16, 3, 2),
]


def _simd_case(dtype, shape, seed=0):
    x, w, b, stride, pad = _case(dtype, shape, seed)
    if dtype == np.float64 and w.shape[3] == 16:  # float64's block is 8 filters: try F = 8 too
        w, b = w[..., :8], b[:8]
    return x, np.ascontiguousarray(w), np.ascontiguousarray(b), stride, pad


needs_simd = pytest.mark.skipif(
    not paths._conv.simd_available(), reason="the CPU has no AVX2 + FMA"
)


@needs_simd
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", SIMD_SHAPES)
@pytest.mark.parametrize("kind", [None, "relu", "tanh"])
def test_simd_micro_kernel_matches_the_direct_loops_and_im2col(dtype, shape, kind):
    x, w, b, stride, pad = _simd_case(dtype, shape)
    assert paths.simd_applies(x, w.shape[3])
    out_h, out_w = _geometry(x, w, stride, pad)
    simd = paths.forward_simd(x, w, b, kind, stride, pad, out_h, out_w)
    np.testing.assert_array_equal(conv2d_activation(x, w, b, kind, stride, pad), simd)
    direct = paths.forward_direct(x, w, b, kind, stride, pad, out_h, out_w)
    _assert_close(simd, direct, dtype, "out (SIMD vs direct)")
    im2col = paths.forward_per_image(x, w, b, kind, stride, pad, out_h, out_w)
    _assert_close(simd, im2col, dtype, "out (SIMD vs im2col)")


@needs_simd
def test_simd_relu_passes_nan_and_zeroes_negatives_like_the_relu_kernel():
    x = np.zeros((1, 3, 8, 1), dtype=np.float32)
    w = np.zeros((1, 1, 1, 16), dtype=np.float32)
    w[..., 0], w[..., 1] = 1, -1
    x[0, 0, 0, 0], x[0, 1, 1, 0] = np.nan, 2.0
    out = conv2d_activation(x, w, np.zeros(16, np.float32), "relu")
    np.testing.assert_array_equal(out, relu(conv2d(x, w, np.zeros(16, np.float32))))
    assert np.isnan(out[0, 0, 0, 0]) and out[0, 1, 1, 0] == 2.0 and out[0, 1, 1, 1] == 0.0


def test_channels_off_the_simd_block_take_an_im2col_path():
    x, w, b, _, _ = _case(np.float32, (2, 8, 8, 3, 3, 3, 12, 1, 0))
    assert not paths.simd_applies(x, w.shape[3])
    _assert_close(conv2d(x, w, b), conv2d_direct(x, w, b), np.float32, "out (F = 12)")
    # dw by SIMD, dx by the gather kernel
    x, w, b, _, _ = _case(np.float32, (3, 8, 8, 3, 3, 3, 16, 1, 0))
    dout = np.random.default_rng(7).standard_normal((3, 6, 6, 16)).astype(np.float32)
    pairs = zip(conv2d_backward(dout, x, w), conv2d_backward_direct(dout, x, w), strict=True)
    for fast, slow in pairs:
        _assert_close(fast, slow, np.float32, "gradients (C = 3, F = 16)")


@needs_simd
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", SIMD_SHAPES)
def test_simd_gradients_match_the_direct_loops_and_im2col(dtype, shape):
    x, w, _, stride, pad = _simd_case(dtype, shape)
    out_h, out_w = _geometry(x, w, stride, pad)
    dout = np.random.default_rng(5).standard_normal((x.shape[0], out_h, out_w, w.shape[3]))
    dout = dout.astype(dtype)
    input_gradient = paths.simd_applies(x, x.shape[3])
    dx, dw = paths.backward_simd(dout, x, w, stride, pad, input_gradient)
    np.testing.assert_array_equal(conv2d_parameter_gradients(dout, x, w, stride, pad)[0], dw)
    for name, path in (("direct", paths.backward_direct), ("im2col", paths.backward_im2col)):
        reference_dx, reference_dw = path(dout, x, w, stride, pad, True)
        _assert_close(dw, reference_dw, dtype, f"dw (SIMD vs {name})")
        if input_gradient:
            _assert_close(dx, reference_dx, dtype, f"dx (SIMD vs {name})")
    if input_gradient:
        np.testing.assert_array_equal(conv2d_backward(dout, x, w, stride, pad)[0], dx)
    else:
        assert dx is None


@needs_simd
def test_simd_gradients_have_the_same_bits_on_one_thread_and_on_all(monkeypatch):
    x, w, b, stride, pad = _simd_case(np.float32, (37, 12, 12, 16, 5, 5, 16, 1, 1))
    dout = np.random.default_rng(6).standard_normal(conv2d(x, w, b, stride, pad).shape)
    dout = dout.astype(np.float32)
    many = paths.backward_simd(dout, x, w, stride, pad, True)
    monkeypatch.setattr(paths, "_simd_threads", lambda n, work: 1)
    one = paths.backward_simd(dout, x, w, stride, pad, True)
    np.testing.assert_array_equal(one[0], many[0])
    np.testing.assert_array_equal(one[1], many[1])


def _gather_dx(dout, x, w, pad):
    """dx by the gather-form SIMD kernel, in the pass that also sums dw (stride 1)."""
    return paths.backward_simd(dout, x, w, 1, pad, True, gather=True)[0]


# The gather-form input gradient (stride 1, F a multiple of the vector width, any C): channel
# counts that take every channel group (4, 3, 2 and 1 at a time), pads from none to wider than the
# kernel, non-square kernels, images narrower than a pixel block.
GATHER_SHAPES = [
    (3, 32, 32, 3, 5, 5, 16, 0),  # conv1 of the seed network
    (2, 9, 7, 1, 3, 3, 16, 1),
    (2, 8, 11, 2, 3, 2, 16, 2),
    (2, 7, 9, 5, 2, 4, 32, 1),
    (1, 6, 5, 7, 3, 3, 16, 4),
    (2, 4, 3, 6, 1, 1, 16, 0),
    (1, 3, 10, 9, 3, 5, 16, 2),
]


@needs_simd
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", GATHER_SHAPES)
def test_gather_input_gradient_matches_the_direct_loops(dtype, shape):
    n, h, width, c, kh, kw, f, pad = shape
    x, w, _, _, _ = _case(dtype, (n, h, width, c, kh, kw, f, 1, pad))
    out_h, out_w = _geometry(x, w, 1, pad)
    dout = np.random.default_rng(8).standard_normal((n, out_h, out_w, f)).astype(dtype)
    dx = _gather_dx(dout, x, w, pad)
    reference, _ = paths.backward_direct(dout, x, w, 1, pad, True)
    _assert_close(dx, reference, dtype, "dx (gather vs direct)")
    np.testing.assert_array_equal(conv2d_backward(dout, x, w, 1, pad)[0], dx)


@needs_simd
def test_gather_input_gradient_meets_a_non_finite_filter_only_where_the_direct_loops_do():
    """A NaN or inf tap reaches the dx pixels whose windows use it, never the edge pixels that
    the tap would only reach through padding."""
    x = np.ones((1, 6, 7, 3))
    w = np.ones((3, 3, 3, 8))
    w[0, 0, 1, 2], w[2, 1, 0, 5] = np.nan, np.inf
    dout = np.ones((1, 4, 5, 8))
    dx = _gather_dx(dout, x, w, 0)
    reference, _ = paths.backward_direct(dout, x, w, 1, 0, True)
    np.testing.assert_array_equal(np.isnan(dx), np.isnan(reference))
    np.testing.assert_array_equal(np.isinf(dx), np.isinf(reference))
    assert np.isfinite(dx).any() and not np.isfinite(dx).all()


@needs_simd
def test_gather_input_gradient_has_the_same_bits_on_one_thread_and_on_all(monkeypatch):
    x, w, b, _, _ = _case(np.float32, (37, 12, 12, 3, 5, 5, 16, 1, 1))
    dout = np.random.default_rng(9).standard_normal(conv2d(x, w, b, 1, 1).shape)
    dout = dout.astype(np.float32)
    many = _gather_dx(dout, x, w, 1)
    monkeypatch.setattr(paths, "_simd_threads", lambda n, work: 1)
    np.testing.assert_array_equal(_gather_dx(dout, x, w, 1), many)


@needs_simd
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [GATHER_SHAPES[0], (5, 10, 9, 2, 3, 3, 16, 2)])
def test_gather_input_gradient_in_the_filter_gradient_pass_keeps_the_bits_of_dw(
    dtype, shape, monkeypatch
):
    """The first layer's dx, computed image by image in the pass that sums dw (as
    conv2d_backward does for few input channels at stride 1), leaves dw with the bits of the pass
    without dx, and both keep their bits on one thread and on all."""
    n, h, width, c, kh, kw, f, pad = shape
    x, w, _, _, _ = _case(dtype, (n, h, width, c, kh, kw, f, 1, pad))
    out_h, out_w = _geometry(x, w, 1, pad)
    dout = np.random.default_rng(10).standard_normal((n, out_h, out_w, f)).astype(dtype)
    _, dw_alone = paths.backward_simd(dout, x, w, 1, pad, False)
    dx, dw = paths.backward_simd(dout, x, w, 1, pad, True, gather=True)
    np.testing.assert_array_equal(dw, dw_alone)
    np.testing.assert_array_equal(conv2d_backward(dout, x, w, 1, pad)[0], dx)
    monkeypatch.setattr(paths, "_simd_threads", lambda n, work: 1)
    one = paths.backward_simd(dout, x, w, 1, pad, True, gather=True)
    np.testing.assert_array_equal(one[0], dx)
    np.testing.assert_array_equal(one[1], dw)


# The seed network's two convolutions in both dtypes: the shapes whose channels fill one and two
# AVX-512 vectors (16 and 32 floats, 16 and 32 doubles).
_CLONE_SCRIPT = """
import sys
import numpy as np
import cnnref.conv_paths as paths
print(paths._conv.simd_level())
for dtype in (np.float32, np.float64):
    for shape in ((3, 32, 32, 3, 16), (3, 14, 14, 16, 32)):
        n, h, width, c, f = shape
        rng = np.random.default_rng(c)
        x = rng.standard_normal((n, h, width, c)).astype(dtype)
        w = rng.standard_normal((5, 5, c, f)).astype(dtype)
        b = rng.standard_normal(f).astype(dtype)
        out = paths.forward_simd(x, w, b, "relu", 1, 1, h - 2, width - 2)
        dout = rng.standard_normal(out.shape).astype(dtype)
        dx, dw = paths.backward_simd(dout, x, w, 1, 1, paths.simd_applies(x, c))
        np.save(sys.stdout.buffer, np.concatenate([out.ravel(), dw.ravel()] + (
            [] if dx is None else [dx.ravel()]
        )).astype(np.float64))
"""


def _run_clone(run_child, cwd, **environment: str) -> tuple[str, list[np.ndarray]]:
    """The SIMD level and the results of _CLONE_SCRIPT in a fresh interpreter (the clone is
    chosen once per process)."""
    done = run_child(_CLONE_SCRIPT, cwd, text=False, **environment)
    assert done.returncode == 0, done.stderr.decode()
    level, _, data = done.stdout.partition(b"\n")
    stream = io.BytesIO(data)
    arrays = []
    while stream.tell() < len(data):
        arrays.append(np.load(stream))
    return level.decode(), arrays


@needs_simd
def test_the_avx512_and_avx2_clones_agree_and_cnnref_simd_keeps_avx2(tmp_path, run_child):
    """CNNREF_SIMD=avx2 keeps the AVX2 clone; where the CPU has AVX-512 the default runs the
    AVX-512 one, and both give the same results to float rounding (different vector widths sum
    in a different order)."""
    level, default = _run_clone(run_child, tmp_path)
    capped_level, capped = _run_clone(run_child, tmp_path, CNNREF_SIMD="avx2")
    assert capped_level == "avx2"
    assert level in ("avx512", "avx2")
    tolerances = [2e-5, 2e-5, 1e-12, 1e-12]
    for wide, narrow, tolerance in zip(default, capped, tolerances, strict=True):
        scale = max(1.0, float(np.abs(narrow).max()))
        assert float(np.abs(wide - narrow).max()) / scale <= tolerance
        if level == "avx2":
            np.testing.assert_array_equal(wide, narrow)
