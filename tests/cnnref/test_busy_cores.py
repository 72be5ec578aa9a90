"""cnnref's thread count on a shared machine: the pool less one thread per core that other
processes keep busy (cnnref.threads.BusyCores), with the same bits for any count."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import numpy as np
import pytest

import cnnref
from cnnref.bench.formula_step import formula_step
from cnnref.kernels import dense as _dense
from cnnref.nn.seed_step import SeedTrainer, seed_parameters
from cnnref.threads import BusyCores, pool_threads

threads_module = sys.modules["cnnref.threads"]


class _Clocks:
    """Wall time and this process's CPU time, advanced by the test."""

    def __init__(self) -> None:
        self.wall, self.own = 100.0, 5.0

    def pair(self):
        return (lambda: self.wall), (lambda: self.own)


def _write_counters(path, busy_ticks: dict[int, int], idle_ticks: int = 1000) -> None:
    """A /proc/stat with ``busy_ticks`` per CPU split over user, system and steal, and idle and
    iowait ticks that must not count."""
    lines = ["cpu  1 2 3 4 5 6 7 8 0 0"]
    for cpu, ticks in sorted(busy_ticks.items()):
        user, system = ticks // 2, ticks // 4
        steal = ticks - user - system
        lines.append(f"cpu{cpu} {user} 0 {system} {idle_ticks} {idle_ticks // 3} 0 0 {steal} 0 0")
    lines.append("intr 12345 0 0")
    path.write_text("\n".join(lines) + "\n")


def _count_after(tmp_path, others: float, own: float, cpus=(0, 1), seconds: float = 1.0) -> int:
    """BusyCores' count over ``seconds`` of wall time in which other processes used ``others``
    cores and this process ``own`` cores of the CPUs ``cpus``, with 100 ticks per second."""
    stat, clocks = tmp_path / "stat", _Clocks()
    busy = BusyCores(interval=0.5, stat=str(stat), clocks=clocks.pair(), cpus=cpus)
    busy._ticks = 100
    _write_counters(stat, {cpu: 50_000 for cpu in cpus} | {7: 0})
    assert busy.taken() == 0  # one reading: nothing to compare yet
    total = round((others + own) * seconds * 100)
    after = {cpu: 50_000 + total // len(cpus) + (i < total % len(cpus)) for i, cpu in
             enumerate(cpus)}  # fmt: skip
    _write_counters(stat, after | {7: 10_000}, idle_ticks=9000)  # cpu7 is outside the mask
    clocks.wall += seconds
    clocks.own += own * seconds
    return busy.taken()


@pytest.mark.parametrize(
    ("others", "own", "taken"),
    [(0.0, 2.0, 0), (0.1, 1.9, 0), (0.35, 1.6, 1), (0.5, 1.5, 1), (1.0, 1.0, 1), (1.0, 0.0, 1),
     (1.6, 0.4, 2), (2.0, 0.0, 2)],
)  # fmt: skip
def test_a_core_counts_as_taken_once_others_used_a_third_of_it(tmp_path, others, own, taken):
    """A spinning process sharing a core with one of cnnref's threads gets half of it (0.5):
    still taken, so the count does not flip back while both threads run."""
    assert _count_after(tmp_path, others, own) == taken


def test_no_more_cores_are_taken_than_the_mask_has(tmp_path):
    assert _count_after(tmp_path, others=3.0, own=0.0, cpus=(0, 1, 2), seconds=2.0) == 3
    assert _count_after(tmp_path, others=0.2, own=0.0, cpus=(3,)) == 0


def test_the_counters_are_read_at_most_once_an_interval(tmp_path):
    stat, clocks = tmp_path / "stat", _Clocks()
    busy = BusyCores(interval=0.5, stat=str(stat), clocks=clocks.pair(), cpus=(0, 1))
    busy._ticks = 100
    _write_counters(stat, {0: 0, 1: 0})
    busy.taken()
    _write_counters(stat, {0: 100, 1: 100})  # two cores busy with others for the next second
    clocks.wall += 0.25
    assert busy.taken() == 0  # within the interval: not read again
    clocks.wall += 0.75
    assert busy.taken() == 2


def test_without_the_counters_no_core_is_taken(tmp_path):
    busy = BusyCores(stat=str(tmp_path / "missing"), cpus=(0, 1))
    assert busy.taken() == 0
    assert not busy.enabled


@pytest.mark.parametrize(
    "text", ["cpu0 1 2\n", "cpu0 a b c d e f g h\n", "cpu  1 2 3 4 5 6 7 8\nintr 1\n", ""]
)
def test_counters_in_another_layout_switch_the_count_off(tmp_path, text):
    """Too few fields, no numbers, or no line for the mask's CPUs: no count, and no error in the
    cnnref call that reads them."""
    stat = tmp_path / "stat"
    stat.write_text(text)
    busy = BusyCores(stat=str(stat), cpus=(0,))
    assert busy.taken() == 0
    assert not busy.enabled


