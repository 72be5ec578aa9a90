"""The built site as a reader sees it: pages served over HTTP from 127.0.0.1 and opened in headless
Chromium, with no other network. Formulas are typeset by the site's own copy of MathJax (no raw
TeX left in the visible text, no TeX errors), nothing is cut off at a laptop's window width, and
each derivation page links to functions that exist on the API pages. Screenshots of two derivation
pages are kept in ``docs/_build/screenshots/`` for a person to look at.

Chromium is Debian's ``chromium`` (``.ci/run`` installs it); set ``CNNREF_CHROMIUM`` to use another
binary. Where none is found these tests skip and say why.
"""

from __future__ import annotations

import functools
import html
import http.server
import json
import os
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("sphinx")
pytest.importorskip("myst_parser")

HERE = Path(__file__).resolve().parent
DOCS = HERE.parents[1] / "docs"
SCREENSHOTS = DOCS / "_build" / "screenshots"
SCREENSHOT_PAGES = ["derivations/convolution", "derivations/delta-recursion"]
DERIVATION_PAGES = sorted(
    f"derivations/{page.stem}"
    for page in (DOCS / "derivations").glob("*.md")
    if page.stem not in {"index", "errata"}
)
OTHER_PAGES = ["index", "oracle", "derivations/errata", "api/cnnref", "api/verify"]
WINDOW = (1280, 900)
SCREENSHOT_WINDOW = (1280, 2400)
BROWSER_TIMEOUT_S = 120
# What raw TeX looks like when nothing typeset it.
RAW_TEX = re.compile(r"\$\$|\\frac|\\sum|\\partial|\\mathrm|\\begin\{|\\\(|\\\[")
# A paragraph this long that appears twice on one page is a repetition, not a coincidence.
MIN_REPEATED_CHARS = 60
PROBE = re.compile(r'<pre id="cnnref-probe"[^>]*>(.*?)</pre>', re.DOTALL)


def _chromium() -> str | None:
    candidates = [os.environ.get("CNNREF_CHROMIUM", "")]
    candidates += ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"]
    for name in candidates:
        if name and shutil.which(name):
            return shutil.which(name)
    return None


CHROMIUM = _chromium()
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no headless Chromium found (Debian: apt-get install chromium; .ci/run installs it)",
)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, sphinx) -> Iterator[tuple[Path, str]]:
    """The built HTML site with the probe script in it, and the URL it is served at."""
    out = tmp_path_factory.mktemp("site")
    result = sphinx("html", DOCS, out)
    assert result.returncode == 0, f"sphinx-build failed:\n{result.stderr}{result.stdout}"
    root = out / "html"
    shutil.copy(HERE / "page_probe.js", root / "_static" / "page_probe.js")
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield root, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _chromium_run(
    profile: Path, *arguments: str, window: tuple[int, int] = WINDOW
) -> subprocess.CompletedProcess[str]:
    command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
    command += [f"--user-data-dir={profile}", f"--window-size={window[0]},{window[1]}"]
    command += ["--virtual-time-budget=20000", *arguments]
    return subprocess.run(
        command, capture_output=True, text=True, timeout=BROWSER_TIMEOUT_S, check=False
    )


def probe(site: tuple[Path, str], page: str, tmp_path: Path, edit=None) -> dict:
    """Open a copy of ``page`` with the probe injected (after ``edit(html)`` where given) and
    return what the probe measured once MathJax had finished."""
    root, url = site
    source = (root / f"{page}.html").read_text(encoding="utf-8")
    if edit is not None:
        source = edit(source)
    probed = root / f"{page}.probed-{tmp_path.name}.html"
    probed.write_text(
        source.replace("</body>", '<script src="/_static/page_probe.js"></script></body>'),
        encoding="utf-8",
    )
    result = _chromium_run(tmp_path / "profile", "--dump-dom", f"{url}/{probed.relative_to(root)}")
    found = PROBE.search(result.stdout)
    assert found, f"the probe did not report on {page} (MathJax never finished?):\n{result.stderr}"
    return json.loads(html.unescape(found.group(1)))


