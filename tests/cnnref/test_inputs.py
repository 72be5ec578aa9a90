"""Bad input, memory layouts, empty batches, dtypes and immutability, for every public function."""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pytest

import cnnref

# Valid arguments for every public function at batch size n. Shapes (batch n):
# conv: x (n, 5, 6, 3), w (3, 2, 3, 4), stride 2, pad 1 → out (n, 3, 4, 4)
# max pool 2 × 2: (n, 5, 6, 3) → (n, 2, 3, 3); avg pool size 3 stride 2 → (n, 2, 2, 3)
# dense: x (n, 4), w (4, 5) → a (n, 5); the 2-layer network has widths 4 → 5 → 3.


def _arguments(n: int, dtype=np.float64) -> dict[str, tuple[Callable, tuple]]:
    rng = np.random.default_rng(n + 17)

    def r(*shape):
        return rng.standard_normal(shape).astype(dtype)

    x_img, w_img, b_img = r(n, 5, 6, 3), r(3, 2, 3, 4), r(4)
    x, w1, b1, v, c = r(n, 4), r(4, 5), r(5), r(5, 3), r(3)
    z = cnnref.sigmoid(r(n, 5))
    t = np.eye(3, dtype=dtype)[rng.integers(0, 3, size=n)]
    y = cnnref.softmax(r(n, 3))
    return {
        "conv2d": (cnnref.conv2d, (x_img, w_img, b_img, 2, 1)),
        "conv2d_backward": (cnnref.conv2d_backward, (r(n, 3, 4, 4), x_img, w_img, 2, 1)),
        "maxpool2d": (cnnref.maxpool2d, (x_img,)),
        "maxpool2d_backward": (cnnref.maxpool2d_backward, (r(n, 2, 3, 3), x_img)),
        "avgpool2d": (cnnref.avgpool2d, (x_img, 3, 2)),
        "avgpool2d_backward": (cnnref.avgpool2d_backward, (r(n, 2, 2, 3), x_img, 3, 2)),
        "dense": (cnnref.dense, (x, w1, b1)),
        "dense_backward": (cnnref.dense_backward, (r(n, 5), x, w1)),
        "sigmoid": (cnnref.sigmoid, (r(n, 5),)),
        "tanh": (cnnref.tanh, (r(n, 5),)),
        "relu": (cnnref.relu, (r(n, 5),)),
        "activation_derivative": (cnnref.activation_derivative, (z, "tanh")),
        "softmax": (cnnref.softmax, (r(n, 3),)),
        "log_likelihood": (cnnref.log_likelihood, (t, y)),
        "output_delta": (cnnref.output_delta, (t, y)),
        "hidden_delta": (cnnref.hidden_delta, (r(n, 3), v, z, "sigmoid")),
        "weight_gradient": (cnnref.weight_gradient, (x, r(n, 5))),
        "bias_gradient": (cnnref.bias_gradient, (r(n, 5),)),
        "grad_V": (cnnref.grad_V, (z, t, y)),
        "grad_c": (cnnref.grad_c, (t, y)),
        "grad_W": (cnnref.grad_W, (x, z, v, t, y, "sigmoid")),
        "grad_b": (cnnref.grad_b, (z, v, t, y, "sigmoid")),
        "mlp_forward": (cnnref.mlp_forward, ([w1, v], [b1, c], x, "relu")),
        "delta_recursion": (cnnref.delta_recursion, ([w1, v], [x, z], t, y, "tanh")),
        "backprop": (cnnref.backprop, ([w1, v], [b1, c], x, t, "tanh")),
    }


FUNCTIONS = list(_arguments(2))


def _map_arrays(value, transform):
    """Apply ``transform`` to every array in ``value``, recursing into lists and tuples."""
    if isinstance(value, np.ndarray):
        return transform(value)
    if isinstance(value, (list, tuple)):
        return type(value)(_map_arrays(item, transform) for item in value)
    return value


def _arrays_in(value) -> list[np.ndarray]:
    if isinstance(value, np.ndarray):
        return [value]
    if isinstance(value, (list, tuple)):
        return [a for item in value for a in _arrays_in(item)]
    return []


