"""Max and average pooling: the tie rule, overlapping windows, the NumPy reference and PyTorch."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

import cnnref
from cnnref.pool import maxpool2d_backward_to_winners, maxpool2d_with_winners

DTYPES = [np.float64, np.float32]


@dataclass(frozen=True)
class PoolCase:
    n: int
    h: int
    w: int
    c: int
    size: int
    stride: int | None
    seed: int

    def __str__(self) -> str:
        return f"x{self.n}x{self.h}x{self.w}x{self.c}-size{self.size}-stride{self.stride}"


def _cases() -> list[PoolCase]:
    fixed = [
        PoolCase(1, 4, 4, 1, 2, None, seed=1),  # the notes' 2 × 2 pool, batch 1
        PoolCase(2, 5, 7, 3, 2, None, seed=2),  # odd sizes: the last row/column is dropped
        PoolCase(2, 6, 5, 2, 3, 2, seed=3),  # overlapping windows, stride < size
        PoolCase(1, 5, 6, 2, 3, 1, seed=4),  # heavy overlap
        PoolCase(3, 3, 8, 1, 1, 2, seed=5),  # size 1, stride 2 skips pixels
        PoolCase(2, 7, 4, 2, 2, 3, seed=6),  # stride > size, uneven
    ]
    rng = np.random.default_rng(7031)
    drawn = []
    while len(drawn) < 6:
        size = int(rng.integers(1, 4))
        h, w = (int(s) for s in rng.integers(1, 9, size=2))
        if h < size or w < size:
            continue
        n, c, stride = (int(v) for v in rng.integers(1, 4, size=3))
        drawn.append(PoolCase(n, h, w, c, size, stride, seed=100 + len(drawn)))
    return fixed + drawn


CASES = _cases()


def _out_shape(case: PoolCase) -> tuple[int, int, int, int]:
    stride = case.size if case.stride is None else case.stride
    return (
        case.n,
        (case.h - case.size) // stride + 1,
        (case.w - case.size) // stride + 1,
        case.c,
    )


def _tie_free(case: PoolCase, dtype) -> tuple[np.ndarray, np.ndarray]:
    """x from a shuffled arange (all values distinct, so every window has one maximum) and dout."""
    rng = np.random.default_rng(case.seed)
    count = case.n * case.h * case.w * case.c
    x = rng.permutation(count).reshape(case.n, case.h, case.w, case.c).astype(dtype)
    x = (x - count / 2) / count
    dout = rng.standard_normal(_out_shape(case)).astype(dtype)
    return x, dout


def _nchw(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a.transpose(0, 3, 1, 2))


def _nhwc(a: np.ndarray) -> np.ndarray:
    return a.transpose(0, 2, 3, 1)


POOLS = {
    "max": (cnnref.maxpool2d, cnnref.maxpool2d_backward, "maxpool2d", "maxpool2d_backward"),
    "avg": (cnnref.avgpool2d, cnnref.avgpool2d_backward, "avgpool2d", "avgpool2d_backward"),
}


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", CASES, ids=str)
def test_matches_reference(case, dtype, kind, ref, assert_close):
    forward, backward, ref_forward, ref_backward = POOLS[kind]
    x, dout = _tie_free(case, dtype)
    out = forward(x, case.size, case.stride)
    dx = backward(dout, x, case.size, case.stride)
    assert out.dtype == dtype and dx.dtype == dtype
    assert_close(out, getattr(ref, ref_forward)(x, case.size, case.stride), dtype, "out")
    assert_close(dx, getattr(ref, ref_backward)(dout, x, case.size, case.stride), dtype, "dx")


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", CASES, ids=str)
def test_matches_torch(case, dtype, kind, torch, assert_close):
    forward, backward, _, _ = POOLS[kind]
    x, dout = _tie_free(case, dtype)
    stride = case.size if case.stride is None else case.stride
    xt = torch.tensor(_nchw(x), requires_grad=True)
    torch_pool = torch.nn.functional.max_pool2d if kind == "max" else torch.nn.functional.avg_pool2d
    out_t = torch_pool(xt, case.size, stride)
    out_t.backward(torch.tensor(_nchw(dout)))
    assert_close(forward(x, case.size, case.stride), _nhwc(out_t.detach().numpy()), dtype, "out")
    dx = backward(dout, x, case.size, case.stride)
    assert_close(dx, _nhwc(xt.grad.numpy()), dtype, "dx vs torch")


@pytest.mark.parametrize("dtype", DTYPES)
def test_max_tie_goes_to_first_in_row_major_order(dtype):
    """Window [[1, 3], [3, 3]]: the maximum 3 sits at (0, 1), (1, 0), (1, 1); (0, 1) wins."""
    x = np.array([[1.0, 3.0], [3.0, 3.0]], dtype=dtype).reshape(1, 2, 2, 1)
    dx = cnnref.maxpool2d_backward(np.full((1, 1, 1, 1), 5.0, dtype=dtype), x)
    np.testing.assert_array_equal(dx[0, :, :, 0], [[0.0, 5.0], [0.0, 0.0]])
    assert cnnref.maxpool2d(x)[0, 0, 0, 0] == 3.0


def test_max_all_equal_window_sends_gradient_to_its_top_left():
    x = np.zeros((2, 4, 6, 3))
    dout = np.arange(1.0, 1.0 + 2 * 2 * 3 * 3).reshape(2, 2, 3, 3)
    dx = cnnref.maxpool2d_backward(dout, x)
    expected = np.zeros_like(x)
    expected[:, ::2, ::2, :] = dout
    np.testing.assert_array_equal(dx, expected)


def test_max_tie_rule_matches_reference_on_random_ties(ref, assert_close):
    """Values from {0, 1, 2} make many ties; the reference uses np.argmax (first maximum)."""
    rng = np.random.default_rng(11)
    x = rng.integers(0, 3, size=(3, 7, 6, 2)).astype(np.float64)
    dout = rng.standard_normal((3, 3, 2, 2))
    dx = cnnref.maxpool2d_backward(dout, x, 3, 2)
    assert_close(dx, ref.maxpool2d_backward(dout, x, 3, 2), np.float64, "dx with ties")


def test_max_overlapping_windows_accumulate():
    """A single maximum shared by all four 2 × 2 windows of a 3 × 3 input (stride 1)."""
    x = np.zeros((1, 3, 3, 1))
    x[0, 1, 1, 0] = 9.0
    dout = np.array([1.0, 2.0, 4.0, 8.0]).reshape(1, 2, 2, 1)
    dx = cnnref.maxpool2d_backward(dout, x, size=2, stride=1)
    expected = np.zeros((3, 3))
    expected[1, 1] = 15.0
    np.testing.assert_array_equal(dx[0, :, :, 0], expected)


def test_max_overlapping_ties_each_window_picks_its_own_first():
    """Row [5, 5, 5] with 1 × 2 windows at stride 1: window 0 picks column 0, window 1 column 1."""
    x = np.full((1, 1, 3, 1), 5.0)
    dout = np.array([1.0, 10.0]).reshape(1, 1, 2, 1)
    dx = cnnref.maxpool2d_backward(dout, np.repeat(x, 2, axis=1), size=2, stride=1)
    np.testing.assert_array_equal(dx[0, :, :, 0], [[1.0, 10.0, 0.0], [0.0, 0.0, 0.0]])


def test_avg_overlapping_windows_accumulate():
    x = np.zeros((1, 3, 3, 1))
    dout = np.array([1.0, 2.0, 4.0, 8.0]).reshape(1, 2, 2, 1)
    dx = cnnref.avgpool2d_backward(dout, x, size=2, stride=1)
    expected = np.array([[1.0, 3.0, 2.0], [5.0, 15.0, 10.0], [4.0, 12.0, 8.0]]) / 4
    np.testing.assert_array_equal(dx[0, :, :, 0], expected)


@pytest.mark.parametrize("kind", ["max", "avg"])
def test_stride_defaults_to_size(kind):
    forward, backward, _, _ = POOLS[kind]
    x = np.random.default_rng(3).standard_normal((2, 6, 6, 2))
    np.testing.assert_array_equal(forward(x, 3), forward(x, 3, 3))
    dout = np.ones((2, 2, 2, 2))
    np.testing.assert_array_equal(backward(dout, x, 3), backward(dout, x, 3, 3))
    assert forward(x).shape == (2, 3, 3, 2)


def _argmax_agrees(x, dout, size, stride):
    """Forward and backward with the kept winners equal the plain path exactly."""
    out, argmax = maxpool2d_with_winners(x, size, stride)
    assert argmax.dtype == np.uint8 and argmax.shape == out.shape
    assert argmax.max() < size * size
    np.testing.assert_array_equal(out, cnnref.maxpool2d(x, size, stride))
    np.testing.assert_array_equal(_at_winners(x, argmax, size, stride), out)
    kept = maxpool2d_backward_to_winners(dout, x, argmax, size, stride)
    np.testing.assert_array_equal(kept, cnnref.maxpool2d_backward(dout, x, size, stride))
    return argmax, kept


def _winner_places(winners, size, stride):
    """(n, r, s, c) index arrays of the element each window's offset names."""
    step = size if stride is None else stride
    n, i, j, c = np.indices(winners.shape)
    return n, i * step + winners // size, j * step + winners % size, c


