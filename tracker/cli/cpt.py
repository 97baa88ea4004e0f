"""CPT, licensed by the AMA and imported by its users: `tracker cpt import` and `cpt cadence`."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from tracker.cli.common import (
    IMPORT_WAIT,
    Subparsers,
    add_command,
    add_group,
    add_wait,
    date_arg,
    import_lock,
    load,
    print_json,
    store_for,
    year_arg,
)


def add_cpt_commands(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    group = add_group(
        sub,
        "cpt",
        "CPT (AMA, licensed): import your files, track the cadence",
        "CPT files are licensed by the AMA: import the files you receive.",
    )
    p = add_command(
        group, common, "import", cmd_cpt_import,
        "import licensed CPT data files (a folder or ZIP of the AMA data package, "
        "LONGULT/MEDU/SHORTU.txt, descriptor files, or a CSV)",
    )  # fmt: skip
    p.add_argument("paths", nargs="+", metavar="PATH", type=Path)
    p.add_argument("--year", type=year_arg, required=True, help="the year the release takes effect")
    p.add_argument("--kind", choices=("annual", "category3", "pla", "vaccine"), default="annual")
    p.add_argument("--released", type=date_arg, metavar="DATE", help="when the AMA released it")
    p.add_argument(
        "--effective", type=date_arg, metavar="DATE", help="effective date (default by kind)"
    )
    p.add_argument(
        "--force", action="store_true", help="import even if the mass-change guard refuses"
    )
    add_wait(p, IMPORT_WAIT, "a check or another import")
    p = add_command(
        group, common, "cadence", cmd_cpt_cadence,
        "what CPT files are due, received, late: the AMA calendar against what was imported",
    )  # fmt: skip
    p.add_argument(
        "--as-of", type=date_arg, metavar="DATE", help="judge as of DATE (default: today)"
    )
    p.add_argument("--json", action="store_true", help="print a JSON list")


def cmd_cpt_import(args: argparse.Namespace) -> int:
    from tracker.cli.releases import import_line
    from tracker.cpt.read import read_cpt
    from tracker.run.ingest import Storing, store_one

    config = load(args)
    parsed = read_cpt(args.paths, year=args.year, kind=args.kind, effective=args.effective,
                      max_unpacked=config.source.max_unpacked_bytes)  # fmt: skip
    with import_lock(config, args.wait):
        how = Storing(config.guard.as_guard(), force=args.force, released=args.released,
                      effective=args.effective)  # fmt: skip
        result = store_one(store_for(config, writes="import", locked=True), parsed, how)
    print(import_line(result))
    return 0


def cmd_cpt_cadence(args: argparse.Namespace) -> int:
    from tracker.cpt.cadence import CptCalendar, render_cadence_text, to_json
    from tracker.query import cpt_cadence

    config = load(args)
    calendar = CptCalendar.from_config(config.cpt)
    entries = cpt_cadence(store_for(config), calendar, as_of=args.as_of or date.today())
    if args.json:
        print_json([to_json(e) for e in entries])
    else:
        sys.stdout.write(render_cadence_text(entries))
    return 0
