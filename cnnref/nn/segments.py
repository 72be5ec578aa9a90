"""How a Sequential network runs its layers: in segments, the runs of layers it can compute in one
call each taking the fused paths of the functional seed step (cnnref.nn.seed_step).

* Conv2D or Dense → activation: z = σ(x ⋆ w + b) or σ(X W + b) in one pass, the bias and σ in the
  product's store (``Conv2D.forward(x, activation)``, ``Dense.forward(x, activation)``); backward
  ∂J/∂a = ∂J/∂z ⊙ Z′ in one pass (times_activation_derivative), then the layer's gradients.
* … → activation → MaxPool2D (after a Conv2D, or an activation on its own): the pool keeps its
  winners (maxpool2d_with_winners), and the backward pass goes from ∂J/∂p straight to ∂J/∂a in
  one pass over the winners (activation_delta_through_maxpool), never forming ∂J/∂z.
* Any other layer is a segment of its own.

A segment leaves every layer holding what its own forward pass would have cached (``keep``), and
its backward pass reads them there: a network may run its layers fused or one by one
(``Sequential.forward_all``) and backpropagate either way. The results equal the layers applied
one by one to float rounding: the same formulas, fewer passes over memory.
"""

from __future__ import annotations

import numpy as np

from ..activations import times_activation_derivative
from ..pool import activation_delta_through_maxpool, maxpool2d_with_winners
from .layers import Activation, Conv2D, Dense, Layer, MaxPool2D


class Single:
    """One layer on its own: its forward and backward passes."""

    def __init__(self, layer: Layer) -> None:
        self.layer = layer

    @property
    def layers(self) -> tuple[Layer, ...]:
        return (self.layer,)

    def forward(self, x: np.ndarray) -> np.ndarray:
        return self.layer.forward(x)

    def backward(self, dout: np.ndarray, input_gradient: bool = True) -> np.ndarray | None:
        """∂J/∂x; without ``input_gradient`` (the network's first segment) only the parameters'
        gradients, and None."""
        if input_gradient:
            return self.layer.backward(dout)
        if self.layer.params:
            self.layer.backward(dout, input_gradient=False)
        return None


class Fused:
    """[Conv2D | Dense] → activation [→ MaxPool2D], computed as described above. ``linear`` may be
    None (an activation, then a pool); ``pool`` None (no pool follows)."""

    def __init__(
        self, linear: Conv2D | Dense | None, activation: Activation, pool: MaxPool2D | None
    ) -> None:
        self.linear, self.activation, self.pool = linear, activation, pool

    @property
    def layers(self) -> tuple[Layer, ...]:
        return tuple(layer for layer in (self.linear, self.activation, self.pool) if layer)

    def forward(self, x: np.ndarray) -> np.ndarray:
        kind = self.activation.kind
        if self.linear is None:
            z = self.activation.forward(x)
        else:
            z = self.linear.forward(x, activation=kind)
            self.activation.keep(z)
        if self.pool is None:
            return z
        p, winners = maxpool2d_with_winners(z, self.pool.size, self.pool.stride)
        self.pool.keep((z, winners, p))
        return p

    def backward(self, dout: np.ndarray, input_gradient: bool = True) -> np.ndarray | None:
        kind = self.activation.kind
        if self.pool is None:
            delta = times_activation_derivative(dout, self.activation.cached(), kind)
        else:
            z, winners, p = self.pool.cached()
            size, stride = self.pool.size, self.pool.stride
            delta = activation_delta_through_maxpool(dout, z, winners, kind, size, stride, pooled=p)
        if self.linear is None:
            return delta if input_gradient else None
        return self.linear.backward(delta, input_gradient=input_gradient)


Segment = Single | Fused


def plan(layers: list[Layer]) -> list[Segment]:
    """The segments that compute ``layers`` in order (each layer in exactly one)."""
    segments: list[Segment] = []
    index = 0
    while index < len(layers):
        segment = _fused_at(layers, index) or Single(layers[index])
        segments.append(segment)
        index += len(segment.layers)
    return segments


def _fused_at(layers: list[Layer], index: int) -> Fused | None:
    """The fused segment starting at layers[index], or None if none starts there."""

    def at(offset: int, kind: type) -> Layer | None:
        position = index + offset
        layer = layers[position] if position < len(layers) else None
        return layer if isinstance(layer, kind) else None

    linear = at(0, Conv2D) or at(0, Dense)
    activation = at(1 if linear else 0, Activation)
    if activation is None:
        return None
    pool = None if isinstance(linear, Dense) else at(2 if linear else 1, MaxPool2D)
    if linear is None and pool is None:
        return None
    return Fused(linear, activation, pool)
