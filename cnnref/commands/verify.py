"""``cnnref verify`` (and ``python -m verify``): run the oracle over the registry or the mutants.

Prints a table at most 100 columns wide — a heading line per gradient, then a row per case with the
maximum relative error of every method the oracle runs (the naive twin, the notes' formula where the
case has one, central differences, the complex step, the directional screen, the Taylor test), the
kinks skipped, and pass/fail — then the failure reports. ``--wide`` prints one line per case with
its shapes instead; ``--json`` prints everything as JSON; ``--mutants`` runs every mutant and prints
its catch rate. The exit status is 0 only when everything passes (for ``--mutants``: when every
mutant is rejected).
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
import time

from verify import compare, mutants, oracle, registry

from ..validation import nonnegative_int_option


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``cnnref verify``."""
    parser.add_argument(
        "--seed",
        type=nonnegative_int_option,
        default=0,
        help="seed of inputs and directions, >= 0 (default 0)",
    )
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")
    parser.add_argument(
        "--wide", action="store_true", help="one line per case with its shapes, however wide"
    )
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


# Every comparison the oracle runs, in the order of the table: (key, the table's two-line heading).
METHODS = (
    ("naive", ("naive", "twin")),
    ("naive_formula", ("notes'", "formula")),
    ("central_fd", ("central", "diff.")),
    ("complex_step", ("complex", "step")),
    ("directional", ("direc-", "tional")),
    ("taylor", ("Taylor", "test")),
)
TABLE_WIDTH = 100
LEGEND = (
    "Maximum relative error of each method (— not run for this case; refused: the method does not\n"
    "apply). naive twin: verify.naive's index sums; notes' formula: the notes' form of the same\n"
    "gradient; central diff.: per-element central differences; complex step: Im f(x + ih)/h;\n"
    "directional: <g, u> against a difference along a random u; Taylor test: the remainder's\n"
    "slope along u; kinks: difference steps that crossed a kink, skipped. Shapes and full case\n"
    "names: --wide; everything: --json."
)


def _cell(result: oracle.CaseResult, name: str) -> str:
    if name in result.refused:
        return "refused"
    error = result.error(name)
    return "—" if error is None else f"{error:.1e}"


def _layout(header_lines: list[tuple[str, ...]], rows: list[tuple[str, ...]]) -> list[str]:
    """Left-aligned columns two spaces apart; a row of one cell is a heading line on its own."""
    table = [row for row in [*header_lines, *rows] if len(row) > 1]
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    return [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        if len(row) > 1
        else row[0]
        for row in [*header_lines, *rows]
    ]


def _method_cells(r: oracle.CaseResult) -> tuple[str, ...]:
    verdict = "pass" if r.passed else "FAIL"
    return (*(_cell(r, key) for key, _ in METHODS), str(r.kinks_skipped), verdict)


def _table(results: list[oracle.CaseResult]) -> str:
    """At most TABLE_WIDTH columns: one heading line per gradient, then a row per case labelled
    with its settings (wrapped inside the first column when long), one column per method."""
    headings = [tuple(heading[line] for _, heading in METHODS) for line in (0, 1)]
    header = [("", *headings[0], "kinks", ""), ("case", *headings[1], "", "")]
    cells = [header[0][1:], header[1][1:], *(_method_cells(r) for r in results)]
    cells_width = sum(max(len(row[i]) + 2 for row in cells) for i in range(len(cells[0])))
    label_width = max(TABLE_WIDTH - cells_width, 24)
    rows: list[tuple[str, ...]] = []
    target = None
    for r in results:
        if r.target != target:
            target = r.target
            rows.append((target,))
        settings = r.name[len(r.target) :].strip("[]") or r.dtype
        lines = textwrap.wrap(settings, label_width - 2, break_on_hyphens=False) or [""]
        lines = [lines[0], *(f"  {line}" for line in lines[1:])]
        rows.append((f"  {lines[0]}", *_method_cells(r)))
        rows += [(f"  {line}", *[""] * (len(METHODS) + 2)) for line in lines[1:]]
    return "\n".join([*LEGEND.splitlines(), "", *_layout(header, rows)])


def _wide_table(results: list[oracle.CaseResult]) -> str:
    """One line per case with its full name and shapes, however wide that is."""
    headings = [compare.LABELS[key] for key, _ in METHODS]
    header = [("case", "shapes", *headings, "kinks", "")]
    rows = [(r.name, r.shapes, *_method_cells(r)) for r in results]
    return "\n".join(_layout(header, rows))


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
        print(_wide_table(results) if args.wide else _table(results))
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
    parser = argparse.ArgumentParser(
        prog="python -m verify", description="Check every gradient of cnnref with the oracle."
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
