"""Sphinx configuration of the cnnref documentation: Markdown pages (MyST), MathJax, and an API
reference generated from the docstrings of ``cnnref`` and of the oracle ``verify``.

The math is rendered by the copy of MathJax 3 that the ``sphinx-mathjax-offline`` package ships
(the ``docs`` extra): the build copies it into the site's ``_static/mathjax``, so neither the build
nor a reader's browser needs the network.

Every cross-reference must resolve (``nitpicky``): a formula's link to the ``cnnref`` function that
computes it and to the ``verify.naive`` function that checks it is part of the documentation's
contract, so a renamed or missing function fails the build. The site is built from the ``cnnref``
and ``verify`` found on ``sys.path`` (the installed packages, or a checkout put first on
``PYTHONPATH``), never from a guessed path.
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
from pathlib import Path

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
    ("py:class", r"numpy\..*"),
    ("py:class", r"Array"),  # cnnref.validation.Array, the signatures' name for numpy.ndarray
    ("py:class", r"collections\.abc\..*"),
    ("py:class", r"contextlib\..*"),
]

autodoc_member_order = "bysource"
autodoc_typehints = "signature"
napoleon_google_docstring = True
napoleon_numpy_docstring = True


def _packaged_mathjax() -> Path:
    """The folder holding ``mathjax/tex-chtml.js`` in the installed ``sphinx-mathjax-offline``."""
    package = "sphinx-mathjax-offline"
    try:
        distribution = importlib.metadata.distribution(package)
    except importlib.metadata.PackageNotFoundError:
        raise RuntimeError(
            f"the documentation renders its math with the MathJax copy of {package!r}, which is "
            'not installed: install the docs extra, pip install -e ".[docs]"'
        ) from None
    static = Path(str(distribution.locate_file(f"{package}/static")))
    if not (static / "mathjax" / "tex-chtml.js").is_file():
        raise RuntimeError(f"{package} is installed but has no static/mathjax/tex-chtml.js")
    return static


# _static/ holds the project's style sheet; the packaged folder adds _static/mathjax/.
html_static_path = ["_static", str(_packaged_mathjax())]
mathjax_path = "mathjax/tex-chtml.js"
html_css_files = ["cnnref.css"]

html_theme = "alabaster"
html_title = "cnnref"
# The default 940 px column cuts the widest equations and code lines; the content column takes the
# window's width up to a readable limit, and what is still wider scrolls (_static/cnnref.css).
html_theme_options = {"page_width": "min(1200px, 100%)", "body_max_width": "none"}

# A dataclass field with ``field(default_factory=dict)`` appears in its class's signature as
# ``= <factory>``, which is not a Python expression: Sphinx then falls back to splitting the
# signature at every comma, cutting annotations such as ``dict[str, Comparison]`` into unresolvable
# pieces (``dict[str``, ``Comparison]``) that nitpicky mode reports as missing targets. Show the
# factory's call instead (``= dict()``), which is what the default is, and the signature parses; no
# type hint is hidden or ignored to get there.


def _show_default_factories(app, what, name, obj, options, signature, return_annotation):
    """Replace each ``<factory>`` of a dataclass signature by its field's ``factory()`` call."""
    if what != "class" or signature is None or not dataclasses.is_dataclass(obj):
        return None
    for f in dataclasses.fields(obj):
        if f.init and f.default_factory is not dataclasses.MISSING:
            call = f"{getattr(f.default_factory, '__qualname__', 'factory')}()"
            signature = signature.replace("<factory>", call, 1)
    return signature, return_annotation


def setup(app):
    app.connect("autodoc-process-signature", _show_default_factories)
