"""SGD with momentum and Adam as gradient ascent on J; state round trips exactly."""

from __future__ import annotations

import numpy as np
import pytest

from cnnref.nn.optim import SGD, Adam, make_optimizer


def params_and_grads(seed: int = 0):
    rng = np.random.default_rng(seed)
    params = {"a": rng.standard_normal((3, 2)), "b": rng.standard_normal(4)}
    grads = [{name: rng.standard_normal(p.shape) for name, p in params.items()} for _ in range(3)]
    return params, grads


def test_sgd_momentum_follows_its_formula():
    params, grads = params_and_grads()
    optimizer = SGD(params, lr=0.1, momentum=0.5)
    current, velocity = params, {name: np.zeros_like(p) for name, p in params.items()}
    for g in grads:
        new = optimizer.step(current, g)
        for name in params:
            velocity[name] = 0.5 * velocity[name] + g[name]
            np.testing.assert_allclose(new[name], current[name] + 0.1 * velocity[name], rtol=1e-14)
        current = new


def test_adam_follows_its_formula():
    params, grads = params_and_grads(1)
    optimizer = Adam(params, lr=0.01, beta1=0.8, beta2=0.9, eps=1e-6)
    current = params
    m = {name: np.zeros_like(p) for name, p in params.items()}
    v = {name: np.zeros_like(p) for name, p in params.items()}
    for t, g in enumerate(grads, start=1):
        new = optimizer.step(current, g)
        for name in params:
            m[name] = 0.8 * m[name] + 0.2 * g[name]
            v[name] = 0.9 * v[name] + 0.1 * g[name] ** 2
            m_hat, v_hat = m[name] / (1 - 0.8**t), v[name] / (1 - 0.9**t)
            expected = current[name] + 0.01 * m_hat / (np.sqrt(v_hat) + 1e-6)
            np.testing.assert_allclose(new[name], expected, rtol=1e-12)
        current = new


@pytest.mark.parametrize("name", ["sgd", "adam"])
def test_ascent_climbs_to_the_maximum_of_a_concave_objective(name):
    # J(θ) = −½‖θ − c‖², ∇J = c − θ: ascent must move θ to c.
    c = np.array([1.5, -2.0, 0.5])
    params = {"theta": np.zeros(3)}
    optimizer = make_optimizer(name, params, lr=0.05, momentum=0.9)
    for _ in range(2000):
        params = optimizer.step(params, {"theta": c - params["theta"]})
    np.testing.assert_allclose(params["theta"], c, atol=1e-3)


@pytest.mark.parametrize("name", ["sgd", "adam"])
def test_state_round_trip_continues_exactly(name):
    params, grads = params_and_grads(2)
    straight = make_optimizer(name, params, lr=0.01)
    first = make_optimizer(name, params, lr=0.01)
    p_straight, p_split = params, params
    for g in grads:
        p_straight = straight.step(p_straight, g)
    p_split = first.step(p_split, grads[0])
    resumed = make_optimizer(name, params, lr=0.01)
    resumed.load_state_dict(first.state_dict())
    for g in grads[1:]:
        p_split = resumed.step(p_split, g)
    for key in params:
        np.testing.assert_array_equal(p_split[key], p_straight[key])


def test_state_is_plain_arrays():
    params, grads = params_and_grads()
    for optimizer in (SGD(params), Adam(params)):
        optimizer.step(params, grads[0])
        state = optimizer.state_dict()
        assert all(isinstance(v, np.ndarray) and v.dtype != object for v in state.values())
    assert int(Adam(params).state_dict()["t"]) == 0


def test_step_leaves_inputs_unchanged_and_keeps_dtype():
    params = {"w": np.ones(3, np.float32)}
    grads = {"w": np.full(3, 2.0, np.float32)}
    new = SGD(params, lr=0.1, momentum=0.9).step(params, grads)
    np.testing.assert_array_equal(params["w"], np.ones(3))
    np.testing.assert_array_equal(grads["w"], np.full(3, 2.0))
    assert new["w"].dtype == np.float32
    np.testing.assert_allclose(new["w"], 1.2, rtol=1e-6)


def test_bad_arguments_are_named():
    params, grads = params_and_grads()
    with pytest.raises(ValueError, match="lr"):
        SGD(params, lr=0)
    with pytest.raises(ValueError, match="momentum"):
        SGD(params, momentum=1.0)
    with pytest.raises(ValueError, match="beta2"):
        Adam(params, beta2=1.5)
    with pytest.raises(ValueError, match="optimizer"):
        make_optimizer("rmsprop", params, 0.1)
    with pytest.raises(ValueError, match="grads"):
        SGD(params).step(params, {"a": grads[0]["a"]})
    with pytest.raises(ValueError, match="shape"):
        SGD(params).step(params, dict(grads[0], a=np.zeros(2)))
    with pytest.raises(ValueError, match="velocity/b"):
        SGD(params).load_state_dict({"velocity/a": np.zeros((3, 2))})
    with pytest.raises(ValueError, match="m/a"):
        Adam(params).load_state_dict({**Adam(params).state_dict(), "m/a": np.zeros(2)})
    with pytest.raises(ValueError, match="'t'"):
        Adam(params).load_state_dict({})


@pytest.mark.parametrize("value", ["0.1", None, 1j, True, np.array([0.1, 0.2])])
def test_a_hyperparameter_that_is_not_a_real_number_is_a_type_error(value):
    params, _ = params_and_grads()
    with pytest.raises(TypeError, match=r"lr must be a finite number > 0, got"):
        SGD(params, lr=value)
    with pytest.raises(TypeError, match=r"beta1 must be a number in \[0, 1\), got"):
        Adam(params, beta1=value)
    assert SGD(params, lr=np.array(0.5), momentum=np.float32(0.5)).lr == 0.5


