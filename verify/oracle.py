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
import functools
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
from .variables import FlatFunction, Packing

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


@functools.cache
def _module(name: str):
    """The module ``name``, imported when first needed and then looked up once."""
    return importlib.import_module(name)


def naive_module():
    """verify.naive, imported when first needed."""
    return _module("verify.naive")


def cnnref_function(target: str) -> Callable[..., Any]:
    """cnnref's function named ``target``: a public name (``conv2d``) or the dotted name of a path
    the layers take (``conv.conv2d_activation`` is ``cnnref.conv.conv2d_activation``)."""
    if "." not in target:
        return getattr(cnnref, target)
    module, name = target.rsplit(".", 1)
    return getattr(_module(f"cnnref.{module}"), name)


def naive_function(target: str) -> Callable[..., Any]:
    """The naive twin of ``target``: ``verify.naive.<target>``, or for a dotted training path its
    composition of naive formulas in ``verify.naive.training_paths``."""
    if "." not in target:
        return getattr(naive_module(), target)
    return getattr(_module("verify.naive.training_paths"), target.rsplit(".")[-1])


def _snapshot(args: dict[str, Any]) -> dict[str, Any]:
    """Copies of the arguments: arrays (in their own memory layout) and lists of them; numbers,
    strings and None as they are (they cannot be changed in place)."""
    return {name: _copied(value) for name, value in args.items()}


