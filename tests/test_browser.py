"""The HTML that mockhm produces, opened in a real headless Chromium: it renders, without errors.

Two products: the page ``mockhm load --plot run.html`` writes, and the documentation site
(``mkdocs build --strict``; ``.ci/run`` builds it once and passes it in ``MOCKHM_DOCS_SITE``,
otherwise the test builds it).  Each page is served from 127.0.0.1 and must load with no uncaught
exception, no ``console.error``, no failed request and no HTTP error; its content is checked in the
page itself.  A screenshot of each is kept under ``build/browser/`` (or ``MOCKHM_SCREENSHOT_DIR``)
and its path printed.  Skipped, saying why, where Debian's ``chromium`` is not installed.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser import Chromium, Page, find_chromium, serve_directory

ROOT = Path(__file__).resolve().parents[1]
SHOTS = Path(os.environ.get("MOCKHM_SCREENSHOT_DIR", ROOT / "build" / "browser"))


@pytest.fixture
def chromium(tmp_path: Path) -> Iterator[Chromium]:
    """A headless Chromium with a fresh profile, closed at teardown."""
    executable = find_chromium()
    if executable is None:
        pytest.skip("chromium is not installed (Debian: apt-get install chromium; .ci/run installs it)")
    with Chromium(executable, tmp_path / "chromium-profile") as browser:
        yield browser


def keep_screenshot(page: Page, name: str) -> Path:
    """Save the page's screenshot under SHOTS and print where."""
    path = page.screenshot(SHOTS / f"{name}.png")
    print(f"screenshot of {page.url}: {path}")
    return path


# -- the load report -----------------------------------------------------------------------


@pytest.mark.parametrize("seconds", [3, 1])
def test_load_report_html_renders_in_chromium(chromium: Chromium, tmp_path: Path, seconds: int) -> None:
    run = subprocess.run(
        [
            sys.executable, "-m", "mockhm", "load", "--rate", "100", "--duration", f"{seconds}s", "--wait", "0",
            "--events", "tcp://127.0.0.1:*", "--reports", "tcp://127.0.0.1:*", "--linger", "0",
            "--quiet", "--json", str(tmp_path / "run.json"), "--plot", str(tmp_path / "run.html"),
        ],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    report = json.loads((tmp_path / "run.json").read_text())

    with serve_directory(tmp_path) as base:
        page = chromium.open(base + "run.html")
        assert page.evaluate("document.title") == "mockhm load"
        charts = page.evaluate(
            "Array.from(document.querySelectorAll('svg')).map(svg => ({"
            " width: svg.getBoundingClientRect().width, height: svg.getBoundingClientRect().height,"
            " lines: Array.from(svg.querySelectorAll('polyline')).map(p => ["
            "   p.querySelector('title').textContent, p.points.numberOfItems, p.getBBox().width]),"
            " plot: svg.querySelector('rect').getBBox().width,"
            " legend: Array.from(svg.querySelectorAll('text[fill]')).map(t => t.getBBox().x)}))"
        )
        assert len(charts) == 2, charts
        assert all(c["width"] > 0 and c["height"] > 0 for c in charts), charts
        rate_lines = {name: (points, width) for name, points, width in charts[0]["lines"]}
        assert set(rate_lines) == {"scheduled/s", "sent/s"}, rate_lines
        for points, width in rate_lines.values():  # a step per second, drawn across the chart
            assert points == 2 * len(report["timeline"]) == 2 * seconds and width > 0, rate_lines
        for chart in charts:  # the legend is right of the plot, not over its lines
            assert chart["legend"] and min(chart["legend"]) > chart["plot"], chart
        summary = json.loads(page.evaluate("document.querySelector('pre').textContent"))
        assert (
            (summary["scheduled"], summary["sent"])
            == (report["scheduled"], report["sent"])
            == (100 * seconds,) * 2
        )
        if seconds == 3:
            keep_screenshot(page, "load-report")
        assert page.problems() == []


# -- the documentation site ----------------------------------------------------------------

#: Pages opened, and what each must show (a CSS selector with at least this many matches).
SITE_PAGES = {
    "home": ("", ".md-content .grid.cards li", 4),
    "tutorial": ("tutorial/", ".md-content pre code", 4),
    "protocol": ("protocol/", ".md-content table", 10),
    "api": ("reference/api/", ".md-content .doc-heading", 30),
    "cli": ("reference/cli/", ".md-content h2", 6),
    "pytest-plugin": ("reference/pytest-plugin/", ".md-content pre code", 4),
    "how-to-load": ("how-to/load/", ".md-content h2", 4),
}

_PRIVATE_PATH = re.compile(r"\b(?:pytest_)?mockhm(?:[./]\w+)*[./]_[a-z]\w*")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built site: ``MOCKHM_DOCS_SITE`` if set (CI builds it once), else built here."""
    given = os.environ.get("MOCKHM_DOCS_SITE")
    if given:
        path = Path(given)
        assert (path / "index.html").is_file(), f"MOCKHM_DOCS_SITE={given} holds no built site"
        return path
    for module in ("mkdocs", "material", "mkdocstrings"):
        pytest.importorskip(module, reason="the docs extra is not installed: pip install -e '.[docs]'")
    path = tmp_path_factory.mktemp("site")
    build = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--site-dir", str(path)],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )  # fmt: skip
    assert build.returncode == 0, build.stdout + build.stderr
    return path


@pytest.mark.timeout(900)
def test_documentation_site_renders_in_chromium(chromium: Chromium, site: Path) -> None:
    with serve_directory(site) as base:
        for name, (path, selector, at_least) in SITE_PAGES.items():
            page = chromium.open(base + path)
            assert page.wait_for(f"document.querySelectorAll({selector!r}).length >= {at_least}"), (
                f"{name}: fewer than {at_least} of {selector} on {page.url}"
            )
            assert page.evaluate("document.querySelector('.md-content h1').textContent.trim()"), name
            keep_screenshot(page, f"site-{name}")
            assert page.problems() == [], name

        # The search runs in a web worker over search/search_index.json: type, get results.
        page = chromium.open(base + "protocol/")
        page.evaluate("document.querySelector('.md-search__input').focus()")
        page.type_text("trailing space")
        assert page.wait_for("document.querySelectorAll('.md-search-result__item').length > 0"), (
            "search gave no result for 'trailing space'"
        )
        keep_screenshot(page, "site-search")
        assert page.problems() == []


@pytest.mark.timeout(900)  # the first test to ask for the site builds it
def test_documentation_site_names_no_private_module(site: Path) -> None:
    """What readers see (text, links, hover titles) never names a private module."""
    found = []
    for html in sorted(site.rglob("*.html")):
        text = re.sub(r"<script\b.*?</script>", "", html.read_text(encoding="utf-8"), flags=re.S)
        found += [f"{html.relative_to(site)}: {hit}" for hit in sorted(set(_PRIVATE_PATH.findall(text)))]
    assert not found, "\n".join(found)