def test_malformed_parameters_grads_and_state_are_named():
    params, grads = params_and_grads()
    with pytest.raises(TypeError, match=r"parameters must be a dict of arrays by name, got list"):
        SGD([params["a"]])
    with pytest.raises(TypeError, match=r"parameters\['w'\] must be a float32 or float64 array"):
        SGD({"w": np.array([1, 2])})  # once "No matching signature found" from the kernel
    with pytest.raises(TypeError, match=r"grads must be a dict of arrays by name, got NoneType"):
        SGD(params).step(params, None)
    with pytest.raises(TypeError, match=r"grads\['a'\] must be a real \(float\) array"):
        SGD(params).step(params, dict(grads[0], a=grads[0]["a"] + 1j))
    with pytest.raises(TypeError, match=r"optimizer state must be a dict"):
        SGD(params).load_state_dict(None)


@pytest.mark.parametrize("t", [np.array(1.7), np.array(True), "abc", None])
def test_a_step_count_that_is_not_an_integer_is_not_truncated(t):
    params, _ = params_and_grads()
    state = {**Adam(params).state_dict(), "t": t}
    with pytest.raises(ValueError, match=r"'t', the step count, as a 0-d integer"):
        Adam(params).load_state_dict(state)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("make", [lambda p: SGD(p, 0.1, 0.9), lambda p: Adam(p, 0.01)])
def test_update_in_place_is_bit_for_bit_step(make, dtype):
    params, grads = params_and_grads(3)
    params = {name: p.astype(dtype) for name, p in params.items()}
    grads = [{name: g.astype(dtype) for name, g in step.items()} for step in grads]
    by_step, in_place = make(params), make(params)
    returned = {name: p.copy() for name, p in params.items()}
    live = {name: p.copy() for name, p in params.items()}
    for g in grads:
        before = {name: p.copy() for name, p in returned.items()}
        returned = by_step.step(returned, g)
        for name in params:  # step leaves its input alone
            assert not np.array_equal(before[name], returned[name])
        in_place.update(live, g)
    for name in params:
        assert live[name].dtype == dtype
        np.testing.assert_array_equal(live[name], returned[name])


def test_update_rejects_what_it_cannot_write_into():
    params, grads = params_and_grads()
    optimizer = SGD(params, 0.1)
    with pytest.raises(TypeError, match="float64 array"):
        optimizer.update({**params, "a": params["a"].astype(np.float32)}, grads[0])
    with pytest.raises(TypeError, match="float64 array"):
        optimizer.update({**params, "b": params["b"].tolist()}, grads[0])
    frozen = params["a"].copy()
    frozen.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        optimizer.update({**params, "a": frozen}, grads[0])
    with pytest.raises(ValueError, match="shape"):
        optimizer.update(params, {**grads[0], "b": np.zeros(5)})


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("batch", [1, 64, 7])
@pytest.mark.parametrize("size", [5, 300_000])
def test_sgd_update_is_numpys_in_place_sequence_bit_for_bit(size, batch, dtype):
    """The compiled pass (one thread below 65,536 elements, split above) rounds each operation as
    v *= μ; v += g / B; θ += η * v does in NumPy, step after step."""
    rng = np.random.default_rng(size + batch)
    theta = {"w": rng.standard_normal(size).astype(dtype)}
    expected, velocity = theta["w"].copy(), np.zeros(size, dtype)
    optimizer = SGD(theta, lr=0.03, momentum=0.9)
    for _ in range(3):
        g = (rng.standard_normal(size) * batch).astype(dtype)
        optimizer.update(theta, {"w": g}, batch=batch)
        velocity *= 0.9
        velocity += g / batch
        expected += 0.03 * velocity
        np.testing.assert_array_equal(theta["w"], expected)
        np.testing.assert_array_equal(optimizer.velocity["w"], velocity)


@pytest.mark.parametrize("make", [lambda p: SGD(p, 0.1, 0.9), lambda p: Adam(p, 0.01)])
def test_a_batch_step_is_the_step_along_the_mean_gradient(make):
    params, grads = params_and_grads(4)
    summed, mean = make(params), make(params)
    for g in grads:
        along_sum = summed.step(params, {name: 8 * v for name, v in g.items()}, batch=8)
        along_mean = mean.step(params, g)
        for name in params:
            np.testing.assert_array_equal(along_sum[name], along_mean[name])


def test_sgd_updates_a_strided_parameter_in_place():
    """A parameter that is a view with gaps (no flat pass over it) is updated all the same."""
    base = np.arange(12.0).reshape(3, 4)
    params = {"w": base[:, ::2]}
    optimizer = SGD(params, lr=0.5, momentum=0.0)
    optimizer.update(params, {"w": np.ones((3, 2))})
    np.testing.assert_array_equal(base[:, ::2], np.arange(12.0).reshape(3, 4)[:, ::2] + 0.5)
    np.testing.assert_array_equal(base[:, 1::2], np.arange(12.0).reshape(3, 4)[:, 1::2])


def test_batch_must_be_a_positive_integer():
    params, grads = params_and_grads()
    for bad in (0, -2, 1.5, True):
        with pytest.raises(ValueError, match="batch"):
            SGD(params).update(dict(params), grads[0], batch=bad)
