"""The registry: one entry per function cnnref exports, each with a case generator.

A *gradient* case holds the arguments of the cnnref function (in the dtype under test), the float64
variables of the scalar function it differentiates (``params``), that scalar function (batched,
written in :mod:`verify.objectives`), the kink pattern where there are kinks, and a map from the
function's return value to one gradient per variable. A *forward* case is checked against its naive
twin only. Settings run over dtypes, activations, conv modes, strides, paddings, pool sizes, tie
patterns and algorithms; shapes are drawn per case (non-square, every axis a different length).

``REGISTRY`` maps each cnnref name to its :class:`Entry`; :func:`cases` builds the cases.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import generators as gen
from . import objectives as obj

DTYPES = (np.float64, np.float32)
ACTIVATIONS = ("sigmoid", "tanh", "relu")
CONV_MODES = ("cross-correlation", "convolution")


@dataclass
class Case:
    """One check: a call of cnnref's ``target`` and what its result must equal."""

    target: str
    kind: str
    settings: dict[str, Any]
    dtype: np.dtype
    args: dict[str, Any]
    outputs: Callable[[Any], dict[str, np.ndarray]]
    kwargs: dict[str, Any] = field(default_factory=dict)
    params: dict[str, np.ndarray] = field(default_factory=dict)
    objective: Callable[[Mapping[str, np.ndarray]], np.ndarray] | None = None
    pattern: Callable[[Mapping[str, np.ndarray]], list[np.ndarray]] | None = None
    analytic: bool = True
    upstream: str | None = None
    naive_extra: dict[str, Callable[[Any], np.ndarray]] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """target[setting, …], e.g. conv2d_backward[float32, convolution, stride 2, pad 1]."""
        shown = ", ".join(str(v) for v in self.settings.values())
        return f"{self.target}[{shown}]"

    @property
    def shapes(self) -> str:
        """The array arguments' shapes, for the report."""
        parts = []
        for name, value in self.args.items():
            if isinstance(value, np.ndarray):
                parts.append(f"{name}{'×'.join(map(str, value.shape))}")
            elif isinstance(value, list):
                parts.append(f"{name}[{len(value)}]")
        return " ".join(parts)

    def call(self, function: Callable[..., Any]) -> Any:
        """``function(*args, **kwargs)`` — the cnnref function or anything with its signature."""
        return function(*self.args.values(), **self.kwargs)


@dataclass(frozen=True)
class Entry:
    """How to build the cases of one cnnref function."""

    target: str
    kind: str
    settings: tuple[dict[str, Any], ...]
    build: Callable[..., Case]


def _cast(value: np.ndarray, dtype) -> np.ndarray:
    return np.ascontiguousarray(value, dtype=dtype)


def _f64(value: np.ndarray) -> np.ndarray:
    return np.asarray(value, dtype=np.float64)


def _grid(**axes) -> tuple[dict[str, Any], ...]:
    keys = list(axes)
    return tuple(dict(zip(keys, combo, strict=True)) for combo in itertools.product(*axes.values()))


def _dtype_name(dtype) -> str:
    return np.dtype(dtype).name


# ---------------------------------------------------------------- convolution


def _conv_shapes(rng, stride: int, pad: int):
    n = int(rng.integers(1, 3))
    h, w_ = gen.distinct_sizes(rng, 2, 5, 8)
    c, f = gen.distinct_sizes(rng, 2, 2, 4)
    kh, kw = (int(v) for v in rng.choice([2, 3], size=2))
    return (n, h, w_, c), (kh, kw, c, f)


def build_conv2d_backward(rng, dtype, mode, stride, pad, algorithm) -> Case:
    x_shape, w_shape = _conv_shapes(rng, stride, pad)
    x = _cast(gen.values(rng, x_shape), dtype)
    w = _cast(gen.values(rng, w_shape, 0.5), dtype)
    b = gen.values(rng, (w_shape[3],), 0.5)
    out_shape = obj.conv(_f64(x), _f64(w), b, stride, pad, mode).shape
    dout = _cast(gen.upstream(rng, out_shape), dtype)
    g = _f64(dout)

    def objective(p):
        return np.sum(
            g * obj.conv(p["x"], p["w"], p["b"], stride, pad, mode), axis=(-4, -3, -2, -1)
        )

    return Case(
        "conv2d_backward",
        "gradient",
        {
            "dtype": _dtype_name(dtype),
            "mode": mode,
            "stride": f"stride {stride}",
            "pad": f"pad {pad}",
            "algorithm": algorithm,
        },
        np.dtype(dtype),
        {"dout": dout, "x": x, "w": w, "stride": stride, "pad": pad, "mode": mode},
        lambda r: {"x": r[0], "w": r[1], "b": r[2]},
        kwargs={"algorithm": algorithm},
        params={"x": _f64(x), "w": _f64(w), "b": b},
        objective=objective,
        upstream="dout",
    )


