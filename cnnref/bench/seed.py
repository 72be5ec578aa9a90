"""Side-by-side timing of cnnref and PyTorch (CPU) on the seed network, in one process and one run.

For every case the two frameworks do the same work on the same numbers; their repeats are
interleaved (cnnref, PyTorch, cnnref, …) so that load from other processes hits both alike, and each
figure is the median over the repeats. Throughput is images per second; the ratio is
cnnref / PyTorch, so above 1 means cnnref is faster. Peak memory of a training step is measured in a
fresh subprocess per configuration (the process's peak resident set, and for cnnref the peak of
NumPy's traced allocations).
"""

from __future__ import annotations

import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from ..conv import conv2d, conv2d_backward
from ..linear import dense, dense_backward
from ..nn.seed_step import SeedTrainer, seed_inference, seed_parameters
from ..pool import maxpool2d, maxpool2d_backward
from ..threads import openmp_threads, reuse_freed_memory, single_thread_blas

DTYPES = ("float32", "float64")
BATCHES = (1, 64, 256)
LAYERS = ("conv1", "pool1", "conv2", "pool2", "dense1", "dense2")
CLASSES = 10
LEARNING_RATE = 1e-3


@dataclass
class Settings:
    """What to run: dtypes, batch sizes, how long to time, whether to measure memory."""

    dtypes: tuple[str, ...] = DTYPES
    batches: tuple[int, ...] = BATCHES
    repeats: int = 7
    min_seconds: float = 0.05
    memory: bool = True
    threads: int = 0  # 0: the thread count cnnref's OpenMP kernels use
    settle_seconds: float = 0.1  # pause before each repeat: the other framework's threads go idle


@dataclass
class Row:
    """One timed case: throughput of both frameworks and their ratio."""

    case: str
    dtype: str
    batch: int
    cnnref_per_s: float
    torch_per_s: float | None
    ratio: float | None


@dataclass
class Report:
    machine: dict
    rows: list[Row] = field(default_factory=list)
    memory: list[dict] = field(default_factory=list)


def _seconds_per_call(fn: Callable[[], object], calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls


def _calls_for(fn: Callable[[], object], min_seconds: float) -> int:
    """Warm up, then how many calls make one repeat last about min_seconds."""
    fn()
    once = _seconds_per_call(fn, 1)
    return max(1, int(min_seconds / max(once, 1e-7)))


def time_pair(
    ours: Callable[[], object], theirs: Callable[[], object] | None, settings: Settings
) -> tuple[float, float | None]:
    """Median seconds per call of both functions, their repeats interleaved.

    Before each repeat the benchmark sleeps ``settings.settle_seconds`` and makes one untimed call.
    Both frameworks' worker threads busy-wait for a while after their last parallel region before
    they sleep; on a 2-core machine a PyTorch repeat that started while OpenBLAS's threads were
    still spinning from cnnref's repeat ran up to 3× slower (and cnnref's after PyTorch's, up to
    1.4×), which is what the pause prevents.
    """
    ours_calls = _calls_for(ours, settings.min_seconds)
    theirs_calls = _calls_for(theirs, settings.min_seconds) if theirs else 0
    ours_times, theirs_times = [], []
    for _ in range(settings.repeats):
        ours_times.append(_settled_seconds_per_call(ours, ours_calls, settings.settle_seconds))
        if theirs:
            theirs_times.append(
                _settled_seconds_per_call(theirs, theirs_calls, settings.settle_seconds)
            )
    return statistics.median(ours_times), statistics.median(theirs_times) if theirs else None


def _settled_seconds_per_call(fn: Callable[[], object], calls: int, settle: float) -> float:
    time.sleep(settle)
    fn()
    return _seconds_per_call(fn, calls)


def _inputs(dtype: str, batch: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Images x (N, 32, 32, 3), labels (N,) and one-hot targets t (N, 10)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, 32, 32, 3)).astype(dtype)
    labels = rng.integers(0, CLASSES, batch)
    t = np.eye(CLASSES, dtype=dtype)[labels]
    return x, labels, t


