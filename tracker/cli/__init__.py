"""Command line: parse arguments, call the library, turn domain errors into exit codes.

One module per command group (releases, run, cpt, watch, codes, settings, db); ``common``
holds what they share. Exit codes: 0 success (also when changes were found), 1 a tracker error,
2 bad usage or config. Heavy libraries (SQLAlchemy, openpyxl, requests) are imported inside the
commands so that ``tracker --help`` starts fast.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from tracker import __version__
from tracker.cli.codes import add_code_commands
from tracker.cli.common import IMPORT_WAIT
from tracker.cli.cpt import add_cpt_commands
from tracker.cli.db import add_db_commands, close_stores
from tracker.cli.releases import add_release_commands
from tracker.cli.run import add_run_commands, cmd_schedule
from tracker.cli.settings import add_config_commands
from tracker.cli.watch import add_watch_commands
from tracker.errors import TrackerError

DESCRIPTION = "Track CMS HCPCS Level II releases (and licensed CPT files): snapshot, diff, report."


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; every error becomes one line on stderr and its exit code, here."""
    args = build_parser().parse_args(argv)
    collecting = gc.isenabled()
    if args.func is not cmd_schedule:
        # A command is over in seconds and builds tens of thousands of records that form no
        # cycles: the cyclic collector's passes cost it a tenth of a second, and memory is
        # freed by reference counts anyway. The long-running scheduler keeps it.
        gc.disable()
    try:
        result: int = args.func(args)
        return result
    except TrackerError as exc:
        print(f"tracker: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("tracker: interrupted", file=sys.stderr)
        return 130
    except OSError as exc:  # a disk, folder or permission problem at an edge
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"tracker: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # a bug or a database failure: one line, the details on request
        if os.environ.get("TRACKER_DEBUG"):
            raise
        detail = str(exc).splitlines()[0] if str(exc) else ""
        print(
            f"tracker: error: unexpected {type(exc).__name__}: {detail[:300]} "
            "(set TRACKER_DEBUG=1 to see the traceback)",
            file=sys.stderr,
        )
        return 1
    finally:
        close_stores()
        if collecting:
            gc.enable()  # as it was: main() is also called in-process (the tests)


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--db",
        metavar="URL",
        default=argparse.SUPPRESS,
        help="database URL, or a SQLite file path (default: TRACKER_DB, [store] db, "
        "snapshots/tracker.db)",
    )
    common.add_argument(
        "--config",
        metavar="FILE",
        type=Path,
        default=argparse.SUPPRESS,
        help="config file (default: TRACKER_CONFIG or ./tracker.toml)",
    )
    parser = argparse.ArgumentParser(prog="tracker", description=DESCRIPTION, parents=[common])
    parser.add_argument("--version", action="version", version=f"tracker {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_release_commands(sub, common)
    add_run_commands(sub, common)
    add_cpt_commands(sub, common)
    add_config_commands(sub, common)
    add_db_commands(sub, common, wait=IMPORT_WAIT)
    add_watch_commands(sub, common)
    add_code_commands(sub, common)
    return parser


if __name__ == "__main__":
    sys.exit(main())
