"""OpenNebula's template syntax: ``KEY="value"``, vectors ``KEY=[A="1",B="2"]``, comments.

The scanner and the grammar follow oned's flex/bison parser (``src/parsers/template_parser.l``
and ``src/parsers/template_syntax.y`` at ``release-7.4.0``): the same tokens, the same
locations (columns counted from 1 over the whole text, the line from 0) and bison's verbose
error text, so a bad template fails with oned's message, e.g.
``Parse error: syntax error, unexpected EQUAL, expecting CBRACKET or VARIABLE at line 0,
columns 21:23``.  A text starting with ``<`` is an XML template (``Template::parse_str_or_xml``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final
from xml.etree import ElementTree

#: A parsed attribute: a name and either a string or a vector (ordered name -> value).
Attribute = tuple[str, "str | dict[str, str]"]


class TemplateSyntaxError(ValueError):
    """A template oned refuses; ``str(err)`` is oned's text, starting with ``Parse error``."""


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    line: int
    first: int
    last: int


# Token numbers of the generated parser decide the order of "expecting A or B" (bison lists
# them by number): EQUAL COMMA OBRACKET CBRACKET EQUAL_EMPTY CCDATA STRING VARIABLE.
_ORDER: Final = (
    "$end",
    "EQUAL",
    "COMMA",
    "OBRACKET",
    "CBRACKET",
    "EQUAL_EMPTY",
    "CCDATA",
    "STRING",
    "VARIABLE",
)

# INITIAL start condition rules (flex picks the longest match, then the first rule).
_INITIAL: Final = (
    (re.compile(r"[ \t]*#.*\n"), None),
    (re.compile(r"[ \t\n]+"), None),
    (re.compile(r"[A-Za-z0-9_]+"), "VARIABLE"),
    (re.compile(r"[ \t]*=[ \t]*"), "EQUAL"),
    (re.compile(r"[ \t]*=[ \t]*\n"), "EQUAL_EMPTY"),
    (re.compile(r"[ \t\n]*,[ \t\n]*"), "COMMA"),
    (re.compile(r"[ \t\n]*\][ \t\n]*"), "CBRACKET"),
)
# VALUE start condition (exclusive): entered after EQUAL.  Its CCDATA rule, ``.*\]\]>.*``
# (the rest of a line holding a "]]>"), is matched by _ccdata_end: as a regex it rescans the
# line for every value, quadratic on a long one-line template (0.5 MB took 12 s).
_VALUE: Final = (
    (re.compile(r"[ \t]*\[[ \t\n]*"), "OBRACKET"),
    (re.compile(r'"(?:\\"|[^"])*"'), "STRING"),
    (re.compile(r"[^=#\t \n,\[\]]+"), "STRING"),
)


class _Lines:
    """Where the line of a position ends and whether a "]]>" lies before that, found once."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.newline = -1
        self.ccdata = -1

    def ccdata_end(self, pos: int) -> int | None:
        r"""The end of ``.*\]\]>.*`` matched at ``pos`` (the end of the line), or ``None``."""
        text = self.text
        if self.newline < pos:
            found = text.find("\n", pos)
            self.newline = len(text) if found < 0 else found
        if self.ccdata < pos:
            found = text.find("]]>", pos)
            self.ccdata = len(text) if found < 0 else found
        return self.newline if self.ccdata + 3 <= self.newline else None


def _tokens(text: str) -> Iterator[_Token]:
    """flex's scanner: every match (ignored ones too) moves the column on (YY_USER_ACTION)."""
    pos, line, column, value_state = 0, 0, 1, False
    first = 1  # bison's initial location is 1:1; at the end flex leaves the last match's
    lines = _Lines(text)
    while pos < len(text):
        rules = _VALUE if value_state else _INITIAL
        best: tuple[int, str | None] | None = None
        if value_state:  # CCDATA comes before the STRING rules: it wins a tie
            end = lines.ccdata_end(pos)
            if end is not None and end > pos:
                best = (end - pos, "CCDATA")
        for pattern, kind in rules:
            match = pattern.match(text, pos)
            if match and match.end() > pos and (best is None or match.end() - pos > best[0]):
                best = (match.end() - pos, kind)
        length, kind = best if best is not None else (1, None)  # flex's default rule: echo one char
        lexeme = text[pos : pos + length]
        pos += length
        line += lexeme.count("\n")
        first, column = column, column + length
        if kind is None:
            continue
        if kind == "EQUAL":
            value_state = True
        elif kind in ("OBRACKET", "CCDATA", "STRING"):
            value_state = False
        yield _Token(kind, lexeme, line, first, column)
    yield _Token("$end", "", line, first, column)


