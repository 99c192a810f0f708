"""String builders for XML the way oned writes it.

oned concatenates strings: no declaration, no namespace, no whitespace, scalar fields
raw, template values in CDATA, template children in alphabetical order, empty
templates as an open/close pair.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

#: A template attribute: a single value, a vector attribute (``NIC=[...]``) or several
#: attributes of the same name.
TemplateValue = str | Mapping[str, str] | Sequence[Mapping[str, str]]
Template = Mapping[str, TemplateValue]


def el(tag: str, text: object) -> str:
    """``<TAG>text</TAG>`` with the text raw, as oned prints ids, numbers and names."""
    return f"<{tag}>{text}</{tag}>"


def cdata(tag: str, text: object) -> str:
    """``<TAG><![CDATA[text]]></TAG>``: ``one_util::escape_xml`` (a ``]]>`` inside is not handled)."""
    return f"<{tag}><![CDATA[{text}]]></{tag}>"


def opt(tag: str, text: str | None) -> str:
    """A CDATA field that oned self-closes when empty (VNET ``VN_MAD``, ``PHYDEV``…)."""
    return f"<{tag}/>" if not text else cdata(tag, text)


def template(tag: str, attrs: Template) -> str:
    """A ``Template::to_xml``: children sorted by name, values in CDATA, never self-closed."""
    parts: list[str] = []
    for name in sorted(attrs):
        value = attrs[name]
        if isinstance(value, str):
            parts.append(cdata(name, value))
        elif isinstance(value, Mapping):
            parts.append(_vector(name, value))
        else:
            parts.extend(_vector(name, v) for v in value)
    return f"<{tag}>{''.join(parts)}</{tag}>"


def _vector(name: str, value: Mapping[str, str]) -> str:
    inner = "".join(cdata(k, value[k]) for k in sorted(value))
    return f"<{name}>{inner}</{name}>"
