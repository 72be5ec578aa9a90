"""Input generators of the shipped assignments: the oracle's own (:mod:`verify.generators`,
:mod:`verify.kinks`) — non-symmetric values, tie-free pooling inputs, pre-activations kept away from
relu's kink, one-hot targets, random upstream gradients — plus what only grading needs: the pairing
of an upstream gradient with a forward, and small dense networks.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

import cnnref
from verify import generators, kinks

KINK_MARGIN = generators.RELU_MARGIN
upstream = generators.upstream


def normal(rng: np.random.Generator, *shape: int, scale: float = 1.0) -> np.ndarray:
    """The oracle's non-symmetric float64 values (:func:`verify.generators.values`) of ``shape``."""
    return generators.values(rng, shape, scale)


def away_from_zero(rng: np.random.Generator, *shape: int, scale: float = 1.0) -> np.ndarray:
    """Values with |v| ≥ the oracle's relu margin (:func:`verify.kinks.away_from_zero`)."""
    return kinks.away_from_zero(rng, shape, KINK_MARGIN, scale)


def tie_free(rng: np.random.Generator, *shape: int) -> np.ndarray:
    """Values at least half the oracle's pool gap apart (:func:`verify.kinks.tie_free`)."""
    return kinks.tie_free(rng, shape, generators.POOL_GAP)


def one_hot(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    """Targets t (n, k): one 1 per row at a random class (:func:`verify.generators.targets`)."""
    return generators.targets(rng, n, k, soft=False)


def pairing(dout: np.ndarray, forward: Callable[[np.ndarray], np.ndarray]):
    """L(v) = ⟨dout, forward(v)⟩: the scalar whose gradient a layer's backward returns."""
    return lambda v: float(np.sum(dout * forward(v)))


@dataclass(frozen=True)
class Network:
    """A dense network a^(l) = Z^(l−1) W^(l) + b^(l), Z = σ(a), Y = softmax(a^(L)); targets T."""

    weights: list[np.ndarray]
    biases: list[np.ndarray]
    x: np.ndarray
    t: np.ndarray
    activation: str

    @property
    def pre_activations(self) -> list[np.ndarray]:
        """[a^(1), …, a^(L)]."""
        z, out = self.x, []
        for w, b in zip(self.weights, self.biases, strict=True):
            out.append(cnnref.dense(z, w, b))
            z = _activate(out[-1], self.activation)
        return out

    @property
    def zs(self) -> list[np.ndarray]:
        """[X, Z^(1), …, Z^(L−1)]."""
        return [self.x, *cnnref.mlp_forward(self.weights, self.biases, self.x, self.activation)[0]]

    @property
    def y(self) -> np.ndarray:
        return cnnref.mlp_forward(self.weights, self.biases, self.x, self.activation)[1]

    def objective_from(self, layer: int) -> Callable[[np.ndarray], float]:
        """J as a function of a^(layer) (1-based): the network runs forward from there."""

        def objective(a: np.ndarray) -> float:
            for index in range(layer, len(self.weights)):
                a = cnnref.dense(
                    _activate(a, self.activation), self.weights[index], self.biases[index]
                )
            return cnnref.log_likelihood(self.t, cnnref.softmax(a))

        return objective

    def objective_of_weight(self, layer: int) -> Callable[[np.ndarray], float]:
        """J as a function of W^(layer) (1-based)."""
        return lambda w: self._with(layer, w, None)

    def objective_of_bias(self, layer: int) -> Callable[[np.ndarray], float]:
        """J as a function of b^(layer) (1-based)."""
        return lambda b: self._with(layer, None, b)

    def backprop_with(
        self, derivative: Callable[[np.ndarray], np.ndarray]
    ) -> tuple[list, list, list]:
        """(deltas, ∇W, ∇b) by the delta recursion with Z′ = derivative(Z): what a student whose
        activation derivative is ``derivative`` computes."""
        zs = self.zs
        deltas = [self.t - self.y]
        for layer in range(len(self.weights) - 1, 0, -1):
            deltas.append((deltas[-1] @ self.weights[layer].T) * derivative(zs[layer]))
        deltas = deltas[::-1]
        grads_w = [z.T @ d for z, d in zip(zs, deltas, strict=True)]
        return deltas, grads_w, [d.sum(axis=0) for d in deltas]

    def _with(self, layer: int, w: np.ndarray | None, b: np.ndarray | None) -> float:
        weights, biases = list(self.weights), list(self.biases)
        if w is not None:
            weights[layer - 1] = w
        if b is not None:
            biases[layer - 1] = b
        y = cnnref.mlp_forward(weights, biases, self.x, self.activation)[1]
        return cnnref.log_likelihood(self.t, y)


def _activate(a: np.ndarray, activation: str) -> np.ndarray:
    return {"sigmoid": cnnref.sigmoid, "tanh": cnnref.tanh, "relu": cnnref.relu}[activation](a)


def network(rng: np.random.Generator, n: int, sizes: list[int], activation: str) -> Network:
    """A random network with layer sizes [D, M1, …, K] whose hidden pre-activations all lie at
    least :data:`KINK_MARGIN` from 0, a quarter to three quarters of them positive (so a relu layer
    is neither dead nor linear; the biases are nudged until both hold)."""
    weights = [normal(rng, d, m, scale=1 / np.sqrt(d)) for d, m in itertools.pairwise(sizes)]
    biases = [normal(rng, m, scale=0.5) for m in sizes[1:]]
    x = normal(rng, n, sizes[0])
    net = Network(weights, biases, x, one_hot(rng, n, sizes[-1]), activation)
    for _ in range(200):
        hidden = net.pre_activations[:-1]
        if all(np.abs(a).min() >= KINK_MARGIN and 0.25 <= np.mean(a > 0) <= 0.75 for a in hidden):
            return net
        for layer, a in enumerate(hidden):
            active = np.mean(a > 0)
            shift = 0.1 if active < 0.25 else -0.1 if active > 0.75 else 0.0
            if shift or np.abs(a).min() < KINK_MARGIN:
                noise = rng.uniform(-0.1, 0.1, size=biases[layer].shape)
                biases[layer] = biases[layer] + noise + shift
    raise RuntimeError("could not place the pre-activations away from relu's kink")
