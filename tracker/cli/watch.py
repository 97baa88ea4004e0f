"""Watchlists (`tracker watch add | list | remove`) and `tracker impact`: which of an
organisation's own codes a diff touches."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tracker.sources.watchlist import WatchlistVersion


def add_watch_commands(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """`tracker impact` and the ``watch`` command group."""
    help = "the watched codes a diff touches, with the watchlists' own columns"
    p = sub.add_parser("impact", parents=[common], help=help, description=help)
    p.set_defaults(func=cmd_impact)
    p.add_argument(
        "old", nargs="?", metavar="OLD", help="older release label (default: the one before NEW)"
    )
    p.add_argument(
        "new", nargs="?", metavar="NEW", help="newer release label (default: the newest)"
    )
    p.add_argument("--watch", metavar="NAME", help="only this watchlist (default: every one)")
    p.add_argument("--format", choices=("text", "csv", "json"), default="text")

    group = sub.add_parser(
        "watch",
        help="watchlists: your organisation's own codes (a chargemaster export)",
        description="watchlists: your organisation's own codes, for `tracker impact`",
    )
    watch_sub = group.add_subparsers(dest="watch_command", required=True, metavar="COMMAND")
    help = "load a watchlist from a CSV or xlsx file (re-adding a name replaces it)"
    p = watch_sub.add_parser("add", parents=[common], help=help, description=help)
    p.set_defaults(func=cmd_watch_add)
    p.add_argument("name", metavar="NAME")
    p.add_argument("file", metavar="FILE", type=Path)
    p.add_argument(
        "--code-column",
        metavar="C",
        help="the column holding the codes (default: the one headed Code, HCPCS, CPT, "
        "CPT/HCPCS, ...)",
    )
    help = "the watchlists: codes, columns, when loaded and replaced"
    p = watch_sub.add_parser("list", parents=[common], help=help, description=help)
    p.set_defaults(func=cmd_watch_list)
    help = "forget a watchlist"
    p = watch_sub.add_parser("remove", parents=[common], help=help, description=help)
    p.set_defaults(func=cmd_watch_remove)
    p.add_argument("name", metavar="NAME")


def cmd_watch_add(args: argparse.Namespace) -> int:
    from tracker.cli.common import load, store_for
    from tracker.sources.watchlist import check_name, padded_line, read_watchfile, skipped_line

    name = check_name(args.name)
    config = load(args)
    file = read_watchfile(args.file, args.code_column)  # a bad file: nothing is opened or stored
    # A list is read against stored releases: a database not there is a mistyped --db.
    added = store_for(config, writes="import", create=False).watchlists.add(name, file)
    if added.status == "unchanged":
        print(f"watchlist {name} unchanged: {args.file.name} holds the list loaded "
              f"{_when(added.current.loaded_at)}; nothing stored")  # fmt: skip
        return 0
    current = added.current
    print(f"{added.status} watchlist {name}: {_size(current)} from {current.source}, "
          f"codes in {current.code_column!r}")  # fmt: skip
    if current.columns:
        print(f"  kept beside each code: {', '.join(current.columns)}")
    for line in (skipped_line(file), padded_line(file)):
        if line:
            print(f"  {line}")
    if added.previous is not None:
        print(f"  replaced version {added.previous.version} ({_size(added.previous)}, loaded "
              f"{_when(added.previous.loaded_at)} from {added.previous.source})")  # fmt: skip
    return 0


def cmd_watch_list(args: argparse.Namespace) -> int:
    from tracker.cli.common import load, store_for

    versions = store_for(load(args)).watchlists.versions()
    if not versions:
        print("No watchlists: add one with `tracker watch add NAME FILE`.")
    for name, loads in versions.items():
        current = loads[-1]
        since = ""
        if len(loads) > 1:
            since = f", version {current.version}, first added {_when(loads[0].loaded_at)}"
        print(f"{name}: {_size(current)} from {current.source}, loaded "
              f"{_when(current.loaded_at)}{since}")  # fmt: skip
        columns = ", ".join(current.columns) or "none"
        print(f"  codes in {current.code_column!r}; other columns: {columns}")
    return 0


def cmd_watch_remove(args: argparse.Namespace) -> int:
    from tracker.cli.common import load, store_for

    removed = store_for(load(args), writes="import", create=False).watchlists.remove(args.name)
    print(f"removed watchlist {args.name} ({_size(removed)}, loaded {_when(removed.loaded_at)})")
    return 0


def cmd_impact(args: argparse.Namespace) -> int:
    from tracker.cli.common import load, store_for
    from tracker.errors import NotFoundError
    from tracker.query import impacts_for, stored_diff
    from tracker.report.impact import render_impact

    store = store_for(load(args))
    diff = stored_diff(store, args.old, args.new)
    impacts = impacts_for(store, diff, args.watch)
    if not impacts:
        raise NotFoundError("no watchlists: add one with `tracker watch add NAME FILE`")
    sys.stdout.write(render_impact(diff, impacts, args.format))
    return 0


def _size(version: WatchlistVersion) -> str:
    codes = f"{version.codes} code" + ("" if version.codes == 1 else "s")
    if version.rows == version.codes:
        return codes
    return f"{codes} on {version.rows} rows"


def _when(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC"
