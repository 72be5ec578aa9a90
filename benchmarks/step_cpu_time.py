"""CPU time of the seed network's training step and inference, in images per CPU-second.

    OMP_NUM_THREADS=1 python benchmarks/step_cpu_time.py [--repeats 5]

Times the functional step (``SeedTrainer.step``), the step as ``fit`` takes it (``minibatch_step``)
and inference (``seed_inference``) by ``time.process_time``, best of the repeats, for float32 and
float64 at batch 1, 64 and 256. On one thread, CPU time counts the work a step does and not the
time it waits for a core, so figures taken on a busy machine still compare (threads spinning or
waiting would count against it: run it on one thread). cnnref only, no PyTorch.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cnnref.nn.network import seed_cnn
from cnnref.nn.optim import SGD
from cnnref.nn.seed_step import (
    PARAMETER_NAMES,
    SeedTrainer,
    seed_inference,
    seed_parameters,
)
from cnnref.training.fit import minibatch_step

LEARNING_RATE = 1e-3


def fit_network(params: dict):
    """The seed network as ``cnnref train`` builds it, holding ``params``, and its optimizer."""
    network = seed_cnn(channels=3, classes=10, dtype=params["w1"].dtype)
    names = list(network.parameters())
    network.set_parameters(
        {name: params[key].copy() for name, key in zip(names, PARAMETER_NAMES, strict=True)}
    )
    return network, SGD(network.parameters(), lr=LEARNING_RATE, momentum=0.9)


def images_per_cpu_second(step, batch: int, repeats: int) -> float:
    calls = max(3, 300 // batch)
    step()
    best = float("inf")
    for _ in range(repeats):
        start = time.process_time()
        for _ in range(calls):
            step()
        best = min(best, (time.process_time() - start) / calls)
    return batch / best


def rates(dtype: str, batch: int, repeats: int) -> dict[str, float]:
    """Images per CPU-second of each case at one dtype and batch size."""
    params = seed_parameters(dtype=np.dtype(dtype).type)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, 32, 32, 3)).astype(dtype)
    labels = rng.integers(0, 10, batch)
    t = np.eye(10, dtype=dtype)[labels]
    network, optimizer = fit_network(params)
    trainer = SeedTrainer(params, LEARNING_RATE)
    cases = {
        "functional": lambda: trainer.step(x, t),
        "fit": lambda: minibatch_step(network, optimizer, x, labels),
        "inference": lambda: seed_inference(params, x),
    }
    return {name: images_per_cpu_second(step, batch, repeats) for name, step in cases.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    repeats = parser.parse_args().repeats
    for dtype in ("float32", "float64"):
        for batch in (1, 64, 256):
            measured = rates(dtype, batch, repeats)
            shown = "  ".join(f"{name} {rate:7.0f}" for name, rate in measured.items())
            print(f"{dtype} batch {batch:3d}  {shown}  images per CPU-second", flush=True)


if __name__ == "__main__":
    main()
