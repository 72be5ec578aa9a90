"""cnnref: a Cython reference implementation of the course notes' CNN and its backpropagation.

Conventions: images are NHWC (N, H, W, C); filters are (K, K, C, F); a dense layer is a = X W + b
with W of size D × M; the objective is the log-likelihood J = Σₙ Σₖ tₙₖ log yₙₖ, maximized, so
gradients are ∇J and the output delta is T − Y.
"""

from .activations import activation_derivative, relu, sigmoid, tanh
from .conv import conv2d, conv2d_backward
from .gradients import (
    bias_gradient,
    grad_b,
    grad_c,
    grad_V,
    grad_W,
    hidden_delta,
    output_delta,
    weight_gradient,
)
from .linear import dense, dense_backward
from .multilayer import backprop, delta_recursion, mlp_forward
from .nn.layers import AvgPool2D, Conv2D, Dense, Flatten, MaxPool2D, ReLU, Sigmoid, Softmax, Tanh
from .nn.network import Sequential, mlp, seed_cnn
from .output import log_likelihood, softmax
from .pool import avgpool2d, avgpool2d_backward, maxpool2d, maxpool2d_backward
from .threads import reuse_freed_memory_on_import

reuse_freed_memory_on_import()

__version__ = "0.1.0"

__all__ = [
    "AvgPool2D",
    "Conv2D",
    "Dense",
    "Flatten",
    "MaxPool2D",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "Tanh",
    "activation_derivative",
    "avgpool2d",
    "avgpool2d_backward",
    "backprop",
    "bias_gradient",
    "conv2d",
    "conv2d_backward",
    "delta_recursion",
    "dense",
    "dense_backward",
    "grad_V",
    "grad_W",
    "grad_b",
    "grad_c",
    "hidden_delta",
    "log_likelihood",
    "maxpool2d",
    "maxpool2d_backward",
    "mlp",
    "mlp_forward",
    "output_delta",
    "relu",
    "seed_cnn",
    "sigmoid",
    "softmax",
    "tanh",
    "weight_gradient",
]
