"""cnnref's thread arrangement: the BLAS its kernels call is held to one thread during its calls
only, restored after (also when several Python threads enter and leave in any order), and NumPy's
BLAS is never touched."""

from __future__ import annotations

import os
import threading

import numpy as np
import pytest
from threadpoolctl import threadpool_info

import cnnref
from cnnref.conv import conv2d_backward_direct, conv2d_direct
from cnnref.kernels import conv as _conv_kernels
from cnnref.threads import _HOLD, one_blas_thread


def _threads_by_library() -> dict[str, int]:
    return {info["filepath"]: info["num_threads"] for info in threadpool_info()}


def _held_paths() -> set[str]:
    return {lib.filepath for lib in _HOLD.libraries()}


def test_the_held_library_is_scipys_blas_and_not_numpys():
    held = _held_paths()
    assert held, "SciPy's BLAS should be found"
    numpy_dir = np.__file__.rsplit("/", 1)[0]
    assert not any(path.startswith(numpy_dir) for path in held)


def test_a_python_thread_other_than_the_first_to_enter_still_holds_the_blas():
    """threadpoolctl lets only the first thread that used it change OpenBLAS's count; cnnref's
    hold must work from any thread (issue 14)."""
    with one_blas_thread():
        pass  # the main thread enters first
    counts: list[int] = []

    def worker():
        with one_blas_thread():
            counts.append(min(_threads_by_library()[path] for path in _held_paths()))

    worker_thread = threading.Thread(target=worker)
    worker_thread.start()
    worker_thread.join(10)
    assert counts == [1]


def test_one_thread_inside_and_the_previous_count_after():
    before = _threads_by_library()
    with one_blas_thread():
        inside = _threads_by_library()
        assert all(inside[path] == 1 for path in _held_paths())
        others = [path for path in before if path not in _held_paths()]
        assert all(inside[path] == before[path] for path in others)
    assert _threads_by_library() == before


def test_nested_blocks_and_errors_restore_the_state():
    before = _threads_by_library()
    with pytest.raises(RuntimeError, match="inside"):
        with one_blas_thread():
            with one_blas_thread():
                assert _HOLD.holders == 2
            assert _HOLD.holders == 1
            raise RuntimeError("inside")
    assert _HOLD.holders == 0
    assert _threads_by_library() == before


def test_blocks_of_two_python_threads_interleaved_restore_the_count():
    """Thread A enters, B enters, A leaves, B leaves (and the reverse exit order): the count the
    process had before comes back, and stays at 1 while either is inside."""
    before = _threads_by_library()
    for exit_order in (("a", "b"), ("b", "a")):
        entered = {name: threading.Event() for name in "ab"}
        release = {name: threading.Event() for name in "ab"}
        left = {name: threading.Event() for name in "ab"}
        seen_inside: list[int] = []

        def worker(name, entered=entered, release=release, left=left, seen=seen_inside):
            with one_blas_thread():
                entered[name].set()
                release[name].wait(10)
                seen.append(min(_threads_by_library()[path] for path in _held_paths()))
            left[name].set()

        workers = [threading.Thread(target=worker, args=(name,)) for name in "ab"]
        for worker_thread in workers:
            worker_thread.start()
        for name in "ab":
            assert entered[name].wait(10)
        first, second = exit_order
        release[first].set()
        assert left[first].wait(10)
        assert all(_threads_by_library()[path] == 1 for path in _held_paths())
        release[second].set()
        for worker_thread in workers:
            worker_thread.join(10)
        assert seen_inside == [1, 1]
        assert _threads_by_library() == before


def test_cnnref_calls_leave_every_blas_as_they_found_it():
    rng = np.random.default_rng(4)
    x, w = rng.standard_normal((4, 9, 9, 3)), rng.standard_normal((3, 3, 3, 5))
    before = _threads_by_library()
    out = cnnref.conv2d(x, w, np.zeros(5))
    cnnref.conv2d_backward(out, x, w)
    cnnref.dense(rng.standard_normal((70, 300)), rng.standard_normal((300, 200)), np.zeros(200))
    assert _threads_by_library() == before
    assert _HOLD.holders == 0


def test_concurrent_cnnref_calls_from_python_threads_agree_with_serial_ones():
    rng = np.random.default_rng(8)
    x, w = rng.standard_normal((6, 12, 12, 4)), rng.standard_normal((5, 5, 4, 8))
    b, dout = rng.standard_normal(8), rng.standard_normal((6, 8, 8, 8))
    expected = (cnnref.conv2d(x, w, b), *cnnref.conv2d_backward(dout, x, w))
    results: list = [None] * 4

    def run(slot):
        results[slot] = (cnnref.conv2d(x, w, b), *cnnref.conv2d_backward(dout, x, w))

    workers = [threading.Thread(target=run, args=(slot,)) for slot in range(4)]
    for worker_thread in workers:
        worker_thread.start()
    for worker_thread in workers:
        worker_thread.join(60)
    for got in results:
        for ours, theirs in zip(got, expected, strict=True):
            np.testing.assert_array_equal(ours, theirs)
    assert _HOLD.holders == 0


