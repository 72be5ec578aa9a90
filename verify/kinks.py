"""Kinks: relu at 0 and max-pool ties are not differentiable; finite differences across them lie.

Two defences, used together:

1. *Inputs with margins* — pre-activations generated with ``|a| ≥ margin`` and pool windows whose
   top two values differ by ≥ gap, both far above the finite-difference step (≈ 6e−6·scale), so a
   step cannot reach a kink.
2. *Detection* — when an element's difference quotient disagrees with the gradient, the oracle
   asks whether the step crossed a kink: exactly, by comparing the kink pattern (relu signs and
   max-pool winners) at x ± h with the one at x; and generically, by the one-sided quotients: for a
   smooth f, forward − backward = h·f″ + O(h³) halves when h halves, while across a kink it does
   not. A crossing element is retried with smaller steps and, if every step crosses, skipped and
   reported — never counted as a failure.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .objectives import pool_windows

RETRY_HALVINGS = (4, 8, 12)


def away_from_zero(
    rng: np.random.Generator, shape: tuple[int, ...], margin: float, scale: float = 1.0
) -> np.ndarray:
    """Random values with ``|v| ≥ margin``: ``v = ±(margin + |N(0, scale²)|)``, signs at random."""
    magnitude = margin + np.abs(rng.standard_normal(shape)) * scale
    return np.where(rng.random(shape) < 0.5, -magnitude, magnitude)


def tie_free(rng: np.random.Generator, shape: tuple[int, ...], gap: float) -> np.ndarray:
    """Values whose pairwise differences are all ≥ gap/2: a shuffled arange·gap plus jitter < gap/2.

    Centred (mean ≈ 0, both signs) so no window is trivially non-negative.
    """
    size = int(np.prod(shape))
    values = rng.permutation(size) * gap + rng.random(size) * (gap / 2.0)
    return (values - values.mean()).reshape(shape)


def min_relu_margin(pre_activations: Sequence[np.ndarray]) -> float:
    """``min |a|`` over every pre-activation: the distance of the nearest relu kink."""
    return min((float(np.min(np.abs(a), initial=np.inf)) for a in pre_activations), default=np.inf)


def min_window_gap(x: np.ndarray, size: int, stride: int) -> float:
    """Smallest difference between the largest and second-largest value of any pool window."""
    windows = np.sort(pool_windows(np.asarray(x, dtype=np.float64), size, stride), axis=-1)
    if windows.shape[-1] < 2 or windows.size == 0:
        return np.inf
    return float(np.min(windows[..., -1] - windows[..., -2]))


def pattern_changed(
    base: Sequence[np.ndarray], perturbed: Sequence[np.ndarray], batch: int
) -> np.ndarray:
    """For each of ``batch`` perturbed points: does any kink-pattern entry differ from ``base``?

    ``perturbed[i]`` is either shaped like ``base[i]`` (the perturbation did not reach it) or has
    a leading batch axis.
    """
    changed = np.zeros(batch, dtype=bool)
    for ref, new in zip(base, perturbed, strict=True):
        full = np.broadcast_to(new, (batch, *np.shape(ref)))
        changed |= np.any((full != ref).reshape(batch, -1), axis=1)
    return changed


def one_sided_disagree(
    forward: np.ndarray,
    backward: np.ndarray,
    forward_half: np.ndarray,
    backward_half: np.ndarray,
    noise: float,
) -> np.ndarray:
    """Kink test from one-sided quotients at steps h and h/2 (element-wise).

    Smooth f: d(h) = forward − backward ≈ h f″, so d(h/2) ≈ d(h)/2. Across a kink d stays ≈ the jump
    in slope (ratio ≈ 1) or vanishes once h/2 no longer reaches it (ratio ≈ 0). Flag when
    ``|d(h)|`` is above ``noise`` and the ratio d(h/2)/d(h) is outside [1/4, 3/4].
    """
    d_full = np.asarray(forward) - np.asarray(backward)
    d_half = np.asarray(forward_half) - np.asarray(backward_half)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = d_half / d_full
    return (np.abs(d_full) > noise) & ((ratio < 0.25) | (ratio > 0.75))