def build_conv2d(rng, dtype, mode, stride, pad, algorithm) -> Case:
    x_shape, w_shape = _conv_shapes(rng, stride, pad)
    x = _cast(gen.values(rng, x_shape), dtype)
    w = _cast(gen.values(rng, w_shape, 0.5), dtype)
    b = _cast(gen.values(rng, (w_shape[3],), 0.5), dtype)
    return Case(
        "conv2d",
        "forward",
        {
            "dtype": _dtype_name(dtype),
            "mode": mode,
            "stride": f"stride {stride}",
            "pad": f"pad {pad}",
            "algorithm": algorithm,
        },
        np.dtype(dtype),
        {"x": x, "w": w, "b": b, "stride": stride, "pad": pad, "mode": mode},
        lambda r: {"out": r},
        kwargs={"algorithm": algorithm},
    )


CONV_SETTINGS = _grid(
    dtype=DTYPES, mode=CONV_MODES, stride=(1, 2), pad=(0, 1), algorithm=("im2col", "direct")
)


# ---------------------------------------------------------------- pooling


def _pool_shape(rng, size: int, stride: int):
    n = int(rng.integers(1, 3))
    h, w = gen.distinct_sizes(rng, 2, size + stride, size + 3 * stride)
    c = int(rng.integers(2, 4))
    return (n, h, w, c)


def build_maxpool2d_backward(rng, dtype, size, stride, ties="none") -> Case:
    step = size if stride is None else stride
    shape = _pool_shape(rng, size, step)
    x = _cast(gen.pool_input(rng, shape, size, step, ties), dtype)
    dout = _cast(gen.upstream(rng, obj.maxpool(_f64(x), size, step).shape), dtype)
    g = _f64(dout)
    return Case(
        "maxpool2d_backward",
        "gradient",
        {
            "dtype": _dtype_name(dtype),
            "size": f"size {size}",
            "stride": f"stride {step}",
            "ties": f"ties {ties}",
        },
        np.dtype(dtype),
        {"dout": dout, "x": x, "size": size, "stride": stride},
        lambda r: {"x": r},
        params={"x": _f64(x)},
        objective=lambda p: np.sum(g * obj.maxpool(p["x"], size, step), axis=(-4, -3, -2, -1)),
        pattern=lambda p: [obj.maxpool_winners(p["x"], size, step)],
        analytic=False,
        upstream="dout",
    )


def build_avgpool2d_backward(rng, dtype, size, stride) -> Case:
    step = size if stride is None else stride
    x = _cast(gen.values(rng, _pool_shape(rng, size, step)), dtype)
    dout = _cast(gen.upstream(rng, obj.avgpool(_f64(x), size, step).shape), dtype)
    g = _f64(dout)
    return Case(
        "avgpool2d_backward",
        "gradient",
        {"dtype": _dtype_name(dtype), "size": f"size {size}", "stride": f"stride {step}"},
        np.dtype(dtype),
        {"dout": dout, "x": x, "size": size, "stride": stride},
        lambda r: {"x": r},
        params={"x": _f64(x)},
        objective=lambda p: np.sum(g * obj.avgpool(p["x"], size, step), axis=(-4, -3, -2, -1)),
        upstream="dout",
    )


def _build_pool_forward(target: str, ties_allowed: bool):
    def build(rng, dtype, size, stride, ties="none") -> Case:
        step = size if stride is None else stride
        shape = _pool_shape(rng, size, step)
        x = gen.pool_input(rng, shape, size, step, ties) if ties_allowed else gen.values(rng, shape)
        settings = {"dtype": _dtype_name(dtype), "size": f"size {size}", "stride": f"stride {step}"}
        return Case(
            target,
            "forward",
            settings,
            np.dtype(dtype),
            {"x": _cast(x, dtype), "size": size, "stride": stride},
            lambda r: {"out": r},
        )

    return build