def test_reuse_freed_memory_applies_on_glibc_and_is_harmless_to_repeat():
    import platform

    from cnnref.threads import reuse_freed_memory

    expected = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"
    assert reuse_freed_memory() is expected
    assert reuse_freed_memory() is expected
    big = np.ones(3_000_000)  # allocations keep working after the change
    assert float(big.sum()) == 3_000_000.0


_MMAP_PROBE = """
import ctypes, sys
import cnnref  # noqa: F401
# A freed 8 MB block served from the heap comes back at the same address; glibc's default maps
# a first block of that size afresh, and mmap hands out addresses far from the heap.
libc = ctypes.CDLL(None)
libc.malloc.restype = ctypes.c_void_p
libc.sbrk.restype = ctypes.c_void_p
block = libc.malloc(8 << 20)
top = libc.sbrk(0)
print(int(abs(block - top) < (1 << 30)))
libc.free(ctypes.c_void_p(block))
"""


@pytest.mark.parametrize("opt_out, in_heap", [("", "1"), ("1", "0")])
def test_importing_cnnref_keeps_large_blocks_in_the_heap_unless_opted_out(
    opt_out, in_heap, tmp_path, run_child
):
    import platform

    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        pytest.skip("the malloc setting applies on glibc only")
    run = run_child(_MMAP_PROBE, tmp_path, CNNREF_SYSTEM_MALLOC=opt_out)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == in_heap


_TRIM_PROBE = """
import ctypes
import cnnref  # noqa: F401
# Ten 16 MB blocks from the heap, all freed: they merge at its top, and glibc gives the top back
# to the system once it passes the trim threshold (with cnnref's setting, 160 MB stays).
libc = ctypes.CDLL(None)
libc.malloc.restype = libc.sbrk.restype = ctypes.c_void_p
before = libc.sbrk(0)
blocks = [libc.malloc(16 << 20) for _ in range(10)]
for block in blocks:
    ctypes.memset(block, 1, 16 << 20)
for block in reversed(blocks):
    libc.free(ctypes.c_void_p(block))
print(int(libc.sbrk(0) - before >= 150 << 20))
"""


@pytest.mark.parametrize("opt_out, kept", [("", "1"), ("1", "0")])
def test_a_steps_worth_of_freed_blocks_stays_in_the_heap_unless_opted_out(
    opt_out, kept, tmp_path, run_child
):
    import platform

    from cnnref.threads import kept_free_bytes

    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        pytest.skip("the malloc setting applies on glibc only")
    if kept_free_bytes() < 200 << 20:
        pytest.skip("this machine's memory keeps less than 200 MB freed")
    run = run_child(_TRIM_PROBE, tmp_path, CNNREF_SYSTEM_MALLOC=opt_out)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == kept


