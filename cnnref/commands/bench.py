"""``cnnref bench``: time cnnref side by side with PyTorch on the seed network.

The benchmark itself is cnnref.bench.seed; this module is its command line.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..bench.seed import BATCHES, DTYPES, Settings, report_as_json, run_benchmark


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--quick", action="store_true", help="fewer and shorter repeats, batch 64 only by default"
    )
    parser.add_argument(
        "--dtype", choices=DTYPES, action="append", help="dtype to time (repeatable; default both)"
    )
    parser.add_argument(
        "--batch", type=int, action="append", help="batch size (repeatable; default 1, 64, 256)"
    )
    parser.add_argument(
        "--threads", type=int, default=0, help="threads for both (default: cnnref's OpenMP count)"
    )
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory runs")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the results as JSON")


def settings_from(args: argparse.Namespace) -> Settings:
    """The benchmark settings named by the command-line arguments."""
    if args.batch and any(batch < 1 for batch in args.batch):
        raise ValueError(f"--batch must be >= 1, got {args.batch}")
    if args.threads < 0:
        raise ValueError(f"--threads must be >= 0, got {args.threads}")
    default_batches = (64,) if args.quick else BATCHES
    return Settings(
        dtypes=tuple(args.dtype or DTYPES),
        batches=tuple(args.batch or default_batches),
        repeats=3 if args.quick else 7,
        min_seconds=0.02 if args.quick else 0.05,
        memory=not args.no_memory,
        threads=args.threads,
    )


def run(args: argparse.Namespace) -> int:
    report = run_benchmark(settings_from(args))
    if args.json:
        args.json.write_text(report_as_json(report) + "\n")
    return 0