def _layer_inputs(params: dict, x: np.ndarray) -> dict[str, np.ndarray]:
    """The input each layer of the seed network sees on x (from one cnnref forward pass)."""
    z1 = conv2d(x, params["w1"], params["b1"], activation="relu")
    p1 = maxpool2d(z1)
    z2 = conv2d(p1, params["w2"], params["b2"], activation="relu")
    flat = maxpool2d(z2).reshape(x.shape[0], -1)
    z3 = dense(flat, params["w3"], params["b3"], activation="relu")
    return {"conv1": x, "pool1": z1, "conv2": p1, "pool2": z2, "dense1": flat, "dense2": z3}


def cnnref_layer_cases(params: dict, inputs: dict) -> dict[str, tuple[Callable, Callable]]:
    """(forward, backward) of each layer on cnnref's functional API; backward computes every
    gradient of the layer (input included) from a fixed upstream gradient. A pool's backward reads
    the winners its forward pass kept (``return_argmax``), as PyTorch's does."""
    rng = np.random.default_rng(1)
    cases = {}
    for layer, (w, b) in {"conv1": ("w1", "b1"), "conv2": ("w2", "b2")}.items():
        x, wv, bv = inputs[layer], params[w], params[b]
        dout = rng.standard_normal(conv2d(x, wv, bv).shape).astype(x.dtype)
        cases[layer] = (
            lambda x=x, wv=wv, bv=bv: conv2d(x, wv, bv),
            lambda x=x, wv=wv, dout=dout: conv2d_backward(dout, x, wv),
        )
    for layer in ("pool1", "pool2"):
        x = inputs[layer]
        out, argmax = maxpool2d(x, return_argmax=True)
        dout = rng.standard_normal(out.shape).astype(x.dtype)
        cases[layer] = (
            lambda x=x: maxpool2d(x),
            lambda x=x, dout=dout, argmax=argmax: maxpool2d_backward(dout, x, argmax=argmax),
        )
    for layer, (w, b) in {"dense1": ("w3", "b3"), "dense2": ("w4", "b4")}.items():
        x, wv, bv = inputs[layer], params[w], params[b]
        dout = rng.standard_normal((x.shape[0], wv.shape[1])).astype(x.dtype)
        cases[layer] = (
            lambda x=x, wv=wv, bv=bv: dense(x, wv, bv),
            lambda x=x, wv=wv, dout=dout: dense_backward(dout, x, wv),
        )
    return cases


def machine_description(threads: int) -> dict:
    """CPU, core count, thread counts and the libraries that do the arithmetic."""
    info = {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "threads": threads,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "numpy_blas": _numpy_blas(),
        "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE", ""),
    }
    torch = _torch()
    if torch is not None:
        info["torch"] = torch.__version__
    return info


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _numpy_blas() -> str:
    try:
        config = np.show_config(mode="dicts")
        blas = config["Build Dependencies"]["blas"]
        return f"{blas.get('name', '?')} {blas.get('version', '')}".strip()
    except (TypeError, KeyError):
        return "unknown"


def _torch():
    try:
        import torch
    except ImportError:
        return None
    return torch


def run_benchmark(settings: Settings, echo: Callable[[str], None] = print) -> Report:
    """Time every case in ``settings``; echo one line per case as it finishes."""
    threads = settings.threads or openmp_threads()
    torch = _torch()
    if torch is not None:
        torch.set_num_threads(threads)
    report = Report(machine=machine_description(threads))
    echo(_header())
    # cnnref's fast configuration for the whole run; PyTorch does not use OpenBLAS.
    reuse_freed_memory()
    with single_thread_blas():
        for dtype in settings.dtypes:
            for batch in settings.batches:
                for row in _rows_for(dtype, batch, settings, torch):
                    report.rows.append(row)
                    echo(_format_row(row))
    if settings.memory:
        for dtype in settings.dtypes:
            for batch in settings.batches:
                for framework in ("cnnref", "torch") if torch is not None else ("cnnref",):
                    result = measure_memory_in_subprocess(framework, dtype, batch, threads)
                    report.memory.append(result)
                    echo(_format_memory(result))
    return report


