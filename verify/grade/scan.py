"""Static scan of a submission before it runs: it must parse, and it should not import the reference
or an autograd library (the sandbox refuses those imports anyway; this names them up front)."""

from __future__ import annotations

import ast
import threading

# CPython 3.11 and early 3.12 raise "SystemError: AST constructor recursion depth mismatch" when
# two threads build ASTs at once (python/cpython#106905); the grader parses submissions from a
# thread pool, so every parse of the grader goes through this lock.
_PARSE_LOCK = threading.Lock()


def parse(source: str, filename: str = "<unknown>") -> ast.Module:
    """ast.parse(source), one thread at a time (SyntaxError if it does not parse)."""
    with _PARSE_LOCK:
        return ast.parse(source, filename=filename)


def forbidden_imports(source: str, blocked: tuple[str, ...]) -> list[str]:
    """One line per import of a blocked top-level module (``import``, ``from``, ``__import__``,
    ``importlib.import_module`` with a literal name). SyntaxError if the source does not parse."""
    tree = parse(source, "submission.py")
    found = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Call) and _is_dynamic_import(node.func) and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                names = [first.value]
        for name in names:
            if name.partition(".")[0] in blocked:
                found.append(f"line {node.lineno}: imports {name}, which is not allowed here")
    return found


def _is_dynamic_import(func: ast.expr) -> bool:
    if isinstance(func, ast.Name):
        return func.id == "__import__"
    return isinstance(func, ast.Attribute) and func.attr == "import_module"