def rendering_problems(report: dict) -> list[str]:
    """What a reader would see wrong on a probed page: raw TeX, TeX errors, cut-off content, a
    paragraph repeated."""
    problems = []
    if report["mathSources"]:
        if not report["mathJaxLoaded"]:
            problems.append("MathJax did not load")
        if report["mathRendered"] < report["mathSources"]:
            problems.append(
                f"{report['mathRendered']} of {report['mathSources']} formulas were typeset"
            )
    problems += [f"TeX error: {error}" for error in report["mathErrors"]]
    text = report["visibleText"]
    problems += [
        f"raw TeX in the visible text: …{text[max(m.start() - 40, 0) : m.end() + 40]}…"
        for m in RAW_TEX.finditer(text)
    ]
    problems += [f"cut off at {WINDOW[0]} px: {what}" for what in report["cutOff"]]
    long_paragraphs = [text for text in report["paragraphs"] if len(text) >= MIN_REPEATED_CHARS]
    problems += [
        f"paragraph shown twice: {text[:80]}…"
        for text in sorted(set(long_paragraphs))
        if long_paragraphs.count(text) > 1
    ]
    return problems


@pytest.mark.parametrize("page", DERIVATION_PAGES + OTHER_PAGES)
def test_page_renders_its_formulas_and_cuts_nothing_off(site, page: str, tmp_path: Path) -> None:
    report = probe(site, page, tmp_path)
    assert rendering_problems(report) == []
    if page.startswith("derivations/") and page != "derivations/errata":
        assert report["mathRendered"] >= 5, f"{page} shows only {report['mathRendered']} formulas"
        # A derivation is read beside the notes: at this width even its code needs no scrolling.
        assert report["scrolls"] == [], f"{page} needs sideways scrolling: {report['scrolls']}"


def test_the_checks_see_raw_tex_and_cut_off_code(site, tmp_path: Path) -> None:
    """The same probe on a sabotaged copy: MathJax removed, and a long code line whose block may
    not scroll, and the first paragraph shown twice. All three must be reported."""

    def sabotage(source: str) -> str:
        source = re.sub(
            r'<script[^>]*src="[^"]*mathjax/tex-chtml\.js[^"]*"[^>]*></script>', "", source
        )
        long_line = (
            "<pre style='overflow: hidden'>" + "x = 1  # " + "a long comment " * 40 + "</pre>"
        )
        paragraph = re.search(r"<p>.*?</p>", source, re.DOTALL).group(0)
        return source.replace(
            '<div class="body" role="main">',
            f'<div class="body" role="main">{long_line}{paragraph}',
        )

    report = probe(site, "derivations/convolution", tmp_path, edit=sabotage)
    problems = rendering_problems(report)
    assert "MathJax did not load" in problems
    assert any(problem.startswith("raw TeX in the visible text") for problem in problems)
    assert any(
        problem.startswith("cut off") and "a long comment" in problem for problem in problems
    )
    assert any(problem.startswith("paragraph shown twice") for problem in problems)


def test_api_page_states_the_conventions_once(site, tmp_path: Path) -> None:
    """The package docstring carries the conventions; the page around it must not repeat them."""
    text = probe(site, "api/cnnref", tmp_path)["visibleText"]
    assert text.count("Conventions") == 1
    assert text.count("NHWC") == 1


def test_derivation_pages_link_to_functions_that_exist(site, tmp_path: Path) -> None:
    targets = {
        page: set(probe(site, page, tmp_path / page.replace("/", "-"))["ids"])
        for page in ("api/cnnref", "api/verify")
    }
    for page in DERIVATION_PAGES:
        if page == "derivations/total-derivative":
            continue
        links = probe(site, page, tmp_path / page.replace("/", "-"))["links"]
        code = [link for link in links if link.startswith("../api/cnnref.html#cnnref.")]
        naive = [link for link in links if link.startswith("../api/verify.html#verify.naive.")]
        assert code, f"{page} links no cnnref function"
        assert naive, f"{page} links no naive check in verify.naive"
        for link in code + naive:
            api_page, anchor = link.removeprefix("../").split("#")
            assert anchor in targets[api_page.removesuffix(".html")], (
                f"{page}: {link} leads nowhere"
            )


@pytest.mark.parametrize("page", SCREENSHOT_PAGES)
def test_screenshot_for_a_person(site, page: str, tmp_path: Path) -> None:
    """A full-width screenshot of the top of the page (kept in docs/_build/screenshots/)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = SCREENSHOTS / f"{page.replace('/', '-')}.png"
    shot.unlink(missing_ok=True)
    url = f"{site[1]}/{page}.html"
    _chromium_run(tmp_path / "profile", f"--screenshot={shot}", url, window=SCREENSHOT_WINDOW)
    header = shot.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(header[16:20], "big"), int.from_bytes(header[20:24], "big")
    assert (width, height) == SCREENSHOT_WINDOW