POOL_SETTINGS = _grid(dtype=DTYPES, size=(2, 3), stride=(None, 1))
MAXPOOL_SETTINGS = POOL_SETTINGS + _grid(dtype=DTYPES, size=(2,), stride=(None, 1), ties=("exact",))


# ---------------------------------------------------------------- dense layer


def build_dense_backward(rng, dtype) -> Case:
    n, d, m = gen.distinct_sizes(rng, 3, 2, 7)
    x = _cast(gen.values(rng, (n, d)), dtype)
    w = _cast(gen.values(rng, (d, m), 0.5), dtype)
    b = gen.values(rng, (m,), 0.5)
    delta = _cast(gen.upstream(rng, (n, m)), dtype)
    g = _f64(delta)
    return Case(
        "dense_backward",
        "gradient",
        {"dtype": _dtype_name(dtype)},
        np.dtype(dtype),
        {"delta": delta, "x": x, "w": w},
        lambda r: {"x": r[0], "w": r[1], "b": r[2]},
        params={"x": _f64(x), "w": _f64(w), "b": b},
        objective=lambda p: np.sum(g * obj.dense(p["x"], p["w"], p["b"]), axis=(-2, -1)),
        upstream="delta",
    )


def build_dense(rng, dtype) -> Case:
    n, d, m = gen.distinct_sizes(rng, 3, 2, 7)
    args = {
        "x": _cast(gen.values(rng, (n, d)), dtype),
        "w": _cast(gen.values(rng, (d, m)), dtype),
        "b": _cast(gen.values(rng, (m,)), dtype),
    }
    return Case(
        "dense",
        "forward",
        {"dtype": _dtype_name(dtype)},
        np.dtype(dtype),
        args,
        lambda r: {"out": r},
    )


# ---------------------------------------------------------------- activations and output


def _pre_activation(rng, shape, activation: str, near_kink: bool) -> np.ndarray:
    a = gen.kinks.away_from_zero(rng, shape, gen.RELU_MARGIN)
    a.flat[0] = abs(a.flat[0])  # at least one active unit: an all-zero gradient certifies nothing
    return gen.place_near_kink(rng, a) if near_kink else a


def _relu_pattern(activation: str, name: str):
    if activation != "relu":
        return None
    return lambda p: [p[name].real > 0]


def build_activation_derivative(rng, dtype, activation, near_kink=False) -> Case:
    shape = tuple(gen.distinct_sizes(rng, 2, 2, 6))
    a = _pre_activation(rng, shape, activation, near_kink)
    z = _cast(obj.activate(a, activation), dtype)
    g = gen.upstream(rng, shape)
    settings = {"dtype": _dtype_name(dtype), "activation": activation}
    if near_kink:
        settings["placement"] = "near kinks"
    return Case(
        "activation_derivative",
        "gradient",
        settings,
        np.dtype(dtype),
        {"z": z, "kind": activation},
        lambda r: {"a": r * np.asarray(g, dtype=np.asarray(r).dtype)},
        params={"a": a},
        objective=lambda p: np.sum(g * obj.activate(p["a"], activation), axis=(-2, -1)),
        pattern=_relu_pattern(activation, "a"),
        analytic=activation != "relu",
    )


def _build_activation_forward(target: str):
    def build(rng, dtype) -> Case:
        shape = tuple(gen.distinct_sizes(rng, 3, 2, 6))
        a = gen.values(rng, shape, 3.0)
        return Case(
            target,
            "forward",
            {"dtype": _dtype_name(dtype)},
            np.dtype(dtype),
            {"a": _cast(a, dtype)},
            lambda r: {"z": r},
        )

    return build


def build_softmax(rng, dtype, logits) -> Case:
    n, k = gen.distinct_sizes(rng, 2, 2, 7)
    a = gen.values(rng, (n, k), 2.0)
    if logits == "large":
        a = a + rng.uniform(500.0, 1000.0, size=(n, 1)) * np.where(rng.random((n, 1)) < 0.5, -1, 1)
    return Case(
        "softmax",
        "forward",
        {"dtype": _dtype_name(dtype), "logits": f"{logits} logits"},
        np.dtype(dtype),
        {"a": _cast(a, dtype)},
        lambda r: {"y": r},
    )


