"""``mockhm profiles``: the OpenNebula releases mockhm can imitate."""

from __future__ import annotations

import argparse

from mockhm.wire.profiles import DEFAULT_PROFILE, PROFILES


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``profiles`` parser."""
    p = sub.add_parser("profiles", help="list the release profiles")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print one line per profile."""
    del args
    for name, prof in PROFILES.items():
        mark = "*" if name == DEFAULT_PROFILE else " "
        objects = ",".join(sorted(prof.state_objects))
        print(f"{mark} {name:7} state objects {objects:20} {prof.summary}")
    return 0
