"""The naive index sums of verify.naive against cnnref's vectorized functions, and on their own."""

from __future__ import annotations

import ast
import inspect
import itertools
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import cnnref
from verify import naive

ACTIVATIONS = ("sigmoid", "tanh", "relu")
MODES = ("cross-correlation", "convolution")

# Both sides sum the same O(1) products in a different order; in float64 each sum carries an error
# of a few ulps times the number of terms, far below this bound, so rtol 1e-12 with an absolute
# floor of 1e-13 × the largest magnitude (for entries that cancel to ~0) is a strict check.
RTOL = 1e-12


def assert_close(naive_value, reference, what: str = "") -> None:
    naive_value = np.asarray(naive_value)
    reference = np.asarray(reference)
    assert naive_value.shape == reference.shape, (what, naive_value.shape, reference.shape)
    scale = max(1.0, float(np.max(np.abs(reference), initial=0.0)))
    np.testing.assert_allclose(naive_value, reference, rtol=RTOL, atol=1e-13 * scale, err_msg=what)


def one_hot(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    t = np.zeros((n, k))
    t[np.arange(n), rng.integers(0, k, size=n)] = 1.0
    return t


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20240611)


# ---------------------------------------------------------------- convolution

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
    for algorithm in ("im2col", "direct"):
        assert_close(out, cnnref.conv2d(x, w, b, stride, pad, mode, algorithm=algorithm), "out")
        reference = cnnref.conv2d_backward(dout, x, w, stride, pad, mode, algorithm=algorithm)
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


# ---------------------------------------------------------------- pooling

POOL_CASES = [
    ((2, 4, 6, 3), 2, None),
    ((1, 5, 7, 2), 2, 1),
    ((2, 7, 5, 1), 3, 2),
    ((1, 3, 4, 2), 1, 2),
]


@pytest.mark.parametrize(("x_shape", "size", "stride"), POOL_CASES)
def test_pooling_matches_cnnref(rng, x_shape, size, stride):
    x = rng.permutation(np.arange(np.prod(x_shape), dtype=np.float64)).reshape(x_shape)
    x = x / x.size + rng.standard_normal(x_shape) * 1e-3  # tie-free, non-symmetric
    for forward, backward, name in (
        (naive.maxpool2d, naive.maxpool2d_backward, "maxpool2d"),
        (naive.avgpool2d, naive.avgpool2d_backward, "avgpool2d"),
    ):
        out = forward(x, size, stride)
        assert_close(out, getattr(cnnref, name)(x, size, stride), name)
        dout = rng.standard_normal(out.shape)
        reference = getattr(cnnref, f"{name}_backward")(dout, x, size, stride)
        assert_close(backward(dout, x, size, stride), reference, f"{name}_backward")


def test_maxpool_tie_rule_first_maximum_in_row_major_order():
    x = np.array([[5.0, 1.0], [5.0, 5.0]]).reshape(1, 2, 2, 1)
    dx = naive.maxpool2d_backward(np.full((1, 1, 1, 1), 7.0), x)
    assert dx[0, :, :, 0].tolist() == [[7.0, 0.0], [0.0, 0.0]]
    later = np.array([[1.0, 5.0], [5.0, 5.0]]).reshape(1, 2, 2, 1)
    dx = naive.maxpool2d_backward(np.full((1, 1, 1, 1), 7.0), later)
    assert dx[0, :, :, 0].tolist() == [[0.0, 7.0], [0.0, 0.0]]
    assert_close(dx, cnnref.maxpool2d_backward(np.full((1, 1, 1, 1), 7.0), later))


def test_maxpool_nan_counts_as_the_maximum():
    x = np.array([[1.0, 9.0], [np.nan, np.nan]]).reshape(1, 2, 2, 1)
    assert np.isnan(naive.maxpool2d(x)).all()
    dx = naive.maxpool2d_backward(np.full((1, 1, 1, 1), 3.0), x)
    assert dx[0, :, :, 0].tolist() == [[0.0, 0.0], [3.0, 0.0]]
    np.testing.assert_array_equal(dx, cnnref.maxpool2d_backward(np.full((1, 1, 1, 1), 3.0), x))


