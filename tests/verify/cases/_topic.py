"""What every topic's case tests check: the reference passes each case, each mutant is rejected."""

from __future__ import annotations

from types import ModuleType

from verify import oracle, registry
from verify.cases.case import Case, Mutant


def topic_cases(topic: ModuleType) -> list[Case]:
    """The registry's cases (seed 0) of the functions ``topic`` has entries for."""
    entries = (
        *topic.GRADIENT_ENTRIES,
        *topic.FORWARD_ENTRIES,
        *getattr(topic, "DIRECT_ENTRIES", ()),
    )
    return list(registry.cases(seed=0, targets=[entry.target for entry in entries]))


def check_reference_passes(case: Case) -> None:
    result = oracle.run_case(case)
    assert result.passed, result.report
    assert "naive" in result.comparisons
    if case.kind == "gradient":
        assert ("central_fd" in result.comparisons and "directional" in result.comparisons) or (
            result.kink_notes
        )
        assert ("complex_step" in result.comparisons) == case.analytic


def check_mutant_rejected(mutant: Mutant) -> None:
    run = oracle.run_mutant(mutant)
    assert run.rejected, f"{mutant.name} ({mutant.label}) passed every case"
    caught = next(r for r in run.results if not r.passed)
    assert caught.report.startswith("FAIL ")
