"""The layers of the folder tree, kept by reading every import (lazy ones in functions too).

cnnref:  kernels → validation, threads, padding → the functional API → nn (and the public API)
         → training → bench → commands → the entry point (cli, __main__)
verify:  may import cnnref's functional API and nn, never its training, bench or command layers;
         verify.naive imports nothing of cnnref (an oracle that calls the code it checks proves
         nothing); only verify.grade imports verify.grade.
A module never imports another module's private (underscore) name, and a command module is
imported by nothing but the entry point.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("cnnref", "verify")
FUNCTIONAL = ("conv", "pool", "linear", "activations", "output", "gradients", "multilayer")

# Rank of each cnnref layer: a module may import only modules of its own rank or lower.
CNNREF_LAYERS = {
    "cnnref.kernels": 0,
    "cnnref.validation": 1,
    "cnnref.threads": 1,
    "cnnref.padding": 1,
    **{f"cnnref.{name}": 2 for name in FUNCTIONAL},
    "cnnref.conv_paths": 2,  # the machinery behind conv.py's formulas
    "cnnref.nn": 3,
    "cnnref": 3,  # the package itself: the public API re-exports the functional API and nn
    "cnnref.training": 4,
    "cnnref.bench": 5,
    "cnnref.commands": 6,
    "cnnref.cli": 7,
    "cnnref.__main__": 7,
}
CNNREF_LAYERS_VERIFY_MAY_IMPORT = 3
ENTRY_POINTS = ("cnnref.cli", "cnnref.__main__", "verify.__main__")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            modules[module_name(path)] = path
    return modules


def resolve(importer: str, is_package: bool, level: int, target: str | None) -> str:
    """The absolute name of ``from <level dots><target> import …`` written in ``importer``."""
    if level == 0:
        return target or ""
    base = importer.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join([*base, *([target] if target else [])])


def imports_of(name: str, path: Path) -> list[tuple[str, str | None, int]]:
    """(imported module, imported name or None, line) for every import in the file."""
    tree = ast.parse(path.read_text(), filename=str(path))
    is_package = path.name == "__init__.py"
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, None, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = resolve(name, is_package, node.level, node.module)
            found += [(module, alias.name, node.lineno) for alias in node.names]
    return found


def is_project(module: str) -> bool:
    return module.split(".")[0] in PACKAGES


def cnnref_rank(module: str) -> int:
    """The rank of the cnnref layer holding ``module`` (its longest matching prefix)."""
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        prefix = ".".join(parts[:end])
        if prefix in CNNREF_LAYERS:
            return CNNREF_LAYERS[prefix]
    raise AssertionError(f"{module} belongs to no layer of CNNREF_LAYERS: add it there")


def imported_modules(module: str, name: str | None, modules: dict[str, Path]) -> list[str]:
    """The project modules an import statement uses: ``from a import b`` uses a.b where b is a
    submodule (the package a is then only its parent, loaded by any import of a.x), else a."""
    if name is not None and f"{module}.{name}" in modules:
        return [f"{module}.{name}"]
    return [module]


def violations() -> list[str]:
    modules = project_modules()
    found = []
    for importer, path in modules.items():
        for module, name, line in imports_of(importer, path):
            if is_project(module):
                place = f"{path.relative_to(ROOT)}:{line}"
                found += import_problems(importer, module, name, place, modules)
    return found


def import_problems(
    importer: str, module: str, name: str | None, place: str, modules: dict[str, Path]
) -> list[str]:
    """What is wrong with ``importer`` importing ``module`` (``from module import name``)."""
    place = f"{place}: {importer} imports {module}" + (f".{name}" if name else "")
    problems = []
    for target in imported_modules(module, name, modules):
        problems += layer_violations(importer, target, place)
    if name is not None and name.startswith("_") and not name.startswith("__"):
        problems.append(f"{place}: a private name crosses modules")
    return problems


def layer_violations(importer: str, target: str, place: str) -> list[str]:
    problems = []
    if target.startswith("cnnref.commands") and importer not in ENTRY_POINTS:
        if not importer.startswith("cnnref.commands") or importer == target:
            problems.append(f"{place}: only the entry point imports command modules")
        else:
            problems.append(f"{place}: a command module imports another command module")
    if importer.startswith("cnnref"):
        if target.startswith("verify") and not importer.startswith("cnnref.commands"):
            problems.append(f"{place}: cnnref imports verify outside its commands")
        if target.startswith("cnnref") and cnnref_rank(target) > cnnref_rank(importer):
            problems.append(f"{place}: a lower layer imports a higher one")
    if importer.startswith("verify") and importer not in ENTRY_POINTS:
        if target.startswith("cnnref") and cnnref_rank(target) > CNNREF_LAYERS_VERIFY_MAY_IMPORT:
            problems.append(f"{place}: verify imports a cnnref layer above nn")
        if importer.startswith("verify.naive") and target.startswith("cnnref"):
            problems.append(f"{place}: a naive twin imports the code it checks")
        if target.startswith("verify.grade") and not importer.startswith("verify.grade"):
            problems.append(f"{place}: the oracle imports the grader")
    return problems


def test_the_tree_keeps_its_layers() -> None:
    assert violations() == []


def test_every_cnnref_module_belongs_to_a_layer() -> None:
    for module in project_modules():
        if module.startswith("cnnref"):
            assert 0 <= cnnref_rank(module) <= max(CNNREF_LAYERS.values())


@pytest.mark.parametrize(
    ("importer", "source", "message"),
    [
        ("cnnref.conv", "from .nn.layers import Dense\n", "a lower layer imports a higher one"),
        ("cnnref.kernels", "import cnnref.threads\n", "a lower layer imports a higher one"),
        ("cnnref.training.fit", "from ..commands import train\n", "only the entry point"),
        ("cnnref.commands.evaluate", "from .train import run\n", "another command module"),
        ("cnnref.conv", "from .linear import _matmul\n", "a private name crosses modules"),
        ("cnnref.nn.layers", "import verify.naive\n", "cnnref imports verify"),
        ("verify.naive.conv", "from cnnref.conv import conv2d\n", "a naive twin imports"),
        ("verify.oracle", "from verify.grade import runner\n", "the oracle imports the grader"),
        ("verify.oracle", "import cnnref.training.fit\n", "verify imports a cnnref layer above"),
    ],
)
def test_the_checker_rejects_each_kind_of_violation(
    importer: str, source: str, message: str, tmp_path: Path
) -> None:
    path = tmp_path / "module.py"
    path.write_text(source)
    modules = project_modules()
    problems = []
    for module, name, line in imports_of(importer, path):
        problems += import_problems(importer, module, name, f"module.py:{line}", modules)
    assert any(message in problem for problem in problems), problems


def test_relative_imports_resolve_against_the_importing_package() -> None:
    assert resolve("cnnref.nn.layers", False, 2, "conv") == "cnnref.conv"
    assert resolve("cnnref.nn", True, 1, "layers") == "cnnref.nn.layers"
    assert resolve("cnnref.conv", False, 1, None) == "cnnref"
    assert resolve("verify.grade.runner", False, 2, "compare") == "verify.compare"