def test_overlapping_windows_accumulate_pool_gradients():
    x = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]).reshape(1, 3, 3, 1)
    dout = np.array([[1.0, 2.0], [3.0, 4.0]]).reshape(1, 2, 2, 1)
    # The 1 at (0, 1) wins both top windows; the bottom windows tie at 0 → their first cells win.
    dx = naive.maxpool2d_backward(dout, x, size=2, stride=1)
    assert dx[0, :, :, 0].tolist() == [[0.0, 3.0, 0.0], [3.0, 4.0, 0.0], [0.0, 0.0, 0.0]]
    avg = naive.avgpool2d_backward(dout, x, size=2, stride=1)
    assert avg[0, 1, 1, 0] == pytest.approx((1 + 2 + 3 + 4) / 4)


# ---------------------------------------------------------------- dense, activations, output


@pytest.mark.parametrize(("n", "d", "m"), [(3, 4, 2), (1, 5, 3), (4, 1, 6)])
def test_dense_matches_cnnref(rng, n, d, m):
    x, w, b = rng.standard_normal((n, d)), rng.standard_normal((d, m)), rng.standard_normal(m)
    assert_close(naive.dense(x, w, b), cnnref.dense(x, w, b), "a")
    delta = rng.standard_normal((n, m))
    for name, mine, theirs in zip(
        ("dx", "dw", "db"),
        naive.dense_backward(delta, x, w),
        cnnref.dense_backward(delta, x, w),
        strict=True,
    ):
        assert_close(mine, theirs, name)


@pytest.mark.parametrize("shape", [(7,), (3, 5), (2, 3, 4)])
def test_activations_and_derivatives_match_cnnref(rng, shape):
    a = rng.standard_normal(shape) * 4
    a.flat[0] = -800.0  # exp(800) would overflow a naive 1 / (1 + exp(−a))
    for kind in ACTIVATIONS:
        z = getattr(naive, kind)(a)
        assert_close(z, getattr(cnnref, kind)(a), kind)
        assert_close(
            naive.activation_derivative(z, kind), cnnref.activation_derivative(z, kind), kind
        )


def test_relu_step_is_zero_at_the_kink():
    z = np.array([0.0, 2.0, 0.0])
    assert naive.activation_derivative(z, "relu").tolist() == [0.0, 1.0, 0.0]


@pytest.mark.parametrize("shape", [(5,), (1, 4), (3, 6)])
def test_softmax_matches_cnnref_even_for_huge_logits(rng, shape):
    a = rng.standard_normal(shape) * 3
    a.flat[-1] = 1000.0
    assert_close(naive.softmax(a), cnnref.softmax(a), "softmax")


def test_log_likelihood_matches_cnnref_and_floors_underflow(rng):
    y = cnnref.softmax(rng.standard_normal((4, 3)))
    t = one_hot(rng, 4, 3)
    assert naive.log_likelihood(t, y) == pytest.approx(cnnref.log_likelihood(t, y), rel=RTOL)
    y[0] = [0.0, 0.0, 1.0]
    t[0] = [1.0, 0.0, 0.0]
    expected = float(np.log(np.finfo(np.float64).tiny))
    row = naive.log_likelihood(t[:1], y[:1])
    assert row == pytest.approx(expected, rel=RTOL)
    y32 = y[:1].astype(np.float32)
    assert naive.log_likelihood(t[:1], y32) == pytest.approx(np.log(np.finfo(np.float32).tiny))
    assert naive.log_likelihood(t[:1], y32) == pytest.approx(cnnref.log_likelihood(t[:1], y32))


def test_log_likelihood_skips_zero_targets():
    y = np.array([[0.0, 0.5, 0.5]])
    assert naive.log_likelihood(np.array([[0, 1, 0]]), y) == pytest.approx(np.log(0.5))


# ---------------------------------------------------------------- closed-form gradients