def test_a_forked_child_starts_its_count_afresh(tmp_path):
    """A child's CPU time starts again at 0, which against the parent's last reading would look
    like other processes' work."""
    stat, clocks = tmp_path / "stat", _Clocks()
    busy = BusyCores(interval=0.5, stat=str(stat), clocks=clocks.pair(), cpus=(0, 1))
    busy._ticks = 100
    _write_counters(stat, {0: 0, 1: 0})
    busy.taken()
    busy.forget()
    _write_counters(stat, {0: 100, 1: 100})
    clocks.wall += 1.0
    clocks.own = 0.0  # the child's clock
    assert busy.taken() == 0  # a first reading again
    clocks.wall += 1.0
    clocks.own += 2.0
    _write_counters(stat, {0: 200, 1: 200})
    assert busy.taken() == 0  # the child's own two cores


def test_the_environment_variable_keeps_the_whole_pool(tmp_path, run_child):
    code = "import cnnref.threads, sys; print(sys.modules['cnnref.threads']._BUSY.enabled)"
    assert run_child(code, tmp_path, CNNREF_ADAPTIVE_THREADS="0").stdout.strip() == "False"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc/stat is Linux's")
def test_a_spinning_process_takes_a_core_from_the_count():
    busy = BusyCores(interval=0.1)
    spinner = subprocess.Popen([sys.executable, "-c", "while True:\n    pass\n"])
    try:
        deadline, seen = time.monotonic() + 5.0, 0
        while time.monotonic() < deadline and seen == 0:
            time.sleep(0.05)
            seen = busy.taken()
    finally:
        spinner.kill()
        spinner.wait()
    assert seen >= 1


class _Taken:
    def __init__(self, cores: int) -> None:
        self.cores = cores

    def taken(self) -> int:
        return self.cores


def _training_results(dtype, batch: int) -> list[np.ndarray]:
    """Parameters after two fused steps and one step on the formula functions."""
    rng = np.random.default_rng(batch)
    params = seed_parameters(dtype=dtype)
    x = rng.standard_normal((batch, 32, 32, 3)).astype(dtype)
    t = np.eye(10, dtype=dtype)[rng.integers(0, 10, batch)]
    trainer = SeedTrainer(params, 1e-3)
    for _ in range(2):
        trainer.step(x, t)
    by_formulas = {name: value.copy() for name, value in params.items()}
    formula_step(by_formulas, x, t, 1e-3)
    probe = rng.standard_normal((batch, 800)).astype(dtype)
    return [*trainer.params.values(), *by_formulas.values(),
            cnnref.dense(probe, params["w3"], params["b3"])]  # fmt: skip


@pytest.mark.skipif(pool_threads() < 2, reason="needs a pool of two threads or more")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_training_gives_the_same_bits_on_one_thread_as_on_the_pool(monkeypatch, dtype):
    results = {}
    for taken in (0, pool_threads() - 1):
        monkeypatch.setattr(threads_module, "_BUSY", _Taken(taken))
        assert cnnref.threads.openmp_threads() == pool_threads() - taken
        results[taken] = [r for batch in (1, 3, 64) for r in _training_results(dtype, batch)]
    for pool, one in zip(results[0], results[pool_threads() - 1], strict=True):
        np.testing.assert_array_equal(pool, one)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("trans_a", "trans_b"), [(False, False), (True, False), (False, True)])
@pytest.mark.parametrize("m", [64, 1])
def test_a_split_product_has_the_bits_of_its_blocks_on_any_thread_count(dtype, trans_a, trans_b, m):
    """A BLAS may sum products of other widths in another order: the blocks fix the bits. (One
    row times an untransposed matrix is split by runs of the matrix's rows, added in order.)"""
    rng = np.random.default_rng(3)
    k, n = 300, 999
    a = rng.standard_normal((k, m) if trans_a else (m, k)).astype(dtype)
    b = rng.standard_normal((n, k) if trans_b else (k, n)).astype(dtype)
    for blocks in (2, 3):
        outs = []
        for threads in (1, 2, 5):
            out = np.empty((m, n), dtype=dtype)
            with cnnref.threads.one_blas_thread():
                _dense.matmul_split(a, b, out, trans_a, trans_b, threads, blocks, True)
            outs.append(out)
        for out in outs[1:]:
            np.testing.assert_array_equal(out, outs[0])
        expected = (a.T if trans_a else a) @ (b.T if trans_b else b)
        np.testing.assert_allclose(outs[0], expected, rtol=1e-4, atol=1e-3)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_fork_makes_the_process_wide_count_forget_its_reading():
    busy = threads_module._BUSY
    if not busy.enabled:
        pytest.skip("no CPU counters here")
    busy.taken()
    assert busy._last is not None  # a reading in this process
    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover (the child)
        os.close(reader)
        os.write(writer, b"1" if threads_module._BUSY._last is None else b"0")
        os._exit(0)
    os.close(writer)
    forgot = os.read(reader, 1)
    os.close(reader)
    os.waitpid(child, 0)
    assert forgot == b"1"
