"""Users are never sent into private modules, and public docstrings cite the project's own pages.

Three checks, each over files found at run time so that a later page, example or module is
covered without touching this test:

* user documentation (``README.md``, ``docs/**/*.md``, everything under ``examples/``) imports
  only from the front door: dotted names are ``mockhm.<name in mockhm.__all__>``,
  ``mockhm.strategies``, ``mockhm.aio``, ``pytest_mockhm.<exported name>`` or
  ``pytest_mockhm.plugin`` (a file of the source tree may be named as a link to read, unless it
  is a private ``_module``);
* every docstring and comment in ``mockhm/`` and ``pytest_plugin/`` is free of
  underscore module paths (``mockhm._scenario``, ``cli/_replaying.py``);
* the docstrings users read (everything reachable from the front door, the fixtures) also name
  only the front door and cite no section of an unshipped document (``§3.3``).

The detectors are tested too, on samples, so a broken pattern cannot pass silently.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import io
import re
import textwrap
import tokenize
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = (ROOT / "mockhm", ROOT / "pytest_plugin")

#: Submodules users may name (besides the names exported by the two packages).
PUBLIC_MODULES = {"mockhm": {"strategies", "aio"}, "pytest_mockhm": {"plugin"}}

#: ``mockhm.x.y`` / ``pytest_mockhm.x`` / ``pytest_plugin/x.py`` written as a dotted or slashed path.
_PATH = re.compile(r"(?<![\w./@-])(mockhm|pytest_mockhm|pytest_plugin)((?:[./][A-Za-z_]\w*)+)")
#: A bare private file name such as ``_replay.py``.
_PRIVATE_FILE = re.compile(r"(?<![\w./])_[a-z]\w*\.py\b")
#: A cited section of a document that is not shipped (the project's own pages are cited by name).
_SECTION = re.compile(r"§\s*\d|\breference\s+§|\bsection\s+\d+(?:\.\d+)+", re.IGNORECASE)


def _exported(package: str) -> set[str]:
    module = importlib.import_module(
        "pytest_mockhm" if package in {"pytest_plugin", "pytest_mockhm"} else package
    )
    return set(getattr(module, "__all__", ()))


#: Host names that start like a module path (``mockhm.readthedocs.io``).
_DOMAIN = re.compile(r"^\.(?:readthedocs|github)\.io\b|^\.(?:io|org|com|dev)\b")


def _paths(text: str) -> Iterator[re.Match[str]]:
    return (m for m in _PATH.finditer(text) if not _DOMAIN.match(m.group(2)))


def underscore_paths(text: str) -> list[str]:
    """Module paths in ``text`` with a private (``_x``, not dunder) component."""
    found = []
    for match in _paths(text):
        parts = re.split(r"[./]", match.group(2))[1:]
        if any(p.startswith("_") and not p.startswith("__") for p in parts):
            found.append(match.group(0))
    found += _PRIVATE_FILE.findall(text)
    return found


def non_public_paths(text: str) -> list[str]:
    """Module paths in ``text`` that leave the front door (private or internal submodules)."""
    found = underscore_paths(text)
    for match in _paths(text):
        package = "pytest_mockhm" if match.group(1) == "pytest_plugin" else match.group(1)
        first = re.split(r"[./]", match.group(2))[1]
        if "/" in match.group(2):
            continue  # a file of the source tree (a link to read), not a module to import
        if first.startswith("__") or first in PUBLIC_MODULES[package] or first in _exported(package):
            continue
        if match.group(0) not in found:
            found.append(match.group(0))
    return found


def section_citations(text: str) -> list[str]:
    """Citations of numbered sections (``§3.3``, ``reference §5``)."""
    return [m.group(0) for m in _SECTION.finditer(text)]


# -- the detectors themselves ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "private", "internal"),
    [
        ("see mockhm._scenario.load_scenario", ["mockhm._scenario.load_scenario"], []),
        ("in mockhm/_replay.py", ["mockhm/_replay.py"], []),
        ("the module cli/_replaying.py or _hostile.py", ["_hostile.py"], []),
        ("mockhm.cli._replaying.serve_scenario", ["mockhm.cli._replaying.serve_scenario"], []),
        ("pytest_mockhm._fixture.X", ["pytest_mockhm._fixture.X"], []),
        ("mockhm.streams.replay.replay", [], ["mockhm.streams.replay.replay"]),
        ("use mockhm.load_scenario and mockhm.HookManager.restart", [], []),
        ("mockhm.strategies.hook_events(); pytest_mockhm.CassetteFixture", [], []),
        ("mockhm.__version__ and mockhm/schemas/state-vm.xsd", [], []),
        ("the policy is `mockhm/streams/record/rules.py`", [], []),
        ("see https://mockhm.readthedocs.io/en/latest/how-to/ or github.com/mockhm/mockhm/tree/main", [], []),
        ("[mockhm.readthedocs.io](https://mockhm.readthedocs.io/en/latest/)", [], []),
    ],
)
def test_detectors(text: str, private: list[str], internal: list[str]) -> None:
    assert underscore_paths(text) == private
    assert non_public_paths(text) == private + internal


def test_section_detector() -> None:
    assert section_citations("keys end with a space (§2.2); see reference §5") == ["§2", "reference §"]
    assert section_citations("see the wire protocol page") == []


# -- user documentation ----------------------------------------------------------------------


def _documentation() -> Iterator[Path]:
    yield ROOT / "README.md"
    yield from sorted((ROOT / "docs").rglob("*.md"))
    for path in sorted((ROOT / "examples").rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix not in {".pyc", ".png"}:
            yield path


def test_documentation_names_only_the_front_door() -> None:
    problems = []
    for path in _documentation():
        if not path.exists():
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            problems += [f"{path.relative_to(ROOT)}:{number}: {hit}" for hit in non_public_paths(line)]
    assert not problems, "documentation names non-public modules:\n" + "\n".join(problems)


# -- docstrings and comments in the packages --------------------------------------------------


def _sources() -> Iterator[Path]:
    for package in PACKAGES:
        yield from sorted(package.rglob("*.py"))


def _docstrings_and_comments(source: str) -> Iterator[tuple[int, str]]:
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            yield node.lineno, node.value.value
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            yield token.start[0], token.string


def test_no_docstring_or_comment_names_a_private_module() -> None:
    problems = []
    for path in _sources():
        for line, text in _docstrings_and_comments(path.read_text(encoding="utf-8")):
            problems += [f"{path.relative_to(ROOT)}:{line}: {hit}" for hit in underscore_paths(text)]
    assert not problems, "docstrings/comments name private modules:\n" + "\n".join(problems)


# -- what users read: docstrings reachable from the front door --------------------------------


def _members(obj: object) -> Iterator[tuple[str, object]]:
    """Methods and properties a class defines itself (fields are checked separately)."""
    for name, member in vars(obj).items() if inspect.isclass(obj) else ():
        if name.startswith("_") and name != "__call__":
            continue
        if isinstance(member, property):
            yield name, member.fget
        elif isinstance(member, (classmethod, staticmethod)):
            yield name, member.__func__
        elif inspect.isfunction(member):
            yield name, member


def _public_docstrings() -> Iterator[tuple[str, str]]:
    import pytest_mockhm
    import pytest_mockhm.plugin

    import mockhm
    import mockhm.aio
    import mockhm.strategies

    roots: list[tuple[str, object]] = [("mockhm", mockhm), ("pytest_mockhm", pytest_mockhm)]
    roots += [(f"mockhm.{n}", getattr(mockhm, n)) for n in mockhm.__all__ if n != "__version__"]
    roots += [(f"pytest_mockhm.{n}", getattr(pytest_mockhm, n)) for n in pytest_mockhm.__all__]
    for module in (mockhm.strategies, mockhm.aio, pytest_mockhm.plugin):
        roots.append((module.__name__, module))
        names = getattr(module, "__all__", None) or [n for n in vars(module) if not n.startswith("_")]
        for name in names:
            value = getattr(module, name)
            if getattr(value, "__module__", module.__name__) == module.__name__ and callable(value):
                roots.append((f"{module.__name__}.{name}", value))
    for name, obj in roots:
        yield name, inspect.getdoc(obj) or ""
        for member_name, member in _members(obj):
            yield f"{name}.{member_name}", inspect.getdoc(member) or ""


def _runtime_strings(source: str) -> Iterator[tuple[int, str]]:
    """String literals that are not docstrings: messages, labels, help texts users see."""
    tree = ast.parse(source)
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            yield node.lineno, node.value


def test_runtime_messages_cite_no_sections() -> None:
    """Errors, labels and help texts point at the project's own protocol page, never at a
    section number of a document users do not have."""
    problems = []
    for path in _sources():
        for line, text in _runtime_strings(path.read_text(encoding="utf-8")):
            problems += [f"{path.relative_to(ROOT)}:{line}: {hit}" for hit in section_citations(text)]
    assert not problems, "runtime text cites sections:\n" + "\n".join(problems)


def test_public_docstrings_name_only_the_front_door_and_cite_no_sections() -> None:
    problems = []
    for name, doc in _public_docstrings():
        hits = non_public_paths(doc) + section_citations(doc)
        problems += [f"{name}: {hit}" for hit in hits]
    assert not problems, "public docstrings leave the front door:\n" + "\n".join(sorted(set(problems)))


def test_every_public_callable_has_a_docstring() -> None:
    missing = [name for name, doc in _public_docstrings() if not doc.strip()]
    assert not missing, f"no docstring: {missing}"


def _documented_fields(cls: type) -> tuple[list[str], set[str]]:
    """The class's annotated fields, and those with an attribute docstring or an entry in the
    class docstring (``name:`` as in an ``Attributes:`` section)."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(cls))).body[0]
    assert isinstance(tree, ast.ClassDef)
    fields, documented = [], set()
    doc = inspect.getdoc(cls) or ""
    for i, node in enumerate(tree.body):
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            name = node.target.id
            if name.startswith("_") or "ClassVar" in ast.unparse(node.annotation):
                continue
            fields.append(name)
            after = tree.body[i + 1] if i + 1 < len(tree.body) else None
            has_docstring = isinstance(after, ast.Expr) and isinstance(after.value, ast.Constant)
            if has_docstring or re.search(rf"^\s*{name}( \(.*\))?:", doc, re.MULTILINE):
                documented.add(name)
    return fields, documented


#: Classes whose fields need not be documented one by one (none left).
PENDING: set[str] = set()


def test_every_field_of_a_public_data_class_is_documented() -> None:
    """Journal, message, report and scenario items say what each field holds (mkdocstrings
    shows attribute docstrings and ``Attributes:`` sections)."""
    import pytest_mockhm

    import mockhm

    classes = [getattr(mockhm, n) for n in mockhm.__all__ if inspect.isclass(getattr(mockhm, n))]
    classes += [getattr(pytest_mockhm, n) for n in pytest_mockhm.__all__]
    missing = []
    for cls in classes:
        if not (dataclasses.is_dataclass(cls) or issubclass(cls, tuple)) or cls.__name__ in PENDING:
            continue
        fields, documented = _documented_fields(cls)
        missing += [f"{cls.__name__}.{f}" for f in fields if f not in documented]
    assert not missing, f"undocumented fields: {missing}"