def _at_winners(x, winners, size, stride):
    return x[_winner_places(winners, size, stride)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", CASES, ids=str)
def test_argmax_path_matches_reference(case, dtype, ref, assert_close):
    x, dout = _tie_free(case, dtype)
    _, dx = _argmax_agrees(x, dout, case.size, case.stride)
    assert_close(dx, ref.maxpool2d_backward(dout, x, case.size, case.stride), dtype, "dx argmax")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("size, stride", [(2, 2), (2, None), (3, 2), (2, 1), (3, 3)])
def test_argmax_path_ties_and_nan_follow_the_tie_rule(size, stride, dtype, ref, assert_close):
    """Values from {0, 1, 2, NaN}: many ties and NaNs; both paths and the reference agree."""
    rng = np.random.default_rng(size * 10 + (stride or 0))
    x = rng.integers(0, 4, size=(3, 8, 7, 5)).astype(dtype)
    x[x == 3] = np.nan
    out_shape = cnnref.maxpool2d(x, size, stride).shape
    dout = rng.standard_normal(out_shape).astype(dtype)
    argmax, dx = _argmax_agrees(x, dout, size, stride)
    assert_close(dx, ref.maxpool2d_backward(dout, x, size, stride), dtype, "dx ties/NaN")
    assert np.isnan(_at_winners(x, argmax, size, stride)).any() and not np.isnan(dx).any()


@pytest.mark.parametrize("dtype", DTYPES)
def test_argmax_points_to_first_maximum_of_each_window(dtype):
    """Window [[1, 3], [3, 3]] → offset 1, (0, 1); window [[nan, 7], [nan, 7]] → the first NaN,
    offset 0."""
    x = np.array([[1.0, 3.0, np.nan, 7.0], [3.0, 3.0, np.nan, 7.0]], dtype=dtype)
    out, argmax = maxpool2d_with_winners(x.reshape(1, 2, 4, 1))
    np.testing.assert_array_equal(argmax.ravel(), [1, 0])
    assert out[0, 0, 0, 0] == 3.0 and np.isnan(out[0, 0, 1, 0])


def test_offsets_count_row_by_row_within_a_3x3_window():
    """The winner at (k1, k2) of a 3 × 3 window has offset 3·k1 + k2, for each of the nine."""
    for place in range(9):
        x = np.zeros((1, 3, 3, 1))
        x[0, place // 3, place % 3, 0] = 1.0
        assert maxpool2d_with_winners(x, 3)[1].item() == place


def test_windows_beyond_16x16_keep_their_offsets_in_uint32():
    x = np.zeros((1, 17, 17, 2))
    x[0, 16, 15, 1] = 1.0
    out, winners = maxpool2d_with_winners(x, 17)
    assert winners.dtype == np.uint32 and winners[0, 0, 0].tolist() == [0, 16 * 17 + 15]
    dx = maxpool2d_backward_to_winners(np.ones_like(out), x, winners, 17)
    np.testing.assert_array_equal(dx, cnnref.maxpool2d_backward(np.ones_like(out), x, 17))


@pytest.mark.parametrize("fused", [False, True])
def test_2x2_backward_zeroes_rows_and_columns_outside_the_windows(fused):
    """Odd H and W: the last row and column belong to no window and get 0 on both paths (dx
    starts uninitialized: the kernel writes every element)."""
    from cnnref.pool import activation_delta_through_maxpool

    x = np.random.default_rng(5).standard_normal((2, 5, 7, 3))
    dout = np.ones((2, 2, 3, 3))
    _, dx = _argmax_agrees(x, dout, 2, 2)
    if fused:
        dx = activation_delta_through_maxpool(dout, x, maxpool2d_with_winners(x)[1], "tanh")
    assert not dx[:, 4, :, :].any() and not dx[:, :, 6, :].any()
    assert np.count_nonzero(dx) == dout.size


def test_argmax_does_not_modify_inputs():
    x = np.random.default_rng(6).standard_normal((1, 4, 4, 2))
    _, argmax = maxpool2d_with_winners(x)
    x_before, argmax_before = x.copy(), argmax.copy()
    maxpool2d_backward_to_winners(np.ones((1, 2, 2, 2)), x, argmax)
    np.testing.assert_array_equal(x, x_before)
    np.testing.assert_array_equal(argmax, argmax_before)


@pytest.mark.parametrize("size, stride", [(2, None), (3, 1)])
def test_bad_argmax_is_rejected(size, stride):
    x = np.zeros((1, 5, 5, 2))
    _, argmax = maxpool2d_with_winners(x, size, stride)
    dout = np.ones(argmax.shape)
    with pytest.raises(TypeError, match="uint8"):
        maxpool2d_backward_to_winners(dout, x, argmax.astype(np.float64), size, stride)
    with pytest.raises(TypeError, match="uint8"):
        maxpool2d_backward_to_winners(dout, x, argmax.astype(np.intp), size, stride)
    with pytest.raises(ValueError, match="winners"):
        maxpool2d_backward_to_winners(dout, x, argmax[:, :1], size, stride)
    outside = argmax.copy()
    outside[0, -1, -1, 1] = size * size
    with pytest.raises(ValueError, match="outside the"):
        maxpool2d_backward_to_winners(dout, x, outside, size, stride)


@pytest.mark.parametrize("dtype", DTYPES)
def test_signed_zeros_and_infinite_gradients_keep_their_values(dtype):
    """[[-0, 0], [0, -0]]: the max is -0 (first); an infinite dout reaches only the winner."""
    x = np.array([[-0.0, 0.0, 1.0, np.inf], [0.0, -0.0, np.inf, 2.0]], dtype=dtype)
    x = x.reshape(1, 2, 4, 1)
    dout = np.array([np.inf, -np.inf], dtype=dtype).reshape(1, 1, 2, 1)
    _argmax_agrees(x, dout, 2, 2)
    pooled = cnnref.maxpool2d(x)
    assert np.signbit(pooled[0, 0, 0, 0]) and pooled[0, 0, 1, 0] == np.inf
    dx = cnnref.maxpool2d_backward(dout, x)
    expected = np.array([[np.inf, 0.0, 0.0, -np.inf], [0.0, 0.0, 0.0, 0.0]], dtype=dtype)
    np.testing.assert_array_equal(dx[0, :, :, 0], expected)


@pytest.mark.parametrize("size, stride", [(2, None), (3, 1), (2, 3)])
def test_each_offset_sends_the_gradient_to_the_element_it_names(size, stride):
    """The gradient goes where the offsets say, even to an element that is not its window's
    maximum (which maxpool2d_with_winners never returns): the backward pass trusts the winners."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 7, 7, 3))
    _, winners = maxpool2d_with_winners(x, size, stride)
    dout = rng.standard_normal(winners.shape)
    moved = rng.integers(0, size * size, winners.shape).astype(np.uint8)
    expected = np.zeros_like(x)
    np.add.at(expected, _winner_places(moved, size, stride), dout)
    got = maxpool2d_backward_to_winners(dout, x, moved, size, stride)
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", ["relu", "sigmoid", "tanh"])
@pytest.mark.parametrize("size, stride", [(2, 2), (3, 3), (2, 3)])
@pytest.mark.parametrize("batch", [3, 40])
def test_the_fused_delta_through_maxpool_is_the_two_calls_bit_for_bit(
    dtype, kind, size, stride, batch
):
    """Batch 40 crosses the kernels' threading threshold (65,536 elements): the same bits."""
    from cnnref.activations import activate, times_activation_derivative
    from cnnref.pool import activation_delta_through_maxpool

    rng = np.random.default_rng(11)
    z = activate(rng.standard_normal((batch, 28, 27, 5)).astype(dtype), kind)
    z[0, :2, :2, :] = 0  # ties and the relu kink
    out, winners = maxpool2d_with_winners(z, size, stride)
    np.testing.assert_array_equal(out, cnnref.maxpool2d(z, size, stride))
    dout = rng.standard_normal(out.shape).astype(dtype)
    two_calls = times_activation_derivative(
        maxpool2d_backward_to_winners(dout, z, winners, size, stride), z, kind
    )
    fused = activation_delta_through_maxpool(dout, z, winners, kind, size, stride)
    np.testing.assert_array_equal(fused, two_calls)
    from_pooled = activation_delta_through_maxpool(dout, z, winners, kind, size, stride, out)
    np.testing.assert_array_equal(from_pooled, two_calls)
    via_formula = cnnref.maxpool2d_backward(dout, z, size, stride)
    np.testing.assert_array_equal(two_calls, times_activation_derivative(via_formula, z, kind))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", ["relu", "sigmoid", "tanh"])
@pytest.mark.parametrize("size, stride", [(2, 2), (3, 2)])
def test_sigma_prime_from_the_pooled_output_keeps_the_bits_of_signed_zeros_and_nans(
    dtype, kind, size, stride
):
    """The pool copies its winner, so σ′ read from p is σ′ of z at the winner even where ±0 tie
    (σ′ = z (1 − z) keeps the sign) or NaNs and infinities meet (NaN payloads kept)."""
    from cnnref.pool import activation_delta_through_maxpool

    rng = np.random.default_rng(5)
    z = rng.choice(
        np.array([0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan, 0.5]), size=(3, 9, 8, 4)
    ).astype(dtype)
    bits = z.view(f"u{z.itemsize}")
    bits[1, 3, 3, 2] = np.array(np.nan, dtype).view(bits.dtype) + 1  # another NaN payload
    assert np.isnan(z[1, 3, 3, 2])
    out, winners = maxpool2d_with_winners(z, size, stride)
    dout = rng.standard_normal(out.shape).astype(dtype)
    from_z = activation_delta_through_maxpool(dout, z, winners, kind, size, stride)
    from_pooled = activation_delta_through_maxpool(dout, z, winners, kind, size, stride, out)
    np.testing.assert_array_equal(from_pooled.view(f"u{z.itemsize}"), from_z.view(f"u{z.itemsize}"))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("images, channels", [(2, 5), (40, 16)])
def test_the_maxima_found_with_their_winners_have_the_bits_of_the_plain_pool(
    dtype, images, channels
):
    """±0 ties, infinities and two NaN payloads in 2 × 2 windows (odd H and W; a channel count
    off the vector width; a batch large enough for the threads): the maxima that come with the
    winners are maxpool2d's, bit for bit, and each is the element its winner names; the general
    loop, which four-byte offsets take, finds the same winners."""
    rng = np.random.default_rng(images)
    z = rng.choice(
        np.array([0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan, 0.5]),
        size=(images, 29, 27, channels),
    ).astype(dtype)
    bits = z.view(f"u{z.itemsize}")
    bits[1, 3, 3, 2] = np.array(np.nan, dtype).view(bits.dtype) + 1  # another NaN payload
    out, winners = maxpool2d_with_winners(z)
    as_bits = f"u{z.itemsize}"
    np.testing.assert_array_equal(out.view(as_bits), cnnref.maxpool2d(z).view(as_bits))
    np.testing.assert_array_equal(_at_winners(z, winners, 2, None).view(as_bits), out.view(as_bits))
    from cnnref.kernels import pool as _pool

    wide_out, wide = np.empty_like(out), np.empty(out.shape, dtype=np.uint32)
    _pool.maxpool_forward_winners(z, wide_out, wide, 2, 2, 2)  # four-byte offsets: general loop
    np.testing.assert_array_equal(wide, winners)
    np.testing.assert_array_equal(wide_out.view(as_bits), out.view(as_bits))


def test_the_fused_delta_rejects_a_pooled_output_of_the_wrong_shape_or_dtype():
    from cnnref.pool import activation_delta_through_maxpool

    z = np.random.default_rng(3).standard_normal((2, 4, 4, 3))
    out, winners = maxpool2d_with_winners(z)
    dout = np.ones_like(out)
    with pytest.raises(ValueError, match=r"pooled must have shape \(2, 2, 2, 3\)"):
        activation_delta_through_maxpool(dout, z, winners, "relu", pooled=out[:, :1])
    with pytest.raises(TypeError, match="pooled"):
        activation_delta_through_maxpool(dout, z, winners, "relu", pooled=out.astype(np.float32))
    with pytest.raises(TypeError, match="pooled"):
        activation_delta_through_maxpool(dout, z, winners, "relu", pooled="p")


def test_the_fused_delta_rejects_winners_outside_their_window():
    from cnnref.pool import activation_delta_through_maxpool

    z = np.random.default_rng(3).standard_normal((2, 4, 4, 3))
    dout = np.ones((2, 2, 2, 3))
    _, winners = maxpool2d_with_winners(z)
    moved = winners.copy()
    moved[1, 0, 0, 0] = 4  # past the 2 × 2 window's last offset, 3
    with pytest.raises(ValueError, match="outside the 2 × 2 window"):
        activation_delta_through_maxpool(dout, z, moved, "relu")
    with pytest.raises(TypeError, match="winners"):
        activation_delta_through_maxpool(dout, z, winners.astype(np.int32), "relu")
    with pytest.raises(ValueError, match="kind"):
        activation_delta_through_maxpool(dout, z, winners, "softplus")
