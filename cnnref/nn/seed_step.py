"""The notes' seed network written directly on the functional API: forward, training, inference.

N × 32 × 32 × C → conv 5×5, 16 → relu → max-pool 2 → conv 5×5, 32 → relu → max-pool 2 → flatten 800
→ dense 1000 → relu → dense K → softmax. One training step is gradient ascent on
J = Σₙ Σₖ tₙₖ log yₙₖ: every parameter θ ← θ + η ∇_θ J. The benchmark times these functions; the
layers/Sequential module is the user-facing way to build the same network.
"""

from __future__ import annotations

import numpy as np

from ..activations import times_activation_derivative
from ..conv import conv2d_activation, conv2d_backward, conv2d_parameter_gradients
from ..gradients import output_delta
from ..kernels import optim as _optim
from ..linear import dense, dense_activation, dense_backward
from ..output import log_likelihood, softmax
from ..pool import activation_delta_through_maxpool, maxpool2d, maxpool2d_with_winners
from ..threads import one_blas_thread, openmp_threads

PARAMETER_NAMES = ("w1", "b1", "w2", "b2", "w3", "b3", "w4", "b4")


def seed_parameters(
    channels: int = 3, classes: int = 10, dtype: type = np.float32, seed: int = 0
) -> dict[str, np.ndarray]:
    """He-initialized parameters of the seed network: w1 (5, 5, C, 16), w2 (5, 5, 16, 32),
    w3 (800, 1000), w4 (1000, K) and zero biases."""
    rng = np.random.default_rng(seed)
    shapes = {
        "w1": (5, 5, channels, 16),
        "w2": (5, 5, 16, 32),
        "w3": (800, 1000),
        "w4": (1000, classes),
    }
    params: dict[str, np.ndarray] = {}
    for index, (name, shape) in enumerate(shapes.items(), start=1):
        fan_in = int(np.prod(shape[:-1]))
        params[name] = (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(dtype)
        params[f"b{index}"] = np.zeros(shape[-1], dtype=dtype)
    return params


def seed_forward(params: dict[str, np.ndarray], x: np.ndarray) -> dict[str, np.ndarray]:
    """Every intermediate of the forward pass (what the backward pass needs), ending in y (N, K);
    winners1/winners2 are the pools' winners (their offsets within the windows of z1/z2), kept
    for the backward pass."""
    z1 = conv2d_activation(x, params["w1"], params["b1"], "relu")
    p1, winners1 = maxpool2d_with_winners(z1)
    z2 = conv2d_activation(p1, params["w2"], params["b2"], "relu")
    p2, winners2 = maxpool2d_with_winners(z2)
    flat = p2.reshape(p2.shape[0], -1)
    z3 = dense_activation(flat, params["w3"], params["b3"], "relu")
    y = softmax(dense(z3, params["w4"], params["b4"]))
    activations = {"x": x, "z1": z1, "p1": p1, "z2": z2, "p2": p2, "flat": flat, "z3": z3, "y": y}
    return {**activations, "winners1": winners1, "winners2": winners2}


def seed_inference(params: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    """y = softmax of the network's output, (N, K); the forward pass without the pools' winners."""
    z1 = conv2d_activation(x, params["w1"], params["b1"], "relu")
    z2 = conv2d_activation(maxpool2d(z1), params["w2"], params["b2"], "relu")
    flat = maxpool2d(z2).reshape(x.shape[0], -1)
    z3 = dense_activation(flat, params["w3"], params["b3"], "relu")
    return softmax(dense(z3, params["w4"], params["b4"]))


def seed_gradients(
    params: dict[str, np.ndarray], forward: dict[str, np.ndarray], t: np.ndarray
) -> dict[str, np.ndarray]:
    """∇_θ J for every parameter, by backpropagating δ^(L) = T − Y through the layers."""
    delta4 = output_delta(t, forward["y"])
    dz3, dw4, db4 = dense_backward(delta4, forward["z3"], params["w4"])
    delta3 = times_activation_derivative(dz3, forward["z3"], "relu")
    dflat, dw3, db3 = dense_backward(delta3, forward["flat"], params["w3"])
    dp2 = dflat.reshape(forward["p2"].shape)
    delta2 = activation_delta_through_maxpool(
        dp2, forward["z2"], forward["winners2"], "relu", pooled=forward["p2"]
    )
    dp1, dw2, db2 = conv2d_backward(delta2, forward["p1"], params["w2"])
    delta1 = activation_delta_through_maxpool(
        dp1, forward["z1"], forward["winners1"], "relu", pooled=forward["p1"]
    )
    dw1, db1 = conv2d_parameter_gradients(delta1, forward["x"], params["w1"])
    return {"w1": dw1, "b1": db1, "w2": dw2, "b2": db2, "w3": dw3, "b3": db3, "w4": dw4, "b4": db4}


class SeedTrainer:
    """Owns a copy of the seed network's parameters and trains them by gradient ascent."""

    def __init__(self, params: dict[str, np.ndarray], learning_rate: float) -> None:
        self.params = {name: params[name].copy() for name in PARAMETER_NAMES}
        self.learning_rate = learning_rate

    def step(self, x: np.ndarray, t: np.ndarray) -> float:
        """θ ← θ + η ∇_θ J for every parameter; returns J of the batch before the update. The BLAS
        is held at one thread for the whole step (once, not once per product: cnnref.threads)."""
        with one_blas_thread():
            forward = seed_forward(self.params, x)
            grads = seed_gradients(self.params, forward, t)
        threads = openmp_threads()
        for name in PARAMETER_NAMES:
            # self.params[name] += self.learning_rate * grads[name], in one pass
            theta, g = self.params[name].reshape(-1), grads[name].reshape(-1)
            _optim.ascent_step(theta, g, self.learning_rate, threads)
        return log_likelihood(t, forward["y"])