def _assert_same_result(got, want, what: str) -> None:
    got_arrays, want_arrays = _arrays_in(got), _arrays_in(want)
    if not want_arrays:  # log_likelihood returns a float
        assert got == want, f"{what}: {got!r} vs {want!r}"
        return
    assert len(got_arrays) == len(want_arrays), what
    for g, w in zip(got_arrays, want_arrays, strict=True):
        assert g.dtype == w.dtype and g.shape == w.shape, f"{what}: {g.dtype}{g.shape}"
        np.testing.assert_array_equal(g, w, err_msg=what)


def _fortran(a: np.ndarray) -> np.ndarray:
    return np.asfortranarray(a)


def _strided(a: np.ndarray) -> np.ndarray:
    """Same values, every axis a stride-2 slice of a larger buffer."""
    if a.ndim == 0:
        return a
    big = np.zeros(tuple(2 * s for s in a.shape), dtype=a.dtype)
    view = big[tuple(slice(None, None, 2) for _ in a.shape)]
    view[...] = a
    return view


def _transposed(a: np.ndarray) -> np.ndarray:
    """Same values, stored transposed (a view of the transpose of a C copy)."""
    return np.ascontiguousarray(a.T).T


def _reversed(a: np.ndarray) -> np.ndarray:
    """Same values through negative strides."""
    if a.ndim == 0:
        return a
    return np.ascontiguousarray(a[::-1])[::-1]


def _byteswapped(a: np.ndarray) -> np.ndarray:
    """Same values stored in the opposite byte order (e.g. '>f8' on a little-endian machine)."""
    if a.dtype.kind != "f":
        return a
    return a.astype(a.dtype.newbyteorder("S"))


LAYOUTS = {
    "byteswapped": _byteswapped,
    "fortran": _fortran,
    "strided": _strided,
    "transposed": _transposed,
    "reversed": _reversed,
}


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("name", FUNCTIONS)
def test_any_memory_layout_gives_the_c_contiguous_result(name, layout):
    function, args = _arguments(3)[name]
    expected = function(*args)
    changed = _map_arrays(args, LAYOUTS[layout])
    if layout == "byteswapped":
        assert any(not a.dtype.isnative for a in _arrays_in(changed))
    elif layout != "fortran":
        assert any(not a.flags.c_contiguous for a in _arrays_in(changed) if a.ndim > 1)
    _assert_same_result(function(*changed), expected, f"{name} with {layout} inputs")


@pytest.mark.parametrize("name", FUNCTIONS)
def test_no_input_is_modified(name):
    function, args = _arguments(3)[name]
    copies = _map_arrays(args, np.copy)
    function(*args)
    for original, copy in zip(_arrays_in(args), _arrays_in(copies), strict=True):
        np.testing.assert_array_equal(original, copy, err_msg=f"{name} modified an input")


@pytest.mark.parametrize("name", FUNCTIONS)
def test_read_only_inputs_are_accepted(name):
    function, args = _arguments(3)[name]
    expected = function(*args)

    def read_only(a: np.ndarray) -> np.ndarray:
        frozen = a.copy()
        frozen.flags.writeable = False
        return frozen

    frozen_args = _map_arrays(args, read_only)
    _assert_same_result(function(*frozen_args), expected, f"{name} with read-only inputs")
    for out in _arrays_in(function(*frozen_args)):
        assert out.flags.writeable, f"{name} returned a read-only array"


def _shapes(value):
    if isinstance(value, np.ndarray):
        return value.shape
    if isinstance(value, (list, tuple)):
        return type(value)(_shapes(item) for item in value)
    return value


EMPTY_BATCH_SHAPES = {
    "conv2d": (0, 3, 4, 4),
    "conv2d_backward": ((0, 5, 6, 3), (3, 2, 3, 4), (4,)),
    "maxpool2d": (0, 2, 3, 3),
    "maxpool2d_backward": (0, 5, 6, 3),
    "avgpool2d": (0, 2, 2, 3),
    "avgpool2d_backward": (0, 5, 6, 3),
    "dense": (0, 5),
    "dense_backward": ((0, 4), (4, 5), (5,)),
    "sigmoid": (0, 5),
    "tanh": (0, 5),
    "relu": (0, 5),
    "activation_derivative": (0, 5),
    "softmax": (0, 3),
    "log_likelihood": 0.0,
    "output_delta": (0, 3),
    "hidden_delta": (0, 5),
    "weight_gradient": (4, 5),
    "bias_gradient": (5,),
    "grad_V": (5, 3),
    "grad_c": (3,),
    "grad_W": (4, 5),
    "grad_b": (5,),
    "mlp_forward": ([(0, 5)], (0, 3)),
    "delta_recursion": [(0, 5), (0, 3)],
    "backprop": ([(4, 5), (5, 3)], [(5,), (3,)]),
}


