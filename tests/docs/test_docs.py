"""The documentation site: it builds with warnings as errors, its examples run and pass, every
derivation links its formula to the code and to the naive check, and the API page covers every
export. The builds run Sphinx in a subprocess on the cnnref (and verify) this session imports."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

pytest.importorskip("sphinx")
pytest.importorskip("myst_parser")

import cnnref

DOCS = Path(__file__).resolve().parents[2] / "docs"
DERIVATIONS = DOCS / "derivations"
# Pages that derive formulas computed by a cnnref function (the others are an index, the law of
# total derivatives, which no function computes, and the errata).
FORMULA_PAGES = sorted(
    page
    for page in DERIVATIONS.glob("*.md")
    if page.stem not in {"index", "total-derivative", "errata"}
)


def _doctest_summary(out: Path) -> tuple[int, int]:
    """(tests run, failures) from the doctest builder's output.txt."""
    report = (out / "doctest" / "output.txt").read_text(encoding="utf-8")
    tests = re.search(r"^\s*(\d+) tests\s*$", report, re.MULTILINE)
    failures = re.search(r"^\s*(\d+) failures? in tests\s*$", report, re.MULTILINE)
    assert tests and failures, f"no doctest summary in output.txt:\n{report}"
    return int(tests.group(1)), int(failures.group(1))


def test_site_builds_without_warnings(tmp_path: Path, sphinx) -> None:
    result = sphinx("html", DOCS, tmp_path)
    assert result.returncode == 0, f"sphinx-build failed:\n{result.stderr}{result.stdout}"
    assert result.stderr.strip() == "", f"sphinx-build warned:\n{result.stderr}"
    for page in FORMULA_PAGES:
        html = (tmp_path / "html" / "derivations" / f"{page.stem}.html").read_text("utf-8")
        assert 'href="../api/cnnref.html#cnnref.' in html, f"{page.name} links no cnnref function"
        assert 'href="../api/verify.html#verify.naive.' in html, f"{page.name} links no naive check"


def test_examples_in_the_docs_pass(tmp_path: Path, sphinx) -> None:
    result = sphinx("doctest", DOCS, tmp_path)
    assert result.returncode == 0, f"doctests failed:\n{result.stderr}{result.stdout}"
    tests, failures = _doctest_summary(tmp_path)
    assert failures == 0
    report = (tmp_path / "doctest" / "output.txt").read_text(encoding="utf-8")
    for page in FORMULA_PAGES:
        assert f"Document: derivations/{page.stem}\n" in report, f"{page.name} has no example"
    assert tests >= 5 * len(FORMULA_PAGES)


def test_a_broken_link_and_a_wrong_example_fail_the_build(tmp_path: Path, sphinx) -> None:
    """The two checks above can fail: a link to a function that does not exist is a warning (the
    build is nitpicky), and an example whose output is wrong is a doctest failure."""
    source = tmp_path / "docs"
    shutil.copytree(DOCS, source, ignore=shutil.ignore_patterns("_build"))
    page = source / "derivations" / "output-layer.md"
    page.write_text(
        page.read_text(encoding="utf-8")
        + "\nAlso {py:func}`cnnref.no_such_gradient`.\n\n"
        + "```{doctest}\n>>> 1 + 1\n3\n```\n",
        encoding="utf-8",
    )
    links = sphinx("dummy", source, tmp_path / "links_out")
    assert links.returncode != 0
    assert "cnnref.no_such_gradient" in links.stderr
    doctest = sphinx("doctest", source, tmp_path / "doctest_out")
    assert doctest.returncode != 0
    assert _doctest_summary(tmp_path / "doctest_out")[1] == 1


def test_every_formula_page_links_its_code_and_its_naive_check() -> None:
    assert len(FORMULA_PAGES) >= 8
    for page in FORMULA_PAGES:
        text = page.read_text(encoding="utf-8")
        assert "{py:func}`cnnref." in text, f"{page.name} links no cnnref function"
        assert "{py:func}`verify.naive." in text, f"{page.name} links no naive check"


def test_python_examples_are_all_run_as_doctests() -> None:
    """A plain ```python block would never run; examples must be {doctest} or {testcode}."""
    untested = [
        f"{page.relative_to(DOCS)}:{number}"
        for page in sorted(DOCS.rglob("*.md"))
        if "_build" not in page.parts
        for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), start=1)
        if re.match(r"^\s*(`{3,}|~{3,})\s*(python|py|python3|pycon|ipython)\b", line)
    ]
    assert untested == [], f"untested Python blocks (use ```{{doctest}}): {untested}"


def test_api_page_documents_every_export() -> None:
    api = (DOCS / "api" / "cnnref.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\.\. auto(?:function|class):: (\w+)$", api, re.MULTILINE))
    assert sorted(set(cnnref.__all__) - documented) == []
    assert sorted(documented - set(cnnref.__all__)) == []
