"""Command line: parse arguments, call the library, turn domain errors into exit codes.

Exit codes: 0 success (also when changes were found), 1 a tracker error, 2 bad usage or config.
Heavy libraries (SQLModel, openpyxl, requests) are imported inside the commands so that
``tracker --help`` starts fast.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tracker import __version__
from tracker.errors import TrackerError, UsageError

if TYPE_CHECKING:
    from tracker.config import Config
    from tracker.store import Store

DESCRIPTION = "Track CMS HCPCS Level II releases (and licensed CPT files): snapshot, diff, report."


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result: int = args.func(args)
        return result
    except TrackerError as exc:
        print(f"tracker: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("tracker: interrupted", file=sys.stderr)
        return 130


# --- parser --------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--db",
        metavar="URL",
        default=argparse.SUPPRESS,
        help="database URL (default: TRACKER_DB, [store] db, snapshots/tracker.db)",
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

    def command(
        name: str, func: Callable[[argparse.Namespace], int], help: str
    ) -> argparse.ArgumentParser:
        p = sub.add_parser(name, parents=[common], help=help, description=help)
        p.set_defaults(func=func)
        return p

    p = command("demo", cmd_demo, "import three bundled sample releases and report their diffs")
    p.add_argument(
        "--output",
        metavar="DIR",
        type=Path,
        default=None,
        help="folder for the demo reports (default: snapshots/demo/reports)",
    )

    p = command("import", cmd_import, "import HCPCS release files (CMS ZIP, ANWEB .txt or .xlsx)")
    p.add_argument("paths", nargs="+", metavar="PATH", type=Path)
    p.add_argument("--label", help="release label for a renamed file: YYYY or YYYY-Qn")
    p.add_argument("--effective", type=_date, metavar="DATE", help="effective date, YYYY-MM-DD")
    p.add_argument(
        "--force", action="store_true", help="import even if the mass-change guard refuses"
    )

    p = command("releases", cmd_releases, "list stored releases, oldest first")
    p.add_argument("--json", action="store_true", help="print a JSON list")

    p = command("diff", cmd_diff, "report what changed between two stored releases")
    p.add_argument(
        "old", nargs="?", metavar="OLD", help="older release label (default: the one before NEW)"
    )
    p.add_argument(
        "new", nargs="?", metavar="NEW", help="newer release label (default: the newest)"
    )
    p.add_argument("--format", choices=("text", "csv", "json"), default="text")
    p.add_argument("--output", metavar="FILE", type=Path, help="write the report to FILE")

    p = command("history", cmd_history, "every release in which a code changed, and how")
    p.add_argument("code", metavar="CODE")
    p.add_argument("--json", action="store_true", help="print a JSON list")
    return parser


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-04-01") from None


# --- shared --------------------------------------------------------------------------------


def _config(args: argparse.Namespace) -> Config:
    from tracker.config import load_config

    return load_config(getattr(args, "config", None), db=getattr(args, "db", None))


def _store(config: Config) -> Store:
    from tracker.store import Store

    return Store(config.db_url)


def _print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False))


def _write_output(path: Path | None, text: str) -> None:
    if path is None:
        sys.stdout.write(text)
        return
    from tracker.publish import write_atomic

    try:
        write_atomic(path, text.encode("utf-8"))
    except OSError as exc:
        raise TrackerError(f"{path}: cannot write report ({exc.strerror})") from None
    print(f"wrote {path}", file=sys.stderr)


# --- commands ------------------------------------------------------------------------------


def cmd_demo(args: argparse.Namespace) -> int:
    from tracker.config import load_config
    from tracker.demo import run_demo
    from tracker.report import summary_line

    config = load_config(getattr(args, "config", None), db=getattr(args, "db", None))
    demo_dir = config.data_dir / "demo"
    db = getattr(args, "db", None) or f"sqlite:///{demo_dir / 'demo.db'}"
    store = _store(load_config(getattr(args, "config", None), db=db))
    result = run_demo(store, args.output or demo_dir / "reports")
    for item in result.imports:
        print(_import_line(item))
    for diff in result.diffs:
        print(summary_line(diff))
    for path in result.reports:
        print(f"report: {path}")
    print(f"database: {db}")
    print("Next: tracker --db", db, "diff --format text")
    return 0


def _import_line(result: Any) -> str:
    info = result.release.info
    if result.status == "already":
        return f"already imported as {info.label}: {info.source_name}; nothing changed"
    rev = f", revision {info.revision}" if info.revision > 1 else ""
    return (
        f"imported {info.label} ({info.source_name}): {result.release.codes} codes, "
        f"effective {info.effective}{rev}"
    )


def cmd_import(args: argparse.Namespace) -> int:
    from tracker.ingest import import_files

    if len(args.paths) > 1 and (args.label or args.effective):
        raise UsageError("--label and --effective name one release: import one file at a time")
    config = _config(args)
    results = import_files(
        _store(config), args.paths, guard=config.guard,
        label=args.label, effective=args.effective, force=args.force,
    )  # fmt: skip
    for result in results:
        print(_import_line(result))
    return 0


def cmd_releases(args: argparse.Namespace) -> int:
    from tracker.report import release_json

    releases = _store(_config(args)).releases()
    if args.json:
        _print_json([
            release_json(r.info) | {"codes": r.codes, "imported_at": r.imported_at.isoformat()}
            for r in releases
        ])  # fmt: skip
        return 0
    if not releases:
        print("No releases stored yet: run `tracker import PATH` or `tracker check`.")
    for r in releases:
        i = r.info
        print(f"{i.code_set:<6} {i.label:<18} effective {i.effective}  {r.codes:>6} codes  "
              f"{i.source_name}")  # fmt: skip
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    from tracker.query import stored_diff
    from tracker.report import render

    diff = stored_diff(_store(_config(args)), args.old, args.new)
    _write_output(args.output, render(diff, args.format))
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    from tracker.query import code_history
    from tracker.report import change_json, render_history

    entries = code_history(_store(_config(args)), args.code.strip().upper())
    if args.json:
        _print_json([
            {"release": e.release.info.label, "code_set": e.release.info.code_set,
             "effective": e.release.info.effective.isoformat(),
             "previous": e.previous.info.label if e.previous else None}
            | change_json(e.change)
            for e in entries
        ])  # fmt: skip
        return 0
    sys.stdout.write(render_history(entries))
    return 0


if __name__ == "__main__":
    sys.exit(main())
