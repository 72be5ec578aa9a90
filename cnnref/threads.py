"""How cnnref uses the machine's threads: one OpenMP pool, and the BLAS it calls held to one thread.

cnnref's kernels run on one thread pool, OpenMP's. A convolution runs OpenMP across the images of
the batch, each thread building one image's patch matrix and multiplying it with a one-thread BLAS
product (SciPy's ``cython_blas``, called without the GIL); a dense layer's product is split by
blocks of output columns over the same threads. For the duration of each such call cnnref holds
the BLAS library that SciPy's ``cython_blas`` calls to one thread (:func:`one_blas_thread`) and
restores its previous thread count when the last concurrent cnnref call leaves: two thread pools
(OpenBLAS's workers, which keep spinning after a product, and OpenMP's) would otherwise fight for
the same cores. cnnref never calls NumPy's BLAS in these paths, so NumPy's thread settings are left
alone. Nothing needs to be set by the user; ``OMP_NUM_THREADS`` picks the size of cnnref's pool.

On a machine where other processes keep cores busy, each call runs on fewer threads: the pool less
one per core that others have taken lately (:func:`openmp_threads`, :class:`BusyCores`), so no
thread of cnnref's waits its turn on a core another process holds. The work is split by the pool's
size whatever the count, so the results keep their bits; ``CNNREF_ADAPTIVE_THREADS=0`` keeps the
whole pool. The OpenMP loops over images hand out one image at a time (dynamic schedule), so
threads that run faster than others take the larger share.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable, Iterable

_POOL: int | None = None


def pool_threads() -> int:
    """The size of cnnref's OpenMP pool (1 when built without OpenMP), measured once.

    The measuring loop has a slot for every thread OpenMP can start here: OMP_NUM_THREADS is at
    most THREADS_PER_CPU_CAP per CPU (cnnref.kernels lowers it), and OpenMP's default is one per
    CPU. (It once had 256 slots, and reported 256 for any larger team.)"""
    global _POOL
    if _POOL is None:
        from .kernels import conv as _conv
        from .kernels import thread_cap

        slots = max(256, thread_cap())
        _POOL = _conv.openmp_threads(slots)
    return _POOL


def openmp_threads() -> int:
    """The threads cnnref's OpenMP loops run on now: the pool (:func:`pool_threads`) less one for
    each core that other processes have kept busy lately (:class:`BusyCores`), at least one.

    A loop whose work is shared among the threads waits for the slowest: a thread that shares its
    core with another process's loop gets a few milliseconds of every few, and a step of
    sub-millisecond loops runs at the pace of the preempted one. With one core of two taken, one
    thread on the free core keeps more than half the idle throughput, two threads a fifth.
    Every result has the same bits for any count (the work is split by the pool's size, not by
    this count). ``CNNREF_ADAPTIVE_THREADS=0`` keeps the whole pool."""
    pool = pool_threads()
    if pool == 1:
        return 1
    return max(1, pool - _BUSY.taken())


ADAPTIVE_VARIABLE = "CNNREF_ADAPTIVE_THREADS"
Clock = Callable[[], float]


class BusyCores:
    """How many of this process's CPUs other processes have kept busy, from the kernel's CPU
    time counters (``/proc/stat``, Linux only; elsewhere none are counted).

    Every ``interval`` seconds at most (at a cnnref call, no thread of its own) it compares the
    busy time of the CPUs ``cpus`` (default: the affinity mask) over the interval with this
    process's own CPU time: the rest is other processes'. A core counts as taken when others used
    at least ``share`` of one: on two cores, a spinning process that one of cnnref's two threads
    keeps from half its core still counts, so the count does not flip back while both run.
    """

    def __init__(
        self,
        interval: float = 0.25,
        share: float = 0.3,
        stat: str = "/proc/stat",
        clocks: tuple[Clock, Clock] = (time.monotonic, time.process_time),
        cpus: Iterable[int] | None = None,
    ) -> None:
        import sys

        self.interval, self.share, self.stat = interval, share, stat
        self._wall, self._own = clocks  # wall time, and this process's CPU time (all threads)
        self.enabled = sys.platform.startswith("linux") and os.environ.get(ADAPTIVE_VARIABLE) != "0"
        if cpus is None:
            cpus = os.sched_getaffinity(0) if self.enabled else ()
        self._cpus = {f"cpu{i}".encode() for i in cpus}
        self._ticks = os.sysconf("SC_CLK_TCK") if self.enabled else 100
        self._lock = threading.Lock()
        self._last: tuple[float, float, float] | None = None  # (wall, busy CPU s, own CPU s)
        self._next = 0.0
        self._taken = 0

    def taken(self) -> int:
        """The cores other processes kept busy over the last interval (0 until two readings)."""
        if not self.enabled:
            return 0
        now = self._wall()
        if now >= self._next and self._lock.acquire(blocking=False):
            try:
                self._sample(now)
            finally:
                self._lock.release()
        return self._taken

    def _sample(self, now: float) -> None:
        busy = self._busy_seconds()
        if busy is None:
            self.enabled, self._taken = False, 0
            return
        reading = (now, busy, self._own())
        if self._last is not None and now > self._last[0]:
            wall = now - self._last[0]
            others = (reading[1] - self._last[1]) - (reading[2] - self._last[2])
            self._taken = min(len(self._cpus), max(0, int(others / wall + 1 - self.share)))
        self._last, self._next = reading, now + self.interval

    def _busy_seconds(self) -> float | None:
        """Seconds the CPUs of the affinity mask spent on anything but idling since boot: user,
        nice, system, irq, softirq and steal (time the hypervisor gave other machines)."""
        try:
            with open(self.stat, "rb") as counters:
                lines = counters.read().splitlines()
            ticks, found = 0, 0
            for line in lines:
                name, _, rest = line.partition(b" ")
                if name in self._cpus:
                    fields = rest.split()
                    ticks += sum(int(fields[i]) for i in (0, 1, 2, 5, 6, 7))
                    found += 1
        except (OSError, ValueError, IndexError):
            return None  # no counters, or not in the layout of Linux's /proc/stat
        return ticks / self._ticks if found else None

    def forget(self) -> None:
        """Drop the last reading (a forked child's CPU time starts again at 0)."""
        self._last, self._next, self._taken = None, 0.0, 0


_BUSY = BusyCores()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=lambda: _BUSY.forget())


