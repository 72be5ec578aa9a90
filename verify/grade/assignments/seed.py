"""The ``seed`` assignment: the cnnref functional API in the notes' conventions.

NHWC images, (K, K, C, F) filters, a = X W + b, gradient ascent on J = Σ t log y (output delta
T − Y). The student writes each function with cnnref's name and signature; the reference is cnnref.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

import cnnref

from .. import evidence
from .. import mistakes as m
from ..assignment import Assignment, Call, Case, Directional, Task
from .inputs import away_from_zero, network, normal, one_hot, pairing, tie_free, upstream

MODES = ("cross-correlation", "convolution")


def _other_mode(mode: str) -> str:
    return MODES[1 - MODES.index(mode)]


# (N, H, W, C, F, K, stride, pad, mode): fixed for every student, only the values are seeded.
# Every window fits: (H + 2·pad − K) and (W + 2·pad − K) are divisible by the stride.
CONV_SHAPES = (
    (2, 6, 8, 2, 3, 3, 1, 0, "cross-correlation"),
    (1, 7, 5, 3, 2, 3, 2, 1, "cross-correlation"),
    (2, 5, 7, 2, 3, 3, 1, 1, "convolution"),
    (2, 8, 5, 1, 2, 3, 3, 2, "cross-correlation"),
)
# (N, H, W, C, size, stride)
POOL_SHAPES = ((2, 4, 6, 3, 2, 2), (1, 5, 7, 2, 3, 2), (2, 5, 4, 1, 2, 1))


def _conv_inputs(rng: np.random.Generator):
    """(label, x, w, b, stride, pad, mode, structure) for each of :data:`CONV_SHAPES`."""
    for n, h, w_, c, f, k, stride, pad, mode in CONV_SHAPES:
        x, w, b = normal(rng, n, h, w_, c), normal(rng, k, k, c, f), normal(rng, f)
        label = f"x {n}×{h}×{w_}×{c}, w {k}×{k}×{c}×{f}, stride {stride}, pad {pad}, {mode}"
        structure = evidence.window_structure(n, c, (h, w_), (k, k), stride, pad)
        yield label, x, w, b, stride, pad, mode, structure


def conv2d_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    for label, x, w, b, stride, pad, mode, structure in _conv_inputs(rng):
        expected = cnnref.conv2d(x, w, b, stride, pad, mode)
        flipped = cnnref.conv2d(x, w, b, stride, pad, _other_mode(mode))
        call = Call("conv2d", (x, w, b, stride, pad, mode))
        cases.append(
            Case(
                label,
                (call,),
                expected,
                2.0,
                len(x),
                mistakes={m.FILTERS_FLIPPED: flipped},
                structure=structure,
            )
        )
    return cases


def _conv2d_backward_case(rng, label, x, w, b, stride, pad, mode, structure) -> Case:
    dout = upstream(rng, cnnref.conv2d(x, w, b, stride, pad, mode).shape)
    expected = cnnref.conv2d_backward(dout, x, w, stride, pad, mode)
    flipped = cnnref.conv2d_backward(dout, x, w, stride, pad, _other_mode(mode))
    gradients = {
        "dx": Directional(pairing(dout, lambda v: cnnref.conv2d(v, w, b, stride, pad, mode)), x),
        "dw": Directional(pairing(dout, lambda v: cnnref.conv2d(x, v, b, stride, pad, mode)), w),
        "db": Directional(pairing(dout, lambda v: cnnref.conv2d(x, w, v, stride, pad, mode)), b),
    }
    call = Call("conv2d_backward", (dout, x, w, stride, pad, mode))
    return Case(
        label,
        (call,),
        expected,
        3.0,
        len(x),
        ("dx", "dw", "db"),
        gradients,
        {m.FILTERS_FLIPPED: flipped},
        structure,
    )


def conv2d_backward_cases(rng: np.random.Generator) -> list[Case]:
    return [_conv2d_backward_case(rng, *inputs) for inputs in _conv_inputs(rng)]


def _pool_input(rng: np.random.Generator, n: int, h: int, w: int, c: int, size: int, stride: int):
    """Tie-free values; where windows overlap, the element at (stride, stride) — shared by the
    first two windows of each axis — is the largest of its channel."""
    x = tie_free(rng, n, h, w, c)
    if stride < size:
        x[:, stride, stride, :] = float(np.max(x)) + 1.0 + np.arange(n * c).reshape(n, c)
    return x


def _pool_structure(x: np.ndarray, size: int, stride: int) -> dict[str, bool]:
    n, h, w, c = x.shape
    structure = evidence.window_structure(n, c, (h, w), (size, size), stride, 0)
    structure[evidence.PAD_ZERO] = False  # pooling has no padding
    return structure


def _pooled(cases):
    """Pool cases with their structure (the last three arguments are x, size, stride)."""

    def generate(rng: np.random.Generator) -> list[Case]:
        return [replace(c, structure=_pool_structure(*c.calls[-1].args[-3:])) for c in cases(rng)]

    return generate


def _pool_inputs(rng: np.random.Generator):
    """(label, x, size, stride) for each of :data:`POOL_SHAPES`."""
    for n, h, w, c, size, stride in POOL_SHAPES:
        x = _pool_input(rng, n, h, w, c, size, stride)
        yield f"x {n}×{h}×{w}×{c}, size {size}, stride {stride}", x, size, stride


def _pool_cases(function: str):
    """The cases of ``function``, a pool's forward (maxpool2d or avgpool2d), on each shape."""
    forward = getattr(cnnref, function)

    def cases(rng: np.random.Generator) -> list[Case]:
        return [
            Case(label, (Call(function, (x, size, stride)),), forward(x, size, stride), 1.0, len(x))
            for label, x, size, stride in _pool_inputs(rng)
        ]

    return cases


