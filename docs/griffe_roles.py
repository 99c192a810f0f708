"""A Griffe extension for the API reference: Sphinx roles in docstrings become inline code.

mockhm's docstrings say :class:`HookManager` or :meth:`~HookManager.publish`, which reads well in
``help()`` and in editors; mkdocstrings would print the role as it is.  This extension rewrites
each role to its target as inline code (``~`` keeps only the last dotted part) while Griffe loads
the package.  It is loaded by ``mkdocs.yml`` (``extensions:`` of the python handler) and is not
shipped.
"""

from __future__ import annotations

import ast
import re
from typing import Any

import griffe

_ROLE = re.compile(r":(?:py:)?(?:class|func|meth|data|attr|mod|exc|obj|const):`(~?)([^`]+)`")


def _replace(match: re.Match[str]) -> str:
    short, target = match.group(1), match.group(2).strip()
    if short:
        target = target.rsplit(".", 1)[-1]
    return f"`{target}`"


def rewrite_roles(text: str) -> str:
    """``text`` with every Sphinx cross-reference role turned into inline code."""
    return _ROLE.sub(_replace, text)


class SphinxRolesToCode(griffe.Extension):
    """Rewrite the docstring of every object as it is created."""

    def on_instance(
        self,
        *,
        node: ast.AST | griffe.ObjectNode,
        obj: griffe.Object,
        agent: griffe.Visitor | griffe.Inspector,
        **kwargs: Any,
    ) -> None:
        """Called by Griffe once per object (module, class, function, attribute)."""
        if obj.docstring is not None:
            obj.docstring.value = rewrite_roles(obj.docstring.value)
