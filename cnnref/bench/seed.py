"""Side-by-side timing of cnnref and PyTorch (CPU) on the seed network, in one process and one run.

For every case the two frameworks do the same work on the same numbers; their repeats are
interleaved (cnnref, PyTorch, cnnref, …) so that load from other processes hits both alike, and each
figure is the median over the repeats. Throughput is images per second; the ratio is
cnnref / PyTorch, so above 1 means cnnref is faster. Each case with matrix products also gets both
frameworks' GFLOP/s and cnnref's share of the machine's matrix-product ceiling, measured in the same
run (cnnref.bench.ceiling). The training step is timed three times: on the functional API's
fused paths (cnnref.seed_step; PyTorch's functional ops + SGD), on its formula functions one call
at a time as a user following the notes writes it (cnnref.bench.formula_step; the same PyTorch
step), and as ``fit`` trains (layers, Sequential, SGD with momentum, mean gradient; PyTorch's
``nn.Sequential`` + ``optim.SGD``). The shared-machine case
times the training step again while another process keeps one core busy
(cnnref.bench.load) and reports what share of its idle throughput each framework keeps. Peak
memory of a training step is measured in a fresh subprocess per configuration (the process's peak
resident set, and for cnnref the peak of NumPy's traced allocations).
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

from ..conv import conv2d, conv2d_activation, conv2d_backward
from ..linear import dense, dense_activation, dense_backward
from ..nn.network import seed_cnn
from ..nn.optim import SGD
from ..nn.seed_step import PARAMETER_NAMES, SeedTrainer, seed_inference, seed_parameters
from ..pool import maxpool2d, maxpool2d_backward_to_winners, maxpool2d_with_winners
from ..threads import pool_threads
from ..training.fit import minibatch_step
from .ceiling import gemm_ceiling, seed_case_flops
from .formula_step import formula_step
from .load import one_core_busy

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
    ceiling: bool = True  # measure the matrix-product ceiling (for "% of ceiling")
    competing: bool = True  # time the training step again with one core kept busy


@dataclass
class Row:
    """One timed case: throughput of both frameworks and their ratio."""

    case: str
    dtype: str
    batch: int
    cnnref_per_s: float
    torch_per_s: float | None
    ratio: float | None
    cnnref_gflops: float | None = None
    torch_gflops: float | None = None
    ceiling_percent: float | None = None  # cnnref's GFLOP/s as a share of the ceiling


@dataclass
class Report:
    machine: dict
    rows: list[Row] = field(default_factory=list)
    memory: list[dict] = field(default_factory=list)
    ceilings: dict[str, float] = field(default_factory=dict)  # dtype → GFLOP/s of a big product
    shared_machine: list[dict] = field(default_factory=list)  # the one-core-busy case
    notes: list[str] = field(default_factory=list)


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
    z1 = conv2d_activation(x, params["w1"], params["b1"], "relu")
    p1 = maxpool2d(z1)
    z2 = conv2d_activation(p1, params["w2"], params["b2"], "relu")
    flat = maxpool2d(z2).reshape(x.shape[0], -1)
    z3 = dense_activation(flat, params["w3"], params["b3"], "relu")
    return {"conv1": x, "pool1": z1, "conv2": p1, "pool2": z2, "dense1": flat, "dense2": z3}


def cnnref_layer_cases(params: dict, inputs: dict) -> dict[str, tuple[Callable, Callable]]:
    """(forward, backward) of each layer on cnnref's functional API; backward computes every
    gradient of the layer (input included) from a fixed upstream gradient. A pool's backward reads
    the winners its forward pass kept (``maxpool2d_with_winners``), as PyTorch's does."""
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
        out, winners = maxpool2d_with_winners(x)
        dout = rng.standard_normal(out.shape).astype(x.dtype)
        cases[layer] = (
            lambda x=x: maxpool2d(x),
            lambda x=x, dout=dout, winners=winners: maxpool2d_backward_to_winners(dout, x, winners),
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


TORCH_MISSING = (
    "PyTorch is not installed, so only cnnref is timed (the torch columns stay empty). For the "
    "side-by-side figures install PyTorch's CPU build: "
    "pip install torch --index-url https://download.pytorch.org/whl/cpu"
)


def run_benchmark(settings: Settings, echo: Callable[[str], None] = print) -> Report:
    """Time every case in ``settings``; echo one line per case as it finishes."""
    threads = settings.threads or pool_threads()
    torch = _torch()
    report = Report(machine=machine_description(threads))
    if torch is None:
        report.notes.append(TORCH_MISSING)
        echo(TORCH_MISSING)
    else:
        torch.set_num_threads(threads)
    if settings.ceiling:
        for dtype in settings.dtypes:
            report.ceilings[dtype] = gemm_ceiling(dtype, repeats=max(3, settings.repeats))
            echo(f"matrix-product ceiling, {dtype}: {report.ceilings[dtype]:.1f} GFLOP/s")
    echo(_header())
    for dtype in settings.dtypes:
        for batch in settings.batches:
            for row in _rows_for(dtype, batch, settings, torch, report.ceilings.get(dtype)):
                report.rows.append(row)
                echo(_format_row(row))
    if settings.competing:
        batch = _competing_batch(settings)
        for dtype in settings.dtypes:
            result = _shared_machine_case(dtype, batch, settings, torch, report)
            report.shared_machine.append(result)
            echo(_format_shared(result))
    if settings.memory:
        for dtype in settings.dtypes:
            for batch in settings.batches:
                for framework in ("cnnref", "torch") if torch is not None else ("cnnref",):
                    result = measure_memory_in_subprocess(framework, dtype, batch, threads)
                    report.memory.append(result)
                    echo(_format_memory(result))
    return report


def _competing_batch(settings: Settings) -> int:
    return 64 if 64 in settings.batches else settings.batches[0]


def _shared_machine_case(dtype: str, batch: int, settings: Settings, torch, report: Report) -> dict:
    """The functional training step with one core kept busy, as a share of the idle figures."""
    params = seed_parameters(dtype=np.dtype(dtype).type)
    x, labels, t = _inputs(dtype, batch)
    theirs = None
    if torch is not None:
        from .torch_seed import TorchSeed

        theirs = TorchSeed(params, x, labels, LEARNING_RATE).training_step
    trainer = SeedTrainer(params, LEARNING_RATE)
    with one_core_busy():
        busy = _row(
            "training step, one core busy", dtype, batch, lambda: trainer.step(x, t), theirs,
            settings,
        )  # fmt: skip
    idle = next(
        (r for r in report.rows if (r.case, r.dtype, r.batch) == ("training step", dtype, batch)),
        None,
    )
    if idle is None:
        idle = _row("training step", dtype, batch, lambda: trainer.step(x, t), theirs, settings)
    return {
        "dtype": dtype,
        "batch": batch,
        "cnnref_busy_per_s": busy.cnnref_per_s,
        "cnnref_idle_per_s": idle.cnnref_per_s,
        "cnnref_kept": busy.cnnref_per_s / idle.cnnref_per_s,
        "torch_busy_per_s": busy.torch_per_s,
        "torch_idle_per_s": idle.torch_per_s,
        "torch_kept": busy.torch_per_s / idle.torch_per_s if busy.torch_per_s else None,
        "ratio_busy": busy.ratio,
    }


def _format_shared(result: dict) -> str:
    theirs = ""
    if result["torch_kept"] is not None:
        theirs = (
            f"; PyTorch {result['torch_busy_per_s']:.0f} img/s, {result['torch_kept']:.0%} of "
            f"its {result['torch_idle_per_s']:.0f}; ratio {result['ratio_busy']:.2f}"
        )
    return (
        f"training step, {result['dtype']} batch {result['batch']}, another process keeping one "
        f"core busy: cnnref {result['cnnref_busy_per_s']:.0f} img/s, {result['cnnref_kept']:.0%} "
        f"of its idle {result['cnnref_idle_per_s']:.0f}{theirs}"
    )


def _rows_for(dtype: str, batch: int, settings: Settings, torch, ceiling=None) -> list[Row]:
    params = seed_parameters(dtype=np.dtype(dtype).type)
    x, labels, t = _inputs(dtype, batch)
    theirs = None
    if torch is not None:
        from .torch_seed import TorchSeed

        theirs = TorchSeed(params, x, labels, LEARNING_RATE)
    flops = seed_case_flops(params, batch)
    ours_layers = cnnref_layer_cases(params, _layer_inputs(params, x))
    rows = []

    def add(case, ours, theirs_fn):
        row = _row(case, dtype, batch, ours, theirs_fn, settings)
        rows.append(_with_flops(row, flops.get(case), ceiling))

    for layer in LAYERS:
        for index, direction in enumerate(("forward", "backward")):
            ours = ours_layers[layer][index]
            their_fn = theirs.layer_cases()[layer][index] if theirs else None
            add(f"{layer} {direction}", ours, their_fn)
    trainer = SeedTrainer(params, LEARNING_RATE)
    add("training step", lambda: trainer.step(x, t), theirs.training_step if theirs else None)
    formulas = {name: value.copy() for name, value in params.items()}
    add(
        "training step (formulas)",
        lambda: formula_step(formulas, x, t, LEARNING_RATE),
        theirs.training_step if theirs else None,
    )
    network, optimizer = _fit_network(params, dtype)
    fit_theirs = theirs.fit_step_case() if theirs else None
    add("training step (fit)", lambda: minibatch_step(network, optimizer, x, labels), fit_theirs)
    add("inference", lambda: seed_inference(params, x), theirs.inference if theirs else None)
    return rows


def _fit_network(params: dict, dtype: str):
    """The seed network as ``cnnref train`` builds it, holding ``params``, and its optimizer."""
    network = seed_cnn(channels=params["w1"].shape[2], classes=CLASSES, dtype=np.dtype(dtype).type)
    names = list(network.parameters())
    network.set_parameters(
        {name: params[key].copy() for name, key in zip(names, PARAMETER_NAMES, strict=True)}
    )
    return network, SGD(network.parameters(), lr=LEARNING_RATE, momentum=0.9)


def _with_flops(row: Row, flops: int | None, ceiling: float | None) -> Row:
    if flops:
        row.cnnref_gflops = row.cnnref_per_s * flops / row.batch / 1e9
        if row.torch_per_s:
            row.torch_gflops = row.torch_per_s * flops / row.batch / 1e9
        if ceiling:
            row.ceiling_percent = 100 * row.cnnref_gflops / ceiling
    return row


def _row(case, dtype, batch, ours, theirs, settings) -> Row:
    ours_s, theirs_s = time_pair(ours, theirs, settings)
    ours_rate = batch / ours_s
    theirs_rate = batch / theirs_s if theirs_s else None
    ratio = ours_rate / theirs_rate if theirs_rate else None
    return Row(case, dtype, batch, ours_rate, theirs_rate, ratio)


def _header() -> str:
    columns = f"{'cnnref img/s':>13}{'torch img/s':>12}{'ratio':>7}"
    flops = f"{'cnnref GF/s':>12}{'torch GF/s':>11}{'% ceil':>7}"
    return f"{'case':<26}{'dtype':<8}{'batch':>6}{columns}{flops}"


def _number(value: float | None, width: int, digits: int) -> str:
    return f"{value:{width}.{digits}f}" if value else f"{'-':>{width}}"


def _format_row(row: Row) -> str:
    return (
        f"{row.case:<26}{row.dtype:<8}{row.batch:>6}{row.cnnref_per_s:13.0f}"
        f"{_number(row.torch_per_s, 12, 0)}{_number(row.ratio, 7, 2)}"
        f"{_number(row.cnnref_gflops, 12, 1)}{_number(row.torch_gflops, 11, 1)}"
        f"{_number(row.ceiling_percent, 7, 0)}"
    )


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
    package_parent = str(Path(__file__).resolve().parents[2])  # the folder holding cnnref/
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
        tracemalloc.start()
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
