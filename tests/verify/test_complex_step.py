"""The complex step: machine-precision derivatives of analytic functions, refusal elsewhere."""

from __future__ import annotations

import numpy as np
import pytest

from verify import objectives
from verify.complex_step import ComplexStepRefused, complex_step


def test_exact_to_machine_precision_for_an_analytic_function():
    x = np.array([0.3, -1.7, 2.2])

    def f(points):
        return np.sum(objectives.sigmoid(points) * np.tanh(points), axis=-1)

    s = 1 / (1 + np.exp(-x))
    exact = s * (1 - s) * np.tanh(x) + s * (1 - np.tanh(x) ** 2)
    assert np.max(np.abs(complex_step(f, x) - exact) / np.abs(exact)) < 1e-15


def test_softmax_log_likelihood_gradient_is_t_minus_y():
    a = np.array([[0.2, -1.0, 3.0], [1.5, 0.1, -0.4]])
    t = np.array([[0.0, 0.0, 1.0], [0.2, 0.5, 0.3]])
    cs = complex_step(lambda p: objectives.log_likelihood(t, p.reshape(-1, 2, 3)), a.reshape(-1))
    assert np.allclose(cs.reshape(a.shape), t - objectives.softmax(a), rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize(
    "f",
    [
        lambda p: np.sum(objectives.relu(p), axis=-1),
        lambda p: objectives.maxpool(p.reshape(-1, 1, 2, 2, 1), 2, 2).reshape(-1),
    ],
    ids=["relu", "maxpool"],
)
def test_refuses_functions_that_are_not_analytic(f):
    with pytest.raises(ComplexStepRefused, match="not complex-analytic"):
        complex_step(f, np.array([0.5, -0.2, 0.1, 0.3]))


def test_refuses_a_function_that_drops_the_imaginary_part():
    with pytest.raises(ComplexStepRefused, match="real values"):
        complex_step(lambda p: np.sum(p.real, axis=-1), np.array([1.0, 2.0]))


def test_lexicographic_complex_max_would_have_been_wrong():
    # why max must refuse: NumPy compares the real part first, so max(1 + 1e-30j, 1) keeps the
    # imaginary part of whichever element comes first, not a derivative
    values = np.array([1.0 + 0j, 1.0 + 1e-30j])
    assert np.max(values) == values[1]
