"""Layer objects over the functional API, each with explicit ``params`` and ``grads`` dicts.

Every layer has ``forward(x) -> out``, which caches what its backward needs, and
``backward(dout) -> dx``, which takes dout = ∂J/∂out, fills ``grads`` with ∇J of each parameter
and returns ∂J/∂x. Layers with parameters also take ``backward(dout, input_gradient=False)``,
which fills ``grads`` and skips ∂J/∂x (returned as None): the first layer of a network needs none,
and ``forward(x, activation=σ)``, which returns σ(out) in the same pass (what a network does when
an activation layer follows: cnnref.nn.segments); their backward still takes ∂J/∂out.

J is the log-likelihood, maximized (the notes' convention), so the chain
starts at the softmax output, whose backward takes the targets T and returns the output delta T − Y.
"""

from __future__ import annotations

import math

import numpy as np

from ..activations import activate, times_activation_derivative
from ..conv import conv2d_activation, conv2d_backward, conv2d_parameter_gradients
from ..gradients import output_delta
from ..linear import dense_activation, dense_backward, dense_parameter_gradients
from ..output import softmax
from ..pool import (
    avgpool2d,
    avgpool2d_backward,
    maxpool2d_backward_to_winners,
    maxpool2d_with_winners,
)
from ..validation import (
    ACTIVATIONS,
    choice,
    float_array,
    float_dtype,
    memory_for,
    nonnegative_int,
    positive_int,
    target_array,
)
from .init import initial_weights


def _wants_input_gradient(input_gradient) -> bool:
    if not isinstance(input_gradient, bool):
        raise TypeError(f"input_gradient must be True or False, got {input_gradient!r}")
    return input_gradient


def _weights_backward(layer, gradients, dout, input_gradient, *geometry) -> np.ndarray | None:
    """Fill ``layer.grads`` with dw and db; return dx, or None without ``input_gradient``.
    ``gradients`` = (all three, the parameters' only), called as f(dout, x, w, *geometry)."""
    arguments = (dout, layer.cached(), layer.params["w"], *geometry)
    with_input, parameters_only = gradients
    dx = None
    if _wants_input_gradient(input_gradient):
        dx, dw, db = with_input(*arguments)
    else:
        dw, db = parameters_only(*arguments)
    layer.grads = {"w": dw, "b": db}
    return dx


