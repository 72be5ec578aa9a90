"""The naive package as a whole: it imports no part of cnnref, and every name is at verify.naive."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from verify import naive
from verify.naive import activations, conv, gradients, linear, multilayer, output, pool

NAIVE_DIR = Path(naive.__file__).parent
TOPICS = (conv, pool, linear, activations, output, gradients, multilayer)


def test_naive_package_does_not_import_cnnref():
    for path in sorted(NAIVE_DIR.glob("*.py")):
        imported = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level:
                assert node.level == 1, f"{path.name} imports from outside verify.naive"
            elif isinstance(node, ast.ImportFrom):
                imported.add(node.module)
        allowed = {
            "__future__",
            "numbers",
            "collections.abc",
            "cmath",
            "itertools",
            "operator",
            "math",
            "numpy",
        }
        assert imported <= allowed, (path, imported)
    # Imported on its own (without the verify package's __init__, which loads the oracle), the
    # naive package pulls no part of cnnref into the process.
    probe = (
        "import sys, types\n"
        "package = types.ModuleType('verify')\n"
        f"package.__path__ = [{str(NAIVE_DIR.parent)!r}]\n"
        "sys.modules['verify'] = package\n"
        "import verify.naive\n"
        "assert callable(verify.naive.grad_W)\n"
        "print(sorted(name for name in sys.modules if name.split('.')[0] == 'cnnref'))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=NAIVE_DIR
    )
    assert result.stdout.strip() == "[]"


def test_every_public_function_of_a_topic_is_a_verify_naive_name():
    for topic in TOPICS:
        public = {
            name
            for name, value in vars(topic).items()
            if callable(value) and not name.startswith("_") and value.__module__ == topic.__name__
        }
        # activate: the helper mlp_forward uses; window_winner: the tie rule the max-pool twins
        # (and verify.naive.training_paths) share; cnnref exports no twin of either
        exported = public - {"activate", "window_winner"}
        assert exported <= set(naive.__all__), (topic.__name__, exported - set(naive.__all__))
        for name in exported:
            assert getattr(naive, name) is getattr(topic, name)