class _ThreadCount:
    """Get and set one BLAS library's process-wide thread count.

    For OpenBLAS the library's own functions are called, not threadpoolctl's setter: threadpoolctl
    lets only the first Python thread that used it change OpenBLAS's count (calls from any other
    thread silently do nothing), and cnnref is called from any thread.
    """

    def __init__(self, controller) -> None:
        self.filepath = controller.filepath
        self._controller = controller
        self._get, self._set = _openblas_functions(controller)

    def get(self) -> int:
        return int(self._get()) if self._get else self._controller.get_num_threads()

    def set(self, count: int) -> None:
        if self._set:
            self._set(count)
        else:
            self._controller.set_num_threads(count)


def _openblas_functions(controller):
    """OpenBLAS's (get, set) thread-count functions, or (None, None) for another BLAS."""
    import ctypes
    import itertools

    if controller.internal_api != "openblas":
        return None, None
    library = ctypes.CDLL(controller.filepath)
    for prefix, suffix in itertools.product(("", "scipy_"), ("", "64_", "_64")):
        get = getattr(library, f"{prefix}openblas_get_num_threads{suffix}", None)
        set_ = getattr(library, f"{prefix}openblas_set_num_threads{suffix}", None)
        if get is not None and set_ is not None:
            get.restype, set_.argtypes, set_.restype = ctypes.c_int, [ctypes.c_int], None
            return get, set_
    return None, None


