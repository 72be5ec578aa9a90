"""Fail early, and say how to fix it, when the Cython kernels are not built.

A source checkout has the kernels' ``.pyx`` sources but not the compiled extension modules until
they are built; without this check the first ``from . import <kernel>`` fails with Python's
misleading "partially initialized module ... (most likely due to a circular import)". Importing
this module (``cnnref/__init__.py`` does it first) checks that every ``.pyx`` under the package
has its compiled module and raises one :class:`ImportError` naming what is missing and the command
that builds it.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
BUILD_COMMAND = 'pip install -e ".[test,train,docs]"'
IN_PLACE_COMMAND = "python setup.py build_ext --inplace"


def kernel_modules(package_dir: Path = PACKAGE_DIR) -> list[str]:
    """Dotted names of the extension modules the ``.pyx`` files under ``package_dir`` build."""
    return sorted(
        ".".join((package_dir.name, *source.relative_to(package_dir).with_suffix("").parts))
        for source in package_dir.rglob("*.pyx")
    )


def missing_kernels(package_dir: Path = PACKAGE_DIR) -> list[str]:
    """The kernel modules that have a ``.pyx`` source but no importable compiled module."""
    return [name for name in kernel_modules(package_dir) if importlib.util.find_spec(name) is None]


def unbuilt_message(missing: list[str], package_dir: Path = PACKAGE_DIR) -> str:
    """The one error a user sees: what is missing, where, and the command that builds it."""
    checkout = package_dir.parent
    return (
        f"cnnref's compiled Cython kernels are not built in {package_dir} "
        f"(missing: {', '.join(name.rsplit('.', 1)[-1] for name in missing)}). "
        f"This is a source checkout: build them in place by running, in {checkout}, "
        f"`{BUILD_COMMAND}` (an editable install with the contributor extras), or only "
        f"`{IN_PLACE_COMMAND}`; or run from outside the checkout to use an installed cnnref."
    )


def require_compiled_kernels(package_dir: Path = PACKAGE_DIR) -> None:
    """Raise :class:`ImportError` with :func:`unbuilt_message` if any kernel is not built."""
    missing = missing_kernels(package_dir)
    if missing:
        raise ImportError(unbuilt_message(missing, package_dir), name="cnnref")


require_compiled_kernels()
