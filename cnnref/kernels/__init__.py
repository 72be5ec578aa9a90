"""The compiled kernels: typed Cython loops (fused float32/float64, no bounds checks, the GIL
released), one module per topic of the functional API, each closed-form gradient included.

Nothing here checks its arguments: the functional API (``cnnref.conv``, ``cnnref.pool``, …)
validates them and calls in.

A source checkout has the kernels' ``.pyx`` sources but not their compiled modules until they are
built; without a check the first kernel import would fail with Python's misleading "partially
initialized module ... (most likely due to a circular import)". Importing this package (which the
functional API does before any kernel) checks that every ``.pyx`` here has its compiled module and
raises one :class:`ImportError` naming what is missing and the command that builds it.

It also caps ``OMP_NUM_THREADS`` before the OpenMP runtime loads (:func:`cap_openmp_threads`):
libgomp crashes the interpreter when asked for a team of about 100,000 threads.
"""

from __future__ import annotations

import importlib.util
import os
import warnings
from collections.abc import MutableMapping
from pathlib import Path

KERNELS_DIR = Path(__file__).resolve().parent
BUILD_COMMAND = 'pip install -e ".[test,train,docs]"'
IN_PLACE_COMMAND = "python setup.py build_ext --inplace"
# Threads per CPU above which OMP_NUM_THREADS is lowered (more only oversubscribe the cores).
THREADS_PER_CPU_CAP = 4


def kernel_modules(kernels_dir: Path = KERNELS_DIR) -> list[str]:
    """Dotted names of the extension modules the ``.pyx`` files in ``kernels_dir`` build."""
    return sorted(f"{__name__}.{source.stem}" for source in kernels_dir.glob("*.pyx"))


def missing_kernels(kernels_dir: Path = KERNELS_DIR) -> list[str]:
    """The kernel modules that have a ``.pyx`` source but no importable compiled module."""
    return [name for name in kernel_modules(kernels_dir) if importlib.util.find_spec(name) is None]


def unbuilt_message(missing: list[str], kernels_dir: Path = KERNELS_DIR) -> str:
    """The one error a user sees: what is missing, where, and the command that builds it."""
    checkout = kernels_dir.parents[1]
    return (
        f"cnnref's compiled Cython kernels are not built in {kernels_dir} "
        f"(missing: {', '.join(missing)}). "
        f"This is a source checkout: build them in place by running, in {checkout}, "
        f"`{BUILD_COMMAND}` (an editable install with the contributor extras), or only "
        f"`{IN_PLACE_COMMAND}`; or run from outside the checkout to use an installed cnnref."
    )


def require_compiled_kernels(kernels_dir: Path = KERNELS_DIR) -> None:
    """Raise :class:`ImportError` with :func:`unbuilt_message` if any kernel is not built."""
    missing = missing_kernels(kernels_dir)
    if missing:
        raise ImportError(unbuilt_message(missing, kernels_dir), name=__name__)


def thread_cap(cpus: int | None = None) -> int:
    """The most threads cnnref lets OpenMP start: THREADS_PER_CPU_CAP per CPU."""
    return THREADS_PER_CPU_CAP * (cpus or os.cpu_count() or 1)


def cap_openmp_threads(
    environ: MutableMapping[str, str] = os.environ, cpus: int | None = None
) -> int | None:
    """Lower ``OMP_NUM_THREADS`` to THREADS_PER_CPU_CAP threads per CPU, with a warning, when it
    asks for more (its first entry, as OpenMP reads it); return the new value, or None when it is
    left as it is. Must run before the OpenMP runtime is loaded, which reads it once."""
    value = environ.get("OMP_NUM_THREADS", "")
    first = value.split(",")[0].strip()
    if not first.isdigit():
        return None
    cap = thread_cap(cpus)
    if int(first) <= cap:
        return None
    environ["OMP_NUM_THREADS"] = str(cap)
    warnings.warn(
        f"OMP_NUM_THREADS={value} asks for more than {THREADS_PER_CPU_CAP} threads per CPU; "
        f"cnnref lowered it to {cap} (a team of ~100,000 threads crashes the OpenMP runtime)",
        RuntimeWarning,
        stacklevel=2,
    )
    return cap


cap_openmp_threads()
require_compiled_kernels()
