"""Sphinx configuration of the cnnref documentation: Markdown pages (MyST), MathJax, and an API
reference generated from the docstrings of ``cnnref`` and of the oracle ``verify``.

Every cross-reference must resolve (``nitpicky``): a formula's link to the function that computes
it, or to the naive function that checks it, is part of the documentation's contract. The site is
built from the ``cnnref``/``verify`` found on ``sys.path`` (the installed packages, or a checkout
put first on ``PYTHONPATH``), never from a guessed path.
"""

from __future__ import annotations

import importlib.util

project = "cnnref"
author = "the cnnref developers"
copyright = "the cnnref developers"

extensions = [
    "myst_parser",
    "sphinx.ext.mathjax",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.doctest",
]

source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build"]

myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3

nitpicky = True
# The build runs offline, so NumPy's and Python's own docs are not cross-linked; their types in
# signatures are shown as plain names.
nitpick_ignore_regex = [
    ("py:class", r"(np|numpy)\..*"),
    ("py:class", r"(collections\.abc\.)?(Sequence|Iterable|Mapping|Callable)(\[.*\])?"),
    ("py:class", r"argparse\..*"),
]

# The oracle's reference page documents ``verify.naive`` and the derivations link each formula to
# its naive check there. Both exist once the oracle is installed; without it (a checkout of
# ``cnnref`` alone) the page is left out and links into ``verify`` render as plain names. With
# ``verify.naive`` importable, every one of those links must resolve.
VERIFY_AVAILABLE = importlib.util.find_spec("verify") is not None and (
    importlib.util.find_spec("verify.naive") is not None
)
if not VERIFY_AVAILABLE:
    exclude_patterns.append("api/verify.md")
    nitpick_ignore_regex.append((r"py:.*", r"verify(\..*)?"))

autodoc_member_order = "bysource"
autodoc_typehints = "signature"
napoleon_google_docstring = True
napoleon_numpy_docstring = True


html_theme = "alabaster"
html_title = "cnnref"
html_static_path: list[str] = []