def _maxpool_mistakes(dout, x, size, stride) -> dict:
    """Max-pool backward's known mistake: the upstream gradient sent to the whole window."""
    return {m.POOL_TO_ALL: cnnref.avgpool2d_backward(dout, x, size, stride) * size**2}


def _pool_backward_cases(function: str, mistakes=None):
    """The cases of the backward of ``function`` (maxpool2d or avgpool2d) on each shape, checked
    by a directional derivative of ⟨dout, function(x)⟩; ``mistakes(dout, x, size, stride)``, when
    given, is what the known mistakes return on a case's arguments."""
    forward, backward = getattr(cnnref, function), getattr(cnnref, f"{function}_backward")

    def case(rng, label, x, size, stride) -> Case:
        dout = upstream(rng, forward(x, size, stride).shape)
        gradient = Directional(pairing(dout, lambda v: forward(v, size, stride)), x)
        call = Call(f"{function}_backward", (dout, x, size, stride))
        expected = backward(dout, x, size, stride)
        wrong = mistakes(dout, x, size, stride) if mistakes else {}
        return Case(label, (call,), expected, 2.0, len(x), ("dx",), {"dx": gradient}, wrong)

    def cases(rng: np.random.Generator) -> list[Case]:
        return [case(rng, *inputs) for inputs in _pool_inputs(rng)]

    return cases


def _dense_inputs(rng: np.random.Generator):
    d, k = 6, 4
    for n in (5, 1):
        yield f"x {n}×{d}, w {d}×{k}", normal(rng, n, d), normal(rng, d, k), normal(rng, k)


def dense_cases(rng: np.random.Generator) -> list[Case]:
    return [
        Case(label, (Call("dense", (x, w, b)),), cnnref.dense(x, w, b), 1.0, len(x))
        for label, x, w, b in _dense_inputs(rng)
    ]


def _dense_backward_case(rng, label, x, w, b) -> Case:
    delta = upstream(rng, (len(x), w.shape[1]))
    gradients = {
        "dx": Directional(pairing(delta, lambda v: cnnref.dense(v, w, b)), x),
        "dw": Directional(pairing(delta, lambda v: cnnref.dense(x, v, b)), w),
        "db": Directional(pairing(delta, lambda v: cnnref.dense(x, w, v)), b),
    }
    expected = cnnref.dense_backward(delta, x, w)
    mistakes = {m.BIAS_AXIS: (expected[0], expected[1], delta.sum(axis=1))}
    call = Call("dense_backward", (delta, x, w))
    return Case(label, (call,), expected, 2.0, len(x), ("dx", "dw", "db"), gradients, mistakes)


def dense_backward_cases(rng: np.random.Generator) -> list[Case]:
    return [_dense_backward_case(rng, *inputs) for inputs in _dense_inputs(rng)]