@pytest.mark.parametrize("name", FUNCTIONS)
def test_empty_batch_gives_an_empty_result_of_the_right_shape(name):
    function, args = _arguments(0)[name]
    result = function(*args)
    assert _shapes(result) == EMPTY_BATCH_SHAPES[name]
    for out in _arrays_in(result):
        assert out.dtype == np.float64
        assert not np.any(out), f"{name}: a sum over no samples must be 0"


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", FUNCTIONS)
def test_output_dtype_is_input_dtype(name, dtype):
    function, args = _arguments(2, dtype)[name]
    result = function(*args)
    if name == "log_likelihood":
        assert isinstance(result, float)
    for out in _arrays_in(result):
        assert out.dtype == dtype, f"{name} returned {out.dtype} for {np.dtype(dtype)} inputs"


@pytest.mark.parametrize("bad_dtype", [np.int64, np.int32, np.complex128, np.float16, np.bool_])
@pytest.mark.parametrize("name", FUNCTIONS)
def test_unsupported_dtypes_are_rejected(name, bad_dtype):
    function, args = _arguments(2)[name]
    bad_args = _map_arrays(args, lambda a: a.astype(bad_dtype))
    with pytest.raises(TypeError, match=r"float32.*float64|float, integer or bool"):
        function(*bad_args)


# (function, index of the argument switched to float32 while the rest stay float64, its name)
MIXED = [
    ("conv2d", 1, "w"),
    ("conv2d", 2, "b"),
    ("conv2d_backward", 0, "dout"),
    ("maxpool2d_backward", 0, "dout"),
    ("avgpool2d_backward", 0, "dout"),
    ("dense", 1, "w"),
    ("dense", 2, "b"),
    ("dense_backward", 0, "delta"),
    ("hidden_delta", 1, "w_next"),
    ("weight_gradient", 1, "delta"),
    ("grad_V", 0, "z"),
    ("grad_W", 0, "x"),
    ("grad_W", 2, "v"),
    ("grad_b", 1, "v"),
    ("mlp_forward", 2, "x"),
    ("backprop", 2, "x"),
]


@pytest.mark.parametrize(("name", "index", "argument"), MIXED)
def test_mixed_dtypes_are_rejected(name, index, argument):
    function, args = _arguments(2)[name]
    args = list(args)
    args[index] = args[index].astype(np.float32)
    with pytest.raises(TypeError, match=rf"\b{re.escape(argument)} is float32"):
        function(*args)


def test_mixed_dtypes_inside_a_layer_list_name_the_entry():
    function, args = _arguments(2)["mlp_forward"]
    weights = [args[0][0], args[0][1].astype(np.float32)]
    with pytest.raises(TypeError, match=r"weights\[1\] is float32"):
        function(weights, *args[1:])


def _call_with(name: str, **replace):
    """Call ``name`` with its valid arguments, some replaced (by position or keyword)."""
    function, args = _arguments(2)[name]
    args = list(args)
    keywords = {}
    for key, value in replace.items():
        if key.startswith("arg"):
            args[int(key[3:])] = value
        else:
            keywords[key] = value
    return function(*args, **keywords)


