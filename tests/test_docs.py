"""The documentation tells the truth: the tutorial runs as written, the README's links resolve, the
pages of the site's navigation exist, and the source distribution carries ``examples/``."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
README = ROOT / "README.md"

_TITLED_BLOCK = re.compile(r'```python title="([^"]+)"\n(.*?)```', re.S)


def _urls() -> dict[str, str]:
    """``[project.urls]`` of pyproject.toml (read with a pattern: tomllib is 3.11+)."""
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    table = text[text.index("[project.urls]") :].split("\n\n", 1)[0]
    return dict(re.findall(r'^(\w+) = "([^"]+)"$', table, re.M))


# -- the tutorial --------------------------------------------------------------------------


def test_tutorial_code_runs_as_written(pytester: pytest.Pytester) -> None:
    """docs/tutorial.md's files, written out verbatim, pass with the output the page shows."""
    text = (DOCS / "tutorial.md").read_text(encoding="utf-8")
    files = dict(_TITLED_BLOCK.findall(text))
    assert set(files) == {"running.py", "test_running.py"}, sorted(files)
    for name, code in files.items():
        pytester.path.joinpath(name).write_text(code, encoding="utf-8")
    shown = re.search(r"\n(\d+) passed in ", text)
    assert shown is not None, "the tutorial shows no pytest summary"
    # pytest-asyncio (installed here, not by the tutorial) warns about its own configuration, and
    # pytest-benchmark, where an interpreter has it, warns that xdist disables it: neither is the
    # tutorial's, and -W error would turn their warnings into a failure of the tutorial.
    result = pytester.runpytest_subprocess(
        "-q", "-p", "no:cacheprovider", "-p", "no:asyncio", "-p", "no:benchmark", "-W", "error", timeout=300
    )
    result.assert_outcomes(passed=int(shown.group(1)))


#: A stand-in for the reader's executor in the HEM how-to: the project's HEM-style executor.
HEM_CONFTEST = f"""
import os, subprocess, sys
import pytest

@pytest.fixture
def start_executor():
    procs = []
    def start():
        procs.append(subprocess.Popen(
            [sys.executable, {str(ROOT / "tests" / "hem_executor.py")!r}, "--max-seconds", "60"],
            env=dict(os.environ), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    yield start
    for proc in procs:
        proc.terminate()
        proc.wait(timeout=10)
"""


def test_hem_how_to_test_runs_as_written(pytester: pytest.Pytester) -> None:
    """docs/how-to/hem-frontend.md's test, verbatim, against the front-end and an executor."""
    pytest.importorskip("pyone", reason="pyone is in the test extra")
    files = dict(_TITLED_BLOCK.findall((DOCS / "how-to" / "hem-frontend.md").read_text(encoding="utf-8")))
    assert set(files) == {"test_hem_hooks.py"}, sorted(files)
    pytester.makeconftest(HEM_CONFTEST)
    pytester.path.joinpath("test_hem_hooks.py").write_text(files["test_hem_hooks.py"], encoding="utf-8")
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider", "-p", "no:asyncio", timeout=300)
    result.assert_outcomes(passed=1)


# -- links ---------------------------------------------------------------------------------


def _nav_pages() -> list[str]:
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    nav = config[config.index("\nnav:") :]
    return re.findall(r"([\w./-]+\.md)\s*$", nav, re.M)


def test_every_page_is_in_the_navigation_and_exists() -> None:
    nav = _nav_pages()
    pages = sorted(str(p.relative_to(DOCS)) for p in DOCS.rglob("*.md"))
    assert sorted(nav) == pages, "docs/ pages and the nav of mkdocs.yml differ"


def test_readme_links_are_absolute_and_resolve() -> None:
    """On the package index relative links are dead: every link is absolute, and each one to the
    documentation site or the repository names a page or file that exists here."""
    urls = _urls()
    site, repo = urls["Documentation"].rstrip("/") + "/", urls["Source"].rstrip("/") + "/"
    links = re.findall(r"\]\(([^)\s]+)\)", README.read_text(encoding="utf-8"))
    assert links, "the README has no link"
    problems = []
    for link in links:
        if not link.startswith("https://"):
            problems.append(f"not absolute: {link}")
        elif link.startswith(site):
            path = link[len(site) :].split("#")[0].rstrip("/")
            if not (path == "" or (DOCS / f"{path}.md").is_file() or (DOCS / path / "index.md").is_file()):
                problems.append(f"no docs page for {link}")
        elif link.startswith(repo):
            tail = link[len(repo) :].split("#")[0]
            parts = tail.split("/", 2)
            if tail and not (len(parts) == 3 and parts[0] in {"tree", "blob"} and (ROOT / parts[2]).exists()):
                problems.append(f"no file in the repository for {link}")
    assert not problems, "\n".join(problems)