def test_the_freed_memory_kept_is_a_sixteenth_of_the_machine_between_64_mb_and_1_gib(monkeypatch):
    import os

    from cnnref.threads import kept_free_bytes

    page = 4096
    for physical, expected in [(512 << 20, 64 << 20), (8 << 30, 512 << 20), (64 << 30, 1 << 30)]:
        sizes = {"SC_PHYS_PAGES": physical // page, "SC_PAGE_SIZE": page}
        monkeypatch.setattr(os, "sysconf", sizes.__getitem__)
        assert kept_free_bytes() == expected


def test_a_huge_omp_num_threads_is_lowered_instead_of_crashing_the_interpreter(tmp_path, run_child):
    probe = (
        "import numpy as np, cnnref\n"
        "out = cnnref.conv2d(np.ones((4, 8, 8, 3)), np.ones((3, 3, 3, 16)), np.zeros(16))\n"
        "print(out.shape, cnnref.threads.openmp_threads())\n"
    )
    run = run_child(probe, tmp_path, OMP_NUM_THREADS="100000")
    assert run.returncode == 0, run.stderr  # once SIGSEGV inside libgomp
    cap = 4 * (os.cpu_count() or 1)
    assert run.stdout.split() == ["(4,", "6,", "6,", "16)", str(cap)]
    assert "OMP_NUM_THREADS=100000" in run.stderr and f"lowered it to {cap}" in run.stderr


def test_a_team_of_more_than_256_threads_is_reported_as_it_is(tmp_path, run_child):
    probe = (
        "import os\n"
        "os.cpu_count = lambda: 100  # a machine where 300 threads are within the cap\n"
        "import cnnref\n"
        "print(cnnref.threads.openmp_threads())\n"
    )
    run = run_child(probe, tmp_path, OMP_NUM_THREADS="300")
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["300"]  # once 256: the measuring loop had 256 slots


@pytest.mark.parametrize(
    "setting, cpus, expected",
    [("100000", 2, "8"), ("9,2", 2, "8"), ("8", 2, "8"), ("3", 2, "3"), ("", 2, ""), ("x", 2, "x")],
)
def test_cap_openmp_threads_lowers_only_settings_above_four_per_cpu(setting, cpus, expected):
    from cnnref.kernels import cap_openmp_threads

    environ = {"OMP_NUM_THREADS": setting}
    if expected != setting:
        with pytest.warns(RuntimeWarning, match="lowered it to"):
            assert cap_openmp_threads(environ, cpus) == int(expected)
    else:
        assert cap_openmp_threads(environ, cpus) is None
    assert environ["OMP_NUM_THREADS"] == expected


def test_dense_products_split_across_threads_agree_with_numpy():
    rng = np.random.default_rng(5)
    shapes = [(64, 200, 300), (3, 1000, 999), (1, 800, 1000), (1, 7, 3), (0, 4, 5), (9, 1, 1)]
    for n, d, m in shapes:
        x, w = rng.standard_normal((n, d)), rng.standard_normal((d, m))
        b, delta = rng.standard_normal(m), rng.standard_normal((n, m))
        got = (cnnref.dense(x, w, b), *cnnref.dense_backward(delta, x, w))
        expected = (x @ w + b, delta @ w.T, x.T @ delta, delta.sum(axis=0))
        for ours, theirs in zip(got, expected, strict=True):
            np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)


def test_one_image_too_large_to_skip_splitting_agrees_with_the_direct_path():
    rng = np.random.default_rng(6)
    x, w = rng.standard_normal((1, 40, 40, 8)), rng.standard_normal((5, 5, 8, 32))
    b, dout = rng.standard_normal(32), rng.standard_normal((1, 36, 36, 32))
    out = cnnref.conv2d(x, w, b)  # 1296 · 200 · 32 multiply-adds: the products are split
    grads = cnnref.conv2d_backward(dout, x, w)
    np.testing.assert_allclose(out, conv2d_direct(x, w, b), atol=1e-10)
    expected = conv2d_backward_direct(dout, x, w)
    for ours, theirs in zip(grads, expected, strict=True):
        np.testing.assert_allclose(ours, theirs, atol=1e-9)


def test_the_filter_gradient_has_the_same_bits_for_any_thread_count():
    """dw is summed in fixed groups of images (not per thread): one OpenMP thread or all of them,
    the same bits."""
    from cnnref.kernels import conv as _conv

    rng = np.random.default_rng(9)
    n, c, f, k, size = 37, 3, 4, 3, 10
    x = rng.standard_normal((n, size, size, c)).astype(np.float32)
    w = rng.standard_normal((k, k, c, f)).astype(np.float32)
    dout = rng.standard_normal((n, size - k + 1, size - k + 1, f)).astype(np.float32)
    rows, patch = (size - k + 1) ** 2, k * k * c
    geometry = {"H": size, "W": size, "C": c, "KH": k, "KW": k, "stride": 1, "pad": 0,
                "Ho": size - k + 1, "Wo": size - k + 1}  # fmt: skip

    def dw_with(threads):
        parts = np.zeros((16, patch, f), dtype=np.float32)
        dx = np.zeros((n, size, size * c), dtype=np.float32)
        buffers = np.empty((threads, rows, patch), dtype=np.float32)
        with one_blas_thread():
            _conv.conv_backward_per_image(
                x.reshape(n, size, size * c), dout.reshape(-1, f), w.reshape(patch, f),
                parts, dx, True, True, buffers, geometry,
            )  # fmt: skip
        return parts.sum(axis=0), dx

    one, many = dw_with(1), dw_with(max(2, cnnref.threads.openmp_threads()))
    for ours, theirs in zip(one, many, strict=True):
        np.testing.assert_array_equal(ours, theirs)
    _, expected_dw, _ = conv2d_backward_direct(dout, x, w)
    np.testing.assert_allclose(one[0].reshape(w.shape), expected_dw, rtol=1e-4, atol=1e-4)


