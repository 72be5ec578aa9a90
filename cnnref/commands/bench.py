"""``cnnref bench``: time cnnref side by side with PyTorch on the seed network.

The benchmark itself is cnnref.bench.seed; this module is its command line.
"""

from __future__ import annotations

import argparse
import sys

from ..bench.seed import BATCHES, DTYPES, Settings, report_as_json, run_benchmark
from ..kernels import THREADS_PER_CPU_CAP, thread_cap
from ..validation import output_file_option

USAGE_ERROR = 2  # argparse's exit status for a mistake on the command line

DESCRIPTION = """\
Time cnnref and PyTorch (CPU) side by side on the seed network, in one process: each layer's
forward and backward, the training step (functional API and as fit trains), inference; images/s,
the ratio cnnref / PyTorch, GFLOP/s and the share of the machine's matrix-product ceiling; then the
training step with another process keeping one core busy, and peak memory.

Threads: cnnref runs its kernels on one OpenMP pool (OMP_NUM_THREADS sets its size) and, during
each of its calls, holds SciPy's BLAS to one thread, restoring it afterwards; NumPy's BLAS is not
touched. PyTorch gets torch.set_num_threads with the same count (--threads).

PyTorch is optional; without it only cnnref is timed. Its CPU build:
pip install torch --index-url https://download.pytorch.org/whl/cpu
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = DESCRIPTION
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
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
    parser.add_argument(
        "--no-competing",
        action="store_true",
        help="skip the shared-machine case (training with another process keeping one core busy)",
    )
    parser.add_argument(
        "--json", type=output_file_option, metavar="PATH", help="also write the results as JSON"
    )


def settings_from(args: argparse.Namespace) -> Settings:
    """The benchmark settings named by the command-line arguments."""
    if args.batch and any(batch < 1 for batch in args.batch):
        raise ValueError(f"--batch must be >= 1, got {args.batch}")
    if args.threads < 0:
        raise ValueError(f"--threads must be >= 0, got {args.threads}")
    if args.threads > thread_cap():  # torch.set_num_threads(100000) crashes the interpreter
        raise ValueError(
            f"--threads must be at most {thread_cap()} ({THREADS_PER_CPU_CAP} per CPU, the bound "
            f"cnnref puts on OMP_NUM_THREADS: a huge team crashes the OpenMP runtime), got "
            f"{args.threads}"
        )
    if args.json and not args.json.parent.is_dir():
        raise ValueError(f"--json: the folder {str(args.json.parent)!r} does not exist")
    default_batches = (64,) if args.quick else BATCHES
    return Settings(
        dtypes=tuple(args.dtype or DTYPES),
        batches=tuple(args.batch or default_batches),
        repeats=3 if args.quick else 7,
        min_seconds=0.02 if args.quick else 0.05,
        memory=not args.no_memory,
        threads=args.threads,
        competing=not args.no_competing,
    )


def run(args: argparse.Namespace) -> int:
    """Run the benchmark; a bad option is one error line and exit status 2, before any timing."""
    try:
        settings = settings_from(args)
    except ValueError as error:
        print(f"cnnref bench: error: {error}", file=sys.stderr)
        return USAGE_ERROR
    report = run_benchmark(settings)
    if args.json:
        args.json.write_text(report_as_json(report) + "\n")
    return 0
