"""A Sequential network of layers, the notes' seed CNN and an L-layer dense network.

Parameters are named ``layers.<i>.<name>`` (e.g. ``layers.0.w`` for the first filter bank); those
names key the optimizer state and the checkpoint.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from ..threads import one_blas_thread
from ..validation import (
    ACTIVATIONS,
    choice,
    float_array,
    float_dtype,
    nonnegative_int,
    positive_int,
)
from .init import init_for_activation
from .layers import ACTIVATION_LAYERS, Conv2D, Dense, Flatten, Layer, MaxPool2D, Softmax
from .segments import Segment, plan


class Sequential:
    """Layers applied in order; the last one must be the :class:`Softmax` output.

    ``forward(x)`` returns Y; ``backward(t)`` starts from the output delta T − Y and leaves ∇J of
    every parameter in ``gradients()``. ``forward`` runs the layers in segments that fuse an
    activation into the convolution or dense layer before it and a max-pool's backward pass into
    the activation's (cnnref.nn.segments): the values of the layers applied one by one, to float
    rounding, with fewer passes over memory. ``architecture`` is the JSON-able recipe that
    rebuilds the network (see :func:`cnnref.nn.network.build_network`); it is empty for
    hand-assembled networks.
    """

    def __init__(self, layers: Iterable[Layer], architecture: Mapping | None = None) -> None:
        self.layers = _layer_list(layers)
        if architecture is not None and not isinstance(architecture, Mapping):
            raise TypeError(f"architecture must be a mapping, got {type(architecture).__name__}")
        self.architecture = dict(architecture or {})
        self._planned: tuple[list[Layer], list[Segment]] = ([], [])

    def segments(self) -> list[Segment]:
        """The segments ``forward`` and ``backward`` run, planned again if ``layers`` changed."""
        if self._planned[0] != self.layers:
            self._planned = (list(self.layers), plan(self.layers))
        return self._planned[1]

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Y = output of the last layer for inputs x (N, …) → (N, K), segment by segment."""
        with one_blas_thread():
            for segment in self.segments():
                x = segment.forward(x)
        return x

    def forward_all(self, x: np.ndarray) -> list[np.ndarray]:
        """The output of every layer, in order, for inputs x (the last one is Y): the layers one
        by one, each output formed (what :meth:`forward` fuses away)."""
        outputs = []
        for layer in self.layers:
            x = layer.forward(x)
            outputs.append(x)
        return outputs

    def backward(self, t: np.ndarray, *, input_gradient: bool = True) -> np.ndarray | None:
        """Backpropagate from the output delta T − Y (t one-hot (N, K)); returns ∂J/∂x, or None
        with ``input_gradient=False``, which spares the first layer that product (training needs
        only the parameters' gradients). Follows either forward pass."""
        if not isinstance(input_gradient, bool):
            raise TypeError(f"input_gradient must be True or False, got {input_gradient!r}")
        segments = self.segments()
        grad = t
        with one_blas_thread():
            for segment in reversed(segments[1:]):
                grad = segment.backward(grad)
            return segments[0].backward(grad, input_gradient)

    def predict(self, x: np.ndarray, batch_size: int = 500) -> np.ndarray:
        """Y for x, computed ``batch_size`` samples at a time (N, K)."""
        batch_size = positive_int("batch_size", batch_size)
        x = float_array("x", x)
        if x.ndim == 0:
            raise ValueError("x must be an array of samples (N, …), got a 0-d array (a scalar)")
        starts = range(0, max(x.shape[0], 1), batch_size)  # an empty x still gives Y (0, K)
        return np.concatenate([self.forward(x[i : i + batch_size]) for i in starts])

    def parameters(self) -> dict[str, np.ndarray]:
        """Every parameter by name ``layers.<i>.<name>`` (the live arrays, not copies)."""
        return {
            f"layers.{i}.{name}": value
            for i, layer in enumerate(self.layers)
            for name, value in layer.params.items()
        }

    def gradients(self) -> dict[str, np.ndarray]:
        """∇J of every parameter from the last ``backward``, named as in :meth:`parameters`."""
        grads = {}
        for i, layer in enumerate(self.layers):
            for name in layer.params:
                if name not in layer.grads:
                    raise RuntimeError("gradients() called before backward()")
                grads[f"layers.{i}.{name}"] = layer.grads[name]
        return grads

    def set_parameters(self, values: Mapping[str, np.ndarray]) -> None:
        """Replace every parameter; ``values`` must have exactly the names, shapes and dtypes of
        :meth:`parameters`. The arrays are copied, so later changes to ``values`` do not leak in."""
        if not isinstance(values, Mapping):
            raise TypeError(f"values must be a dict of arrays by name, got {type(values).__name__}")
        current = self.parameters()
        missing = sorted(set(current) - set(values))
        unknown = sorted(set(values) - set(current))
        if missing or unknown:
            raise ValueError(
                f"values must name exactly the network's parameters; missing {missing}, "
                f"unknown {unknown}"
            )
        for name, old in current.items():
            new = np.asarray(values[name])
            if new.shape != old.shape or new.dtype != old.dtype:
                raise ValueError(
                    f"values[{name!r}] must have shape {old.shape} and dtype {old.dtype}, "
                    f"got shape {new.shape} and dtype {new.dtype}"
                )
        for name in current:
            _, index, key = name.split(".")
            self.layers[int(index)].params[key] = np.array(values[name], order="C")

    @property
    def dtype(self) -> np.dtype:
        """The dtype shared by the parameters (float32 unless built otherwise)."""
        params = self.parameters()
        return next(iter(params.values())).dtype if params else np.dtype(np.float32)

    def __repr__(self) -> str:
        inner = ",\n  ".join(repr(layer) for layer in self.layers)
        return f"Sequential(\n  {inner}\n)"


