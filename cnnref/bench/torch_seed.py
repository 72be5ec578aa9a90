"""The seed network in PyTorch with cnnref's parameters, for the side-by-side benchmark only.

PyTorch is not a dependency of cnnref: this module is imported only when torch is installed. The
weights are cnnref's, moved to PyTorch's layouts: conv filters (K, K, C, F) → (F, C, K, K), dense
W (D, M) → (M, D), and the rows of the first dense layer permuted from cnnref's (h, w, c) flattening
of NHWC maps to PyTorch's (c, h, w) flattening of NCHW maps, so both compute the same y.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F


def _conv_filters(w: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(w.transpose(3, 2, 0, 1)))


def _first_dense(w3: np.ndarray, channels: int, side: int) -> torch.Tensor:
    """W3 (H·W·C, M) in (h, w, c) row order → (M, C·H·W) in (c, h, w) column order."""
    rows = w3.reshape(side, side, channels, -1).transpose(2, 0, 1, 3).reshape(w3.shape[0], -1)
    return torch.from_numpy(np.ascontiguousarray(rows.T))


def seed_module(params: dict) -> torch.nn.Sequential:
    """The seed network as an idiomatic ``torch.nn.Sequential`` holding cnnref's weights
    (``params`` as from :func:`cnnref.nn.seed_step.seed_parameters`: w1, b1, …, w4, b4)."""
    channels, filters1 = params["w1"].shape[2:]
    filters2 = params["w2"].shape[3]
    hidden, classes = params["w4"].shape
    nn = torch.nn
    module = nn.Sequential(
        nn.Conv2d(channels, filters1, params["w1"].shape[0]),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(filters1, filters2, params["w2"].shape[0]),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(params["w3"].shape[0], hidden),
        nn.ReLU(),
        nn.Linear(hidden, classes),
    )
    values = [
        _conv_filters(params["w1"]),
        params["b1"],
        _conv_filters(params["w2"]),
        params["b2"],
        _first_dense(params["w3"], filters2, 5),
        params["b3"],
        params["w4"].T,
        params["b4"],
    ]
    dtype = torch.from_numpy(params["w1"][:0]).dtype
    module.to(dtype)
    with torch.no_grad():
        for parameter, value in zip(module.parameters(), values, strict=True):
            parameter.copy_(torch.as_tensor(np.ascontiguousarray(value)))
    return module


class TorchSeed:
    """Training step, inference and per-layer cases of the seed network in PyTorch."""

    def __init__(self, params: dict, x: np.ndarray, labels: np.ndarray, learning_rate: float):
        self.weights = [
            _conv_filters(params["w1"]),
            torch.from_numpy(params["b1"].copy()),
            _conv_filters(params["w2"]),
            torch.from_numpy(params["b2"].copy()),
            _first_dense(params["w3"], params["w2"].shape[3], 5),
            torch.from_numpy(params["b3"].copy()),
            torch.from_numpy(np.ascontiguousarray(params["w4"].T)),
            torch.from_numpy(params["b4"].copy()),
        ]
        for tensor in self.weights:
            tensor.requires_grad_(True)
        self.optimizer = torch.optim.SGD(self.weights, lr=learning_rate)
        self.x = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))
        self.labels = torch.from_numpy(labels)

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        w1, b1, w2, b2, w3, b3, w4, b4 = self.weights
        h = F.max_pool2d(F.relu(F.conv2d(x, w1, b1)), 2)
        h = F.max_pool2d(F.relu(F.conv2d(h, w2, b2)), 2)
        h = F.relu(F.linear(h.flatten(1), w3, b3))
        return F.linear(h, w4, b4)

    def training_step(self) -> float:
        """Descent on the summed cross-entropy −J, i.e. ascent on J, as cnnref's step does."""
        self.optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(self.logits(self.x), self.labels, reduction="sum")
        loss.backward()
        self.optimizer.step()
        return -float(loss.detach())

    def inference(self) -> torch.Tensor:
        with torch.inference_mode():
            return F.softmax(self.logits(self.x), dim=1)

    def layer_cases(self) -> dict[str, tuple[Callable, Callable]]:
        """(forward, backward) per layer on the inputs the layer sees; backward computes every
        gradient of the layer (input included) from a fixed upstream gradient."""
        if not hasattr(self, "_cases"):
            self._cases = self._build_layer_cases()
        return self._cases

    def _build_layer_cases(self) -> dict[str, tuple[Callable, Callable]]:
        w1, b1, w2, b2, w3, b3, w4, b4 = (w.detach() for w in self.weights)
        with torch.no_grad():
            z1 = F.relu(F.conv2d(self.x, w1, b1))
            p1 = F.max_pool2d(z1, 2)
            z2 = F.relu(F.conv2d(p1, w2, b2))
            flat = F.max_pool2d(z2, 2).flatten(1)
            z3 = F.relu(F.linear(flat, w3, b3))
        layers = {
            "conv1": (lambda x, w, b: F.conv2d(x, w, b), self.x, (w1, b1)),
            "pool1": (lambda x: F.max_pool2d(x, 2), z1, ()),
            "conv2": (lambda x, w, b: F.conv2d(x, w, b), p1, (w2, b2)),
            "pool2": (lambda x: F.max_pool2d(x, 2), z2, ()),
            "dense1": (lambda x, w, b: F.linear(x, w, b), flat, (w3, b3)),
            "dense2": (lambda x, w, b: F.linear(x, w, b), z3, (w4, b4)),
        }
        return {name: _forward_backward(*spec) for name, spec in layers.items()}


def _forward_backward(op: Callable, x: torch.Tensor, params: tuple) -> tuple[Callable, Callable]:
    inputs = [t.clone().requires_grad_(True) for t in (x, *params)]
    plain = [x, *params]

    def forward() -> torch.Tensor:
        with torch.no_grad():
            return op(*plain)

    out = op(*inputs)
    dout = torch.randn(out.shape, dtype=out.dtype, generator=torch.Generator().manual_seed(1))

    def backward() -> tuple:
        return torch.autograd.grad(out, inputs, dout, retain_graph=True)

    return forward, backward