def _rows_for(dtype: str, batch: int, settings: Settings, torch) -> list[Row]:
    params = seed_parameters(dtype=np.dtype(dtype).type)
    x, labels, t = _inputs(dtype, batch)
    theirs = None
    if torch is not None:
        from .torch_seed import TorchSeed

        theirs = TorchSeed(params, x, labels, LEARNING_RATE)
    ours_layers = cnnref_layer_cases(params, _layer_inputs(params, x))
    rows = []
    for layer in LAYERS:
        for index, direction in enumerate(("forward", "backward")):
            ours = ours_layers[layer][index]
            their_fn = theirs.layer_cases()[layer][index] if theirs else None
            rows.append(_row(f"{layer} {direction}", dtype, batch, ours, their_fn, settings))
    trainer = SeedTrainer(params, LEARNING_RATE)
    rows.append(
        _row(
            "training step",
            dtype,
            batch,
            lambda: trainer.step(x, t),
            theirs.training_step if theirs else None,
            settings,
        )
    )
    rows.append(
        _row(
            "inference",
            dtype,
            batch,
            lambda: seed_inference(params, x),
            theirs.inference if theirs else None,
            settings,
        )
    )
    return rows


def _row(case, dtype, batch, ours, theirs, settings) -> Row:
    ours_s, theirs_s = time_pair(ours, theirs, settings)
    ours_rate = batch / ours_s
    theirs_rate = batch / theirs_s if theirs_s else None
    ratio = ours_rate / theirs_rate if theirs_rate else None
    return Row(case, dtype, batch, ours_rate, theirs_rate, ratio)


def _header() -> str:
    columns = f"{'cnnref img/s':>14}{'torch img/s':>14}{'ratio':>8}"
    return f"{'case':<18}{'dtype':<9}{'batch':>6}{columns}"


def _format_row(row: Row) -> str:
    theirs = f"{row.torch_per_s:14.0f}" if row.torch_per_s else f"{'-':>14}"
    ratio = f"{row.ratio:8.2f}" if row.ratio else f"{'-':>8}"
    return f"{row.case:<18}{row.dtype:<9}{row.batch:>6}{row.cnnref_per_s:14.0f}{theirs}{ratio}"


def _format_memory(result: dict) -> str:
    traced = result.get("traced_peak_mb")
    traced_text = f", NumPy allocations peak {traced:.1f} MB" if traced is not None else ""
    return (
        f"peak memory, training step, {result['framework']} {result['dtype']} batch "
        f"{result['batch']}: {result['peak_rss_mb']:.0f} MB resident "
        f"({result['step_rss_mb']:.0f} MB above the process before the first step){traced_text}"
    )


def measure_memory_in_subprocess(framework: str, dtype: str, batch: int, threads: int) -> dict:
    """Run :func:`memory_probe` in a fresh interpreter so that peaks do not mix."""
    package_parent = str(Path(__file__).resolve().parent.parent)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_parent, env.get("PYTHONPATH")]))
    code = (
        "import json, sys; from cnnref.bench.seed import memory_probe; "
        f"print(json.dumps(memory_probe({framework!r}, {dtype!r}, {batch}, {threads})))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=package_parent,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def _rss_mb() -> float:
    """Peak resident set of this process so far, in MB.

    Linux's VmHWM starts afresh at exec; getrusage's ru_maxrss (the fallback elsewhere) keeps the
    peak of the process that forked this one, which would count the parent's memory.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _current_rss_mb() -> float:
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / (1024 * 1024)
    except (OSError, ValueError, IndexError):
        return _rss_mb()


def memory_probe(framework: str, dtype: str, batch: int, threads: int, steps: int = 3) -> dict:
    """Peak memory of ``steps`` training steps of the seed network (run in its own process)."""
    params = seed_parameters(dtype=np.dtype(dtype).type)
    x, labels, t = _inputs(dtype, batch)
    traced = None
    if framework == "torch":
        import torch

        from .torch_seed import TorchSeed

        torch.set_num_threads(threads)
        model = TorchSeed(params, x, labels, LEARNING_RATE)
        before = _current_rss_mb()
        for _ in range(steps):
            model.training_step()
    else:
        trainer = SeedTrainer(params, LEARNING_RATE)
        before = _current_rss_mb()
        reuse_freed_memory()
        tracemalloc.start()
        with single_thread_blas():
            for _ in range(steps):
                trainer.step(x, t)
        traced = tracemalloc.get_traced_memory()[1] / (1024 * 1024)
        tracemalloc.stop()
    peak = _rss_mb()
    return {
        "framework": framework,
        "dtype": dtype,
        "batch": batch,
        "peak_rss_mb": peak,
        "step_rss_mb": peak - before,
        "traced_peak_mb": traced,
    }


def report_as_json(report: Report) -> str:
    return json.dumps(asdict(report), indent=2)
