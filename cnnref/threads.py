"""One thread pool for cnnref's convolutions: OpenMP across the images, one BLAS thread per call.

By default the im2col path hands each layer's whole patch matrix to one NumPy product, which
OpenBLAS runs on its own threads, and cnnref's kernels in between run on one core. Inside
:func:`single_thread_blas` the convolutions instead run OpenMP across the images of a batch, each
thread building one image's patch matrix (small enough to stay in cache) and multiplying it on
one BLAS thread, and the dense layers split their products by output columns across the OpenMP
threads. Every OpenBLAS library in the process is held to one thread meanwhile: OpenBLAS's idle
workers keep spinning after a product, and on a machine with few cores they and OpenMP's threads
would otherwise fight for the same cores (docs/performance.md measures both). Other NumPy products
in the block run on one thread.

Use it around a whole run, not around each call: restoring OpenBLAS's thread count wakes its
workers, which then spin while the next kernel wants the cores. ``cnnref.training.fit.fit`` and the
benchmark enter it for their whole run.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

_state = threading.local()


def in_single_thread_blas() -> bool:
    """True inside :func:`single_thread_blas` (in this thread): the convolutions run OpenMP across
    the images and the dense layers' products are split across OpenMP threads."""
    return getattr(_state, "depth", 0) > 0


def openmp_threads() -> int:
    """The thread count of cnnref's OpenMP loops (1 when built without OpenMP), measured once."""
    global _THREADS
    if _THREADS is None:
        from .kernels import conv as _conv

        _THREADS = _conv.openmp_threads()
    return _THREADS


_THREADS: int | None = None


def kernel_threads() -> int:
    """Threads for cnnref's element-wise and pooling kernels: all of OpenMP's inside
    :func:`single_thread_blas`, where no BLAS thread competes with them; else 1."""
    return openmp_threads() if in_single_thread_blas() else 1


@contextlib.contextmanager
def single_thread_blas() -> Iterator[None]:
    """Hold OpenBLAS to one thread and run cnnref's convolutions OpenMP across the images.

    Re-entrant; on exit the previous OpenBLAS thread counts are restored. Needs threadpoolctl.
    """
    from threadpoolctl import ThreadpoolController

    limiter = ThreadpoolController().select(internal_api="openblas").limit(limits=1)
    _state.depth = getattr(_state, "depth", 0) + 1
    try:
        yield
    finally:
        _state.depth -= 1
        limiter.restore_original_limits()


_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters (malloc.h)
_HEAP_BLOCK_LIMIT = 32 * 1024 * 1024  # glibc's ceiling for M_MMAP_THRESHOLD on 64-bit systems


def reuse_freed_memory() -> bool:
    """Ask glibc's malloc to serve blocks up to 32 MB from its heap and to keep up to 64 MB freed.

    A training step allocates and frees the same few-megabyte arrays every step. By default glibc
    maps each block above its (adaptive) threshold afresh and unmaps it when freed, so every step
    page-faults its arrays in again: in a fresh process that cost the seed network's float32 step
    at batch 64 a third of its time (26–34 ms against 17–21 ms). This is a process-wide, one-way
    setting (glibc offers no way to read the old values back); ``cnnref.training.fit.fit``,
    ``cnnref evaluate`` and ``cnnref bench`` call it. Returns False, doing nothing, off glibc.
    """
    import ctypes
    import platform

    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(
        mallopt(_M_MMAP_THRESHOLD, _HEAP_BLOCK_LIMIT)
        and mallopt(_M_TRIM_THRESHOLD, 2 * _HEAP_BLOCK_LIMIT)
    )