R = np.random.default_rng(5)
BAD_INPUTS = [
    # conv2d(x, w, b, stride, pad, mode)
    ("conv2d", {"arg0": R.random((5, 6, 3))}, ValueError, r"x must be a 4-D array"),
    ("conv2d", {"arg1": R.random((3, 2, 3))}, ValueError, r"w must be a 4-D array"),
    ("conv2d", {"arg1": R.random((3, 2, 2, 4))}, ValueError, r"w has 2 input channels.*x has 3"),
    ("conv2d", {"arg1": R.random((8, 2, 3, 4))}, ValueError, r"w kernel height KH = 8.*x height"),
    ("conv2d", {"arg1": R.random((2, 9, 3, 4))}, ValueError, r"w kernel width KW = 9.*x width"),
    ("conv2d", {"arg3": 0}, ValueError, r"stride must be an integer >= 1"),
    ("conv2d", {"arg3": 1.5}, TypeError, r"stride must be an integer"),
    ("conv2d", {"arg4": -1}, ValueError, r"pad must be an integer >= 0"),
    ("conv2d", {"arg2": R.random(3)}, ValueError, r"b must have shape \(4,\)"),
    ("conv2d", {"arg2": R.random((1, 4))}, ValueError, r"b must be a 1-D array"),
    ("conv2d", {"mode": "correlation"}, ValueError, r"mode must be one of"),
    # conv2d_backward(dout, x, w, stride, pad)
    ("conv2d_backward", {"arg0": R.random((2, 3, 4, 3))}, ValueError, r"dout must have shape"),
    ("conv2d_backward", {"arg0": R.random((2, 4, 4, 4))}, ValueError, r"dout must have shape"),
    ("conv2d_backward", {"arg0": R.random((2, 3, 4))}, ValueError, r"dout must be a 4-D"),
    ("conv2d_backward", {"arg1": R.random((2, 5, 6, 2))}, ValueError, r"x has 2 channels"),
    ("conv2d_backward", {"arg3": 0}, ValueError, r"stride must be"),
    ("conv2d_backward", {"arg4": -2}, ValueError, r"pad must be"),
    ("conv2d_backward", {"mode": "flip"}, ValueError, r"mode must be one of"),
    # pooling(x, size, stride) and backward(dout, x, size, stride)
    ("maxpool2d", {"arg0": R.random((5, 6, 3))}, ValueError, r"x must be a 4-D array"),
    ("maxpool2d", {"size": 0}, ValueError, r"size must be an integer >= 1"),
    ("maxpool2d", {"size": 6}, ValueError, r"size = 6 must not exceed x height H = 5"),
    ("maxpool2d", {"stride": 0}, ValueError, r"stride must be an integer >= 1"),
    ("maxpool2d_backward", {"arg0": R.random((2, 3, 3, 3))}, ValueError, r"dout must have shape"),
    ("maxpool2d_backward", {"arg0": R.random((2, 2, 3))}, ValueError, r"dout must be a 4-D"),
    ("avgpool2d", {"arg0": R.random((2, 5, 6, 3, 1))}, ValueError, r"x must be a 4-D array"),
    ("avgpool2d", {"arg1": 7}, ValueError, r"size = 7 must not exceed x"),
    ("avgpool2d", {"arg2": -1}, ValueError, r"stride must be an integer >= 1"),
    ("avgpool2d_backward", {"arg0": R.random((2, 2, 3, 3))}, ValueError, r"dout must have shape"),
    # dense(x, w, b), dense_backward(delta, x, w)
    ("dense", {"arg0": R.random(4)}, ValueError, r"x must be a 2-D array"),
    ("dense", {"arg1": R.random((3, 5))}, ValueError, r"w must have shape \(D, M\) with D = 4"),
    ("dense", {"arg2": R.random(4)}, ValueError, r"b must have shape \(5,\)"),
    ("dense_backward", {"arg0": R.random((2, 4))}, ValueError, r"delta must have shape \(2, 5\)"),
    ("dense_backward", {"arg0": R.random((3, 5))}, ValueError, r"delta must have shape \(2, 5\)"),
    ("dense_backward", {"arg2": R.random((5, 5))}, ValueError, r"w must have shape \(D, M\)"),
    # activations, softmax, log-likelihood
    ("activation_derivative", {"arg1": "softplus"}, ValueError, r"kind must be one of"),
    ("softmax", {"arg0": R.random((2, 3, 3))}, ValueError, r"a must be \(N, K\) or \(K,\)"),
    ("softmax", {"arg0": R.random((2, 0))}, ValueError, r"a must be .* K >= 1"),
    ("log_likelihood", {"arg0": R.random((2, 4))}, ValueError, r"t must have the same shape as y"),
    ("log_likelihood", {"arg0": R.random(3)}, ValueError, r"t must have the same shape as y"),
    # the closed-form gradients
    ("output_delta", {"arg0": R.random((3, 3))}, ValueError, r"t must have the same shape as y"),
    ("grad_c", {"arg0": R.random((2, 2))}, ValueError, r"t must have the same shape as y"),
    ("grad_V", {"arg1": R.random((2, 4))}, ValueError, r"t must have the same shape as y"),
    ("grad_V", {"arg0": R.random((3, 5))}, ValueError, r"z \(3, 5\) must have the same N rows"),
    ("grad_V", {"arg0": R.random(5)}, ValueError, r"z must be a 2-D array"),
    ("grad_W", {"arg2": R.random((4, 3))}, ValueError, r"v must have shape \(M, M_next\)"),
    ("grad_W", {"arg0": R.random((3, 4))}, ValueError, r"x \(3, 4\) must have the same N rows"),
    ("grad_W", {"arg1": R.random((3, 5))}, ValueError, r"z \(3, 5\) must have the same N rows"),
    ("grad_W", {"arg3": R.random((2, 4))}, ValueError, r"t must have the same shape as y"),
    ("grad_W", {"arg5": "softmax"}, ValueError, r"activation must be one of"),
    ("grad_b", {"arg1": R.random((5, 4))}, ValueError, r"v must have shape \(M, M_next\)"),
    ("grad_b", {"arg4": "elu"}, ValueError, r"activation must be one of"),
    ("hidden_delta", {"arg1": R.random((5, 4))}, ValueError, r"w_next must have shape"),
    ("hidden_delta", {"arg2": R.random((3, 5))}, ValueError, r"z \(3, 5\) must have the same N"),
    ("hidden_delta", {"arg0": R.random(3)}, ValueError, r"delta_next must be a 2-D array"),
    ("hidden_delta", {"arg3": "gelu"}, ValueError, r"activation must be one of"),
    ("weight_gradient", {"arg1": R.random((3, 5))}, ValueError, r"z_prev \(2, 4\) must have"),
    ("bias_gradient", {"arg0": R.random(5)}, ValueError, r"delta must be a 2-D array"),
    # the L-layer network
    ("mlp_forward", {"arg1": [R.random(5)]}, ValueError, r"biases must have one entry per layer"),
    ("mlp_forward", {"arg0": [], "arg1": []}, ValueError, r"weights must hold at least one"),
    ("mlp_forward", {"arg0": [R.random((4, 5)), R.random((4, 3))]}, ValueError, r"weights\[1\]"),
    ("mlp_forward", {"arg0": [R.random((3, 5)), R.random((5, 3))]}, ValueError, r"weights\[0\]"),
    ("mlp_forward", {"arg1": [R.random(5), R.random(2)]}, ValueError, r"biases\[1\] must have"),
    ("mlp_forward", {"arg2": R.random((2, 3))}, ValueError, r"weights\[0\].*M_prev = 3"),
    ("mlp_forward", {"arg3": "sin"}, ValueError, r"activation must be one of"),
    ("delta_recursion", {"arg1": [R.random((2, 4))]}, ValueError, r"zs must have one entry"),
    ("delta_recursion", {"arg2": R.random((2, 2))}, ValueError, r"t must have the same shape"),
    ("delta_recursion", {"arg1": [R.random((2, 4)), R.random((2, 6))]}, ValueError, r"zs\[1\]"),
    ("delta_recursion", {"arg1": [R.random((2, 4)), R.random((3, 5))]}, ValueError, r"zs\[1\]"),
    ("delta_recursion", {"arg4": "id"}, ValueError, r"activation must be one of"),
    ("backprop", {"arg3": R.random((2, 4))}, ValueError, r"t must have shape \(N, K\) = \(2, 3\)"),
    ("backprop", {"arg1": [R.random(5)]}, ValueError, r"biases must have one entry per layer"),
    ("backprop", {"arg4": "swish"}, ValueError, r"activation must be one of"),
]


@pytest.mark.parametrize(
    ("name", "replace", "error", "message"),
    BAD_INPUTS,
    ids=[f"{case[0]}-{case[3][:30]}" for case in BAD_INPUTS],
)
def test_bad_input_is_rejected_with_a_message_naming_the_argument(name, replace, error, message):
    with pytest.raises(error, match=message):
        _call_with(name, **replace)
