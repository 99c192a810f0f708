"""The package's layers, read from the source with ``ast``: each folder imports only the layers
below it, folder ``__init__`` files import nothing, and no two modules import each other in a
circle (lazy imports inside functions and ``TYPE_CHECKING`` imports count too).

The layers, bottom up (ARCHITECTURE.md draws them)::

    wire < schemas < traffic < oned         the pure core and the model
           schemas < hookmanager            the ZeroMQ shell
    oned + hookmanager < frontend           the XML-RPC shell over the model
    oned + hookmanager < streams < load     files on disk; load runs
    cli, pytest_plugin, mockhm/__init__, strategies, aio: the front door, on top
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "mockhm"
#: Top-level packages whose imports are read.
ROOTS = frozenset({"mockhm", "pytest_plugin"})

#: Layer folder -> the layer folders it may import.
ALLOWED: dict[str, frozenset[str]] = {
    "wire": frozenset(),
    "schemas": frozenset({"wire"}),
    "traffic": frozenset({"wire", "schemas"}),
    "oned": frozenset({"wire", "schemas", "traffic"}),
    "hookmanager": frozenset({"wire", "schemas"}),
    "frontend": frozenset({"wire", "schemas", "traffic", "oned", "hookmanager"}),
    "streams": frozenset({"wire", "schemas", "traffic", "oned", "hookmanager"}),
    "load": frozenset({"wire", "schemas", "traffic", "oned", "hookmanager", "streams"}),
}
#: The front door: modules at the package root (everything else lives in a layer folder).
FRONT_DOOR = frozenset({"__init__", "__main__", "strategies", "aio"})
#: Folders on top, which may import any layer.
TOP = frozenset({"cli"})


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _sources() -> dict[str, Path]:
    """Every module of mockhm and of the pytest plugin (whose source lives in ``pytest_plugin/``)."""
    paths = [*PACKAGE.rglob("*.py"), *(ROOT / "pytest_plugin").rglob("*.py")]
    return {_module_name(p): p for p in sorted(paths)}


def _imports(path: Path, modules: dict[str, Path], name: str | None = None) -> Iterator[tuple[int, str, str]]:
    """``(line, imported module, name)`` for every import of ours in ``path``, anywhere in it."""
    name = name or _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in ROOTS:
                    yield node.lineno, alias.name, ""
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            if target.split(".")[0] not in ROOTS:
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                yield (node.lineno, sub, "") if sub in modules else (node.lineno, target, alias.name)


def _layer(module: str) -> str | None:
    """The layer folder of a module, or None for the front door and the top folders."""
    parts = module.split(".")
    return parts[1] if parts[0] == "mockhm" and len(parts) > 1 and parts[1] in ALLOWED else None


def test_every_module_lives_in_a_known_place() -> None:
    stray = []
    for module, path in _sources().items():
        parts = module.split(".")
        if parts[0] != "mockhm" or len(parts) == 1:
            continue
        if path.parent == PACKAGE and parts[1] not in FRONT_DOOR:
            stray.append(f"{module}: a module at the package root (put it in a layer folder)")
        elif path.parent != PACKAGE and parts[1] not in ALLOWED and parts[1] not in TOP:
            stray.append(
                f"{module}: folder {parts[1]!r} is not a layer (add it to ALLOWED and ARCHITECTURE.md)"
            )
    assert not stray, "\n".join(stray)


def test_layer_init_files_import_nothing() -> None:
    """``import mockhm.<layer>`` stays free: a folder's ``__init__`` only says what it owns."""
    for folder in ALLOWED:
        init = PACKAGE / folder / "__init__.py"
        if not init.exists():
            continue
        tree = ast.parse(init.read_text(encoding="utf-8"))
        assert ast.get_docstring(tree), f"{init}: say what the layer owns and what it may import"
        imports = [
            n
            for n in ast.walk(tree)
            if isinstance(n, (ast.Import, ast.ImportFrom)) and getattr(n, "module", "") != "__future__"
        ]
        assert not imports, f"{init} imports at line {imports[0].lineno}"


def test_each_layer_imports_only_the_layers_below() -> None:
    modules = _sources()
    wrong = []
    for module, path in modules.items():
        layer = _layer(module)
        if layer is None:
            continue
        for line, target, name in _imports(path, modules):
            if target == "mockhm" and name == "__version__":
                continue  # the package's own constant: importing any submodule has loaded it already
            other = _layer(target)
            if other == layer or (other is not None and other in ALLOWED[layer]):
                continue
            where = f"{path.relative_to(ROOT)}:{line}"
            wrong.append(f"{where}: {layer} imports {target}{'.' + name if name else ''}")
    assert not wrong, "imports against the layering:\n" + "\n".join(wrong)


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_cycles_between_modules() -> None:
    modules = _sources()
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        edges = graph.setdefault(module, set())
        for _, target, name in _imports(path, modules):
            if target == "mockhm" and name == "__version__":
                continue
            if target in modules and target != module:
                edges.add(target)
    cycle = _cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or ())


def test_the_checks_see_a_violation(tmp_path: Path) -> None:
    """The parser resolves relative imports and ``from package import module``; cycles are found."""
    modules = _sources()
    probe = tmp_path / "probe.py"
    probe.write_text(
        "from mockhm.streams import replay\n"
        "def f():\n    from mockhm import strategies\n    from . import keys\n    from ..oned import cloud\n"
    )
    found = {target for _, target, _ in _imports(probe, modules, "mockhm.wire.probe")}
    assert found == {"mockhm.streams.replay", "mockhm.strategies", "mockhm.wire.keys", "mockhm.oned.cloud"}
    assert [_layer(m) for m in sorted(found)] == ["oned", None, "streams", "wire"]
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
