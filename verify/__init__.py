"""verify: the gradient oracle for cnnref.

It proves every closed-form gradient cnnref exports four ways — against naive index sums
(:mod:`verify.naive`), per-element central differences and a directional screen with a
Taylor-remainder test (:mod:`verify.finite_diff`), and the complex step where the function is
analytic (:mod:`verify.complex_step`) — with kink-aware inputs and detection (:mod:`verify.kinks`),
derived tolerances and structural checks (:mod:`verify.compare`). :mod:`verify.registry` lists a
case generator for every cnnref function; :mod:`verify.mutants` holds wrong implementations the
oracle must reject; both are assembled from ``verify/cases/<topic>.py``, one module per topic of
cnnref's functional API, as the naive twins are in ``verify/naive/<topic>.py``. ``cnnref verify`` /
``python -m verify`` run it all.

Public API::

    from verify import REGISTRY, MUTANTS, run_case, run_mutant
    from verify.registry import cases

    results = [run_case(case) for case in cases(seed=0)]
    assert all(r.passed for r in results)
"""

from __future__ import annotations

from .compare import tolerance
from .mutants import MUTANTS, Mutant
from .oracle import CaseResult, Comparison, MutantRun, run_case, run_mutant
from .registry import REGISTRY, Case, Entry, random_case

__all__ = [
    "MUTANTS",
    "REGISTRY",
    "Case",
    "CaseResult",
    "Comparison",
    "Entry",
    "Mutant",
    "MutantRun",
    "random_case",
    "run_case",
    "run_mutant",
    "tolerance",
]