def _activation_cases(name: str, margin: bool):
    reference = getattr(cnnref, name)

    def cases(rng: np.random.Generator) -> list[Case]:
        out = []
        for shape in ((4, 7), (1, 3, 4, 2)):
            a = away_from_zero(rng, *shape, scale=3.0) if margin else normal(rng, *shape, scale=3.0)
            label = "a " + "×".join(map(str, shape))
            out.append(Case(label, (Call(name, (a,)),), reference(a), 1.0, shape[0]))
        return out

    return cases


def _sigmoid_prime_of_sigmoid(z: np.ndarray) -> np.ndarray:
    s = 1 / (1 + np.exp(-z))
    return s * (1 - s)


def activation_derivative_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    for kind, n in (("sigmoid", 4), ("tanh", 4), ("relu", 1)):
        a = away_from_zero(rng, n, 6, scale=2.0)
        z = getattr(cnnref, kind)(a)
        gradient = Directional(lambda v, kind=kind: float(getattr(cnnref, kind)(v).sum()), a)
        wrong = (
            {m.DERIVATIVE_OF_PRE_ACTIVATION: _sigmoid_prime_of_sigmoid(z)}
            if kind == "sigmoid"
            else {}
        )
        call = Call("activation_derivative", (z, kind))
        expected = cnnref.activation_derivative(z, kind)
        cases.append(
            Case(
                f"{kind}, z {z.shape[0]}×{z.shape[1]}",
                (call,),
                expected,
                1.0,
                len(z),
                ("Z′",),
                {"Z′": gradient},
                wrong,
            )
        )
    return cases