def two_layer_case(rng, n, d, m, k, activation):
    x = rng.standard_normal((n, d))
    w, b = rng.standard_normal((d, m)), rng.standard_normal(m)
    v, c = rng.standard_normal((m, k)), rng.standard_normal(k)
    z = cnnref.activations.activate(x @ w + b, activation)
    y = cnnref.softmax(z @ v + c)
    return x, z, v, one_hot(rng, n, k), y


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize(("n", "d", "m", "k"), [(4, 3, 5, 2), (1, 2, 3, 4)])
def test_notes_gradients_match_cnnref(rng, activation, n, d, m, k):
    x, z, v, t, y = two_layer_case(rng, n, d, m, k, activation)
    assert_close(naive.grad_V(z, t, y), cnnref.grad_V(z, t, y), "grad_V")
    assert_close(naive.grad_c(t, y), cnnref.grad_c(t, y), "grad_c")
    assert_close(
        naive.grad_W(x, z, v, t, y, activation),
        cnnref.grad_W(x, z, v, t, y, activation),
        "grad_W",
    )
    assert_close(
        naive.grad_b(z, v, t, y, activation), cnnref.grad_b(z, v, t, y, activation), "grad_b"
    )
    delta = naive.output_delta(t, y)
    assert_close(delta, cnnref.output_delta(t, y), "output_delta")
    assert_close(
        naive.hidden_delta(delta, v, z, activation),
        cnnref.hidden_delta(delta, v, z, activation),
        "hidden_delta",
    )
    assert_close(naive.weight_gradient(z, delta), cnnref.weight_gradient(z, delta), "weight")
    assert_close(naive.bias_gradient(delta), cnnref.bias_gradient(delta), "bias")


def network(rng, widths):
    weights = [rng.standard_normal(pair) for pair in itertools.pairwise(widths)]
    biases = [rng.standard_normal(b) for b in widths[1:]]
    return weights, biases


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize(
    ("n", "widths"), [(3, (4, 2)), (1, (3, 5, 2)), (4, (2, 3, 4, 3)), (2, (5, 3, 2, 4, 3))]
)
def test_network_forward_deltas_and_backprop_match_cnnref(rng, activation, n, widths):
    weights, biases = network(rng, widths)
    x = rng.standard_normal((n, widths[0]))
    t = one_hot(rng, n, widths[-1])
    hidden, y = naive.mlp_forward(weights, biases, x, activation)
    ref_hidden, ref_y = cnnref.mlp_forward(weights, biases, x, activation)
    assert len(hidden) == len(ref_hidden) == len(weights) - 1
    for layer, (mine, theirs) in enumerate(zip(hidden, ref_hidden, strict=True), start=1):
        assert_close(mine, theirs, f"Z^({layer})")
    assert_close(y, ref_y, "Y")
    zs = [x, *ref_hidden]
    deltas = naive.delta_recursion(weights, zs, t, ref_y, activation)
    ref_deltas = cnnref.delta_recursion(weights, zs, t, ref_y, activation)
    for layer, (mine, theirs) in enumerate(zip(deltas, ref_deltas, strict=True), start=1):
        assert_close(mine, theirs, f"δ^({layer})")
    grads_w, grads_b = naive.backprop(weights, biases, x, t, activation)
    ref_w, ref_b = cnnref.backprop(weights, biases, x, t, activation)
    for layer in range(len(weights)):
        assert_close(grads_w[layer], ref_w[layer], f"∇W^({layer + 1})")
        assert_close(grads_b[layer], ref_b[layer], f"∇b^({layer + 1})")


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("n", [1, 3])
def test_three_layer_first_gradient_equals_backprop(rng, activation, n):
    weights, biases = network(rng, (4, 5, 3, 2))
    x = rng.standard_normal((n, 4))
    t = one_hot(rng, n, 2)
    (z1, z2), y = cnnref.mlp_forward(weights, biases, x, activation)
    grads_w, grads_b = cnnref.backprop(weights, biases, x, t, activation)
    w2, w3 = weights[1], weights[2]
    assert_close(naive.grad_W1_three_layer(x, z1, z2, w2, w3, t, y, activation), grads_w[0])
    assert_close(naive.grad_b1_three_layer(z1, z2, w2, w3, t, y, activation), grads_b[0])


# ---------------------------------------------------------------- precision, complex input


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


# ---------------------------------------------------------------- inputs, errors, independence


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


def test_naive_module_does_not_import_cnnref():
    tree = ast.parse(inspect.getsource(naive))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "relative import in verify/naive.py"
            imported.add(node.module)
    assert imported <= {"__future__", "numbers", "collections.abc", "numpy"}, imported
    # Loaded on its own, from its file, the module pulls no part of cnnref into the process.
    probe = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('naive_alone', {naive.__file__!r})\n"
        "module = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(module)\n"
        "print(sorted(name for name in sys.modules if name.split('.')[0] == 'cnnref'))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(naive.__file__).parent,
    )
    assert result.stdout.strip() == "[]"
