"""Lookups by code and by date of service: `tracker show`, `tracker codes`, `tracker validate`
(`tracker history` is in ``tracker.cli``)."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path


def add_code_commands(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """`tracker show`, `tracker codes` and `tracker validate`."""
    from tracker.cli.common import date_arg

    help = "a code's full record in plain words, and whether it was valid on a date"
    p = sub.add_parser("show", parents=[common], help=help, description=help)
    p.set_defaults(func=cmd_show)
    p.add_argument("code", metavar="CODE")
    which = p.add_mutually_exclusive_group()
    which.add_argument(
        "--on", type=date_arg, metavar="DATE", help="date of service, YYYY-MM-DD (default: today)"
    )
    which.add_argument(
        "--release", metavar="LABEL", help="show its record in this release (default: latest)"
    )
    _known_in(p)
    p.add_argument("--json", action="store_true", help="print a JSON object")

    help = "every code valid on a date, with its descriptions (for billing systems)"
    p = sub.add_parser("codes", parents=[common], help=help, description=help)
    p.set_defaults(func=cmd_codes)
    p.add_argument("--on", type=date_arg, metavar="DATE", required=True, help="YYYY-MM-DD")
    p.add_argument("--format", choices=("csv", "json"), default="csv")

    help = "check a claims file (CSV or xlsx): was each row's code valid on its date of service"
    p = sub.add_parser("validate", parents=[common], help=help, description=help)
    p.set_defaults(func=cmd_validate)
    p.add_argument("file", metavar="FILE", type=Path)
    p.add_argument("--code-column", metavar="NAME", required=True, help="the codes' column")
    p.add_argument(
        "--date-column", metavar="NAME", required=True, help="the dates of service's column"
    )
    p.add_argument(
        "--output",
        metavar="FILE",
        type=Path,
        help="write the rows (CSV) to FILE and the summary to stdout "
        "(default: rows to stdout, summary to stderr)",
    )
    _known_in(p)


def _known_in(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--known-in",
        metavar="LABEL",
        help="answer with what this release knew (default: the latest stored record)",
    )


def cmd_show(args: argparse.Namespace) -> int:
    from tracker.cli.common import load, print_json, store_for
    from tracker.query.lookup import show
    from tracker.report.life import render_show, show_json

    on = args.on or date.today()
    shown = show(
        store_for(load(args)), args.code.strip().upper(), on,
        release=args.release, known_in=args.known_in,
    )  # fmt: skip
    if args.json:
        print_json(show_json(shown))
    else:
        sys.stdout.write(render_show(shown))
    return 0


def cmd_codes(args: argparse.Namespace) -> int:
    from tracker.cli.common import load, print_json, store_for
    from tracker.query.lookup import valid_codes
    from tracker.report.life import codes_json, render_codes_csv

    found = valid_codes(store_for(load(args)), args.on)
    if args.format == "json":
        print_json(codes_json(found))
    else:
        sys.stdout.write(render_codes_csv(found))
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from tracker.cli.common import load, store_for
    from tracker.errors import NotFoundError
    from tracker.query.registry import Registry
    from tracker.run.validate import validate_file
    from tracker.validate import Checker, summary

    registry = Registry(store_for(load(args)), known_in=args.known_in)
    if registry.newest is None:
        raise NotFoundError("no HCPCS release is stored; import one with `tracker import`")
    registry.load_all()
    checker = Checker(registry.known, registry.successors, registry.coverage)
    columns = (args.code_column, args.date_column)
    validate_file(args.file, columns, checker, args.output, sys.stdout)
    line = summary(args.file.name, checker.counts)
    if args.output is None:
        print(line, file=sys.stderr)
    else:
        print(line)
        print(f"wrote {args.output}", file=sys.stderr)
    return 0