def _copied(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.copy(order="K")
    if isinstance(value, list):
        return [_copied(item) for item in value]
    if value is None or isinstance(value, str | int | float):
        return value
    return copy.deepcopy(value)


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
    flat = _flat_function(case)
    if flat is not None:
        g = flat.packing.flatten(got)
        evaluations = _evaluate(case, flat, g, seed, mode)
    scale = _objective_scale(flat, references["naive"])
    _check_naive(case, got, result, references, scale)
    if flat is not None:
        _check_numerical(case, flat, g, evaluations, result, references, scale, mode)
    result.report = _report(case, result, got, references)
    return result


def _flat_function(case: Case) -> FlatFunction | None:
    """The case's scalar function of its flat variables (None for a case without one)."""
    if case.kind != "gradient" or case.objective is None:
        return None
    packing = Packing(case.params)
    return FlatFunction(packing, packing.flatten(case.params), case.objective, case.pattern)


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
    g2 = np.array(_second_upstream(len(case.name), g1.shape), dtype=case.dtype)
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


@functools.lru_cache(maxsize=4096)
def _second_upstream(seed: int, shape: tuple[int, ...]) -> np.ndarray:
    """g₂ of the linearity check, (N(0, 1) + 0.3)·0.7 from ``seed``: the same for every case of one
    name length and shape, so drawn once (read-only; callers copy it)."""
    g2 = (np.random.default_rng(seed).standard_normal(shape) + 0.3) * 0.7
    g2.flags.writeable = False
    return g2


def _replace(case: Case, name: str, value: np.ndarray) -> list[Any]:
    return [value if key == name else v for key, v in case.args.items()]


@dataclass(frozen=True)
class _Scale:
    """The objective's scale F and the per-element resolutions sⱼ of :mod:`verify.compare`: flat
    over the case's variables (``packing``), and per variable in ``resolution``."""

    objective: float
    variables: float
    packing: Packing | None = None
    flat_resolution: np.ndarray | float = 0.0
    resolution: dict[str, np.ndarray] = field(default_factory=dict)


_NO_SCALE = _Scale(0.0, 1.0)


def _objective_scale(flat: FlatFunction | None, naive: dict[str, np.ndarray]) -> _Scale:
    """F = max(abs(f(x)), maxₖ abs(naiveₖ)·max(abs(xₖ), 1)) and, per gradient,
    sⱼ = F / (SCALE_RATIO·max(abs(xⱼ), 1)) (none for a forward case); the naive twin gives the
    trusted first-order terms."""
    if flat is None:
        return _NO_SCALE
    packing, x = flat.packing, flat.x
    if not all(name in naive for name in packing.names):
        naive = {
            name: naive.get(name, np.zeros(shape))
            for name, shape in zip(packing.names, packing.shapes, strict=True)
        }
    ref = packing.flatten(naive)
    objective = compare.objective_scale(flat.value(), ref, x)
    variables = max(float(np.max(np.abs(x), initial=0.0)), 1.0)
    resolution = compare.resolution(objective, x)
    return _Scale(objective, variables, packing, resolution, packing.unflatten(resolution))


def _worst(
    oracle: str,
    packing: Packing,
    got: np.ndarray,
    ref: np.ndarray,
    dtype,
    resolution: np.ndarray | float = 0.0,
    errors: np.ndarray | None = None,
) -> Comparison:
    """The worst element over every gradient (flat ``got`` and ``ref``, one block per gradient);
    ``errors`` are the element errors when already computed."""
    tolerance = compare.tolerance(oracle, dtype)
    if errors is None:
        errors = compare.block_relative_errors(got, ref, packing.offsets, resolution)
    if errors.size == 0:
        return Comparison(oracle, 0.0, tolerance, packing.names[0] if packing.names else "")
    worst = int(np.argmax(errors))
    name, index = packing.locate(worst)
    return Comparison(oracle, float(errors[worst]), tolerance, name, index)


def _compare_named(
    oracle: str,
    got: dict[str, np.ndarray],
    ref: dict[str, np.ndarray],
    dtype,
    result: CaseResult,
    scale: _Scale = _NO_SCALE,
) -> None:
    """Record the worst element of every gradient of ``ref`` that ``got`` has too."""
    names = [name for name in ref if name in got]
    for name in names:
        if np.shape(got[name]) != np.shape(ref[name]):
            raise ValueError(
                f"got has shape {np.shape(got[name])} but the reference has shape "
                f"{np.shape(ref[name])}"
            )
    if scale.packing is not None and scale.packing.names == names:
        packing, resolution = scale.packing, scale.flat_resolution
    else:
        packing = Packing({name: ref[name] for name in names})
        resolution = packing.flatten(scale.resolution) if scale.resolution else 0.0
    result.comparisons[oracle] = _worst(
        oracle, packing, packing.flatten(got), packing.flatten(ref), dtype, resolution
    )


def _naive_reference(case: Case) -> dict[str, np.ndarray]:
    """The naive twin's result on the case's arguments, as float64 arrays."""
    outputs = case.outputs(naive_function(case.target)(*case.args.values(), **case.kwargs))
    return {k: np.asarray(v, np.float64) for k, v in outputs.items()}


def _check_naive(case: Case, got, result: CaseResult, references, scale: _Scale) -> None:
    _compare_named("naive", got, references["naive"], case.dtype, result, scale)
    for name, formula in case.naive_extra.items():
        alternative = {name: np.asarray(formula(naive_module()), np.float64)}
        references.setdefault("naive_formula", {}).update(alternative)
    if case.naive_extra:
        _compare_named("naive_formula", got, references["naive_formula"], case.dtype, result, scale)
        result.comparisons["naive_formula"].tolerance = compare.tolerance("naive", case.dtype)


_SCREEN_HALVINGS = np.array((0, *kinks.RETRY_HALVINGS))


@dataclass(frozen=True)
class _ScreenPlan:
    """The screen's random direction u, its step h = directional step / 2^halvings (the first that
    crosses no kink) and the Taylor test's steps (None when one of them crosses a kink)."""

    direction: np.ndarray
    step: float
    halvings: int
    taylor_steps: np.ndarray | None


@dataclass(frozen=True)
class _Evaluations:
    """What f's values at x, along the screen's direction and (full mode) at x ± hⱼeⱼ gave."""

    plan: _ScreenPlan | None
    screen: finite_diff.Screen | None
    diffs: finite_diff.ElementDifferences | None


def _plan_screen(flat: FlatFunction, rng: np.random.Generator) -> _ScreenPlan | None:
    """A direction whose step crosses no kink, tried with smaller steps (the kink pattern of every
    step along one direction in one call), then with a new direction; None when MAX_DIRECTIONS
    directions all cross one."""
    x = flat.x
    tries = finite_diff.directional_step(x) / 2.0**_SCREEN_HALVINGS
    taylor_steps = finite_diff.taylor_steps(x)
    for _ in range(MAX_DIRECTIONS):
        u = finite_diff.random_direction(rng, x.size)
        pair_crossed, taylor_crossed = _screen_crossings(flat, u, tries, taylor_steps)
        if pair_crossed.all():
            continue
        first = int(np.argmin(pair_crossed))
        return _ScreenPlan(
            u,
            float(tries[first]),
            int(_SCREEN_HALVINGS[first]),
            None if taylor_crossed else taylor_steps,
        )
    return None


def _evaluate(case: Case, flat: FlatFunction, g: np.ndarray, seed: int, mode: str) -> _Evaluations:
    """f at x, at the screen's rows and, in full mode, at every element's x ± hⱼeⱼ: the screen's
    direction and steps depend on the kink pattern only, so they are chosen first, and all the
    rows go in one batch when they fit in one call (finite_diff.CHUNK rows); larger cases build
    their element rows CHUNK at a time instead."""
    x = flat.x
    plan = _plan_screen(flat, np.random.default_rng([seed, len(case.name), x.size]))
    rows = np.empty((0, x.size))
    if plan is not None:
        rows = finite_diff.screen_rows(x, plan.direction, plan.step, plan.taylor_steps)
    count = len(rows)
    steps = finite_diff.element_steps(x) if mode == "full" else None
    together = steps is not None and 1 + count + 2 * x.size <= finite_diff.CHUNK
    if together:
        values = flat.around(rows, finite_diff.element_rows(x, steps, np.arange(x.size)))
    else:
        values = flat.around(rows)
    screen = diffs = None
    if plan is not None:
        screen = finite_diff.screen_from_values(
            values[:count], g, plan.direction, plan.step, plan.taylor_steps, flat.value()
        )
    if together:
        diffs = finite_diff.differences_from_values(values[count:], steps, flat.value())
    elif steps is not None:
        diffs = finite_diff.central_differences(
            flat.at, x, steps, value=flat.value(), along=flat.along
        )
    return _Evaluations(plan, screen, diffs)


def _check_numerical(
    case: Case,
    flat: FlatFunction,
    g: np.ndarray,
    evaluations: _Evaluations,
    result: CaseResult,
    references,
    scale: _Scale,
    mode: str,
) -> None:
    packing, x = flat.packing, flat.x
    screen_ok = _judge_screen(case, evaluations, g, result, scale)
    if mode == "full" or not screen_ok:
        fd, errors = _elementwise(case, flat, g, result, scale.flat_resolution, evaluations.diffs)
        references["central_fd"] = packing.unflatten(fd)
        result.comparisons["central_fd"] = _worst(
            "central_fd", packing, g, fd, case.dtype, errors=errors
        )
    if not case.analytic:
        result.refused["complex_step"] = "not analytic (relu or max): complex step refused"
        return
    try:
        cs = complex_step(flat.at, x, along=flat.along)
    except ComplexStepRefused as error:
        result.refused["complex_step"] = str(error)
        return
    references["complex_step"] = packing.unflatten(cs)
    result.comparisons["complex_step"] = _worst(
        "complex_step", packing, g, cs, case.dtype, scale.flat_resolution
    )


def _judge_screen(
    case: Case, evaluations: _Evaluations, g: np.ndarray, result: CaseResult, scale: _Scale
) -> bool:
    """The directional screen and the Taylor-remainder test along the same random direction.

    The floor of both is ρ times the largest of ‖g‖/√n, the difference quotient itself and the
    resolution F / (SCALE_RATIO · max(‖x‖∞, 1)) of a step along u (whose h scales with ‖x‖∞). A
    step that had to be halved widens the screen's tolerance by as much; a Taylor test whose steps
    cross a kink is skipped, and said so.
    """
    plan, screen = evaluations.plan, evaluations.screen
    if plan is None:
        result.kink_notes.append(
            f"directional screen skipped: {MAX_DIRECTIONS} random directions all crossed a kink"
        )
        return True
    resolution = scale.objective / (compare.SCALE_RATIO * scale.variables)
    d = screen.derivative
    typical = math.sqrt(float(g @ g)) / math.sqrt(g.size)
    floor = compare.FLOOR_FRACTION * max(typical, abs(d), resolution)
    result.comparisons["directional"] = Comparison(
        "directional",
        compare.scalar_error(float(np.dot(g, plan.direction)), d, floor),
        compare.tolerance("directional", case.dtype) * 2.0**plan.halvings,
    )
    if screen.taylor is None:
        result.kink_notes.append("Taylor-remainder test skipped: its steps cross a kink")
    else:
        result.comparisons["taylor"] = Comparison(
            "taylor",
            compare.scalar_error(screen.taylor.slope_error + d, d, floor),
            compare.tolerance("taylor", case.dtype),
        )
    return result.comparisons["directional"].passed


def _screen_crossings(
    flat: FlatFunction, u: np.ndarray, tries: np.ndarray, taylor_steps: np.ndarray
) -> tuple[np.ndarray, bool]:
    """Whether each step x ± h·u of ``tries`` crosses a kink, and whether any Taylor step
    x + hₖ·u does: one call of the kink pattern for all of them."""
    if flat.pattern is None:
        return np.zeros(tries.size, dtype=bool), False
    x = flat.x
    pairs = np.concatenate([x + tries[:, None] * u, x - tries[:, None] * u])
    crossed = flat.crossed(np.concatenate([pairs, finite_diff.taylor_points(x, u, taylor_steps)]))
    pair_crossed = crossed[: tries.size] | crossed[tries.size : 2 * tries.size]
    return pair_crossed, bool(crossed[2 * tries.size :].any())


def _elementwise(
    case: Case,
    flat: FlatFunction,
    g,
    result: CaseResult,
    resolution,
    diffs: finite_diff.ElementDifferences | None = None,
):
    """Central differences per element; elements that disagree are tested for a kink crossing,
    retried with smaller steps, and skipped (and reported) only if every step crosses a kink.

    A retried element's tolerance is widened by its step's halving factor (finite-difference
    rounding grows as 1/h), and a skipped one takes the gradient's own value. Both change the
    reference's per-gradient scale ‖ref‖∞, hence every element's floor, so the errors are taken
    again and any element that now disagrees is tested in turn, until none is left untested.
    ``diffs`` are the first differences when already evaluated. Returns the reference (skipped
    elements as g) and the element errors against it, each divided by its allowance."""
    packing, x = flat.packing, flat.x
    if diffs is None:
        diffs = finite_diff.central_differences(flat.at, x, value=flat.value(), along=flat.along)
    errors = compare.block_relative_errors(g, diffs.central, packing.offsets, resolution)
    if case.pattern is None and case.analytic:
        return diffs.central, errors
    fd = diffs.central.copy()
    skipped, tested = np.zeros(x.size, dtype=bool), np.zeros(x.size, dtype=bool)
    allowance = np.ones(x.size)
    tol = compare.tolerance("central_fd", case.dtype)
    while True:
        suspects = np.flatnonzero((errors > tol) & ~tested)
        if suspects.size == 0:
            return np.where(skipped, g, fd), errors
        tested[suspects] = True
        kinked = suspects[_kink_crossings(case, flat, diffs, suspects)]
        _retry_with_smaller_steps(flat, diffs, kinked, fd, allowance, skipped, result)
        reference = np.where(skipped, g, fd)
        errors = compare.block_relative_errors(g, reference, packing.offsets, resolution)
        errors /= allowance


def _retry_with_smaller_steps(
    flat: FlatFunction, diffs, kinked: np.ndarray, fd, allowance, skipped, result: CaseResult
) -> None:
    """Each element whose step crossed a kink gets the central difference of the first step
    h/2^k (k in RETRY_HALVINGS) that crosses none, its tolerance widened by 2^k; it is skipped
    when every step crosses one. Every pending element is tried at each k in one batch."""
    notes: dict[int, str] = {}
    pending = kinked
    for halvings in kinks.RETRY_HALVINGS:
        if pending.size == 0:
            break
        steps = diffs.steps[pending] / 2.0**halvings
        crossed = flat.crossed_along(
            np.concatenate([pending, pending]), np.concatenate([steps, -steps])
        )
        clear = ~(crossed[: pending.size] | crossed[pending.size :])
        if clear.any():
            retry = finite_diff.central_differences(
                flat.at,
                flat.x,
                steps[clear],
                index=pending[clear],
                value=diffs.value,
                along=flat.along,
            )
            fd[pending[clear]] = retry.central
            allowance[pending[clear]] = 2.0**halvings
            for j in pending[clear]:
                notes[int(j)] = f"step crossed a kink; retried with h/2^{halvings}"
        pending = pending[~clear]
    skipped[pending] = True
    for j in pending:
        notes[int(j)] = "every step crosses a kink; skipped"
    for j in kinked:
        name, index = flat.packing.locate(int(j))
        result.kink_notes.append(f"{name}{list(index)}: {notes[int(j)]}")
    result.kinks_skipped = int(skipped.sum())


def _kink_crossings(case: Case, flat: FlatFunction, diffs, suspects: np.ndarray) -> np.ndarray:
    """Which suspect elements' steps cross a kink: the pattern changes, or (non-analytic f) the
    one-sided quotients do not halve their disagreement when h halves."""
    steps = diffs.steps[suspects]
    crossed = flat.crossed_along(
        np.concatenate([suspects, suspects]), np.concatenate([steps, -steps])
    )
    flagged = crossed[: suspects.size] | crossed[suspects.size :]
    if not case.analytic:
        half = finite_diff.central_differences(
            flat.at, flat.x, steps / 2.0, index=suspects, value=diffs.value, along=flat.along
        )
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
