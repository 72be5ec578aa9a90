"""Gradient ASCENT on the log-likelihood J (equivalently descent on the cross-entropy −J).

An optimizer is built for a set of named parameters, takes their gradients ∇J and returns the new
parameters as fresh arrays (the inputs are never modified). Its state is a dict of plain arrays
(``state_dict``), so it fits in an ``.npz`` checkpoint and a resumed run continues exactly.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping

import numpy as np

from ..kernels import optim as _optim
from ..threads import openmp_threads
from ..validation import FLOAT_DTYPES

OPTIMIZERS = ("sgd", "adam")


def _real(name: str, value, expected: str) -> float:
    """``value`` as a float if it is a real number, or a 0-d array of one (bool and strings are
    not)."""
    if isinstance(value, np.ndarray) and value.shape == () and value.dtype.kind in "iuf":
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be {expected}, got {value!r}")
    return float(value)


def _positive_float(name: str, value) -> float:
    value = _real(name, value, "a finite number > 0")
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {value}")
    return value


def _unit_interval(name: str, value) -> float:
    value = _real(name, value, "a number in [0, 1)")
    if not 0.0 <= value < 1.0:
        raise ValueError(f"{name} must be in [0, 1), got {value}")
    return value


def _mapping(what: str, values) -> Mapping:
    if not isinstance(values, Mapping):
        raise TypeError(f"{what} must be a dict of arrays by name, got {type(values).__name__}")
    return values


def _same_names(what: str, values: Mapping, reference: Mapping) -> None:
    if set(_mapping(what, values)) != set(reference):
        missing = sorted(set(reference) - set(values))
        unknown = sorted(set(values) - set(reference))
        raise ValueError(f"{what} must name every parameter: missing {missing}, unknown {unknown}")


class Optimizer:
    """Shared bookkeeping: the parameter names and shapes the state was built for."""

    def __init__(self, parameters: Mapping[str, np.ndarray]) -> None:
        if not _mapping("parameters", parameters):
            raise ValueError("parameters must hold at least one named array")
        self._shapes = {name: _float_shape(name, p) for name, p in parameters.items()}

    def step(
        self,
        parameters: Mapping[str, np.ndarray],
        grads: Mapping[str, np.ndarray],
        batch: int = 1,
    ) -> dict[str, np.ndarray]:
        """One ascent step along grads / batch; returns the new parameters (``parameters`` are
        left unchanged). ``batch`` > 1 when ``grads`` are sums over that many samples and the step
        follows their mean (what :func:`cnnref.training.fit.fit` does)."""
        self._check(parameters, grads, batch)
        new = {
            name: np.array(theta, dtype=self._shapes[name][1]) for name, theta in parameters.items()
        }
        self._update(new, grads, batch)
        return new

    def update(
        self,
        parameters: Mapping[str, np.ndarray],
        grads: Mapping[str, np.ndarray],
        batch: int = 1,
    ) -> None:
        """One ascent step along grads / batch written into ``parameters`` in place (bit for bit
        what :meth:`step` returns); each must be a writeable array of the dtype the optimizer was
        built for."""
        self._check(parameters, grads, batch)
        for name, theta in parameters.items():
            if not isinstance(theta, np.ndarray) or theta.dtype != self._shapes[name][1]:
                raise TypeError(
                    f"parameters[{name!r}] must be a {self._shapes[name][1]} array to update in "
                    f"place, got {type(theta).__name__} {getattr(theta, 'dtype', '')}"
                )
            if not theta.flags.writeable:
                raise ValueError(f"parameters[{name!r}] is read-only; use step() instead")
        self._update(parameters, grads, batch)

    def _check(self, parameters, grads, batch) -> None:
        if isinstance(batch, bool) or not isinstance(batch, int | np.integer) or batch < 1:
            raise ValueError(f"batch must be an integer >= 1, got {batch!r}")
        _same_names("parameters", parameters, self._shapes)
        _same_names("grads", grads, self._shapes)
        for name, (shape, _) in self._shapes.items():
            if np.shape(grads[name]) != shape or np.shape(parameters[name]) != shape:
                raise ValueError(
                    f"grads[{name!r}] and parameters[{name!r}] must have shape {shape}, got "
                    f"{np.shape(grads[name])} and {np.shape(parameters[name])}"
                )
            if np.asarray(grads[name]).dtype.kind not in "biuf":
                raise TypeError(
                    f"grads[{name!r}] must be a real (float) array, got dtype "
                    f"{np.asarray(grads[name]).dtype}"
                )

    def _update(self, parameters, grads, batch) -> None:
        raise NotImplementedError

    def _zeros(self) -> dict[str, np.ndarray]:
        return {name: np.zeros(shape, dtype) for name, (shape, dtype) in self._shapes.items()}

    def _load_arrays(self, prefix: str, state: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        _mapping("optimizer state", state)
        arrays = {}
        for name, (shape, dtype) in self._shapes.items():
            key = f"{prefix}/{name}"
            if key not in state:
                raise ValueError(f"optimizer state has no entry {key!r}")
            value = np.asarray(state[key])
            if value.shape != shape or value.dtype != dtype:
                raise ValueError(
                    f"optimizer state {key!r} must have shape {shape} and dtype {dtype}, "
                    f"got shape {value.shape} and dtype {value.dtype}"
                )
            arrays[name] = value.copy()
        return arrays


class SGD(Optimizer):
    """Stochastic gradient ascent with momentum μ and learning rate η:

        v ← μ v + ∇J,    θ ← θ + η v

    (the form PyTorch uses; with μ = 0 this is plain θ ← θ + η ∇J). v starts at 0. Both lines run
    in one compiled pass over each parameter (cnnref.kernels.optim), with NumPy's roundings.
    """

    def __init__(
        self, parameters: Mapping[str, np.ndarray], lr: float = 0.01, momentum: float = 0.9
    ) -> None:
        super().__init__(parameters)
        self.lr = _positive_float("lr", lr)
        self.momentum = _unit_interval("momentum", momentum)
        self.velocity = self._zeros()

    def _update(self, parameters, grads, batch) -> None:
        threads = openmp_threads()
        for name, theta in parameters.items():
            v, g = self.velocity[name], np.ascontiguousarray(grads[name], dtype=theta.dtype)
            if theta.flags.c_contiguous:
                flat = (theta.reshape(-1), v.reshape(-1), g.reshape(-1))
                _optim.sgd_momentum(*flat, self.lr, self.momentum, batch, threads)
                continue
            v *= self.momentum
            v += g / batch
            theta += self.lr * v

    def state_dict(self) -> dict[str, np.ndarray]:
        """{"velocity/<name>": v} for every parameter."""
        return {f"velocity/{name}": v.copy() for name, v in self.velocity.items()}

    def load_state_dict(self, state: Mapping[str, np.ndarray]) -> None:
        """Restore the velocities saved by :meth:`state_dict`; a missing or misshapen entry is a
        ValueError naming it."""
        self.velocity = self._load_arrays("velocity", state)


class Adam(Optimizer):
    """Adam (Kingma & Ba) as ascent: with g = ∇J and step count t,

    m ← β₁ m + (1 − β₁) g,   v ← β₂ v + (1 − β₂) g²,
    θ ← θ + η · (m / (1 − β₁ᵗ)) / (√(v / (1 − β₂ᵗ)) + ε).
    """

    def __init__(
        self,
        parameters: Mapping[str, np.ndarray],
        lr: float = 0.001,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
    ) -> None:
        super().__init__(parameters)
        self.lr = _positive_float("lr", lr)
        self.beta1 = _unit_interval("beta1", beta1)
        self.beta2 = _unit_interval("beta2", beta2)
        self.eps = _positive_float("eps", eps)
        self.t = 0
        self.m = self._zeros()
        self.v = self._zeros()

    def _update(self, parameters, grads, batch) -> None:
        self.t += 1
        correction1 = 1.0 - self.beta1**self.t
        correction2 = 1.0 - self.beta2**self.t
        for name, theta in parameters.items():
            g, m, v = grads[name] / batch, self.m[name], self.v[name]
            m *= self.beta1
            m += (1 - self.beta1) * g
            v *= self.beta2
            v += (1 - self.beta2) * g * g
            m_hat = m / correction1
            v_hat = v / correction2
            theta += self.lr * m_hat / (np.sqrt(v_hat) + self.eps)

    def state_dict(self) -> dict[str, np.ndarray]:
        """{"m/<name>", "v/<name>"} for every parameter and "t", the step count (0-d int64)."""
        state = {f"m/{name}": m.copy() for name, m in self.m.items()}
        state.update({f"v/{name}": v.copy() for name, v in self.v.items()})
        state["t"] = np.array(self.t, dtype=np.int64)
        return state

    def load_state_dict(self, state: Mapping[str, np.ndarray]) -> None:
        """Restore moments and step count saved by :meth:`state_dict`."""
        t = np.asarray(_mapping("optimizer state", state).get("t"))
        if t.shape != () or t.dtype.kind not in "iu" or int(t) < 0:
            raise ValueError(
                f"optimizer state must hold 't', the step count, as a 0-d integer >= 0, got "
                f"{t.dtype} {t.shape}"
            )
        m = self._load_arrays("m", state)
        v = self._load_arrays("v", state)
        self.t, self.m, self.v = int(t), m, v


def _float_shape(name: str, value) -> tuple[tuple[int, ...], np.dtype]:
    """The shape and dtype of parameters[name], which must be a float32 or float64 array."""
    dtype = np.asarray(value).dtype
    if dtype not in FLOAT_DTYPES:
        raise TypeError(f"parameters[{name!r}] must be a float32 or float64 array, got {dtype}")
    return np.shape(value), dtype


def make_optimizer(
    name: str, parameters: Mapping[str, np.ndarray], lr: float, momentum: float = 0.9
) -> SGD | Adam:
    """ "sgd" → :class:`SGD` (lr, momentum); "adam" → :class:`Adam` (lr, default betas)."""
    if name == "sgd":
        return SGD(parameters, lr=lr, momentum=momentum)
    if name == "adam":
        return Adam(parameters, lr=lr)
    raise ValueError(f"optimizer must be one of {', '.join(map(repr, OPTIMIZERS))}; got {name!r}")
