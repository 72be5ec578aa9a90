"""The oracle itself is tested: known-wrong gradients are rejected by every independent method,
and the report names the gradient, the worst index, its value under every method, the error."""

from __future__ import annotations

import types

import numpy as np
import pytest

import cnnref
from verify import oracle, registry


def _case(target, index=0, seed=0):
    return list(registry.cases(seed, [target]))[index]


def _scaled(target, factor, element=None):
    def wrong(*args, **kwargs):
        result = getattr(cnnref, target)(*args, **kwargs)
        if element is None:
            return result * factor
        out = result.copy()
        out[element] *= factor
        return out

    return wrong


def test_a_tiny_relative_error_in_float64_is_rejected():
    result = oracle.run_case(_case("grad_W"), _scaled("grad_W", 1 + 1e-8))
    assert not result.passed
    assert not result.comparisons["naive"].passed


def test_one_wrong_element_is_named_with_values_under_every_method():
    case = _case("grad_W", 1)  # float64, tanh
    result = oracle.run_case(case, _scaled("grad_W", 1.5, (1, 2)))
    assert not result.passed
    for name in ("naive", "central_fd", "complex_step"):
        assert result.comparisons[name].index == (1, 2)
        assert result.comparisons[name].gradient == "w"
    report = result.report
    assert "w[1, 2]" in report and "closed form" in report
    assert "naive" in report and "central FD" in report and "complex step" in report


def test_numerical_oracles_catch_what_a_broken_naive_would_miss(monkeypatch):
    def wrong_dense_backward(delta, x, w):
        dx, dw, db = cnnref.dense_backward(delta, x, w)
        return dx, dw.copy() * 1.01, db

    broken_naive = types.SimpleNamespace(dense_backward=wrong_dense_backward)
    monkeypatch.setattr(oracle, "naive_module", lambda: broken_naive)
    result = oracle.run_case(_case("dense_backward"), wrong_dense_backward)
    assert result.comparisons["naive"].passed  # the broken naive agrees with the wrong code
    for name in ("central_fd", "directional", "complex_step"):
        assert not result.comparisons[name].passed, name
    assert not result.passed


def test_a_zero_gradient_is_rejected():
    def zeros(dout, x, size=2, stride=None):
        return np.zeros_like(x)

    case = next(c for c in registry.cases(0, ["avgpool2d_backward"]))
    result = oracle.run_case(case, zeros)
    assert not result.passed
    assert result.comparisons["naive"].error >= 1.0
    assert not result.comparisons["central_fd"].passed


def test_exceptions_wrong_dtype_and_in_place_edits_are_reported():
    case = _case("bias_gradient")

    def raises(delta):
        raise RuntimeError("boom")

    def float32(delta):
        return delta.sum(axis=0).astype(np.float32)

    def in_place(delta):
        delta *= 1.0 + 0 * delta
        delta[0, 0] += 1.0
        return cnnref.bias_gradient(delta)

    assert "raised RuntimeError: boom" in oracle.run_case(case, raises).problems[0]
    assert any("dtype float32" in p for p in oracle.run_case(case, float32).problems)
    result = oracle.run_case(case, in_place)
    assert any("modified in place" in p for p in result.problems)
    assert np.isfinite(case.args["delta"]).all()


def test_a_nonlinear_or_nondeterministic_backward_is_rejected():
    case = _case("weight_gradient")
    calls = {"n": 0}

    def nonlinear(z_prev, delta):
        return z_prev.T @ (delta * np.abs(delta))

    def drifting(z_prev, delta):
        calls["n"] += 1
        return z_prev.T @ delta * (1 + 1e-3 * calls["n"])

    assert any("not linear" in p for p in oracle.run_case(case, nonlinear).problems)
    assert any("repeated call" in p for p in oracle.run_case(case, drifting).problems)


def test_the_taylor_test_fails_a_wrong_gradient():
    result = oracle.run_case(_case("output_delta"), _scaled("output_delta", 1.2))
    assert not result.comparisons["taylor"].passed
    assert not result.comparisons["directional"].passed


def test_wrong_max_pool_gradient_is_rejected_by_finite_differences_despite_kinks(monkeypatch):
    def wrong_route(dout, x, size=2, stride=None):
        return cnnref.maxpool2d_backward(dout, x, size, stride) * 0.5

    monkeypatch.setattr(
        oracle, "naive_module", lambda: types.SimpleNamespace(maxpool2d_backward=wrong_route)
    )
    result = oracle.run_case(_case("maxpool2d_backward"), wrong_route)
    assert not result.comparisons["central_fd"].passed
    assert result.refused["complex_step"].startswith("not analytic")


def test_bad_mode_is_rejected():
    with pytest.raises(ValueError, match="mode"):
        oracle.run_case(_case("bias_gradient"), mode="quick")


def test_every_call_sees_the_arguments_in_their_own_memory_layout():
    case = _case("weight_gradient")
    case.args["z_prev"] = np.asfortranarray(case.args["z_prev"])
    layouts = []

    def recording(z_prev, delta):
        layouts.append(z_prev.flags.f_contiguous and not z_prev.flags.c_contiguous)
        return cnnref.weight_gradient(z_prev, delta)

    assert oracle.run_case(case, recording).passed
    assert len(layouts) == 5 and all(layouts)