class Layer:
    """Base class: no parameters; subclasses set ``params`` (name → array) in ``__init__``."""

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self._cache: object = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def backward(self, dout: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def cached(self):
        """What the last forward pass kept for the backward pass (a RuntimeError before any)."""
        if self._cache is None:
            raise RuntimeError(f"{type(self).__name__}.backward called before forward")
        return self._cache

    def keep(self, cache) -> None:
        """Keep ``cache`` for the backward pass as this layer's own forward pass would: a network
        that computes the layer fused with its neighbours hands over what the layer would hold."""
        self._cache = cache

    def __repr__(self) -> str:
        shapes = ", ".join(f"{name}={value.shape}" for name, value in self.params.items())
        return f"{type(self).__name__}({shapes})"


class _WeightLayer(Layer):
    """A layer whose params are a weight w of ``shape``, drawn by ``init`` ("he" or "glorot", from
    fan_in and fan_out, by ``rng``, default np.random.default_rng(0)), and a bias b (shape[-1],)
    starting at 0."""

    def __init__(self, names: str, shape, fan_in: int, fan_out: int, init: str, rng, dtype) -> None:
        super().__init__()
        rng = np.random.default_rng(0) if rng is None else rng
        with memory_for(names, "the weights w", shape, float_dtype(dtype)):
            w = initial_weights(init, shape, fan_in, fan_out, rng, dtype)
        self.params = {"w": w, "b": np.zeros(shape[-1], dtype=w.dtype)}


class Conv2D(_WeightLayer):
    """out = conv2d(x, w, b): x (N, H, W, C) → (N, Ho, Wo, F); params w (K, K, C, F), b (F,).

    w is drawn by ``init`` ("he" or "glorot", fan_in = K·K·C, fan_out = K·K·F); b starts at 0.
    """

    def __init__(
        self,
        in_channels: int,
        filters: int,
        kernel_size: int = 5,
        *,
        stride: int = 1,
        pad: int = 0,
        init: str = "he",
        rng: np.random.Generator | None = None,
        dtype=np.float32,
    ) -> None:
        c = positive_int("in_channels", in_channels)
        f = positive_int("filters", filters)
        k = positive_int("kernel_size", kernel_size)
        self.stride = positive_int("stride", stride)
        self.pad = nonnegative_int("pad", pad)
        names = "in_channels, filters and kernel_size"
        super().__init__(names, (k, k, c, f), k * k * c, k * k * f, init, rng, dtype)

    def forward(self, x: np.ndarray, activation: str | None = None) -> np.ndarray:
        self._cache = float_array("x", x, 4, "(N, H, W, C)")
        w, b = self.params["w"], self.params["b"]
        return conv2d_activation(self._cache, w, b, activation, self.stride, self.pad)

    def backward(self, dout: np.ndarray, *, input_gradient: bool = True) -> np.ndarray | None:
        gradients = (conv2d_backward, conv2d_parameter_gradients)
        return _weights_backward(self, gradients, dout, input_gradient, self.stride, self.pad)


class Dense(_WeightLayer):
    """a = X W + b: x (N, D) → (N, M); params w (D, M), b (M,).

    w is drawn by ``init`` ("he" or "glorot", fan_in = D, fan_out = M); b starts at 0.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        *,
        init: str = "he",
        rng: np.random.Generator | None = None,
        dtype=np.float32,
    ) -> None:
        d, m = positive_int("in_features", in_features), positive_int("out_features", out_features)
        super().__init__("in_features and out_features", (d, m), d, m, init, rng, dtype)

    def forward(self, x: np.ndarray, activation: str | None = None) -> np.ndarray:
        self._cache = float_array("x", x, 2, "(N, D)")
        return dense_activation(self._cache, self.params["w"], self.params["b"], activation)

    def backward(self, dout: np.ndarray, *, input_gradient: bool = True) -> np.ndarray | None:
        gradients = (dense_backward, dense_parameter_gradients)
        return _weights_backward(self, gradients, dout, input_gradient)


class _Pool(Layer):
    def __init__(self, size: int = 2, stride: int | None = None) -> None:
        super().__init__()
        self.size = positive_int("size", size)
        self.stride = None if stride is None else positive_int("stride", stride)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(size={self.size}, stride={self.stride or self.size})"


class MaxPool2D(_Pool):
    """out = maxpool2d(x, size, stride): (N, H, W, C) → (N, Ho, Wo, C); the gradient goes to each
    window's first maximum."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = float_array("x", x, 4, "(N, H, W, C)")
        out, winners = maxpool2d_with_winners(x, self.size, self.stride)
        self._cache = (x, winners, out)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        x, winners, _ = self.cached()
        return maxpool2d_backward_to_winners(dout, x, winners, self.size, self.stride)


class AvgPool2D(_Pool):
    """out = avgpool2d(x, size, stride): (N, H, W, C) → (N, Ho, Wo, C)."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._cache = float_array("x", x, 4, "(N, H, W, C)")
        return avgpool2d(self._cache, self.size, self.stride)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return avgpool2d_backward(dout, self.cached(), self.size, self.stride)


class Flatten(Layer):
    """(N, d1, d2, …) → (N, d1·d2·…) in C order; backward reshapes ∂J/∂out back."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = float_array("x", x)
        if x.ndim < 2:
            raise ValueError(f"x must have a batch axis and at least one more, got shape {x.shape}")
        self._cache = x
        return x.reshape(x.shape[0], math.prod(x.shape[1:]))

    def backward(self, dout: np.ndarray) -> np.ndarray:
        x = self.cached()
        dout = float_array("dout", dout, 2, "(N, D)")
        features = math.prod(x.shape[1:])
        if dout.shape != (x.shape[0], features):
            raise ValueError(f"dout must have shape {(x.shape[0], features)}, got {dout.shape}")
        return dout.reshape(x.shape)


class Activation(Layer):
    """z = σ(a) element-wise; backward: ∂J/∂a = ∂J/∂z ⊙ Z′, with Z′ written in terms of z."""

    kind = ""

    def __init__(self, kind: str | None = None) -> None:
        super().__init__()
        if kind is not None or not self.kind:
            kind = choice("kind", kind, ACTIVATIONS)
            if self.kind and kind != self.kind:
                raise ValueError(
                    f"{type(self).__name__} computes {self.kind}, got kind={kind!r}: use "
                    f"{ACTIVATION_LAYERS[kind].__name__}() or Activation({kind!r})"
                )
            self.kind = kind

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._cache = activate(x, self.kind)
        return self._cache

    def backward(self, dout: np.ndarray) -> np.ndarray:
        z = self.cached()
        dout = float_array("dout", dout)
        if dout.shape != z.shape:
            raise ValueError(f"dout must have the shape of the output {z.shape}, got {dout.shape}")
        return times_activation_derivative(dout, z, self.kind)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Sigmoid(Activation):
    """z = 1 / (1 + exp(−a)); Z′ = z (1 − z)."""

    kind = "sigmoid"


class Tanh(Activation):
    """z = tanh(a); Z′ = 1 − z²."""

    kind = "tanh"


class ReLU(Activation):
    """z = max(a, 0); Z′ = step(z)."""

    kind = "relu"


ACTIVATION_LAYERS: dict[str, type[Activation]] = {"sigmoid": Sigmoid, "tanh": Tanh, "relu": ReLU}


class Softmax(Layer):
    """The output layer y = softmax(a): (N, K) → (N, K).

    Paired with the log-likelihood J = Σₙ Σₖ tₙₖ log yₙₖ, its backward takes the one-hot targets T
    (N, K) in place of an upstream gradient and returns the output delta ∂J/∂a = T − Y.
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._cache = softmax(float_array("a", x, 2, "(N, K)"))
        return self._cache

    def backward(self, dout: np.ndarray) -> np.ndarray:
        y = self.cached()
        return output_delta(target_array("t", dout, y), y)
