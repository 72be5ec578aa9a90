"""Naive index-summation versions of every cnnref forward pass and closed-form gradient.

Each function is the notes' formula written before vectorizing: explicit Python loops over the
indices n, k, m, d, i, j, k1, k2, c, one scalar product at a time. They share no code with cnnref
(no module of this package imports it): an oracle that called the code under test would prove
nothing. The package mirrors cnnref's functional files: the twin of ``cnnref/<topic>.py`` is
``verify/naive/<topic>.py`` (conv, pool, linear, activations, output, gradients, multilayer); the
argument checks they share are in :mod:`verify.naive.arguments`. Every name is also here, so
``verify.naive.grad_W`` is :func:`verify.naive.gradients.grad_W`.

Contract: the same names, argument order and return conventions as cnnref's functional API, so the
registry can pair each vectorized function with its naive twin. Conventions are the notes': NHWC
images x (N, H, W, C), filters (KH, KW, C, F), dense a = X W + b with W (D, M), gradient *ascent* on
J = Σₙ Σₖ tₙₖ log yₙₖ, output delta T − Y.

Computation is in float64 (float32 inputs are widened), and results are float64. Complex inputs
stay complex128 throughout wherever the function is analytic (sigmoid, tanh, softmax,
log_likelihood, dense, conv, average pooling, the polynomial derivatives z(1 − z) and 1 − z², and
the gradients built from them), so the complex-step method can call these functions. relu, its
step derivative and max pooling are not analytic and refuse complex input with a TypeError: NumPy
orders complex numbers lexicographically, so a max over them would pass silently and be wrong.

The loops are meant for the small shapes the oracle uses; they are slow on large arrays.
"""

from __future__ import annotations

from .activations import activation_derivative, relu, sigmoid, tanh
from .arguments import ACTIVATIONS, CONV_MODES
from .conv import conv2d, conv2d_backward
from .gradients import (
    bias_gradient,
    grad_b,
    grad_b1_three_layer,
    grad_c,
    grad_V,
    grad_W,
    grad_W1_three_layer,
    hidden_delta,
    output_delta,
    weight_gradient,
)
from .linear import dense, dense_backward
from .multilayer import backprop, delta_recursion, mlp_forward
from .output import log_likelihood, softmax
from .pool import avgpool2d, avgpool2d_backward, maxpool2d, maxpool2d_backward

__all__ = ["ACTIVATIONS", "CONV_MODES"]
__all__ += ["conv2d", "conv2d_backward"]
__all__ += ["avgpool2d", "avgpool2d_backward", "maxpool2d", "maxpool2d_backward"]
__all__ += ["dense", "dense_backward"]
__all__ += ["activation_derivative", "relu", "sigmoid", "tanh"]
__all__ += ["log_likelihood", "softmax"]
__all__ += [
    "bias_gradient",
    "grad_V",
    "grad_W",
    "grad_W1_three_layer",
    "grad_b",
    "grad_b1_three_layer",
    "grad_c",
    "hidden_delta",
    "output_delta",
    "weight_gradient",
]
__all__ += ["backprop", "delta_recursion", "mlp_forward"]