class _BlasHold:
    """A process-wide count of the cnnref calls that need the BLAS at one thread.

    The first call to enter saves the BLAS libraries' thread counts and sets them to 1; the last
    one to leave restores the saved counts. A lock makes entering and leaving from several Python
    threads at once safe: no order of entries and exits leaves the BLAS at one thread afterwards.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holders = 0
        self._saved: list[tuple[_ThreadCount, int]] = []
        self._libraries: list[_ThreadCount] | None = None

    def libraries(self) -> list[_ThreadCount]:
        """The BLAS libraries that SciPy's cython_blas may call: SciPy's own copy when it ships
        one, else every BLAS in the process but NumPy's own copy. An OpenBLAS built on OpenMP is
        left out: called inside an OpenMP loop, it already runs on one thread."""
        if self._libraries is None:
            self._libraries = [_ThreadCount(lib) for lib in _scipy_blas_controllers()]
        return self._libraries

    def enter(self) -> None:
        with self._lock:
            if self._holders == 0:
                self._saved = [(lib, lib.get()) for lib in self.libraries()]
                for lib, count in self._saved:
                    if count != 1:
                        lib.set(1)
            self._holders += 1

    def leave(self) -> None:
        with self._lock:
            self._holders -= 1
            if self._holders == 0:
                for lib, count in self._saved:
                    if count != 1:
                        lib.set(count)
                self._saved = []

    @property
    def holders(self) -> int:
        return self._holders

    # A context manager of its own: cheaper per call than a generator-based one, and re-entrant
    # (each ``with`` counts once).
    def __enter__(self) -> None:
        self.enter()

    def __exit__(self, *exc_info) -> None:
        self.leave()


def _scipy_blas_controllers() -> list:
    import numpy
    import scipy
    import scipy.linalg.cython_blas  # (loads the BLAS it calls)
    from threadpoolctl import ThreadpoolController

    blas = [
        lib
        for lib in ThreadpoolController().lib_controllers
        if lib.user_api == "blas" and getattr(lib, "threading_layer", "") != "openmp"
    ]
    # A wheel's own copy sits in scipy/ or scipy.libs/ (numpy/ or numpy.libs/ for NumPy's).
    scipy_own = os.path.dirname(scipy.__file__)
    numpy_own = os.path.dirname(numpy.__file__)
    vendored = [lib for lib in blas if lib.filepath.startswith(scipy_own)]
    return vendored or [lib for lib in blas if not lib.filepath.startswith(numpy_own)]


_HOLD = _BlasHold()


def one_blas_thread() -> contextlib.AbstractContextManager[None]:
    """Hold the BLAS that cnnref's kernels call to one thread for the block; re-entrant, and safe
    from several Python threads at once (the last block to leave restores the saved counts).

    cnnref's convolution and dense calls enter it themselves around their kernels; there is no
    need to use it around user code. While any cnnref call runs, SciPy's BLAS is at one thread for
    the whole process (a ``scipy.linalg`` call from another Python thread meanwhile runs on one
    thread).
    """
    return _HOLD


_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters (malloc.h)
_HEAP_BLOCK_LIMIT = 32 * 1024 * 1024  # glibc's ceiling for M_MMAP_THRESHOLD on 64-bit systems
_KEPT_FLOOR, _KEPT_CEILING = 64 * 1024 * 1024, 1024 * 1024 * 1024


def kept_free_bytes() -> int:
    """The freed memory glibc may keep at the top of its heap once cnnref is imported: a
    sixteenth of the machine's physical memory, at least 64 MB and at most 1 GiB."""
    try:
        physical = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return _KEPT_FLOOR
    return min(_KEPT_CEILING, max(_KEPT_FLOOR, physical // 16))


def reuse_freed_memory() -> bool:
    """Ask glibc's malloc to serve blocks up to 32 MB from its heap and to keep up to
    :func:`kept_free_bytes` of freed memory there.

    A training step allocates and frees the same few-megabyte arrays every step. By default glibc
    maps each block above its (adaptive) threshold afresh and unmaps it when freed, so every step
    page-faults its arrays in again: in a fresh process that cost the seed network's float32 step
    at batch 64 a third of its time (26–34 ms against 17–21 ms), and a loop over the plain
    functional API a fifth. Once freed, the step's blocks merge at the top of the heap, which
    glibc hands back to the system when it grows past the trim threshold: at batch 256 a step's
    arrays pass 64 MB, and a loop on the formula functions that keeps each layer's output took
    58 ms a step in float32 instead of 38 (700,000 page faults in 60 steps against 32,000). This
    is a process-wide, one-way setting (glibc offers no way to read the old values back);
    ``import cnnref`` makes it (:func:`reuse_freed_memory_on_import`). Returns False, doing
    nothing, off glibc.
    """
    import ctypes

    try:
        libc = ctypes.CDLL(None)
        libc.gnu_get_libc_version  # noqa: B018 (present in glibc only)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(
        mallopt(_M_MMAP_THRESHOLD, _HEAP_BLOCK_LIMIT)
        and mallopt(_M_TRIM_THRESHOLD, kept_free_bytes())
    )


SYSTEM_MALLOC_VARIABLE = "CNNREF_SYSTEM_MALLOC"


def reuse_freed_memory_on_import() -> bool:
    """What ``import cnnref`` does to malloc: :func:`reuse_freed_memory`, unless the environment
    variable ``CNNREF_SYSTEM_MALLOC`` is ``1`` (glibc's defaults are then left alone). Returns
    whether the setting was made."""
    if os.environ.get(SYSTEM_MALLOC_VARIABLE, "") == "1":
        return False
    return reuse_freed_memory()