def _layer_list(layers) -> list[Layer]:
    """``layers`` as a list of Layer objects whose only Softmax is the last."""
    if not isinstance(layers, Iterable) or isinstance(layers, str | bytes):
        raise TypeError(f"layers must be a sequence of Layer objects, got {type(layers).__name__}")
    layers = list(layers)
    if not layers or not isinstance(layers[-1], Softmax):
        raise ValueError("layers must be a non-empty sequence ending in a Softmax output layer")
    for index, layer in enumerate(layers):
        if not isinstance(layer, Layer):
            raise TypeError(f"layers[{index}] must be a Layer, got {type(layer).__name__}")
        if isinstance(layer, Softmax) and index < len(layers) - 1:
            raise ValueError(
                f"layers[{index}] is a Softmax, but only the last layer may be: its backward "
                "takes the targets T, not an upstream gradient"
            )
    return layers


def seed_cnn(
    channels: int = 3,
    classes: int = 10,
    activation: str = "relu",
    seed: int = 0,
    dtype=np.float32,
) -> Sequential:
    """The notes' network for N × 32 × 32 × C images::

        conv 5×5, 16 → σ → max-pool 2 → conv 5×5, 32 → σ → max-pool 2 → flatten 800
        → dense 1000 → σ → dense ``classes`` → softmax

    Shapes: (N, 32, 32, C) → (N, 28, 28, 16) → (N, 14, 14, 16) → (N, 10, 10, 32) → (N, 5, 5, 32)
    → (N, 800) → (N, 1000) → (N, classes). Initialization: the layers feeding σ use He normal
    N(0, 2 / fan_in) when σ is relu and Glorot uniform U(±√(6 / (fan_in + fan_out))) when σ is
    sigmoid or tanh; the last dense layer, which feeds the softmax, uses Glorot uniform; biases 0.
    All weights come from ``numpy.random.default_rng(seed)`` in layer order.
    """
    channels = positive_int("channels", channels)
    classes = positive_int("classes", classes)
    choice("activation", activation, ACTIVATIONS)
    dtype = float_dtype(dtype)
    rng = np.random.default_rng(_seed(seed))
    init = init_for_activation(activation)
    act = ACTIVATION_LAYERS[activation]
    layers = [
        Conv2D(channels, 16, 5, init=init, rng=rng, dtype=dtype),
        act(),
        MaxPool2D(2),
        Conv2D(16, 32, 5, init=init, rng=rng, dtype=dtype),
        act(),
        MaxPool2D(2),
        Flatten(),
        Dense(5 * 5 * 32, 1000, init=init, rng=rng, dtype=dtype),
        act(),
        Dense(1000, classes, init="glorot", rng=rng, dtype=dtype),
        Softmax(),
    ]
    architecture = {
        "name": "seed_cnn",
        "channels": channels,
        "classes": classes,
        "activation": activation,
        "dtype": dtype.name,
    }
    return Sequential(layers, architecture)