def build_log_likelihood(rng, dtype, targets) -> Case:
    n, k = gen.distinct_sizes(rng, 2, 2, 7)
    y = obj.softmax(gen.values(rng, (n, k), 2.0))
    t = gen.targets(rng, n, k, targets == "soft")
    return Case(
        "log_likelihood",
        "forward",
        {"dtype": _dtype_name(dtype), "targets": targets},
        np.dtype(dtype),
        {"t": _cast(t, dtype), "y": _cast(y, dtype)},
        lambda r: {"J": np.asarray(r, dtype=np.float64)},
    )


def build_output_delta(rng, dtype, targets) -> Case:
    n, k = gen.distinct_sizes(rng, 2, 2, 7)
    a = gen.values(rng, (n, k), 2.0)
    t = gen.targets(rng, n, k, targets == "soft")
    y = _cast(obj.softmax(a), dtype)
    return Case(
        "output_delta",
        "gradient",
        {"dtype": _dtype_name(dtype), "targets": targets},
        np.dtype(dtype),
        {"t": _cast(t, dtype), "y": y},
        lambda r: {"a": r},
        params={"a": a},
        objective=lambda p: obj.log_likelihood(t, p["a"]),
    )


def build_hidden_delta(rng, dtype, activation, near_kink=False) -> Case:
    n, m, m_next = gen.distinct_sizes(rng, 3, 2, 6)
    a = _pre_activation(rng, (n, m), activation, near_kink)
    z = _cast(obj.activate(a, activation), dtype)
    w_next = _cast(gen.values(rng, (m, m_next)), dtype)
    delta_next = _cast(gen.upstream(rng, (n, m_next)), dtype)
    g, w64 = _f64(delta_next), _f64(w_next)
    settings = {"dtype": _dtype_name(dtype), "activation": activation}
    if near_kink:
        settings["placement"] = "near kinks"
    return Case(
        "hidden_delta",
        "gradient",
        settings,
        np.dtype(dtype),
        {"delta_next": delta_next, "w_next": w_next, "z": z, "activation": activation},
        lambda r: {"a": r},
        params={"a": a},
        objective=lambda p: np.sum(g * (obj.activate(p["a"], activation) @ w64), axis=(-2, -1)),
        pattern=_relu_pattern(activation, "a"),
        analytic=activation != "relu",
        upstream="delta_next",
    )


def build_weight_gradient(rng, dtype) -> Case:
    n, m_prev, m = gen.distinct_sizes(rng, 3, 2, 7)
    z_prev = _cast(gen.values(rng, (n, m_prev)), dtype)
    delta = _cast(gen.upstream(rng, (n, m)), dtype)
    g, z64 = _f64(delta), _f64(z_prev)
    return Case(
        "weight_gradient",
        "gradient",
        {"dtype": _dtype_name(dtype)},
        np.dtype(dtype),
        {"z_prev": z_prev, "delta": delta},
        lambda r: {"w": r},
        params={"w": gen.values(rng, (m_prev, m))},
        objective=lambda p: np.sum(g * (z64 @ p["w"]), axis=(-2, -1)),
        upstream="delta",
    )


def build_bias_gradient(rng, dtype) -> Case:
    n, m = gen.distinct_sizes(rng, 2, 2, 7)
    delta = _cast(gen.upstream(rng, (n, m)), dtype)
    g = _f64(delta)
    return Case(
        "bias_gradient",
        "gradient",
        {"dtype": _dtype_name(dtype)},
        np.dtype(dtype),
        {"delta": delta},
        lambda r: {"b": r},
        params={"b": gen.values(rng, (m,))},
        objective=lambda p: np.sum(g * p["b"][..., None, :], axis=(-2, -1)),
        upstream="delta",
    )


# ---------------------------------------------------------------- the notes' two-layer network


def _two_layer(rng, dtype, activation: str, near_kink: bool, soft: bool):
    n, d, m, k = gen.distinct_sizes(rng, 4, 2, 7)
    x = _cast(gen.values(rng, (n, d)), dtype)
    (w, v), (b, c) = gen.relu_safe_layers(rng, _f64(x), [d, m, k], activation, near_kink)
    t = gen.targets(rng, n, k, soft)
    z = _cast(obj.activate(_f64(x) @ w + b, activation), dtype)
    v = _cast(v, dtype)
    y = _cast(obj.softmax(_f64(z) @ _f64(v) + c), dtype)
    return {"x": x, "w": w, "b": b, "z": z, "v": v, "c": c, "t": t, "y": y}