def test_threaded_element_wise_and_pooling_kernels_give_the_serial_bits():
    from cnnref.kernels import activations as _activations

    rng = np.random.default_rng(7)
    z = rng.standard_normal(16 * 28 * 28 * 16).astype(np.float32)  # 200,704 values: threaded
    g = rng.standard_normal(z.shape).astype(np.float32)
    for kind in (1, 2, 3):
        serial, threaded = np.empty_like(z), np.empty_like(z)
        _activations.times_derivative_kernel(g, z, serial, kind, 1)
        _activations.times_derivative_kernel(g, z, threaded, kind, 2)
        np.testing.assert_array_equal(serial, threaded)
    element_wise = (
        _activations.relu_kernel,
        _activations.sigmoid_kernel,
        _activations.tanh_kernel,
        _activations.relu_derivative_kernel,
        _activations.sigmoid_derivative_kernel,
        _activations.tanh_derivative_kernel,
    )
    for kernel in element_wise:
        serial, threaded = np.empty_like(z), np.empty_like(z)
        kernel(z, serial, 1)
        kernel(z, threaded, 2)
        np.testing.assert_array_equal(serial, threaded, err_msg=kernel.__name__)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("rows", [0, 1, 15, 17, 50_176])
def test_the_bias_gradient_row_sum_has_the_same_bits_for_any_thread_count(dtype, rows):
    """sum_rows adds fixed runs of rows (16, or one per row when fewer), not one run per thread:
    one OpenMP thread or several, the same bits; and the sum of the rows within rounding."""
    from cnnref.kernels import dense as _dense

    delta = np.random.default_rng(rows).standard_normal((rows, 16)).astype(dtype)
    sums = {}
    for threads in (1, 2, 3):
        sums[threads] = np.full(16, np.nan, dtype=dtype)
        _dense.sum_rows(delta, sums[threads], threads)
    np.testing.assert_array_equal(sums[1], sums[2])
    np.testing.assert_array_equal(sums[1], sums[3])
    exact = delta.astype(np.float64).sum(axis=0)
    np.testing.assert_allclose(sums[1], exact, rtol=np.finfo(dtype).eps, atol=1e-12 * rows)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("rows, cols", [(50_176, 16), (300, 33), (40, 7), (64, 1000), (3, 1)])
def test_the_row_sum_adds_each_column_row_by_row_in_double_within_each_run(dtype, rows, cols):
    """The exact bits of sum_rows' definition: each of the 16 runs of rows summed row by row in
    double (a cumulative sum runs in that order), the runs' sums added in order, rounded once;
    whole blocks of 16 columns, a block and a tail, a tail only, many blocks. Magnitudes spread
    over nine decades, so that in float64 another order (the rows reversed, say) shows in the
    last bits."""
    from cnnref.kernels import dense as _dense

    rng = np.random.default_rng(cols)
    delta = rng.standard_normal((rows, cols)) * 10.0 ** rng.integers(0, 9, (rows, cols))
    delta = delta.astype(dtype)
    runs = min(16, rows)
    total = np.zeros(cols)
    for run in range(runs):
        part = delta[run * rows // runs : (run + 1) * rows // runs].astype(np.float64)
        total = total + np.cumsum(part, axis=0)[-1]
    out = np.empty(cols, dtype=dtype)
    _dense.sum_rows(delta, out, 2)
    np.testing.assert_array_equal(out, total.astype(dtype))


@pytest.mark.skipif(not _conv_kernels.simd_available(), reason="needs the AVX2 + FMA kernels")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("stride, pad", [(1, 0), (2, 0), (1, 2), (2, 1)])
@pytest.mark.parametrize("images", [1, 2])
def test_the_simd_forward_split_into_row_bands_gives_the_bits_of_one_thread(
    dtype, stride, pad, images
):
    """Fewer images than threads: each image's output rows are split into one band per thread;
    with 1, 2, 3 or 5 threads (bands of unequal height, more threads than rows at 5), the same
    bits as one thread, and the values of the direct loops."""
    block = 16 if dtype == np.float32 else 8
    rng = np.random.default_rng(stride * 10 + pad)
    x = rng.standard_normal((images, 11, 9, 3)).astype(dtype)
    w = rng.standard_normal((3, 3, 3, 2 * block)).astype(dtype)
    b = rng.standard_normal(2 * block).astype(dtype)
    out_h, out_w = (11 + 2 * pad - 3) // stride + 1, (9 + 2 * pad - 3) // stride + 1
    size = (11 + 2 * pad) * (9 + 2 * pad) * 3 if pad else 1

    def forward(threads):
        out = np.full((images, out_h, out_w, 2 * block), np.nan, dtype=dtype)
        padded = np.empty((threads, size), dtype=dtype)
        _conv_kernels.conv_forward_simd(x, w, b, out, stride, pad, True, padded)
        return out

    one = forward(1)
    for threads in (2, 3, 5):
        np.testing.assert_array_equal(forward(threads), one, err_msg=f"{threads} threads")
    expected = conv2d_direct(x, w, b, stride=stride, pad=pad)
    tolerance = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(one, np.maximum(expected, 0), rtol=tolerance, atol=tolerance)
