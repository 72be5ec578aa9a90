"""One thread pool for cnnref's convolutions: OpenMP across the images, one BLAS thread per call.

By default the im2col path hands each layer's whole patch matrix to one NumPy product, which
OpenBLAS runs on its own threads, and cnnref's kernels in between run on one core. Inside
:func:`single_thread_blas` the convolutions instead run OpenMP across the images of a batch, each
thread building one image's patch matrix (small enough to stay in cache) and multiplying it on
one BLAS thread. Every OpenBLAS library in the process is held to one thread meanwhile: OpenBLAS's
idle workers keep spinning after a product, and on a machine with few cores they and OpenMP's
threads would otherwise fight for the same cores (docs/performance.md measures both). Dense layers
and other NumPy products in the block also run on one thread.

Use it around a whole run, not around each call: restoring OpenBLAS's thread count wakes its
workers, which then spin while the next kernel wants the cores. ``cnnref.train.fit`` and the
benchmark enter it for their whole run.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

_state = threading.local()


def per_image_convolutions() -> bool:
    """True inside :func:`single_thread_blas` (in this thread): conv2d and conv2d_backward use the
    per-image OpenMP path."""
    return getattr(_state, "depth", 0) > 0


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
