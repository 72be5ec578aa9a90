"""``cnnref verify`` (and ``python -m verify``): run the oracle over the registry or the mutants.

Prints one row per case — the gradient, its shapes, the maximum relative error against the naive
index sums, central differences, the directional screen and the complex step, the kinks skipped, and
pass/fail — then the failure reports. ``--json`` prints the same as JSON; ``--mutants`` runs every
mutant and prints its catch rate. The exit status is 0 only when everything passes (for
``--mutants``: when every mutant is rejected).
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from verify import mutants, oracle, registry


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``cnnref verify``."""
    parser.add_argument("--seed", type=int, default=0, help="seed of inputs and directions (0)")
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")
    parser.add_argument(
        "--mutants", action="store_true", help="run the oracle on every mutant; print catch rates"
    )
    parser.add_argument(
        "--target",
        action="append",
        choices=sorted(registry.REGISTRY),
        metavar="NAME",
        help="check only this cnnref function (repeatable)",
    )
    parser.add_argument(
        "--mode",
        choices=("full", "screen"),
        default="full",
        help="full: per-element differences always; screen: only when the directional screen fails",
    )


def _cell(result: oracle.CaseResult, name: str) -> str:
    if name in result.refused:
        return "refused"
    error = result.error(name)
    return "—" if error is None else f"{error:.1e}"


def _table(results: list[oracle.CaseResult]) -> str:
    header = ("case", "shapes", "naive", "central FD", "complex step", "directional", "kinks", "")
    rows = [header]
    for r in results:
        rows.append(
            (
                r.name,
                r.shapes,
                _cell(r, "naive"),
                _cell(r, "central_fd"),
                _cell(r, "complex_step"),
                _cell(r, "directional"),
                str(r.kinks_skipped),
                "pass" if r.passed else "FAIL",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows
    )


def _run_registry(args: argparse.Namespace) -> int:
    start = time.perf_counter()
    results = [
        oracle.run_case(case, seed=args.seed, mode=args.mode)
        for case in registry.cases(args.seed, args.target)
    ]
    elapsed = time.perf_counter() - start
    failed = [r for r in results if not r.passed]
    if args.json:
        summary = {
            "seed": args.seed,
            "cases": len(results),
            "failed": len(failed),
            "seconds": round(elapsed, 3),
            "results": [r.as_dict() for r in results],
        }
        print(json.dumps(summary, indent=2))
    else:
        print(_table(results))
        for r in failed:
            print()
            print(r.report)
        print(
            f"\n{len(results) - len(failed)}/{len(results)} cases passed in {elapsed:.1f} s "
            f"(seed {args.seed})"
        )
    return 0 if not failed else 1


def _run_mutants(args: argparse.Namespace) -> int:
    start = time.perf_counter()
    chosen = [m for m in mutants.MUTANTS if args.target is None or m.target in args.target]
    runs = [oracle.run_mutant(m, seed=args.seed, mode=args.mode) for m in chosen]
    elapsed = time.perf_counter() - start
    escaped = [run for run in runs if not run.rejected]
    if args.json:
        print(
            json.dumps(
                {
                    "seed": args.seed,
                    "mutants": len(runs),
                    "escaped": len(escaped),
                    "seconds": round(elapsed, 3),
                    "results": [
                        {
                            "mutant": r.name,
                            "label": r.label,
                            "target": r.target,
                            "caught": r.caught,
                            "cases": len(r.results),
                            "rejected": r.rejected,
                        }
                        for r in runs
                    ],
                },
                indent=2,
            )
        )
    else:
        rows = [("mutant", "target", "caught", "rate", "", "mistake")]
        for r in runs:
            rows.append(
                (
                    r.name,
                    r.target,
                    f"{r.caught}/{len(r.results)}",
                    f"{r.catch_rate:.0%}",
                    "rejected" if r.rejected else "ESCAPED",
                    r.label,
                )
            )
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        for row in rows:
            print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        print(
            f"\n{len(runs) - len(escaped)}/{len(runs)} mutants rejected in {elapsed:.1f} s "
            f"(seed {args.seed})"
        )
    return 0 if not escaped else 1


def run(args: argparse.Namespace) -> int:
    """Run the registry (or, with ``--mutants``, the mutant catalogue); 0 when everything passes."""
    return _run_mutants(args) if args.mutants else _run_registry(args)


def main(argv: list[str] | None = None) -> int:
    """``python -m verify`` with the same options as ``cnnref verify``."""
    parser = argparse.ArgumentParser(prog="python -m verify", description=__doc__.splitlines()[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
