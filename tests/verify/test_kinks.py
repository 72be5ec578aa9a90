"""Kink-aware inputs and kink detection."""

from __future__ import annotations

import numpy as np

from verify import kinks, objectives


def test_away_from_zero_keeps_the_margin_and_both_signs():
    v = kinks.away_from_zero(np.random.default_rng(0), (50, 40), 0.05)
    assert np.min(np.abs(v)) >= 0.05
    assert np.any(v > 0) and np.any(v < 0)


def test_tie_free_values_are_separated_by_half_the_gap():
    x = kinks.tie_free(np.random.default_rng(1), (2, 6, 5, 3), 0.01)
    gaps = np.diff(np.sort(x.reshape(-1)))
    assert np.min(gaps) >= 0.005
    assert kinks.min_window_gap(x, 2, 2) >= 0.005


def test_min_window_gap_sees_a_tie():
    x = np.arange(16.0).reshape(1, 4, 4, 1)
    x[0, 1, 1, 0] = x[0, 1, 0, 0]  # tie for the top of the first 2 × 2 window
    assert kinks.min_window_gap(x, 2, 2) == 0.0


def test_min_relu_margin():
    assert kinks.min_relu_margin([np.array([0.5, -0.2]), np.array([[3.0, -0.01]])]) == 0.01


def test_pattern_changed_detects_a_new_max_winner():
    x = np.array([0.0, 1.0, 2.0, 2.0 - 1e-7]).reshape(1, 2, 2, 1)
    base = [objectives.maxpool_winners(x, 2, 2)]
    moved = np.stack([x, x]).copy()
    moved[1, 0, 1, 1, 0] += 1e-6  # the near-tied element overtakes the maximum
    changed = kinks.pattern_changed(base, [objectives.maxpool_winners(moved, 2, 2)], 2)
    assert changed.tolist() == [False, True]


def test_pattern_changed_with_an_unbatched_pattern():
    base = [np.array([True, False])]
    assert kinks.pattern_changed(base, [np.array([True, False])], 3).tolist() == [False] * 3


def test_one_sided_quotients_flag_a_kink_but_not_a_smooth_curve():
    # relu at x = 1e-7 with h = 1e-6: the step crosses; at h/2 it still crosses, slope jump stays 1
    def quotients(f, x, h):
        return (f(x + h) - f(x)) / h, (f(x) - f(x - h)) / h

    relu = lambda v: max(v, 0.0)  # noqa: E731
    fwd, bwd = quotients(relu, 1e-7, 1e-6)
    fwd2, bwd2 = quotients(relu, 1e-7, 5e-7)
    assert kinks.one_sided_disagree(
        np.array([fwd]), np.array([bwd]), np.array([fwd2]), np.array([bwd2]), 1e-12
    )[0]
    fwd, bwd = quotients(np.exp, 0.3, 1e-3)
    fwd2, bwd2 = quotients(np.exp, 0.3, 5e-4)
    assert not kinks.one_sided_disagree(
        np.array([fwd]), np.array([bwd]), np.array([fwd2]), np.array([bwd2]), 1e-12
    )[0]
