"""``mockhm validate FILE...``: check every message of captures (and scenarios).

One line per message (``FILE:LINE: KEY: ok`` or ``FAIL`` and its problems; scenarios
say ``FILE: step N``), a summary
per file, exit status 0 when everything is sound and 1 otherwise (2 for usage errors).
``--json`` prints the same as JSON Lines.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from mockhm.streams.validate import SCENARIO_SUFFIXES, MessageResult, ValidationReport, validate_file
from mockhm.wire.errors import UnknownProfileError
from mockhm.wire.profiles import PROFILES, get_profile


def register(subparsers: Any) -> None:
    """Add the ``validate`` subcommand to the ``mockhm`` parser."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "validate",
        help="check captures and scenarios: frames, keys, base64, XML, schema, key/body agreement",
        description=(
            "Check every message of capture files (JSON Lines) and scenario files: two "
            "frames, a well-formed key, base64 content (RETRY: plus one space), well-formed "
            "XML valid for its kind and release profile, and a key the real driver derives "
            "from the body. Exit status 0 when every message is sound, 1 otherwise."
        ),
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="capture (.jsonl) or scenario (.yaml)")
    parser.add_argument(
        "--profile",
        metavar="NAME",
        help=f"release profile ({', '.join(PROFILES)} or a release number); "
        "default: the capture header's profile, else 7.4",
    )
    parser.add_argument("--quiet", "-q", action="store_true", help="print only failures and the summary")
    parser.add_argument("--json", action="store_true", help="print JSON Lines instead of text")
    parser.add_argument(
        "--upstream",
        metavar="DIR",
        help="also check every body against OpenNebula's XSDs in DIR (namespace injected), "
        "e.g. an OpenNebula checkout's share/doc/xsd",
    )
    parser.set_defaults(func=run)


def _where(path: str, result: MessageResult, unit: str) -> str:
    return f"{path}:{result.line}" if unit == "line" else f"{path}: step {result.line}"


def _text_result(out: TextIO, path: str, result: MessageResult, quiet: bool, unit: str) -> None:
    if result.ok:
        if not quiet:
            print(f"{_where(path, result, unit)}: {result.key!r}: ok", file=out)
        return
    key = repr(result.key) if result.key else "(no key)"
    print(f"{_where(path, result, unit)}: {key}: FAIL", file=out)
    for problem in result.problems:
        print(f"    {problem.code}: {problem.reason}", file=out)


def _json_result(out: TextIO, path: str, result: MessageResult, quiet: bool, unit: str) -> None:
    if result.ok and quiet:
        return
    obj = {
        "file": path,
        unit: result.line,
        "key": result.key,
        "ok": result.ok,
        "problems": [{"code": p.code, "reason": p.reason} for p in result.problems],
    }
    print(json.dumps(obj), file=out)


def _summary_text(report: ValidationReport) -> str:
    if report.error is not None:
        return f"{report.path}: ERROR: {report.error}"
    if report.skipped is not None:
        return f"{report.path}: SKIPPED: {report.skipped}"
    verdict = "ok" if report.ok else "FAILED"
    return (
        f"{report.path}: {verdict}: {report.checked} messages, "
        f"{report.checked - report.failed} ok, {report.failed} failed (profile {report.profile})"
    )


def run(args: argparse.Namespace) -> int:
    """Run ``mockhm validate``; returns the exit status."""
    out = sys.stdout
    if args.profile is not None:
        try:
            get_profile(args.profile)
        except UnknownProfileError as err:
            print(f"mockhm validate: --profile: {err}", file=sys.stderr)
            return 2
    if args.upstream is not None and not Path(args.upstream).is_dir():
        print(f"mockhm validate: --upstream: {args.upstream} is not a directory", file=sys.stderr)
        return 2
    emit = _json_result if args.json else _text_result
    reports: list[ValidationReport] = []
    for path in args.files:
        unit = "step" if Path(path).suffix in SCENARIO_SUFFIXES else "line"

        def on_result(result: MessageResult, path: str = path, unit: str = unit) -> None:
            emit(out, path, result, args.quiet, unit)

        report = validate_file(path, profile=args.profile, upstream=args.upstream, on_result=on_result)
        reports.append(report)
        if args.json:
            print(
                json.dumps(
                    {
                        "file": report.path,
                        "profile": report.profile,
                        "checked": report.checked,
                        "failed": report.failed,
                        "ok": report.ok,
                        "error": report.error,
                        "skipped": report.skipped,
                    }
                ),
                file=out,
            )
        else:
            print(_summary_text(report), file=out)
    all_ok = all(r.ok for r in reports)
    checked = sum(r.checked for r in reports)
    failed = sum(r.failed for r in reports)
    bad_files = sum(1 for r in reports if r.error is not None or r.skipped is not None)
    if args.json:
        print(
            json.dumps(
                {"summary": {"files": len(reports), "checked": checked, "failed": failed,
                             "unusable_files": bad_files, "ok": all_ok}}
            ),
            file=out,
        )  # fmt: skip
    elif len(reports) > 1:
        print(
            f"total: {len(reports)} files, {checked} messages, {failed} failed"
            + (f", {bad_files} files not validated" if bad_files else ""),
            file=out,
        )
    return 0 if all_ok else 1
