"""Stand-ins for the course kit: a submission importing the course's own helpers still loads.

CS231n students' ``layers.py`` files often import the kit they were handed — ``from
cs231n.im2col import *``, ``from .fast_layers import *``, ``from past.builtins import xrange`` —
modules the grader does not ship. :func:`with_stand_ins` adds one line to such a submission (on
a line that already exists, so every line number the student sees stays the same) that installs
an import finder for the assignment's kit modules. A kit module loads as a stand-in whose every
name is a function raising :class:`NotAvailableInGrading` (``"not available in grading: …"``)
only when called; ``import *`` from it binds the names the submission uses but never defines.
``past.builtins`` and ``future.builtins`` map Python 2's names to Python 3's (``xrange`` is
``range``). A real module of the same name, if installed, wins: the finder is the last one asked.
"""

from __future__ import annotations

import ast
import builtins

from .mistakes import python2_names
from .scan import parse

COMPAT = ("past", "future")

# Runs in the child, from a string: only the standard library, no name leaks into the submission
# except what it imports.
_FINDER = """
def install(kit, used, compat):
    import builtins, functools, sys
    import importlib.machinery as machinery

    class NotAvailableInGrading(RuntimeError):
        pass

    def missing(qualified):
        def stand_in(*args, **kwargs):
            raise NotAvailableInGrading(f"not available in grading: {qualified} (the course kit)")
        stand_in.__name__ = qualified.rpartition(".")[2]
        return stand_in

    python2 = {"xrange": range, "unicode": str, "basestring": str, "long": int,
               "raw_input": input, "reduce": functools.reduce, "unichr": chr}

    class Loader:
        def create_module(self, spec):
            return None

        def exec_module(self, module):
            name = module.__name__
            module.__path__ = []
            module.__all__ = list(used)

            def attribute(attr):
                if attr.startswith("__"):
                    raise AttributeError(attr)
                if name.partition(".")[0] in compat:
                    if attr in python2:
                        return python2[attr]
                    if hasattr(builtins, attr):
                        return getattr(builtins, attr)
                return missing(f"{name}.{attr}")

            module.__getattr__ = attribute

    class Finder:
        @staticmethod
        def find_spec(fullname, path=None, target=None):
            if fullname.partition(".")[0] in kit:
                return machinery.ModuleSpec(fullname, Loader(), is_package=True)
            return None

    sys.meta_path.append(Finder())
"""


def _kit_imports(tree: ast.Module, kit: tuple[str, ...]) -> tuple[bool, bool]:
    """(imports a kit module, has a relative import) anywhere in the module."""
    absolute = relative = False
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            absolute |= any(alias.name.partition(".")[0] in kit for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                relative = True
            elif node.module and node.module.partition(".")[0] in kit:
                absolute = True
    return absolute, relative


def unbound_names(tree: ast.Module) -> list[str]:
    """Names the module reads but never binds (nor are built-ins, nor Python 2's names, which
    then fail as themselves): what ``import *`` from the kit must provide."""
    read, bound = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (read if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound |= {(a.asname or a.name).partition(".")[0] for a in node.names}
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
    skip = bound | set(dir(builtins)) | set(python2_names())
    return sorted(read - skip)


def _prelude(kit: tuple[str, ...], used: list[str], package: str) -> str:
    code = _FINDER + f"\ninstall({kit!r}, {used!r}, {COMPAT!r})\n"
    line = f"exec({code!r}, {{'__builtins__': __builtins__}})"
    return line + (f"; __package__ = {package!r}" if package else "")


def _insert(lines: list[str], tree: ast.Module, prelude: str) -> list[str]:
    """``lines`` with ``prelude`` placed so no line number changes: after the last ``__future__``
    import on its line, else before the first statement on its line, else on a blank line."""
    body = tree.body
    futures = [s for s in body if isinstance(s, ast.ImportFrom) and s.module == "__future__"]
    if futures:
        last = futures[-1]
        row, col = last.end_lineno - 1, last.end_col_offset
        lines[row] = f"{lines[row][:col]}; {prelude}{lines[row][col:]}"
        return lines
    simple = (
        ast.Expr,
        ast.Import,
        ast.ImportFrom,
        ast.Assign,
        ast.AugAssign,
        ast.AnnAssign,
        ast.Pass,
        ast.Delete,
        ast.Global,
        ast.Assert,
    )
    first = body[0] if body else None
    if first is not None and isinstance(first, simple) and first.col_offset == 0:
        row = first.lineno - 1
        lines[row] = f"{prelude}; {lines[row]}"
        return lines
    start = first.lineno if first is not None else len(lines) + 1
    if isinstance(first, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        start = min([first.lineno, *(d.lineno for d in first.decorator_list)])
    for row in range(start - 2, -1, -1):  # lines before the first statement: blank or comments
        if not lines[row].strip() or lines[row].lstrip().startswith("#"):
            lines[row] = prelude
            return lines
    if not _imports_at_load(tree):  # kit imports only inside functions: after everything else
        return [*lines, prelude]
    return [prelude, *lines]


def _imports_at_load(tree: ast.Module) -> bool:
    """Whether an import statement runs when the module loads (outside every function body)."""
    pending = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            return True
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            pending.extend(ast.iter_child_nodes(node))
    return False


def with_stand_ins(source: str, kit: tuple[str, ...], package: str = "") -> str:
    """``source`` with the kit's stand-in finder installed before its first statement runs, when
    it imports a kit module (or anything relatively: ``package`` is then its package); unchanged
    otherwise, and unchanged when it does not parse (the caller reports the syntax error)."""
    if not kit:
        return source
    try:
        tree = parse(source)
    except SyntaxError:
        return source
    absolute, relative = _kit_imports(tree, (*kit, *COMPAT))
    if not absolute and not (relative and package):
        return source
    prelude = _prelude((*kit, *COMPAT), unbound_names(tree), package if relative else "")
    lines = source.splitlines()
    return "\n".join(_insert(lines, tree, prelude)) + "\n"