def mlp(sizes: Sequence[int], activation: str, seed: int = 0, dtype=np.float32) -> Sequential:
    """An L-layer dense network, sizes = [D, M⁽¹⁾, …, M⁽ᴸ⁻¹⁾, K]::

        a^(l) = Z^(l−1) W^(l) + b^(l),  Z^(l) = σ(a^(l)) for l < L,  Y = softmax(a^(L)).

    Its backward is the delta recursion δ^(L) = T − Y, δ^(l) = (δ^(l+1) W^(l+1)ᵀ) ⊙ Z^(l)′ and its
    gradients ∇W^(l) = Z^(l−1)ᵀ δ^(l), ∇b^(l) = Σₙ δ^(l): the Dense layer's backward gives
    δ^(l+1) W^(l+1)ᵀ and the activation layer's multiplies by Z^(l)′. Initialization as in
    :func:`seed_cnn` (He for relu, Glorot for sigmoid/tanh, Glorot for the output layer), from
    ``numpy.random.default_rng(seed)``.
    """
    if not isinstance(sizes, Iterable) or isinstance(sizes, str | bytes):
        raise TypeError(f"sizes must be a list of layer widths [D, …, K], got {sizes!r}")
    sizes = [positive_int(f"sizes[{i}]", size) for i, size in enumerate(sizes)]
    if len(sizes) < 2:
        raise ValueError(f"sizes must list at least the inputs D and the classes K, got {sizes}")
    choice("activation", activation, ACTIVATIONS)
    dtype = float_dtype(dtype)
    rng = np.random.default_rng(_seed(seed))
    init = init_for_activation(activation)
    layers: list[Layer] = []
    for fan_in, fan_out in itertools.pairwise(sizes[:-1]):
        layers += [Dense(fan_in, fan_out, init=init, rng=rng, dtype=dtype)]
        layers += [ACTIVATION_LAYERS[activation]()]
    layers += [Dense(sizes[-2], sizes[-1], init="glorot", rng=rng, dtype=dtype), Softmax()]
    architecture = {"name": "mlp", "sizes": sizes, "activation": activation, "dtype": dtype.name}
    return Sequential(layers, architecture)


def build_network(architecture: Mapping, seed: int = 0) -> Sequential:
    """Rebuild a network from its ``architecture`` recipe (as stored in a checkpoint)."""
    if not isinstance(architecture, Mapping):
        raise TypeError(f"architecture must be a mapping, got {type(architecture).__name__}")
    recipe = dict(architecture)
    name = recipe.pop("name", None)
    builders = {"seed_cnn": seed_cnn, "mlp": mlp}
    if name not in builders:
        raise ValueError(f"architecture['name'] must be one of {sorted(builders)}; got {name!r}")
    try:
        return builders[name](**recipe, seed=seed)
    except TypeError as error:
        problem = f"architecture {dict(architecture)} does not describe a {name}: {error}"
        raise ValueError(problem) from error


def _seed(seed) -> int | None:
    """The seed of numpy.random.default_rng: an integer >= 0 (None draws fresh entropy)."""
    return None if seed is None else nonnegative_int("seed", seed)
