"""The cs231n assignment: layouts adapted onto cnnref, cases consistent with finite differences."""

from __future__ import annotations

import numpy as np
import pytest

from verify.grade.assignments import cs231n
from verify.grade.assignments.cs231n import ASSIGNMENT

from ._cases import check_task_cases


@pytest.mark.parametrize("task", ASSIGNMENT.tasks, ids=lambda t: t.function)
def test_every_case_is_sound(task) -> None:
    check_task_cases(ASSIGNMENT, task)


def test_nchw_convolution_matches_an_index_by_index_sum() -> None:
    rng = np.random.default_rng(2)
    x, w, b = rng.standard_normal((1, 2, 5, 6)), rng.standard_normal((3, 2, 3, 3)), np.zeros(3)
    out = cs231n.conv(x, w, b, 1, 0)
    expected = sum(
        x[0, c, 1 + k1, 2 + k2] * w[1, c, k1, k2]
        for c in range(2)
        for k1 in range(3)
        for k2 in range(3)
    )
    assert out.shape == (1, 3, 3, 4)
    assert out[0, 1, 1, 2] == pytest.approx(expected)


def test_softmax_loss_is_the_mean_cross_entropy_and_its_gradient() -> None:
    x, y = np.array([[1.0, 2.0, 0.5], [0.0, 0.0, 0.0]]), np.array([1, 2])
    p = np.exp(x) / np.exp(x).sum(axis=1, keepdims=True)
    assert cs231n.softmax_loss(x, y) == pytest.approx(-np.mean(np.log(p[[0, 1], [1, 2]])))
    expected = (p - np.eye(3)[y]) / 2
    np.testing.assert_allclose(cs231n.softmax_loss_dx(x, y), expected, rtol=1e-12)
    assert ASSIGNMENT.max_score == 44.0
