"""Submissions written as the difference from a base file."""

from __future__ import annotations

import pytest

from verify.grade.overrides import assemble, assemble_file, base_name

from .conftest import EXAMPLES

BASE = (
    "import numpy as np\n\n\ndef f(x):\n    return x\n\n\n"
    "@staticmethod\ndef g(x):\n    return 2 * x\n"
)


def test_an_override_replaces_the_functions_it_defines_and_adds_the_others() -> None:
    override = (
        '"""Doubles.\n\nbase: base\n"""\n\n\ndef g(x):\n    return 3 * x\n\n\ndef h():\n    pass\n'
    )
    full = assemble(BASE, override)
    namespace: dict = {}
    exec(full, namespace)
    assert namespace["f"](2) == 2 and namespace["g"](2) == 6 and "h" in namespace
    assert "@staticmethod" not in full and base_name(override) == "base"


def test_an_edit_changes_its_text_inside_the_named_function_only() -> None:
    override = '"""base: base\n"""\n\nEDITS = [("g", "2 * x", "-2 * x")]\n'
    full = assemble(BASE + "\n\ndef h(x):\n    return 2 * x\n", override)
    namespace: dict = {}
    exec(full, namespace)
    assert (namespace["f"](3), namespace["g"](3), namespace["h"](3)) == (3, -6, 6)


@pytest.mark.parametrize(
    ("edits", "message"),
    [
        ('[("g", "3 * x", "4 * x")]', "the edit of g expects '3 \\* x' once in it, found it 0"),
        ('[("g", "x", "y")]', "the edit of g expects 'x' once in it, found it 2 times"),
        ('[("k", "x", "y")]', "an edit names k, which the base does not define"),
        ('[("g", "x")]', "EDITS must be a list of \\(function, text, replacement\\)"),
        ("[(name, 'x', 'y') for name in 'fg']", "malformed node"),
    ],
)
def test_an_edit_that_does_not_fit_its_base_fails_loudly(edits, message) -> None:
    with pytest.raises(ValueError, match=f"^lonely.py: .*{message}"):
        assemble(BASE, f'"""base: base\n"""\n\nEDITS = {edits}\n', "lonely.py")


def test_a_function_both_edited_and_defined_again_is_refused() -> None:
    override = '"""base: base\n"""\n\nEDITS = [("f", "x", "y")]\n\n\ndef f(x):\n    pass\n'
    with pytest.raises(ValueError, match="override: f both edited and defined again"):
        assemble(BASE, override)


def test_every_buggy_example_assembles_into_a_full_submission() -> None:
    for folder in ("seed", "cs231n"):
        for path in sorted((EXAMPLES / folder).glob("*.py")):
            if path.name == "correct.py":
                continue
            full = assemble_file(path)
            compile(full, str(path), "exec")
            assert len(full) > 2 * len(path.read_text())


def test_an_override_without_a_base_is_refused(tmp_path) -> None:
    with pytest.raises(ValueError, match="no 'base: NAME' line"):
        base_name('"""No base."""\n')
    path = tmp_path / "lonely.py"
    path.write_text('"""base: missing\n"""\n')
    with pytest.raises(ValueError, match=r"base missing\.py not found"):
        assemble_file(path)