def _naive_softmax(a: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(a)
        return e / e.sum(axis=1, keepdims=True)


def softmax_cases(rng: np.random.Generator) -> list[Case]:
    k = 5
    inputs = {
        "random logits": normal(rng, 4, k, scale=2.0),
        "large logits (±1000)": normal(rng, 3, k) + np.array([[1000.0], [-1000.0], [800.0]]),
        "batch 1": normal(rng, 1, k),
    }
    cases = []
    for label, a in inputs.items():
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            shifted = np.exp(a - a.max())
            columns = shifted / shifted.sum(axis=0, keepdims=True)
            global_max = shifted / shifted.sum(axis=1, keepdims=True)
        wrong = {
            m.SOFTMAX_OVERFLOW: _naive_softmax(a),
            m.SOFTMAX_WRONG_AXIS: columns,
            m.SOFTMAX_GLOBAL_MAX: global_max,
        }
        cases.append(
            Case(
                f"a {a.shape[0]}×{k}, {label}",
                (Call("softmax", (a,)),),
                cnnref.softmax(a),
                1.0,
                len(a),
                mistakes=wrong,
            )
        )
    return cases


def _with_zeros_where_t_is_zero(t: np.ndarray, y: np.ndarray) -> np.ndarray:
    """y with one exact 0 per row at a class whose target is 0, rows renormalized to sum to 1."""
    y = y.copy()
    for row in range(len(y)):
        y[row, int(np.flatnonzero(t[row] == 0)[0])] = 0.0
    return y / y.sum(axis=1, keepdims=True)


def log_likelihood_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    for n, zeros in ((5, False), (1, False), (4, True)):
        k = 4
        t, y = one_hot(rng, n, k), cnnref.softmax(normal(rng, n, k))
        y = _with_zeros_where_t_is_zero(t, y) if zeros else y
        wrong = {m.LOG_OF_ZERO: np.nan} if zeros else {}
        call = Call("log_likelihood", (t, y))
        label = f"t, y {n}×{k}" + (", y = 0 where t = 0" if zeros else "")
        cases.append(Case(label, (call,), cnnref.log_likelihood(t, y), 1.0, n, mistakes=wrong))
    return cases


def _output_layer(rng: np.random.Generator, n: int):
    """z (N, M), V (M, K), c (K,), t (N, K), y = softmax(z V + c)."""
    m_, k = 5, 3
    z = cnnref.sigmoid(normal(rng, n, m_))
    v, c = normal(rng, m_, k), normal(rng, k)
    t = one_hot(rng, n, k)
    return z, v, c, t, cnnref.softmax(cnnref.dense(z, v, c))


def _likelihood(t: np.ndarray, a: np.ndarray) -> float:
    return cnnref.log_likelihood(t, cnnref.softmax(a))


def grad_V_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    for n in (5, 1):
        z, v, c, t, y = _output_layer(rng, n)
        gradient = Directional(lambda w, z=z, c=c, t=t: _likelihood(t, cnnref.dense(z, w, c)), v)
        call = Call("grad_V", (z, t, y))
        cases.append(
            Case(
                f"z {z.shape}, t {t.shape}",
                (call,),
                cnnref.grad_V(z, t, y),
                2.0,
                n,
                ("∇V",),
                {"∇V": gradient},
            )
        )
    return cases


def grad_c_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    for n in (5, 1):
        z, v, c, t, y = _output_layer(rng, n)
        gradient = Directional(lambda b, z=z, v=v, t=t: _likelihood(t, cnnref.dense(z, v, b)), c)
        call = Call("grad_c", (t, y))
        wrong = {m.BIAS_AXIS: (t - y).sum(axis=1)}
        cases.append(
            Case(
                f"t, y {t.shape}",
                (call,),
                cnnref.grad_c(t, y),
                2.0,
                n,
                ("∇c",),
                {"∇c": gradient},
                wrong,
            )
        )
    return cases


def _wrong_derivatives(kind: str) -> dict:
    """Activation derivatives students get wrong: left out, or σ applied to z once more."""
    wrong = {m.NO_ACTIVATION_DERIVATIVE: np.ones_like}
    if kind == "sigmoid":
        wrong[m.DERIVATIVE_OF_PRE_ACTIVATION] = _sigmoid_prime_of_sigmoid
    return wrong


def _hidden_layer_cases(rng: np.random.Generator, function: str) -> list[Case]:
    """grad_W / grad_b on a one-hidden-layer network, one case per activation (the last N = 1)."""
    cases = []
    for kind, n in (("sigmoid", 4), ("tanh", 4), ("relu", 1)):
        d, hidden, k = 4, 5, 3
        net = network(rng, n, [d, hidden, k], kind)
        (w, v), (b, _), (z,), y = net.weights, net.biases, net.zs[1:], net.y
        with_derivative = cnnref.hidden_delta(net.t - y, v, z, kind)
        wrong_runs = {label: net.backprop_with(d) for label, d in _wrong_derivatives(kind).items()}
        if function == "grad_W":
            args, expected = (
                (net.x, z, v, net.t, y, kind),
                cnnref.grad_W(net.x, z, v, net.t, y, kind),
            )
            gradient = Directional(net.objective_of_weight(1), w)
            wrong = {label: run[1][0] for label, run in wrong_runs.items()}
        else:
            args, expected = (z, v, net.t, y, kind), cnnref.grad_b(z, v, net.t, y, kind)
            gradient = Directional(net.objective_of_bias(1), b)
            wrong = {label: run[2][0] for label, run in wrong_runs.items()}
            wrong[m.BIAS_AXIS] = with_derivative.sum(axis=1)
        name = "∇W" if function == "grad_W" else "∇b"
        label = f"{kind}, x {n}×{d}, hidden {hidden}, classes {k}"
        cases.append(
            Case(label, (Call(function, args),), expected, 2.0, n, (name,), {name: gradient}, wrong)
        )
    return cases


def delta_recursion_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    for kind, n, sizes in (("tanh", 4, [5, 4, 3, 3]), ("relu", 1, [4, 5, 3])):
        net = network(rng, n, sizes, kind)
        y = net.y
        layers = len(net.weights)
        names = tuple(f"δ({layer})" for layer in range(1, layers + 1))
        gradients = {
            names[layer - 1]: Directional(net.objective_from(layer), a)
            for layer, a in enumerate(net.pre_activations, start=1)
        }
        wrong = {label: net.backprop_with(d)[0] for label, d in _wrong_derivatives(kind).items()}
        call = Call("delta_recursion", (net.weights, net.zs, net.t, y, kind))
        expected = cnnref.delta_recursion(net.weights, net.zs, net.t, y, kind)
        label = f"{kind}, layer sizes {sizes}, N {n}"
        cases.append(Case(label, (call,), expected, 3.0, n, names, gradients, wrong))
    return cases


def backprop_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    for kind, n, sizes in (("sigmoid", 5, [6, 4, 3]), ("relu", 1, [5, 6, 4, 3])):
        net = network(rng, n, sizes, kind)
        layers = range(1, len(net.weights) + 1)
        names = tuple([f"∇W({i})" for i in layers] + [f"∇b({i})" for i in layers])
        gradients = {
            f"∇W({i})": Directional(net.objective_of_weight(i), net.weights[i - 1]) for i in layers
        }
        gradients |= {
            f"∇b({i})": Directional(net.objective_of_bias(i), net.biases[i - 1]) for i in layers
        }
        call = Call("backprop", (net.weights, net.biases, net.x, net.t, kind))
        expected = cnnref.backprop(net.weights, net.biases, net.x, net.t, kind)
        wrong = {label: net.backprop_with(d)[1:] for label, d in _wrong_derivatives(kind).items()}
        label = f"{kind}, layer sizes {sizes}, N {n}"
        cases.append(Case(label, (call,), expected, 3.0, n, names, gradients, wrong))
    return cases


def _with_mutants(function: str, cases):
    """Cases whose known mistakes also include the oracle's mutants of cnnref.``function``."""

    def generate(rng: np.random.Generator) -> list[Case]:
        out = []
        for case in cases(rng):
            mutants = m.mutant_mistakes(function, case.calls[-1].args)
            extra = {label: wrong for label, wrong in mutants.items() if label not in case.mistakes}
            out.append(replace(case, mistakes={**case.mistakes, **extra}))
        return out

    return generate


def _task(function: str, kind: str, cases, signature: str) -> Task:
    return Task(function, f"{function}{signature}", kind, _with_mutants(function, cases))


def _pool_tasks(function: str, mistakes=None) -> tuple[Task, Task]:
    """The forward and backward tasks of the pool ``function`` (maxpool2d or avgpool2d)."""
    forward = _pooled(_pool_cases(function))
    backward = _pooled(_pool_backward_cases(function, mistakes))
    return (
        _task(function, "forward", forward, "(x, size, stride) -> out"),
        _task(f"{function}_backward", "backward", backward, "(dout, x, size, stride) -> dx"),
    )


ASSIGNMENT = Assignment(
    name="seed",
    description="the notes' CNN and backprop in cnnref's conventions (NHWC, (K, K, C, F), T − Y)",
    seed=20240917,
    tasks=(
        _task("conv2d", "forward", conv2d_cases, "(x, w, b, stride, pad, mode) -> out"),
        _task(
            "conv2d_backward",
            "backward",
            conv2d_backward_cases,
            "(dout, x, w, stride, pad, mode) -> (dx, dw, db)",
        ),
        *_pool_tasks("maxpool2d", _maxpool_mistakes),
        *_pool_tasks("avgpool2d"),
        _task("dense", "forward", dense_cases, "(x, w, b) -> a"),
        _task("dense_backward", "backward", dense_backward_cases, "(delta, x, w) -> (dx, dw, db)"),
        _task("sigmoid", "forward", _activation_cases("sigmoid", False), "(a) -> z"),
        _task("tanh", "forward", _activation_cases("tanh", False), "(a) -> z"),
        _task("relu", "forward", _activation_cases("relu", True), "(a) -> z"),
        _task("activation_derivative", "backward", activation_derivative_cases, "(z, kind) -> Z′"),
        _task("softmax", "forward", softmax_cases, "(a) -> y"),
        _task("log_likelihood", "forward", log_likelihood_cases, "(t, y) -> J"),
        _task("grad_V", "backward", grad_V_cases, "(z, t, y) -> ∇V J"),
        _task("grad_c", "backward", grad_c_cases, "(t, y) -> ∇c J"),
        _task(
            "grad_W",
            "backward",
            lambda rng: _hidden_layer_cases(rng, "grad_W"),
            "(x, z, v, t, y, activation) -> ∇W J",
        ),
        _task(
            "grad_b",
            "backward",
            lambda rng: _hidden_layer_cases(rng, "grad_b"),
            "(z, v, t, y, activation) -> ∇b J",
        ),
        _task(
            "delta_recursion",
            "backward",
            delta_recursion_cases,
            "(weights, zs, t, y, activation) -> [δ(1), …, δ(L)]",
        ),
        _task(
            "backprop",
            "backward",
            backprop_cases,
            "(weights, biases, x, t, activation) -> ([∇W(1), …], [∇b(1), …])",
        ),
    ),
)
