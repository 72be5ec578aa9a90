"""Course-kit stand-ins: a submission importing the course's helpers loads; line numbers stay."""

from __future__ import annotations

import sys
import traceback

import pytest

from verify.grade.kit import unbound_names, with_stand_ins

KIT = ("cs231n", "fast_layers")
SOURCE = """from __future__ import print_function
from builtins import range
import numpy as np
from cs231n.im2col import *
from .fast_layers import *
from past.builtins import xrange


def count(x):
    return sum(1 for _ in xrange(3)) + np.sum(x)


def fast(x):
    return conv_forward_fast(x)


def fails():
    raise ValueError("on line 18")
"""


@pytest.fixture(autouse=True)
def _fresh_imports(monkeypatch) -> None:
    """Each test loads its stand-ins anew, as each submission's child process does."""
    monkeypatch.setattr(sys, "meta_path", list(sys.meta_path))
    for name in [n for n in sys.modules if n.partition(".")[0] in (*KIT, "past", "future")]:
        monkeypatch.delitem(sys.modules, name)


def _load(source: str) -> dict:
    namespace: dict = {"__name__": "submission"}
    exec(compile(source, "submission.py", "exec"), namespace)
    return namespace


def test_kit_imports_load_and_fail_only_when_called() -> None:
    namespace = _load(with_stand_ins(SOURCE, KIT, "cs231n"))
    assert namespace["count"](1.0) == 4.0  # past.builtins.xrange is range
    with pytest.raises(RuntimeError, match=r"not available in grading: cs231n\.fast_layers"):
        namespace["fast"](1)


def test_line_numbers_are_unchanged() -> None:
    prepared = with_stand_ins(SOURCE, KIT, "cs231n")
    assert len(prepared.splitlines()) == len(SOURCE.splitlines())
    with pytest.raises(ValueError) as raised:
        _load(prepared)["fails"]()
    assert traceback.extract_tb(raised.value.__traceback__)[-1].lineno == 18


@pytest.mark.parametrize(
    "source",
    [
        "def f():\n    from cs231n.layers import affine_forward\n    return affine_forward(1)\n",
        "import numpy as np\nfrom cs231n.layers import *\n\n"
        "def f():\n    return affine_forward(1)\n",
        "\ntry:\n    from cs231n.layers import *\nexcept ImportError:\n    pass\n"
        "\ndef f():\n    return affine_forward(1)\n",
    ],
)
def test_the_stand_ins_are_installed_wherever_the_imports_are(source) -> None:
    prepared = with_stand_ins(source, KIT)
    for before, after in zip(source.splitlines(), prepared.splitlines(), strict=False):
        assert after.endswith(before)  # every line keeps its number
    with pytest.raises(RuntimeError, match=r"not available in grading: cs231n\.layers"):
        _load(prepared)["f"]()


def test_a_submission_without_kit_imports_is_left_alone() -> None:
    source = "import numpy as np\n\ndef f(x):\n    return xrange(x)\n"
    assert with_stand_ins(source, KIT) == source
    assert with_stand_ins("def broken(:\n", KIT) == "def broken(:\n"


def test_star_imports_provide_the_names_used_but_never_defined() -> None:
    import ast

    names = unbound_names(ast.parse("from x import *\ndef f(a):\n    return g(a) + xrange(2)\n"))
    assert names == ["g"]  # Python 2's xrange stays undefined, so its own diagnosis names it