def test_readme_contributor_lines_are_the_ones_ci_runs() -> None:
    """The README's two set-up lines: the first runs the main job, the second the test suite,
    which .ci/run runs verbatim."""
    readme = README.read_text(encoding="utf-8")
    block = re.search(r"```sh\n(python3 -m pip install -e \. .*?)\n```", readme, re.S)
    assert block is not None, "the README lost its two contributor lines"
    first, second = block.group(1).splitlines()
    assert first == "python3 -m pip install -e . && python3 -m mockhm serve"
    assert second in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()


# -- the source distribution ---------------------------------------------------------------


@pytest.mark.timeout(600)
def test_sdist_ships_examples_and_docs(tmp_path: Path) -> None:
    """Build the sdist from a copy of the tracked files and list it."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: the tracked files cannot be listed")
    listing = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", "-z"], capture_output=True, check=True, timeout=60
    )
    tracked = listing.stdout.decode().split("\0")
    source = tmp_path / "src"
    for name in filter(None, tracked):
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    build = subprocess.run(
        [sys.executable, "-m", "build", "--sdist", "--outdir", str(tmp_path / "dist"), str(source)],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert build.returncode == 0, build.stdout + build.stderr
    (sdist,) = (tmp_path / "dist").glob("mockhm-*.tar.gz")
    with tarfile.open(sdist) as tar:
        names = {name.split("/", 1)[1] for name in tar.getnames() if "/" in name}
    print(f"{sdist.name}: {len(names)} entries")
    wanted = {
        p
        for p in filter(None, tracked)
        if p.startswith(("examples/", "docs/")) or p in {"mkdocs.yml", "README.md", "pyproject.toml"}
    }
    assert wanted <= names, f"missing from the sdist: {sorted(wanted - names)}"
    assert not [n for n in names if n.startswith(("build/", "site/", "../")) or "__pycache__" in n]


def test_site_url_is_the_documentation_url() -> None:
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    assert f"site_url: {_urls()['Documentation']}\n" in config


def test_scenario_builder_table_matches_the_loader() -> None:
    """docs/reference/file-formats.md lists exactly the builders and fields the loader accepts,
    required ones in bold."""
    from mockhm.streams.scenario_fields import BUILDERS, TIMING_FIELDS, TOP_FIELDS

    text = (DOCS / "reference" / "file-formats.md").read_text(encoding="utf-8")
    table = text[text.index("| builder | fields") :].split("\n\n", 1)[0].splitlines()[2:]
    documented: dict[str, dict[str, bool]] = {}
    for row in table:
        builder, fields = re.match(r"\| `(\w+)` \| (.*?) \|", row).groups()  # type: ignore[union-attr]
        fields = re.sub(r"\([^)]*\)", "", fields)  # allowed values in brackets are not fields
        documented[builder] = {
            name: bold == "**" for bold, name in re.findall(r"(\*\*)?`(\w+)`(?:\*\*)?", fields)
        }
    actual = {b: {f: required for f, (_check, required) in fs.items()} for b, fs in BUILDERS.items()}
    assert documented == actual
    for section, names in (("Top-level fields", TOP_FIELDS), ("Step timing", TIMING_FIELDS)):
        part = text[text.index(f"### {section}") :].split("\n\n", 2)[1]
        assert set(re.findall(r"^\| `(\w+)` \|", part, re.M)) == set(names), section


def test_exit_code_table_is_the_cli_policy() -> None:
    """docs/reference/exit-codes.md lists exactly the exit codes the command line uses."""
    from mockhm import cli

    codes = {value for name, value in vars(cli).items() if name.startswith("EXIT_")}
    text = (DOCS / "reference" / "exit-codes.md").read_text(encoding="utf-8")
    table = text[text.index("| code | meaning |") :].split("\n\n", 1)[0]
    assert {int(c) for c in re.findall(r"^\| (\d+) \|", table, re.M)} == codes
    for code in codes - {0}:
        assert f" {code} " in cli.EPILOG or f" {code};" in cli.EPILOG, code


def test_load_report_fields_are_documented() -> None:
    """Every field of the load report's JSON form has a row in docs/reference/file-formats.md."""
    from mockhm import LoadReport

    report = LoadReport(
        endpoint="tcp://127.0.0.1:1", mode="faithful", hwm=None, processes=1, source="s", shape="c",
        arrivals="uniform", seed=0, started_at=0.0, scheduled=0, sent=0, refused=0, sent_bytes=0,
        duration_s=0.0, percentiles=(50.0,),
    )  # fmt: skip
    text = (DOCS / "reference" / "file-formats.md").read_text(encoding="utf-8")
    table = text[text.index("| JSON field | meaning |") :].split("\n\n", 1)[0]
    documented = set(re.findall(r"`(\w+)`", "\n".join(row.split(" | ")[0] for row in table.splitlines())))
    assert set(report.to_dict()) <= documented, sorted(set(report.to_dict()) - documented)
