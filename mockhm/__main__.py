"""``python -m mockhm``."""

from mockhm.cli import entry

entry()