def _network_settings(dtype, activation, near_kink, targets="one-hot"):
    settings = {"dtype": _dtype_name(dtype), "activation": activation, "targets": targets}
    if near_kink:
        settings["placement"] = "near kinks"
    return settings


def _build_output_layer(target: str):
    def build(rng, dtype, targets) -> Case:
        net = _two_layer(rng, dtype, "sigmoid", False, targets == "soft")
        z64, t, c, v = _f64(net["z"]), net["t"], net["c"], _f64(net["v"])

        def objective(p):
            return obj.log_likelihood(t, z64 @ p.get("v", v) + p.get("c", c)[..., None, :])

        if target == "grad_V":
            args = {"z": net["z"], "t": _cast(t, dtype), "y": net["y"]}
            params = {"v": v}
        else:
            args = {"t": _cast(t, dtype), "y": net["y"]}
            params = {"c": c}
        name = next(iter(params))
        return Case(
            target,
            "gradient",
            {"dtype": _dtype_name(dtype), "targets": targets},
            np.dtype(dtype),
            args,
            lambda r: {name: r},
            params=params,
            objective=objective,
        )

    return build


def _build_hidden_layer(target: str):
    def build(rng, dtype, activation, near_kink=False) -> Case:
        net = _two_layer(rng, dtype, activation, near_kink, soft=False)
        x64, t, v64, c = _f64(net["x"]), net["t"], _f64(net["v"]), net["c"]
        w, b = net["w"], net["b"]

        def logits(p):
            a = x64 @ p.get("w", w) + p.get("b", b)[..., None, :]
            return obj.activate(a, activation) @ v64 + c, a

        def pattern(p):
            return [logits(p)[1].real > 0]

        name = "w" if target == "grad_W" else "b"
        args = {"z": net["z"], "v": net["v"], "t": _cast(t, dtype), "y": net["y"]}
        if target == "grad_W":
            args = {"x": net["x"], **args}
        args["activation"] = activation
        return Case(
            target,
            "gradient",
            _network_settings(dtype, activation, near_kink),
            np.dtype(dtype),
            args,
            lambda r: {name: r},
            params={name: net[name]},
            objective=lambda p: obj.log_likelihood(t, logits(p)[0]),
            pattern=pattern if activation == "relu" else None,
            analytic=activation != "relu",
        )

    return build


# ---------------------------------------------------------------- the L-layer network


def _network(rng, dtype, layers: int, activation: str, near_kink: bool):
    widths = gen.distinct_sizes(rng, layers + 1, 2, 7)
    n = int(rng.integers(2, 6))
    x = _cast(gen.values(rng, (n, widths[0])), dtype)
    weights, biases = gen.relu_safe_layers(rng, _f64(x), widths, activation, near_kink)
    weights = [_cast(w, dtype) for w in weights]
    biases = [_cast(b, dtype) for b in biases]
    t = gen.targets(rng, n, widths[-1], soft=False)
    return x, weights, biases, t


def _mlp_pattern(weights, biases, x, activation, shifts_of):
    def pattern(p):
        _, pre = obj.mlp_logits(weights(p), biases(p), x, activation, shifts_of(p))
        return [a.real > 0 for a in pre]

    return pattern


def build_delta_recursion(rng, dtype, layers, activation, near_kink=False) -> Case:
    x, weights, biases, t = _network(rng, dtype, layers, activation, near_kink)
    w64, b64, x64 = [_f64(w) for w in weights], [_f64(b) for b in biases], _f64(x)
    logits, pre = obj.mlp_logits(w64, b64, x64, activation)
    zs = [x, *(_cast(obj.activate(a, activation), dtype) for a in pre)]
    names = [f"a{layer}" for layer in range(1, layers + 1)]
    shift_shapes = [*(a.shape for a in pre), logits.shape]

    def shifts_of(p):
        return [p[name] for name in names]

    return Case(
        "delta_recursion",
        "gradient",
        {**_network_settings(dtype, activation, near_kink), "layers": f"L={layers}"},
        np.dtype(dtype),
        {
            "weights": weights,
            "zs": zs,
            "t": _cast(t, dtype),
            "y": _cast(obj.softmax(logits), dtype),
            "activation": activation,
        },
        lambda r: dict(zip(names, r, strict=True)),
        params={name: np.zeros(shape) for name, shape in zip(names, shift_shapes, strict=True)},
        objective=lambda p: obj.log_likelihood(
            t, obj.mlp_logits(w64, b64, x64, activation, shifts_of(p))[0]
        ),
        pattern=(
            _mlp_pattern(lambda p: w64, lambda p: b64, x64, activation, shifts_of)
            if activation == "relu"
            else None
        ),
        analytic=activation != "relu",
    )


