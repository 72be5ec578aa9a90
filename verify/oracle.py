"""Run one registry case through every oracle and return a structured verdict.

For a gradient case the implementation's result is checked by

- structural checks: it does not raise, leaves its inputs alone, returns the right shapes and
  dtype, finite values, the same numbers on a repeated call, zero for a zero upstream gradient and
  a linear function of the upstream gradient;
- ``naive``: the index-sum twin in :mod:`verify.naive` (float64);
- ``central_fd``: per-element central differences of the case's scalar function (float64), with
  kink detection and retries (:mod:`verify.kinks`);
- ``directional``: ⟨g, u⟩ against a central difference along a random unit u;
- ``taylor``: the Taylor-remainder test along the same u;
- ``complex_step``: Im f(x + ih)/h per element, where the function is analytic (else refused).

A forward case runs the structural checks and ``naive``. Every comparison uses the floored relative
error and the tolerance of :mod:`verify.compare`. In ``screen`` mode the per-element differences
run only when the directional screen fails, to name the wrong element.
"""

from __future__ import annotations

import copy
import importlib
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import cnnref

from . import compare, finite_diff, kinks
from .complex_step import ComplexStepRefused, complex_step
from .registry import Case

MAX_DIRECTIONS = 3


@dataclass
class Comparison:
    """One oracle's verdict on one case: the worst error, its tolerance, and where it occurred."""

    oracle: str
    error: float
    tolerance: float
    gradient: str = ""
    index: tuple[int, ...] = ()

    @property
    def passed(self) -> bool:
        return self.error <= self.tolerance


