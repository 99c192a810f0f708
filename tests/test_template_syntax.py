"""OpenNebula's template syntax as oned parses it (src/parsers/template_parser.l and
template_syntax.y at release-7.4.0): values, vectors, comments and bison's error text."""

from __future__ import annotations

import pytest

from mockhm.oned.template import TemplateSyntaxError, parse_template


def test_values_vectors_comments_and_escapes() -> None:
    text = '# a comment\nNAME = "web 1"\nCPU=0.5\nnic = [ network = "priv",  ip="10.0.0.2" ]\nEMPTY=\nQ="a \\"b\\""\n'
    assert parse_template(text) == [
        ("NAME", "web 1"), ("CPU", "0.5"), ("NIC", {"NETWORK": "priv", "IP": "10.0.0.2"}), ("EMPTY", ""),
        ("Q", 'a "b"'),
    ]  # fmt: skip


def test_repeated_vectors_are_kept_and_first_inner_wins() -> None:
    attrs = parse_template('DISK=[IMAGE_ID="1"]\nDISK=[IMAGE_ID="2",IMAGE_ID="3"]')
    assert attrs == [("DISK", {"IMAGE_ID": "1"}), ("DISK", {"IMAGE_ID": "2"})]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        # captures-7.4.0/7.4.0-api-errors.jsonl
        ('NAME="bad" MEMORY=[ = ',
         "Parse error: syntax error, unexpected EQUAL, expecting CBRACKET or VARIABLE at line 0, columns 21:23"),
        ("A", "Parse error: syntax error, unexpected $end, expecting EQUAL or EQUAL_EMPTY at line 0, columns 1:2"),
        ("A=[B=1 C=2]",
         "Parse error: syntax error, unexpected VARIABLE, expecting COMMA or CBRACKET at line 0, columns 8:9"),
        ('A="1"\n\nB', "Parse error: syntax error, unexpected $end, expecting EQUAL or EQUAL_EMPTY at line 2, columns 8:9"),
        ("<T", "Parse error: XML Template malformed."),
    ],
)  # fmt: skip
def test_errors_are_oneds(text: str, message: str) -> None:
    with pytest.raises(TemplateSyntaxError) as err:
        parse_template(text)
    assert str(err.value) == message


def test_xml_templates() -> None:
    assert parse_template("<TEMPLATE><A>1</A><B><C>x</C></B></TEMPLATE>") == [("A", "1"), ("B", {"C": "x"})]
