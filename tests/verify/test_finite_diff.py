"""Finite differences: accuracy on known derivatives, the directional screen, the Taylor test."""

from __future__ import annotations

import numpy as np
import pytest

from verify import finite_diff


def _cubic(points: np.ndarray) -> np.ndarray:
    """f(x) = Σ xⱼ³ + 2 x₀ x₁, gradient 3xⱼ² + (2x₁, 2x₀, 0, …)."""
    return np.sum(points**3, axis=-1) + 2 * points[..., 0] * points[..., 1]


def _cubic_gradient(x: np.ndarray) -> np.ndarray:
    g = 3 * x**2
    g[0] += 2 * x[1]
    g[1] += 2 * x[0]
    return g


X = np.array([0.7, -1.3, 25.0, 1e-3])


def test_element_steps_scale_with_the_element_and_are_representable():
    h = finite_diff.element_steps(X)
    assert h[2] == pytest.approx(25 * finite_diff.STEP_FACTOR, rel=1e-6)
    assert h[3] == pytest.approx(finite_diff.STEP_FACTOR, rel=1e-6)
    assert np.all((X + h) - X == h)


def test_central_differences_match_the_gradient_per_element():
    diffs = finite_diff.central_differences(_cubic, X)
    g = _cubic_gradient(X)
    # rounding error ≈ ε|f|/h is absolute: measured against the gradient's scale, ≈ ε^(2/3)
    assert np.allclose(diffs.central, g, rtol=1e-8, atol=1e-9 * np.max(np.abs(g)))
    assert diffs.value == pytest.approx(_cubic(X))
    # one-sided quotients differ from the gradient by ≈ h f″/2 — far more than the central one
    assert np.all(np.abs(diffs.forward - g)[:3] > 10 * np.abs(diffs.central - g)[:3])


def test_central_differences_of_a_subset():
    diffs = finite_diff.central_differences(_cubic, X, index=[2])
    assert diffs.central.shape == (1,)
    assert diffs.central[0] == pytest.approx(_cubic_gradient(X)[2], rel=1e-8)


def test_a_function_returning_the_wrong_shape_is_rejected():
    with pytest.raises(ValueError, match="one value per row"):
        finite_diff.central_differences(lambda p: p, X)


def test_directional_derivative_matches_the_inner_product():
    rng = np.random.default_rng(1)
    u = finite_diff.random_direction(rng, X.size)
    assert np.linalg.norm(u) == pytest.approx(1.0)
    d = finite_diff.directional_derivative(_cubic, X, u)
    assert d == pytest.approx(float(_cubic_gradient(X) @ u), rel=1e-8)


def test_taylor_remainder_order_two_for_the_right_gradient_and_one_for_a_wrong_one():
    rng = np.random.default_rng(2)
    x = rng.standard_normal(6)
    u = finite_diff.random_direction(rng, x.size)
    right = finite_diff.taylor_remainder(_cubic, x, _cubic_gradient(x), u, h0=1e-2)
    assert np.all(np.abs(right.orders - 2.0) < 0.2)
    assert abs(right.slope_error) < 1e-5
    wrong_g = _cubic_gradient(x)
    wrong_g[0] *= 1.01
    wrong = finite_diff.taylor_remainder(_cubic, x, wrong_g, u, h0=1e-4)
    assert np.all(np.abs(wrong.orders - 1.0) < 0.2)
    assert wrong.slope_error == pytest.approx(-0.01 * _cubic_gradient(x)[0] * u[0], rel=1e-3)


def test_rows_and_values_give_the_same_differences_and_screen_as_the_batched_calls():
    rng = np.random.default_rng(3)
    x = rng.standard_normal(5)
    g = _cubic_gradient(x)
    u = finite_diff.random_direction(rng, x.size)
    steps = finite_diff.element_steps(x)
    rows = finite_diff.element_rows(x, steps, np.arange(x.size))
    assert rows.shape == (2 * x.size, x.size)
    assert np.array_equal(rows[: x.size] - x, np.diag(steps))
    diffs = finite_diff.differences_from_values(_cubic(rows), steps, float(_cubic(x)))
    direct = finite_diff.central_differences(_cubic, x)
    for name in ("central", "forward", "backward", "steps"):
        assert np.allclose(getattr(diffs, name), getattr(direct, name), rtol=1e-12, atol=1e-12)
    h, taylor_steps = finite_diff.directional_step(x), finite_diff.taylor_steps(x)
    rows = finite_diff.screen_rows(x, u, h, taylor_steps)
    screen = finite_diff.screen_from_values(_cubic(rows), g, u, h, taylor_steps, float(_cubic(x)))
    assert screen.derivative == finite_diff.directional_derivative(_cubic, x, u, h)
    taylor = finite_diff.taylor_remainder(_cubic, x, g, u)
    assert screen.taylor.slope_error == taylor.slope_error
    assert np.array_equal(screen.taylor.remainders, taylor.remainders)
    assert finite_diff.screen_from_values(_cubic(rows[:2]), g, u, h, None, None).taylor is None


def test_coordinate_rows_move_one_coordinate_each_and_may_be_complex():
    x = np.array([1.0, 2.0, 3.0])
    rows = finite_diff.coordinate_rows(x, np.array([2, 0]), np.array([1e-30j, 1e-30j]))
    assert rows.dtype == np.complex128
    assert np.array_equal(rows.imag, [[0, 0, 1e-30], [1e-30, 0, 0]])
    assert np.array_equal(rows.real, [x, x])
    along = finite_diff.along_coordinates(lambda p: p.sum(axis=-1), x)
    assert np.array_equal(along(np.array([0, 1]), np.array([0.5, -0.5])), [6.5, 5.5])
