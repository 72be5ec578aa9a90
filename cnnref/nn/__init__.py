"""Layers and networks on top of the functional API: layer objects with forward/backward and
explicit parameter and gradient dicts, ``Sequential``, the notes' ``seed_cnn``, initializers and
optimizers."""

from .layers import (
    AvgPool2D,
    Conv2D,
    Dense,
    Flatten,
    Layer,
    MaxPool2D,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
)
from .network import Sequential, build_network, mlp, seed_cnn
from .optim import SGD, Adam, make_optimizer

__all__ = [
    "SGD",
    "Adam",
    "AvgPool2D",
    "Conv2D",
    "Dense",
    "Flatten",
    "Layer",
    "MaxPool2D",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "Tanh",
    "build_network",
    "make_optimizer",
    "mlp",
    "seed_cnn",
]
