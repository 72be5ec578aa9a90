"""Build the Cython kernels of cnnref, with OpenMP where the compiler supports it."""

import os
import sys
import tempfile
from pathlib import Path

import numpy
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

KERNELS = ["conv", "pool", "dense", "activations", "softmax", "gradients", "optim"]
# CNNREF_DEBUG_BUILD=1 builds the same kernels with every memoryview index checked (IndexError
# instead of a stray read or write), Python's division semantics (ZeroDivisionError instead of
# SIGFPE), initialization and None checks, and -O0 -g for a debugger. Its C files go to
# build/debug-c, so they never replace those of the normal build (docs/guides/contributor.md).
DEBUG_BUILD = os.environ.get("CNNREF_DEBUG_BUILD", "") not in ("", "0")
CYTHON_DIRECTIVES = {
    "language_level": 3,
    "boundscheck": DEBUG_BUILD,
    "wraparound": False,
    "cdivision": not DEBUG_BUILD,
    "initializedcheck": DEBUG_BUILD,
    "nonecheck": DEBUG_BUILD,
}
OPTIMIZATION = ["-O0", "-g"] if DEBUG_BUILD else ["-O3"]


def _compiler_accepts_openmp(compiler) -> bool:
    """Try to compile and link a tiny OpenMP program with the compiler setuptools chose."""
    if compiler.compiler_type == "msvc":
        return True
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp, "omp_probe.c")
        probe = "#include <omp.h>\nint main(void){return omp_get_max_threads() > 0 ? 0 : 1;}\n"
        source.write_text(probe)
        try:
            objects = compiler.compile([str(source)], output_dir=tmp, extra_postargs=["-fopenmp"])
            compiler.link_executable(
                objects, str(Path(tmp, "omp_probe")), extra_postargs=["-fopenmp"]
            )
        except Exception:
            return False
    return True


class BuildExtWithOptionalOpenMP(build_ext):
    """Add OpenMP flags when they work; otherwise build the same kernels serially."""

    def build_extensions(self) -> None:
        disabled = os.environ.get("CNNREF_DISABLE_OPENMP", "") not in ("", "0")
        use_openmp = not disabled and _compiler_accepts_openmp(self.compiler)
        if not use_openmp:
            print("cnnref: building without OpenMP", file=sys.stderr)
        for ext in self.extensions:
            if self.compiler.compiler_type == "msvc":
                ext.extra_compile_args += ["/O2"] + (["/openmp"] if use_openmp else [])
            else:
                ext.extra_compile_args += OPTIMIZATION + (["-fopenmp"] if use_openmp else [])
                ext.extra_link_args += ["-fopenmp"] if use_openmp else []
        super().build_extensions()


extensions = [
    Extension(
        f"cnnref.kernels.{name}",
        [f"cnnref/kernels/{name}.pyx"],
        include_dirs=[numpy.get_include(), "cnnref/kernels"],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
    )
    for name in KERNELS
]

setup(
    ext_modules=cythonize(
        extensions,
        compiler_directives=CYTHON_DIRECTIVES,
        **({"build_dir": "build/debug-c", "force": True} if DEBUG_BUILD else {}),
    ),
    cmdclass={"build_ext": BuildExtWithOptionalOpenMP},
)
