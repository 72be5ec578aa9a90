"""Where a training step's time goes, line by line: the formula loop against the fused step.

    pip install line_profiler
    python benchmarks/step_lines.py [--dtype float32] [--batch 64] [--steps 100]

Profiles, with line_profiler, the seed network's step written on the formula functions one call at
a time (cnnref.bench.formula_step, the bench's "training step (formulas)" row) and the fused
functional step (SeedTrainer.step and the seed_forward / seed_gradients it calls), the two run
alternately on the same batch, and prints each line's milliseconds per step. A line of the
formula loop holds the user's own NumPy work too (``dz * activation_derivative(z)``, ``θ += η g``),
which no cnnref function sees. Tracing adds about a microsecond per line; the totals are
therefore a little above an untraced step's. cnnref only, no PyTorch.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cnnref.bench.formula_step import formula_step
from cnnref.nn.seed_step import SeedTrainer, seed_forward, seed_gradients, seed_parameters

LEARNING_RATE = 1e-3
WARMUP_STEPS = 10


def batch(dtype: str, size: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A random (size, 32, 32, 3) batch and one-hot targets of 10 classes."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((size, 32, 32, 3)).astype(dtype)
    t = np.eye(10, dtype=dtype)[rng.integers(0, 10, size)]
    return x, t


def profile_steps(dtype: str, size: int, steps: int):
    """line_profiler's statistics of ``steps`` formula steps and as many fused ones."""
    from line_profiler import LineProfiler

    params = seed_parameters(3, 10, np.dtype(dtype))
    x, t = batch(dtype, size)
    trainer = SeedTrainer(params, LEARNING_RATE)
    formula_params = {name: value.copy() for name, value in params.items()}
    profiler = LineProfiler(formula_step, SeedTrainer.step, seed_forward, seed_gradients)
    for _ in range(WARMUP_STEPS):
        formula_step(formula_params, x, t, LEARNING_RATE)
        trainer.step(x, t)
    profiler.enable_by_count()
    for _ in range(steps):
        formula_step(formula_params, x, t, LEARNING_RATE)
        trainer.step(x, t)
    profiler.disable_by_count()
    return profiler.get_stats()


def report(stats, steps: int) -> str:
    """Each profiled function's lines with their milliseconds per step, and its total."""
    lines = []
    for (filename, _, name), timings in stats.timings.items():
        source = Path(filename).read_text().splitlines()
        per_step = {line: total * stats.unit / steps * 1e3 for line, _, total in timings}
        lines.append(f"{name}: {sum(per_step.values()):.3f} ms per step")
        for line, ms in sorted(per_step.items()):
            lines.append(f"  {ms:8.3f} ms  {source[line - 1].strip()[:90]}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--steps", type=int, default=100)
    args = parser.parse_args(argv)
    if args.batch < 1 or args.steps < 1:
        parser.error("--batch and --steps must be at least 1")
    try:
        stats = profile_steps(args.dtype, args.batch, args.steps)
    except ImportError:
        parser.error("needs line_profiler: pip install line_profiler")
    print(f"{args.dtype}, batch {args.batch}, {args.steps} steps of each")
    print(report(stats, args.steps))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