def build_backprop(rng, dtype, layers, activation, near_kink=False) -> Case:
    x, weights, biases, t = _network(rng, dtype, layers, activation, near_kink)
    x64 = _f64(x)
    w_names = [f"w{layer}" for layer in range(1, layers + 1)]
    b_names = [f"b{layer}" for layer in range(1, layers + 1)]

    def weights_of(p):
        return [p[name] for name in w_names]

    def biases_of(p):
        return [p[name] for name in b_names]

    def outputs(r):
        return {**dict(zip(w_names, r[0], strict=True)), **dict(zip(b_names, r[1], strict=True))}

    params = {
        **{name: _f64(w) for name, w in zip(w_names, weights, strict=True)},
        **{name: _f64(b) for name, b in zip(b_names, biases, strict=True)},
    }
    extra = {}
    if layers == 3:
        extra = {
            "w1": lambda naive: _three_layer_naive(
                naive, "grad_W1_three_layer", params, x64, t, activation
            ),
            "b1": lambda naive: _three_layer_naive(
                naive, "grad_b1_three_layer", params, x64, t, activation
            ),
        }
    return Case(
        "backprop",
        "gradient",
        {**_network_settings(dtype, activation, near_kink), "layers": f"L={layers}"},
        np.dtype(dtype),
        {
            "weights": weights,
            "biases": biases,
            "x": x,
            "t": _cast(t, dtype),
            "activation": activation,
        },
        outputs,
        params=params,
        objective=lambda p: obj.log_likelihood(
            t, obj.mlp_logits(weights_of(p), biases_of(p), x64, activation)[0]
        ),
        pattern=(
            _mlp_pattern(weights_of, biases_of, x64, activation, lambda p: None)
            if activation == "relu"
            else None
        ),
        analytic=activation != "relu",
        naive_extra=extra,
    )


def _three_layer_naive(naive, name: str, params, x64, t, activation) -> np.ndarray:
    """The notes' 3-layer first-layer formula (with its sum over m⁽²⁾), from verify.naive."""
    weights = [params["w1"], params["w2"], params["w3"]]
    biases = [params["b1"], params["b2"], params["b3"]]
    logits, (a1, a2) = obj.mlp_logits(weights, biases, x64, activation)
    z1, z2 = obj.activate(a1, activation), obj.activate(a2, activation)
    rest = (z1, z2, weights[1], weights[2], t, obj.softmax(logits), activation)
    if name == "grad_W1_three_layer":
        return naive.grad_W1_three_layer(x64, *rest)
    return naive.grad_b1_three_layer(*rest)


def build_mlp_forward(rng, dtype, layers, activation) -> Case:
    x, weights, biases, _ = _network(rng, dtype, layers, activation, False)
    return Case(
        "mlp_forward",
        "forward",
        {"dtype": _dtype_name(dtype), "activation": activation, "layers": f"L={layers}"},
        np.dtype(dtype),
        {"weights": weights, "biases": biases, "x": x, "activation": activation},
        lambda r: {**{f"z{i + 1}": z for i, z in enumerate(r[0])}, "y": r[1]},
    )


# ---------------------------------------------------------------- the registry itself

ACT_SETTINGS = _grid(dtype=DTYPES, activation=ACTIVATIONS)
TARGET_SETTINGS = _grid(dtype=DTYPES, targets=("one-hot", "soft"))
NETWORK_SETTINGS = _grid(dtype=DTYPES, layers=(2, 3), activation=ACTIVATIONS)
NEAR_KINK_SETTINGS = ({"dtype": np.float64, "activation": "relu", "near_kink": True},)