@dataclass
class CaseResult:
    """Everything the oracle found about one case."""

    name: str
    target: str
    shapes: str
    dtype: str
    comparisons: dict[str, Comparison] = field(default_factory=dict)
    refused: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    kinks_skipped: int = 0
    kink_notes: list[str] = field(default_factory=list)
    report: str = ""

    @property
    def passed(self) -> bool:
        return not self.problems and all(c.passed for c in self.comparisons.values())

    def error(self, oracle: str) -> float | None:
        found = self.comparisons.get(oracle)
        return None if found is None else found.error

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready summary."""
        return {
            "case": self.name,
            "target": self.target,
            "shapes": self.shapes,
            "dtype": self.dtype,
            "passed": self.passed,
            "errors": {
                k: {
                    "error": _json_float(c.error),
                    "tolerance": c.tolerance,
                    "gradient": c.gradient,
                    "index": list(c.index),
                }
                for k, c in self.comparisons.items()
            },
            "refused": self.refused,
            "kinks_skipped": self.kinks_skipped,
            "kink_notes": self.kink_notes,
            "problems": self.problems,
            "report": self.report,
        }


def _json_float(value: float) -> float | str:
    return value if math.isfinite(value) else str(value)


class _Packing:
    """Flattens named parameter arrays into one float64 vector and back (with a batch axis)."""

    def __init__(self, params: dict[str, np.ndarray]) -> None:
        self.names = list(params)
        self.shapes = [np.shape(params[n]) for n in self.names]
        sizes = [int(np.prod(s)) for s in self.shapes]
        self.offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(int)

    def flatten(self, arrays: dict[str, np.ndarray]) -> np.ndarray:
        return np.concatenate([np.asarray(arrays[n], np.float64).reshape(-1) for n in self.names])

    def unflatten(self, flat: np.ndarray) -> dict[str, np.ndarray]:
        lead = flat.shape[:-1]
        return {
            name: flat[..., self.offsets[i] : self.offsets[i + 1]].reshape(*lead, *shape)
            for i, (name, shape) in enumerate(zip(self.names, self.shapes, strict=True))
        }

    def locate(self, flat_index: int) -> tuple[str, tuple[int, ...]]:
        i = int(np.searchsorted(self.offsets, flat_index, side="right")) - 1
        local = np.unravel_index(flat_index - self.offsets[i], self.shapes[i])
        return self.names[i], tuple(int(v) for v in local)


def naive_module():
    """verify.naive, imported when first needed."""
    return importlib.import_module("verify.naive")


def cnnref_function(target: str) -> Callable[..., Any]:
    """cnnref's function named ``target``: a public name (``conv2d``) or the dotted name of a path
    the layers take (``conv.conv2d_activation`` is ``cnnref.conv.conv2d_activation``)."""
    if "." not in target:
        return getattr(cnnref, target)
    module, name = target.rsplit(".", 1)
    return getattr(importlib.import_module(f"cnnref.{module}"), name)


def naive_function(target: str) -> Callable[..., Any]:
    """The naive twin of ``target``: ``verify.naive.<target>``, or for a dotted training path its
    composition of naive formulas in ``verify.naive.training_paths``."""
    if "." not in target:
        return getattr(naive_module(), target)
    return getattr(importlib.import_module("verify.naive.training_paths"), target.rsplit(".")[-1])


def _snapshot(args: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(args)


def run_case(
    case: Case,
    function: Callable[..., Any] | None = None,
    *,
    seed: int = 0,
    mode: str = "full",
) -> CaseResult:
    """Check ``function`` (default: cnnref's own ``case.target``) on ``case`` with every oracle."""
    if mode not in ("full", "screen"):
        raise ValueError(f"mode must be 'full' or 'screen', got {mode!r}")
    function = cnnref_function(case.target) if function is None else function
    result = CaseResult(case.name, case.target, case.shapes, case.dtype.name)
    references = {"naive": _naive_reference(case)}
    got = _call_checked(case, function, result, references["naive"])
    if got is None:
        result.report = _report(case, result, {}, {})
        return result
    scale = _objective_scale(case, references["naive"])
    _check_naive(case, got, result, references, scale)
    if case.kind == "gradient" and case.objective is not None:
        _check_numerical(case, got, result, references, scale, seed, mode)
    result.report = _report(case, result, got, references)
    return result


def _call_checked(
    case: Case, function, result: CaseResult, naive: dict[str, np.ndarray]
) -> dict[str, np.ndarray] | None:
    """Call the implementation and run the structural checks; None when it could not be used."""
    before = _snapshot(case.args)
    try:
        raw = case.call(function)
        outputs = case.outputs(raw)
    except Exception as error:  # any exception from the implementation is a finding, not a crash
        result.problems.append(f"raised {type(error).__name__}: {error}")
        return None
    result.problems += compare.unmodified_problems(before, case.args)
    for name in list(before):
        case.args[name] = before[name]
    expected = _expected_shapes(case, naive)
    for name, value in outputs.items():
        if name not in expected:
            result.problems.append(f"unexpected output {name!r}")
            continue
        if case.target != "log_likelihood":
            result.problems += compare.shape_dtype_problems(name, value, expected[name], case.dtype)
        if isinstance(value, np.ndarray) and value.dtype.kind in "fc":
            result.problems += compare.nonfinite_problems(name, value)
    missing = sorted(set(expected) - set(outputs))
    if missing:
        result.problems.append(f"missing outputs: {', '.join(missing)}")
    if result.problems:
        return None
    try:
        again = case.outputs(case.call(function))
    except Exception as error:
        result.problems.append(f"a repeated call raised {type(error).__name__}: {error}")
        return None
    for name in outputs:
        result.problems += compare.repeat_problems(name, outputs[name], again[name])
    if case.upstream is not None:
        _check_upstream(case, function, outputs, result)
    return {name: np.asarray(v) for name, v in outputs.items()}


def _expected_shapes(case: Case, naive: dict[str, np.ndarray]) -> dict[str, tuple[int, ...]]:
    """A gradient per variable, shaped like it; a forward case's outputs shaped like the naive's."""
    source = case.params if case.kind == "gradient" else naive
    return {name: np.shape(value) for name, value in source.items()}


def _check_upstream(case: Case, function, outputs, result: CaseResult) -> None:
    """Zero upstream → zero gradient; F(α g₁ + β g₂) = α F(g₁) + β F(g₂)."""
    name = case.upstream
    g1 = case.args[name]
    rng = np.random.default_rng(len(case.name))
    g2 = np.ascontiguousarray((rng.standard_normal(g1.shape) + 0.3) * 0.7, dtype=case.dtype)
    alpha, beta = 0.75, -1.25
    combined_up = np.ascontiguousarray(alpha * g1 + beta * g2, dtype=case.dtype)
    try:
        zero = case.outputs(function(*_replace(case, name, np.zeros_like(g1)), **case.kwargs))
        second = case.outputs(function(*_replace(case, name, g2), **case.kwargs))
        combined = case.outputs(function(*_replace(case, name, combined_up), **case.kwargs))
    except Exception as error:
        result.problems.append(f"a call with another upstream gradient raised {error!r}")
        return
    for out in outputs:
        result.problems += compare.zero_problems(out, zero[out])
        expected = alpha * np.asarray(outputs[out], np.float64) + beta * np.asarray(
            second[out], np.float64
        )
        result.problems += compare.linearity_problems(out, combined[out], expected, case.dtype)


def _replace(case: Case, name: str, value: np.ndarray) -> list[Any]:
    return [value if key == name else v for key, v in case.args.items()]


@dataclass(frozen=True)
class _Scale:
    """The objective's scale F and the per-element resolutions sⱼ of :mod:`verify.compare`."""

    objective: float
    variables: float
    resolution: dict[str, np.ndarray]


_NO_SCALE = _Scale(0.0, 1.0, {})


def _objective_scale(case: Case, naive: dict[str, np.ndarray]) -> _Scale:
    """F = max(abs(f(x)), maxₖ abs(naiveₖ)·max(abs(xₖ), 1)) and, per gradient,
    sⱼ = F / (SCALE_RATIO·max(abs(xⱼ), 1)) (none for a forward case); the naive twin gives the
    trusted first-order terms."""
    if case.kind != "gradient" or case.objective is None:
        return _NO_SCALE
    packing = _Packing(case.params)
    x = packing.flatten(case.params)
    value = float(np.asarray(case.objective(packing.unflatten(x[None, :])))[0])
    ref = packing.flatten(
        {name: naive.get(name, np.zeros(np.shape(case.params[name]))) for name in packing.names}
    )
    objective = compare.objective_scale(value, ref, x)
    variables = max(float(np.max(np.abs(x), initial=0.0)), 1.0)
    return _Scale(objective, variables, packing.unflatten(compare.resolution(objective, x)))


def _compare_all(
    oracle: str,
    got: dict[str, np.ndarray],
    ref: dict[str, np.ndarray],
    dtype,
    result: CaseResult,
    scale: _Scale = _NO_SCALE,
    allowance: dict[str, np.ndarray] | None = None,
) -> None:
    """Record the worst element over every gradient; ``allowance`` (≥ 1 per element) widens the
    tolerance where a smaller step was needed (finite-difference rounding grows as 1/h)."""
    worst = Comparison(oracle, 0.0, compare.tolerance(oracle, dtype))
    for name, value in ref.items():
        if name not in got:
            continue
        resolution = scale.resolution.get(name, 0.0)
        mismatch = compare.worst_element(got[name], value, resolution)
        if allowance is not None:
            scaled = compare.relative_errors(got[name], value, resolution) / allowance[name]
            index = tuple(int(i) for i in np.unravel_index(int(np.argmax(scaled)), value.shape))
            mismatch = compare.Mismatch(float(scaled[index]), index, 0.0, 0.0)
        if mismatch.error > worst.error or not worst.gradient:
            worst = Comparison(oracle, mismatch.error, worst.tolerance, name, mismatch.index)
    result.comparisons[oracle] = worst


def _naive_outputs(case: Case) -> dict[str, np.ndarray]:
    """The naive twin's result on the case's arguments (``algorithm`` is cnnref's alone)."""
    kwargs = {k: v for k, v in case.kwargs.items() if k != "algorithm"}
    return case.outputs(naive_function(case.target)(*case.args.values(), **kwargs))


def _naive_reference(case: Case) -> dict[str, np.ndarray]:
    return {k: np.asarray(v, np.float64) for k, v in _naive_outputs(case).items()}


def _check_naive(case: Case, got, result: CaseResult, references, scale: _Scale) -> None:
    naive = naive_module()
    _compare_all("naive", got, references["naive"], case.dtype, result, scale)
    for name, formula in case.naive_extra.items():
        alternative = {name: np.asarray(formula(naive), np.float64)}
        references.setdefault("naive_formula", {}).update(alternative)
    if case.naive_extra:
        _compare_all("naive_formula", got, references["naive_formula"], case.dtype, result, scale)
        result.comparisons["naive_formula"].tolerance = compare.tolerance("naive", case.dtype)


def _check_numerical(
    case: Case, got, result: CaseResult, references, scale: _Scale, seed: int, mode: str
) -> None:
    packing = _Packing(case.params)
    x = packing.flatten(case.params)
    g = packing.flatten(got)

    def f(points: np.ndarray) -> np.ndarray:
        return np.asarray(case.objective(packing.unflatten(points)))

    def crossed(points: np.ndarray) -> np.ndarray:
        if case.pattern is None:
            return np.zeros(len(points), dtype=bool)
        base = case.pattern(packing.unflatten(x))
        return kinks.pattern_changed(base, case.pattern(packing.unflatten(points)), len(points))

    rng = np.random.default_rng([seed, len(case.name), x.size])
    screen_ok = _directional(case, f, crossed, x, g, rng, result, scale)
    if mode == "full" or not screen_ok:
        resolution = packing.flatten(scale.resolution)
        fd, skipped, allowance = _elementwise(case, f, crossed, x, g, packing, result, resolution)
        references["central_fd"] = packing.unflatten(fd)
        for name in got:
            if name in references["central_fd"]:
                ref = references["central_fd"][name]
                references["central_fd"][name] = np.where(
                    packing.unflatten(skipped)[name], got[name], ref
                )
        _compare_all(
            "central_fd",
            got,
            references["central_fd"],
            case.dtype,
            result,
            scale,
            packing.unflatten(allowance),
        )
    if not case.analytic:
        result.refused["complex_step"] = "not analytic (relu or max): complex step refused"
        return
    try:
        cs = complex_step(f, x)
    except ComplexStepRefused as error:
        result.refused["complex_step"] = str(error)
        return
    references["complex_step"] = packing.unflatten(cs)
    _compare_all("complex_step", got, references["complex_step"], case.dtype, result, scale)


def _directional(case: Case, f, crossed, x, g, rng, result: CaseResult, scale: _Scale) -> bool:
    """The directional screen and the Taylor-remainder test along the same random direction.

    A direction whose step crosses a kink is retried with smaller steps, then with a new direction;
    the Taylor test (larger steps) is skipped, and said so, when its steps cross a kink. The floor
    of both is ρ times the largest of ‖g‖/√n, the difference quotient itself and the resolution
    F / (SCALE_RATIO · max(‖x‖∞, 1)) of a step along u (whose h scales with ‖x‖∞).
    """
    resolution = scale.objective / (compare.SCALE_RATIO * scale.variables)
    scale = max(float(np.max(np.abs(x), initial=0.0)), 1.0)
    for _ in range(MAX_DIRECTIONS):
        u = finite_diff.random_direction(rng, x.size)
        for halvings in (0, *kinks.RETRY_HALVINGS):
            h = finite_diff.directional_step(x) / 2.0**halvings
            if not np.any(crossed(np.stack([x + h * u, x - h * u]))):
                break
        else:
            continue
        d = finite_diff.directional_derivative(f, x, u, h)
        typical = float(np.linalg.norm(g)) / math.sqrt(x.size)
        floor = compare.FLOOR_FRACTION * max(typical, abs(d), resolution)
        result.comparisons["directional"] = Comparison(
            "directional",
            compare.scalar_error(float(np.dot(g, u)), d, floor),
            compare.tolerance("directional", case.dtype) * 2.0**halvings,
        )
        taylor_h0 = 1e-3 * scale
        if np.any(crossed(np.stack([x + taylor_h0 / 2.0**k * u for k in range(4)]))):
            result.kink_notes.append("Taylor-remainder test skipped: its steps cross a kink")
        else:
            taylor = finite_diff.taylor_remainder(f, x, g, u, taylor_h0)
            result.comparisons["taylor"] = Comparison(
                "taylor",
                compare.scalar_error(taylor.slope_error + d, d, floor),
                compare.tolerance("taylor", case.dtype),
            )
        return result.comparisons["directional"].passed
    result.kink_notes.append(
        f"directional screen skipped: {MAX_DIRECTIONS} random directions all crossed a kink"
    )
    return True


def _elementwise(
    case: Case, f, crossed, x, g, packing: _Packing, result: CaseResult, resolution: np.ndarray
):
    """Central differences per element; elements that disagree are tested for a kink crossing,
    retried with smaller steps, and skipped (and reported) only if every step crosses a kink."""
    diffs = finite_diff.central_differences(f, x)
    fd = diffs.central.copy()
    skipped = np.zeros(x.size, dtype=bool)
    allowance = np.ones(x.size)
    tol = compare.tolerance("central_fd", case.dtype)
    suspects = _disagreeing(packing, g, fd, tol, resolution)
    if suspects.size == 0 or (case.pattern is None and case.analytic):
        return fd, skipped, allowance
    kinked = _kink_crossings(case, f, crossed, x, diffs, suspects)
    for j in suspects[kinked]:
        h = diffs.steps[j]
        for halvings in kinks.RETRY_HALVINGS:
            step = h / 2.0**halvings
            probe = np.stack([x, x])
            probe[0, j] += step
            probe[1, j] -= step
            if not np.any(crossed(probe)):
                retry = finite_diff.central_differences(f, x, np.array([step]), index=j)
                fd[j] = retry.central[0]
                allowance[j] = 2.0**halvings
                name, index = packing.locate(int(j))
                result.kink_notes.append(
                    f"{name}{list(index)}: step crossed a kink; retried with h/2^{halvings}"
                )
                break
        else:
            skipped[j] = True
            name, index = packing.locate(int(j))
            result.kink_notes.append(f"{name}{list(index)}: every step crosses a kink; skipped")
    result.kinks_skipped = int(skipped.sum())
    return fd, skipped, allowance


def _disagreeing(packing: _Packing, g, fd, tol: float, resolution: np.ndarray) -> np.ndarray:
    bad = []
    for i in range(len(packing.names)):
        lo, hi = packing.offsets[i], packing.offsets[i + 1]
        err = compare.relative_errors(g[lo:hi], fd[lo:hi], resolution[lo:hi])
        bad.append(lo + np.flatnonzero(err > tol))
    return np.concatenate(bad).astype(int)


def _kink_crossings(case: Case, f, crossed, x, diffs, suspects: np.ndarray) -> np.ndarray:
    """Which suspect elements' steps cross a kink: the pattern changes, or (non-analytic f) the
    one-sided quotients do not halve their disagreement when h halves."""
    plus = np.tile(x, (suspects.size, 1))
    minus = np.tile(x, (suspects.size, 1))
    rows = np.arange(suspects.size)
    plus[rows, suspects] += diffs.steps[suspects]
    minus[rows, suspects] -= diffs.steps[suspects]
    flagged = crossed(plus) | crossed(minus)
    if not case.analytic:
        half = finite_diff.central_differences(f, x, diffs.steps[suspects] / 2.0, index=suspects)
        noise = 64 * finite_diff.EPS64 * max(abs(diffs.value), 1.0) / np.min(diffs.steps)
        flagged |= kinks.one_sided_disagree(
            diffs.forward[suspects], diffs.backward[suspects], half.forward, half.backward, noise
        )
    return flagged


def _report(case: Case, result: CaseResult, got, references) -> str:
    """A failure report a student can act on: the gradient, the worst element's index, its value
    under every method, and the error."""
    if result.passed:
        return ""
    lines = [f"FAIL {case.name}  ({case.shapes})"]
    lines += [f"  {p}" for p in result.problems]
    for comparison in result.comparisons.values():
        if comparison.passed:
            continue
        lines.append(
            f"  vs {comparison.oracle}: rel. error {comparison.error:.3g} > tolerance "
            f"{comparison.tolerance:.2g}"
            + (f" at {comparison.gradient}{list(comparison.index)}" if comparison.gradient else "")
        )
        if comparison.gradient and comparison.gradient in got:
            idx = comparison.index
            values = [f"closed form {float(got[comparison.gradient][idx]):.10g}"]
            for method, ref in references.items():
                if comparison.gradient in ref:
                    label = compare.LABELS[method]
                    values.append(f"{label} {float(ref[comparison.gradient][idx]):.10g}")
            lines.append("    values: " + ", ".join(values))
    return "\n".join(lines)


@dataclass
class MutantRun:
    """The oracle's verdicts on every case of one mutant's target."""

    name: str
    label: str
    target: str
    results: list[CaseResult]

    @property
    def caught(self) -> int:
        return sum(not r.passed for r in self.results)

    @property
    def rejected(self) -> bool:
        """A mutant is rejected when at least one case catches it."""
        return self.caught > 0

    @property
    def catch_rate(self) -> float:
        return self.caught / len(self.results) if self.results else 0.0


def run_mutant(mutant, *, seed: int = 0, mode: str = "full") -> MutantRun:
    """Run ``mutant`` (anything with .name, .label, .target, .function) on its target's cases."""
    from .registry import cases

    results = [
        run_case(case, mutant.function, seed=seed, mode=mode)
        for case in cases(seed, [mutant.target])
    ]
    return MutantRun(mutant.name, mutant.label, mutant.target, results)