# LALR states of the grammar, by what they accept next (the rest is an error).
_EXPECT: Final[dict[str, tuple[str, ...]]] = {
    "accept": ("$end",),
    "after_name": ("EQUAL", "EQUAL_EMPTY"),
    "after_equal": ("OBRACKET", "CCDATA", "STRING"),
    "vector_open": ("CBRACKET", "VARIABLE"),
    "vector_name": ("EQUAL",),
    "vector_equal": ("STRING",),
    "vector_more": ("COMMA", "CBRACKET"),
    "vector_comma": ("VARIABLE",),
}


def _error(state: str, token: _Token) -> TemplateSyntaxError:
    expected = sorted(_EXPECT[state], key=_ORDER.index)
    text = f"syntax error, unexpected {token.kind}"
    if len(expected) <= 4:
        text += ", expecting " + " or ".join(expected)
    return TemplateSyntaxError(
        f"Parse error: {text} at line {token.line}, columns {token.first}:{token.last}"
    )


def _string(token: _Token) -> str:
    text = token.text.strip(" \t") if token.kind == "STRING" else token.text
    if text.startswith('"') and text.endswith('"') and len(text) >= 2:
        text = text[1:-1]
    return text.replace('\\"', '"')


def parse_template(text: str) -> list[Attribute]:
    """Parse ``text`` as oned does; values are trimmed (``Template::trim_attributes``).

    Names are upper-cased (oned's attributes are).  Raises :class:`TemplateSyntaxError`
    with oned's message for a text oned refuses.
    """
    if text.startswith("<"):
        return _parse_xml(text)
    attrs: list[Attribute] = []
    state = "accept"  # the start state accepts $end or VARIABLE (default reduction first)
    name = inner = ""
    vector: dict[str, str] = {}
    for token in _tokens(text):
        kind = token.kind
        if state == "accept":
            if kind == "$end":
                return attrs
            if kind != "VARIABLE":
                raise _error("accept", token)
            name, state = token.text.upper(), "after_name"
        elif state == "after_name":
            if kind == "EQUAL_EMPTY":
                attrs.append((name, ""))
                state = "accept"
            elif kind == "EQUAL":
                state = "after_equal"
            else:
                raise _error(state, token)
        elif state == "after_equal":
            if kind == "STRING":
                attrs.append((name, _string(token).strip()))
                state = "accept"
            elif kind == "OBRACKET":
                vector, state = {}, "vector_open"
            elif kind == "CCDATA":
                raise TemplateSyntaxError("Parse error.")  # YYABORT: no message
            else:
                raise _error(state, token)
        elif state in ("vector_open", "vector_comma") and kind == "VARIABLE":
            inner, state = token.text.upper(), "vector_name"
        elif state in ("vector_open", "vector_more") and kind == "CBRACKET":
            attrs.append((name, vector))
            state = "accept"
        elif state == "vector_name" and kind == "EQUAL":
            state = "vector_equal"
        elif state == "vector_equal" and kind == "STRING":
            vector.setdefault(inner, _string(token).strip())
            state = "vector_more"
        elif state == "vector_more" and kind == "COMMA":
            state = "vector_comma"
        else:
            raise _error(state, token)
    raise AssertionError("unreachable: the scanner always ends with $end")


def _parse_xml(text: str) -> list[Attribute]:
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError:
        raise TemplateSyntaxError("Parse error: XML Template malformed.") from None
    attrs: list[Attribute] = []
    for child in root:
        if len(child):
            attrs.append((child.tag.upper(), {c.tag.upper(): (c.text or "").strip() for c in child}))
        else:
            attrs.append((child.tag.upper(), (child.text or "").strip()))
    return attrs


def render_template(attrs: list[Attribute]) -> str:
    """The template back in oned's text form (``Template::to_str``-like, one per line)."""
    lines = []
    for name, value in attrs:
        if isinstance(value, dict):
            inner = ",\n  ".join(f'{k}="{v}"' for k, v in value.items())
            lines.append(f"{name}=[\n  {inner} ]")
        else:
            lines.append(f'{name}="{value}"')
    return "\n".join(lines)
