"""Line-aware YAML for scenarios: mappings that remember their lines, and errors naming file, line,
step and field."""

from __future__ import annotations

from typing import Any, Final

import yaml

from mockhm.wire.errors import ScenarioError


class LineMap(dict[str, Any]):
    """A mapping that remembers the line of itself and of each key."""

    line: int = 0
    lines: dict[str, int]


class _Loader(yaml.SafeLoader):
    pass


def _construct_map(loader: _Loader, node: yaml.MappingNode) -> LineMap:
    loader.flatten_mapping(node)
    out = LineMap()
    out.line = node.start_mark.line + 1
    out.lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if not isinstance(key, str):
            raise _LoadError(line, f"keys must be strings, got {key!r}")
        if key in out:
            raise _LoadError(line, f"duplicate key {key!r} (first on line {out.lines[key]})")
        out[key] = loader.construct_object(value_node, deep=True)
        out.lines[key] = line
    return out


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_map)


class _LoadError(Exception):
    def __init__(self, line: int, what: str) -> None:
        super().__init__(what)
        self.line = line
        self.what = what


class Where:
    """Builds errors that name the file, line, step and field."""

    def __init__(self, path: str) -> None:
        self.path = path

    def error(
        self,
        line: int,
        what: str,
        *,
        step: int | None = None,
        builder: str | None = None,
        field: str | None = None,
    ) -> ScenarioError:
        parts = [f"{self.path}:{line}"]
        if step is not None:
            parts.append(f"step {step}" + (f" ({builder})" if builder else ""))
        if field is not None:
            parts.append(f"field {field!r}")
        parts.append(what)
        return ScenarioError(": ".join(parts), path=self.path, line=line, step=step, field=field)


#: The most values a scenario may expand to, aliases counted at every use (issue 10, item 6: a
#: 600-byte alias bomb is 9**9 values).
MAX_VALUES: Final = 1_000_000


def _expanded_size(root: yaml.Node) -> int:
    """Values of the document with every alias expanded, counted without expanding them (each
    node's size once, memoised by identity); stops counting past :data:`MAX_VALUES`."""
    sizes: dict[int, int] = {}
    visiting: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if id(node) in sizes:
            continue
        children: list[yaml.Node] = []
        if isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        if children_done or not children:
            sizes[id(node)] = min(1 + sum(sizes.get(id(c), 0) for c in children), MAX_VALUES + 1)
            visiting.discard(id(node))
            continue
        if id(node) in visiting:  # an alias inside its own anchor: endless
            return MAX_VALUES + 1
        visiting.add(id(node))
        stack.append((node, True))
        stack.extend((c, False) for c in children if id(c) not in sizes)
    return sizes[id(root)]


def parse_yaml(text: str, path: str = "<scenario>") -> Any:
    """Safe-load YAML keeping line numbers (mappings remember their lines).

    Refuses, as a :class:`ScenarioError`, documents that expand past :data:`MAX_VALUES` values
    through aliases and documents nested too deeply for the parser.
    """
    loader: _Loader | None = None
    try:
        loader = _Loader(text)
        node = loader.get_single_node()
        if node is None:
            return None
        if _expanded_size(node) > MAX_VALUES:
            raise _LoadError(
                node.start_mark.line + 1,
                f"the document expands to more than {MAX_VALUES:,} values through aliases (&anchor/*alias); "
                "write the steps out or use repeat",
            )
        return loader.construct_document(node)
    except RecursionError:
        raise Where(path).error(1, "YAML nested too deeply; a scenario is a few levels deep") from None
    except _LoadError as err:
        raise Where(path).error(err.line, err.what) from None
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark else 1
        raise Where(path).error(line, f"not valid YAML: {err.problem or err}") from None
    except yaml.YAMLError as err:
        raise Where(path).error(1, f"not valid YAML: {err}") from None
    finally:
        if loader is not None:
            loader.dispose()
