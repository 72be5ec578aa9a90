"""The kernels must be the compiled Cython extension, never a pure-Python stand-in."""

from __future__ import annotations

import importlib
import importlib.machinery
import inspect

import pytest

import cnnref.activations
import cnnref.conv
import cnnref.conv_paths
import cnnref.linear
import cnnref.nn.optim
import cnnref.output
import cnnref.pool

KERNEL_MODULES = ["conv", "pool", "dense", "activations", "softmax", "gradients", "optim"]
CYTHON_FUNCTION_TYPES = {"cython_function_or_method", "fused_cython_function"}
# Every kernel the Python layer calls, by module.
KERNELS = {
    "conv": [
        "conv_forward_direct",
        "conv_backward_input_direct",
        "conv_backward_filter_direct",
        "im2col",
        "col2im",
        "conv_forward_per_image",
        "conv_backward_per_image",
        "conv_forward_simd",
    ],
    "pool": [
        "maxpool_forward",
        "maxpool_forward_winners",
        "maxpool_backward_winners",
        "avgpool_forward",
        "avgpool_backward",
    ],
    "dense": ["bias_activation", "sum_rows", "matmul_split"],
    "activations": [
        "sigmoid_kernel",
        "tanh_kernel",
        "relu_kernel",
        "sigmoid_derivative_kernel",
        "tanh_derivative_kernel",
        "relu_derivative_kernel",
        "times_derivative_kernel",
    ],
    "softmax": ["softmax_kernel", "log_likelihood_kernel"],
    "optim": ["sgd_momentum", "ascent_step"],
    "gradients": [
        "output_delta",
        "hidden_delta",
        "weight_gradient",
        "bias_gradient",
        "output_bias_gradient",
    ],
}


@pytest.mark.parametrize("name", KERNEL_MODULES)
def test_kernel_module_is_a_compiled_extension(name):
    module = importlib.import_module(f"cnnref.kernels.{name}")
    suffixes = tuple(importlib.machinery.EXTENSION_SUFFIXES)
    assert module.__file__ is not None and module.__file__.endswith(suffixes), (
        f"cnnref.kernels.{name} was loaded from {module.__file__!r}, not an extension ({suffixes})"
    )
    assert isinstance(module.__loader__, importlib.machinery.ExtensionFileLoader)


def test_the_winner_kernels_take_both_offset_dtypes():
    """A max-pool's winners are uint8 offsets up to 16 × 16 windows, uint32 beyond."""
    pool = importlib.import_module("cnnref.kernels.pool")
    for name in ("maxpool_forward_winners", "maxpool_backward_winners"):
        assert set(getattr(pool, name).__signatures__) == {
            f"{f}|{i}" for f in ("float", "double") for i in ("unsigned char", "unsigned int")
        }


@pytest.mark.parametrize(
    ("module_name", "function"),
    [(module, function) for module, functions in KERNELS.items() for function in functions],
)
def test_kernel_is_a_cython_function_for_both_dtypes(module_name, function):
    kernel = getattr(importlib.import_module(f"cnnref.kernels.{module_name}"), function)
    assert type(kernel).__name__ in CYTHON_FUNCTION_TYPES, (
        f"{module_name}.{function} is a {type(kernel).__name__}, not a Cython function"
    )
    assert not inspect.isfunction(kernel)
    floats = {signature.split("|")[0] for signature in kernel.__signatures__}
    assert floats == {"float", "double"}


def test_the_python_layer_calls_the_compiled_modules():
    compiled = {name: importlib.import_module(f"cnnref.kernels.{name}") for name in KERNEL_MODULES}
    assert cnnref.conv_paths._conv is compiled["conv"]
    assert cnnref.pool._pool is compiled["pool"]
    assert cnnref.linear._dense is compiled["dense"]
    assert cnnref.activations._activations is compiled["activations"]
    assert cnnref.output._softmax is compiled["softmax"]
    assert cnnref.gradients._gradients is compiled["gradients"]
    assert cnnref.nn.optim._optim is compiled["optim"]
