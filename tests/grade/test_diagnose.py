"""Naming a wrong result's mistake from its pattern relative to the reference."""

from __future__ import annotations

import numpy as np
import pytest

from verify.grade import mistakes as m
from verify.grade.diagnose import diagnose, error, match_tolerance, matches

RNG = np.random.default_rng(3)
REFERENCE = RNG.standard_normal((4, 3))


@pytest.mark.parametrize(
    ("got", "label"),
    [
        (-REFERENCE, m.NEGATED),
        (REFERENCE / 4, m.MEAN_NOT_SUM),
        (REFERENCE * 4, m.SUM_NOT_MEAN),
        (-REFERENCE / 4, "equals −1 × the reference combined with: " + m.MEAN_NOT_SUM),
        (REFERENCE * 2.5, "off by a constant factor of 2.5"),
        (np.zeros_like(REFERENCE), m.ZEROS),
        (REFERENCE.T.copy(), m.TRANSPOSED),
    ],
)
def test_generic_patterns_are_named(got, label) -> None:
    assert diagnose(got, REFERENCE, 4, {}) == label


def test_a_permuted_4d_array_names_the_axis_order() -> None:
    reference = RNG.standard_normal((3, 3, 2, 4))
    label = diagnose(reference.transpose(3, 2, 0, 1).copy(), reference, 2, {})
    assert label.startswith(m.AXES_PERMUTED)


def test_a_known_mistake_is_named_even_with_a_different_shape() -> None:
    wrong = REFERENCE.sum(axis=1)
    assert diagnose(wrong.copy(), REFERENCE.sum(axis=0), 4, {m.BIAS_AXIS: wrong}) == m.BIAS_AXIS


def test_a_known_mistake_matching_the_reference_is_ignored() -> None:
    assert diagnose(REFERENCE.copy(), REFERENCE, 4, {"never": REFERENCE}) is None


def test_non_finite_values_match_a_mistake_only_at_the_same_places() -> None:
    overflow = np.where(REFERENCE > 0, np.nan, REFERENCE)
    assert diagnose(overflow.copy(), REFERENCE, 4, {m.SOFTMAX_OVERFLOW: overflow}) == (
        m.SOFTMAX_OVERFLOW
    )
    elsewhere = np.where(REFERENCE < 0, np.nan, REFERENCE)
    assert diagnose(elsewhere, REFERENCE, 4, {m.SOFTMAX_OVERFLOW: overflow}) is None


def test_an_unrecognised_error_has_no_label() -> None:
    got = REFERENCE.copy()
    got[1, 2] += 1.0
    assert diagnose(got, REFERENCE, 4, {}) is None


def test_the_error_is_the_oracles_floored_measure_and_matching_is_float32_rounding() -> None:
    got = REFERENCE + 1e-9
    floor = np.maximum(np.abs(REFERENCE), np.abs(REFERENCE).max() / 16)
    assert error(got, REFERENCE) == pytest.approx(np.max(1e-9 / floor))
    assert error(got, REFERENCE) < match_tolerance()
    assert matches(got, REFERENCE)
    assert not matches(REFERENCE + 1e-3, REFERENCE)
    assert not matches(REFERENCE[:2], REFERENCE)


def test_the_assignment_names_its_own_sign_convention() -> None:
    assert diagnose(-REFERENCE, REFERENCE, 4, {}, m.NEGATED_DESCENT) == m.NEGATED_DESCENT


def test_a_named_factor_comes_before_a_known_mistake_and_other_factors_after() -> None:
    halved = REFERENCE / 4
    assert diagnose(halved, REFERENCE, 4, {"specific": halved}) == m.MEAN_NOT_SUM
    doubled = REFERENCE * 2
    assert diagnose(doubled, REFERENCE, 4, {"specific": doubled}) == "specific"