REGISTRY: dict[str, Entry] = {
    entry.target: entry
    for entry in (
        Entry("conv2d_backward", "gradient", CONV_SETTINGS, build_conv2d_backward),
        Entry("maxpool2d_backward", "gradient", MAXPOOL_SETTINGS, build_maxpool2d_backward),
        Entry("avgpool2d_backward", "gradient", POOL_SETTINGS, build_avgpool2d_backward),
        Entry("dense_backward", "gradient", _grid(dtype=DTYPES), build_dense_backward),
        Entry(
            "activation_derivative",
            "gradient",
            ACT_SETTINGS + NEAR_KINK_SETTINGS,
            build_activation_derivative,
        ),
        Entry("output_delta", "gradient", TARGET_SETTINGS, build_output_delta),
        Entry("hidden_delta", "gradient", ACT_SETTINGS + NEAR_KINK_SETTINGS, build_hidden_delta),
        Entry("weight_gradient", "gradient", _grid(dtype=DTYPES), build_weight_gradient),
        Entry("bias_gradient", "gradient", _grid(dtype=DTYPES), build_bias_gradient),
        Entry("grad_V", "gradient", TARGET_SETTINGS, _build_output_layer("grad_V")),
        Entry("grad_c", "gradient", TARGET_SETTINGS, _build_output_layer("grad_c")),
        Entry(
            "grad_W", "gradient", ACT_SETTINGS + NEAR_KINK_SETTINGS, _build_hidden_layer("grad_W")
        ),
        Entry(
            "grad_b", "gradient", ACT_SETTINGS + NEAR_KINK_SETTINGS, _build_hidden_layer("grad_b")
        ),
        Entry(
            "delta_recursion",
            "gradient",
            (*NETWORK_SETTINGS, {**NEAR_KINK_SETTINGS[0], "layers": 3}),
            build_delta_recursion,
        ),
        Entry(
            "backprop",
            "gradient",
            (*NETWORK_SETTINGS, {**NEAR_KINK_SETTINGS[0], "layers": 3}),
            build_backprop,
        ),
        Entry(
            "conv2d",
            "forward",
            _grid(
                dtype=DTYPES,
                mode=CONV_MODES,
                stride=(1, 2),
                pad=(0, 1),
                algorithm=("im2col", "direct"),
            ),
            build_conv2d,
        ),
        Entry(
            "maxpool2d",
            "forward",
            POOL_SETTINGS + _grid(dtype=DTYPES, size=(2,), stride=(None,), ties=("exact",)),
            _build_pool_forward("maxpool2d", True),
        ),
        Entry("avgpool2d", "forward", POOL_SETTINGS, _build_pool_forward("avgpool2d", False)),
        Entry("dense", "forward", _grid(dtype=DTYPES), build_dense),
        Entry("sigmoid", "forward", _grid(dtype=DTYPES), _build_activation_forward("sigmoid")),
        Entry("tanh", "forward", _grid(dtype=DTYPES), _build_activation_forward("tanh")),
        Entry("relu", "forward", _grid(dtype=DTYPES), _build_activation_forward("relu")),
        Entry(
            "softmax", "forward", _grid(dtype=DTYPES, logits=("moderate", "large")), build_softmax
        ),
        Entry("log_likelihood", "forward", TARGET_SETTINGS, build_log_likelihood),
        Entry(
            "mlp_forward",
            "forward",
            _grid(dtype=DTYPES, layers=(2, 3), activation=ACTIVATIONS),
            build_mlp_forward,
        ),
    )
}


def cases(
    seed: int = 0, targets: list[str] | None = None, near_kink: bool = True
) -> Iterator[Case]:
    """Every registry case (or those of ``targets``), reproducibly from ``seed``.

    ``near_kink=False`` leaves out the settings that place inputs next to kinks on purpose.
    """
    names = list(REGISTRY) if targets is None else targets
    for name in names:
        if name not in REGISTRY:
            raise ValueError(
                f"targets: {name!r} has no registry entry; known: {', '.join(REGISTRY)}"
            )
        entry = REGISTRY[name]
        entry_index = list(REGISTRY).index(name)
        for position, settings in enumerate(entry.settings):
            if not near_kink and settings.get("near_kink"):
                continue
            rng = np.random.default_rng([seed, entry_index, position])
            yield entry.build(rng, **settings)


def random_case(rng: np.random.Generator, target: str) -> Case:
    """One case of ``target``, settings and shapes drawn from ``rng`` (for false-failure runs)."""
    entry = REGISTRY[target]
    settings = entry.settings[int(rng.integers(0, len(entry.settings)))]
    return entry.build(rng, **settings)
