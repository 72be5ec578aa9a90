"""The oracle's cases for ``cnnref/output.py`` (naive twin :mod:`verify.naive.output`): the registry
builders of ``softmax`` (moderate and large logits) and ``log_likelihood``, and the mutants their
cases must reject.
"""

from __future__ import annotations

import numpy as np

import cnnref

from .. import generators as gen
from .. import objectives as obj
from .case import DTYPES, TARGET_SETTINGS, Case, Entry, Mutant, cast, dtype_name, grid


def build_softmax(rng, dtype, logits) -> Case:
    n, k = gen.distinct_sizes(rng, 2, 2, 7)
    a = gen.values(rng, (n, k), 2.0)
    if logits == "large":
        a = a + rng.uniform(500.0, 1000.0, size=(n, 1)) * np.where(rng.random((n, 1)) < 0.5, -1, 1)
    return Case(
        "softmax",
        "forward",
        {"dtype": dtype_name(dtype), "logits": f"{logits} logits"},
        np.dtype(dtype),
        {"a": cast(a, dtype)},
        lambda r: {"y": r},
    )


def build_log_likelihood(rng, dtype, targets) -> Case:
    n, k = gen.distinct_sizes(rng, 2, 2, 7)
    y = obj.softmax(gen.values(rng, (n, k), 2.0))
    t = gen.targets(rng, n, k, targets == "soft")
    return Case(
        "log_likelihood",
        "forward",
        {"dtype": dtype_name(dtype), "targets": targets},
        np.dtype(dtype),
        {"t": cast(t, dtype), "y": cast(y, dtype)},
        lambda r: {"J": np.asarray(r, dtype=np.float64)},
    )


GRADIENT_ENTRIES: tuple[Entry, ...] = ()
FORWARD_ENTRIES = (
    Entry("softmax", "forward", grid(dtype=DTYPES, logits=("moderate", "large")), build_softmax),
    Entry("log_likelihood", "forward", TARGET_SETTINGS, build_log_likelihood),
)


# ---------------------------------------------------------------- mutants


def log_likelihood_mean(t, y):
    """J divided by N: mean instead of sum over the batch."""
    return cnnref.log_likelihood(t, y) / np.shape(y)[0]


def softmax_no_max(a):
    """exp(a) / Σ exp(a) without subtracting max a: overflows for large logits."""
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(a)
        return e / e.sum(axis=-1, keepdims=True)


def softmax_batch_axis(a):
    """exp(a − max) normalized over the batch (axis 0) instead of over the classes."""
    e = np.exp(a - np.max(a, axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


MUTANTS: list[Mutant] = [
    Mutant(
        "log_likelihood_mean",
        "mean instead of sum over the batch",
        "log_likelihood",
        log_likelihood_mean,
    ),
    Mutant(
        "softmax_no_max",
        "softmax without max subtraction (overflows on large logits)",
        "softmax",
        softmax_no_max,
    ),
    Mutant(
        "softmax_batch_axis",
        "softmax normalized over the wrong axis (the batch, not the classes)",
        "softmax",
        softmax_batch_axis,
    ),
]
