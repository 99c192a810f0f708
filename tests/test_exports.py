"""The front door: a short, sorted, importable public API that loads its heavy parts lazily."""

from __future__ import annotations

import subprocess
import sys

import mockhm


def test_all_is_sorted_and_importable() -> None:
    # isort style, as ruff keeps it: CONSTANTS, then Classes, then functions.
    def style(name: str) -> tuple[int, str]:
        return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)

    assert list(mockhm.__all__) == sorted(mockhm.__all__, key=style)
    assert len(set(mockhm.__all__)) == len(mockhm.__all__)
    for name in mockhm.__all__:
        assert getattr(mockhm, name) is not None, name


def test_every_export_is_listed() -> None:
    exported = set(mockhm.__all__)
    assert set(mockhm._EXPORTS) | {"__version__"} == exported


def test_import_is_light() -> None:
    """`import mockhm` (and the Hypothesis entry point) load neither pyzmq, lxml nor Faker."""
    code = (
        "import sys, mockhm, mockhm.traffic.hypothesis_hook; "
        "print(sorted(m for m in ('zmq', 'lxml', 'faker') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_unknown_attribute() -> None:
    try:
        mockhm.no_such_thing  # noqa: B018
    except AttributeError as err:
        assert "no attribute 'no_such_thing'" in str(err)
    else:  # pragma: no cover
        raise AssertionError("expected AttributeError")
