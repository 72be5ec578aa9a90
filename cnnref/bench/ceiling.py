"""Floating-point work of the seed network's layers and the machine's matrix-product ceiling.

A case's GFLOP/s is its multiply-adds × 2 over its time. The ceiling is what the machine's BLAS
reaches on a large square product in the same dtype, measured in the same run (NumPy's matmul on
all of the BLAS's threads), so "% of ceiling" says how close a layer comes to the machine's limit.
Pooling and the element-wise work have no products and count no FLOPs.
"""

from __future__ import annotations

import statistics
import time

import numpy as np

CEILING_SIZE = 1024


def conv_flops(batch: int, out_side: int, kernel: int, channels: int, filters: int) -> int:
    """2 · N · Ho · Wo · F · K · K · C: one convolution's forward pass."""
    return 2 * batch * out_side * out_side * filters * kernel * kernel * channels


def dense_flops(batch: int, inputs: int, outputs: int) -> int:
    """2 · N · D · M: one dense layer's forward pass."""
    return 2 * batch * inputs * outputs


def seed_layer_flops(params: dict, batch: int) -> dict[str, int]:
    """Forward FLOPs of each product layer of the seed network (32 × 32 inputs)."""
    k1, _, c1, f1 = params["w1"].shape
    k2, _, c2, f2 = params["w2"].shape
    side1 = 32 - k1 + 1
    side2 = side1 // 2 - k2 + 1
    return {
        "conv1": conv_flops(batch, side1, k1, c1, f1),
        "conv2": conv_flops(batch, side2, k2, c2, f2),
        "dense1": dense_flops(batch, *params["w3"].shape),
        "dense2": dense_flops(batch, *params["w4"].shape),
    }


def seed_case_flops(params: dict, batch: int) -> dict[str, int]:
    """FLOPs of every timed case: a layer's forward; its backward (every gradient, input
    included: twice the forward); a training step (forward and backward, the first layer without
    its input gradient); inference (the forward pass)."""
    layers = seed_layer_flops(params, batch)
    cases = {}
    for layer, flops in layers.items():
        cases[f"{layer} forward"] = flops
        cases[f"{layer} backward"] = 2 * flops
    forward = sum(layers.values())
    step = 3 * forward - layers["conv1"]
    cases["training step"] = step
    cases["training step (formulas)"] = step
    cases["training step (fit)"] = step
    cases["inference"] = forward
    return cases


def gemm_ceiling(dtype: str, repeats: int = 5, size: int = CEILING_SIZE) -> float:
    """GFLOP/s of a size × size × size product in ``dtype`` (the median of ``repeats``), on
    every thread of NumPy's BLAS."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((size, size)).astype(dtype)
    b = rng.standard_normal((size, size)).astype(dtype)
    out = np.empty_like(a)
    np.matmul(a, b, out=out)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        np.matmul(a, b, out=out)
        times.append(time.perf_counter() - start)
    return 2 * size**3 / statistics.median(times) / 1e9
