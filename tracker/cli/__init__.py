"""Command line: parse arguments, call the library, turn domain errors into exit codes.

Exit codes: 0 success (also when changes were found), 1 a tracker error, 2 bad usage or config.
Heavy libraries (SQLModel, openpyxl, requests) are imported inside the commands so that
``tracker --help`` starts fast.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tracker import __version__
from tracker.cli.db import add_db_commands
from tracker.errors import TrackerError, UsageError

if TYPE_CHECKING:
    from tracker.config import Config
    from tracker.run.lock import What
    from tracker.store import Store

DESCRIPTION = "Track CMS HCPCS Level II releases (and licensed CPT files): snapshot, diff, report."
# How long an import waits for the database's lock by default: a person at a terminal would
# rather wait out a running check (most take well under a minute) than retry by hand.
IMPORT_WAIT = 60.0


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
    p.add_argument(
        "--wait",
        type=float,
        default=IMPORT_WAIT,
        metavar="SECONDS",
        help="if a check or another import holds the database, wait this long "
        f"(default: {IMPORT_WAIT:g})",
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

    p = command(
        "check",
        cmd_check,
        "one cycle: find new CMS releases, download, import, diff, report, email",
    )
    p.add_argument(
        "--wait",
        type=float,
        default=0,
        metavar="SECONDS",
        help="if an import or another check holds the database, wait this long "
        "(default: exit at once)",
    )

    command(
        "schedule", cmd_schedule, "run checks on [schedule] cron until stopped (SIGTERM/SIGINT)"
    )

    p = command("runs", cmd_runs, "the run ledger, newest first")
    p.add_argument("--json", action="store_true", help="print a JSON list")
    p.add_argument("--limit", type=int, default=20, metavar="N", help="at most N runs (default 20)")

    command(
        "status",
        cmd_status,
        "exit 1 if the last run failed or none succeeded lately (for monitoring)",
    )
    command("email-test", cmd_email_test, "send a test email with the [email] settings")

    cpt = sub.add_parser(
        "cpt",
        help="CPT (AMA, licensed): import your files, track the cadence",
        description="CPT files are licensed by the AMA: import the files you receive.",
    )
    cpt_sub = cpt.add_subparsers(dest="cpt_command", required=True, metavar="COMMAND")
    p = cpt_sub.add_parser(
        "import",
        parents=[common],
        help="import licensed CPT data files",
        description="import licensed CPT data files (a folder or ZIP of the AMA "
        "data package, LONGULT/MEDU/SHORTU.txt, descriptor files, or a CSV)",
    )
    p.set_defaults(func=cmd_cpt_import)
    p.add_argument("paths", nargs="+", metavar="PATH", type=Path)
    p.add_argument("--year", type=_year, required=True, help="the year the release takes effect")
    p.add_argument("--kind", choices=("annual", "category3", "pla", "vaccine"), default="annual")
    p.add_argument("--released", type=_date, metavar="DATE", help="when the AMA released it")
    p.add_argument(
        "--effective", type=_date, metavar="DATE", help="effective date (default by kind)"
    )
    p.add_argument(
        "--force", action="store_true", help="import even if the mass-change guard refuses"
    )
    p.add_argument(
        "--wait",
        type=float,
        default=IMPORT_WAIT,
        metavar="SECONDS",
        help="if a check or another import holds the database, wait this long "
        f"(default: {IMPORT_WAIT:g})",
    )
    p = cpt_sub.add_parser(
        "cadence",
        parents=[common],
        help="what CPT files are due, received, late",
        description="the AMA release calendar against what was imported",
    )
    p.set_defaults(func=cmd_cpt_cadence)
    p.add_argument("--as-of", type=_date, metavar="DATE", help="judge as of DATE (default: today)")
    p.add_argument("--json", action="store_true", help="print a JSON list")

    config_group = sub.add_parser(
        "config", help="the configuration file", description="the configuration file"
    )
    config_sub = config_group.add_subparsers(
        dest="config_command", required=True, metavar="COMMAND"
    )
    p = config_sub.add_parser(
        "check",
        parents=[common],
        help="validate the configuration file, including the cron and time zone",
        description="validate every setting of the configuration file, including the cron and "
        "time zone; print what it holds, or exit 2 naming the bad key",
    )
    p.set_defaults(func=cmd_config_check)
    add_db_commands(sub, common, wait=IMPORT_WAIT)
    return parser


def _date(text: str) -> date:
    try:
        value = date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-04-01") from None
    if not 1900 <= value.year <= 2199:
        raise argparse.ArgumentTypeError(f"{text!r} is not a plausible date")
    return value


def _year(text: str) -> int:
    if not re.fullmatch(r"(19|20|21)\d\d", text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a year like 2026")
    return int(text)


# --- shared --------------------------------------------------------------------------------


def _config(args: argparse.Namespace) -> Config:
    from tracker.config import load_config

    return load_config(getattr(args, "config", None), db=getattr(args, "db", None))


def _store(config: Config, *, writes: What | None = None, locked: bool = False) -> Store:
    """The database, for a command that ``writes`` (upgrading an older schema) or reads; see
    ``tracker.cli.db``. ``locked``: the command holds the database's lock already."""
    from tracker.cli.db import open_store

    return open_store(config.db_url, config.data_dir, writes=writes, locked=locked)


def _lock(config: Config, wait: float) -> Any:
    """The database's lock, held by an import: it never runs beside a check or another import."""
    from tracker.run.lock import hold, lock_for

    return hold(lock_for(config.db_url, config.data_dir), "import", wait=wait, notify=_notice)


def _notice(line: str) -> None:
    """A line for the person at the terminal (who holds the lock, a lock taken over)."""
    print(f"tracker: {line}", file=sys.stderr)


def _print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False))


def _write_output(path: Path | None, text: str) -> None:
    if path is None:
        sys.stdout.write(text)
        return
    from tracker.report.publish import write_atomic

    try:
        write_atomic(path, text.encode("utf-8"))
    except OSError as exc:
        raise TrackerError(f"{path}: cannot write report ({exc.strerror})") from None
    print(f"wrote {path}", file=sys.stderr)


# --- commands ------------------------------------------------------------------------------


def cmd_demo(args: argparse.Namespace) -> int:
    from tracker.config import load_config
    from tracker.report.text import summary_line
    from tracker.cli.db import open_store
    from tracker.run.demo import run_demo

    config = load_config(getattr(args, "config", None), db=getattr(args, "db", None))
    demo_dir = config.data_dir / "demo"
    # The demo keeps to its own database unless told otherwise: never mix it with real data.
    db = getattr(args, "db", None) or f"sqlite:///{demo_dir / 'demo.db'}"
    store = open_store(db, config.data_dir, writes="import")
    result = run_demo(
        store, args.output or demo_dir / "reports", max_unpacked=config.source.max_unpacked_bytes
    )
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
    from tracker.run.ingest import import_files

    if len(args.paths) > 1 and (args.label or args.effective):
        raise UsageError("--label and --effective name one release: import one file at a time")
    config = _config(args)
    with _lock(config, args.wait):
        results = import_files(
            _store(config, writes="import", locked=True), args.paths,
            guard=config.guard.as_guard(),
            max_unpacked=config.source.max_unpacked_bytes,
            label=args.label, effective=args.effective, force=args.force,
        )  # fmt: skip
    for result in results:
        print(_import_line(result))
    return 0


def cmd_releases(args: argparse.Namespace) -> int:
    from tracker.report.json import release_json

    releases = _store(_config(args)).catalog.releases()
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
    from tracker.report.json import change_json
    from tracker.report.text import render_history

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


def _cycle_deps(settings: Any, store: Store) -> Any:
    import logging

    from tracker.notify.message import send
    from tracker.run.check import session_for
    from tracker.run.cycle import CycleDeps
    from tracker.sources.download import progress_for

    logger = logging.getLogger("tracker.sources.download")
    return CycleDeps(
        store=store,
        session=session_for(settings.check.source),
        send=lambda message, settings: send(message, settings),
        today=date.today,
        progress=lambda name: progress_for(sys.stderr, logger, name=name),
    )


def cmd_check(args: argparse.Namespace) -> int:
    import logging

    from tracker.run.check import render_summary
    from tracker.run.cycle import CycleSettings, run_cycle
    from tracker.run.schedule import configure_logging

    config = _config(args)
    settings = CycleSettings.from_config(config)
    # On a terminal the progress bar speaks; from cron, plain log lines say what happened.
    configure_logging(None, "WARNING")
    logging.getLogger("tracker").setLevel("WARNING" if sys.stderr.isatty() else "INFO")
    deps = _cycle_deps(settings, _store(config, writes="check"))
    result = run_cycle(settings, deps, trigger="manual", wait=args.wait, notify=_notice)
    sys.stdout.write(render_summary(result.check))
    if result.email.sent:
        print(f"emails sent: {result.email.sent}")
    for failure in result.email.failures:
        print(f"FAILED: email {failure}")
    return 0 if result.ok else 1


def cmd_schedule(args: argparse.Namespace) -> int:
    from tracker.run.cycle import CycleSettings, run_logged
    from tracker.run.schedule import build_scheduler, configure_logging, run_scheduler

    config = _config(args)
    cycle = CycleSettings.from_config(config)
    settings = config.schedule
    configure_logging(settings.log_file)
    deps = _cycle_deps(cycle, _store(config, writes="check"))
    scheduler = build_scheduler(
        lambda: run_logged(cycle, deps),
        cron=settings.cron,
        timezone=settings.timezone,
        misfire_grace_time=settings.misfire_grace_seconds,
        source=config.path,
    )
    run_scheduler(scheduler)
    return 0


def _run_json(run: Any) -> dict[str, Any]:
    return {
        "id": run.id,
        "trigger": run.trigger,
        "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "outcome": run.outcome,
        "releases_found": run.releases_found,
        "imported": list(run.imported),
        "reports": list(run.reports),
        "emails_sent": run.emails_sent,
        "error": run.error,
    }


def cmd_runs(args: argparse.Namespace) -> int:
    runs = _store(_config(args)).ledger.runs(args.limit)
    if args.json:
        _print_json([_run_json(r) for r in runs])
        return 0
    if not runs:
        print("No runs yet: `tracker check` or `tracker schedule` records each run here.")
    for r in runs:
        imported = ", ".join(r.imported) or "-"
        print(f"#{r.id:<5} {r.started_at:%Y-%m-%d %H:%M} UTC  {r.trigger:<8} {r.outcome:<7} "
              f"found {r.releases_found}, imported {imported}, reports {len(r.reports)}, "
              f"emails {r.emails_sent}" + (f"  error: {r.error}" if r.error else ""))  # fmt: skip
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from tracker.run.status import health

    config = _config(args)
    settings = config.schedule
    store = _store(config)
    report = health(store.ledger.runs(), store.outbox.pending(), now=datetime.now(UTC),
                    stale_after_days=settings.stale_after_days)  # fmt: skip
    print("\n".join(report.lines))
    return 0 if report.healthy else 1


def cmd_email_test(args: argparse.Namespace) -> int:
    from tracker.notify.message import build_test_message, send

    config = _config(args)
    settings = config.email
    if settings is None:
        raise UsageError(f"{config.path or 'config'}: no [email] table; see config.example.toml")
    refused = send(build_test_message(settings), settings)
    accepted = [r for r in settings.recipients if r not in refused]
    print(f"test email sent via {settings.host}:{settings.port} to {', '.join(accepted)}")
    if refused:
        print(f"refused by the server: {', '.join(refused)}")
        return 1
    return 0


def cmd_cpt_import(args: argparse.Namespace) -> int:
    from tracker.cpt.read import read_cpt
    from tracker.run.ingest import Storing, store_one

    config = _config(args)
    parsed = read_cpt(args.paths, year=args.year, kind=args.kind, effective=args.effective)
    with _lock(config, args.wait):
        how = Storing(config.guard.as_guard(), force=args.force, released=args.released)
        result = store_one(_store(config, writes="import", locked=True), parsed, how)
    print(_import_line(result))
    return 0


def cmd_cpt_cadence(args: argparse.Namespace) -> int:
    from tracker.cpt.cadence import CptCalendar, render_cadence_text, to_json
    from tracker.query import cpt_cadence

    config = _config(args)
    calendar = CptCalendar.from_config(config.cpt)
    entries = cpt_cadence(_store(config), calendar, as_of=args.as_of or date.today())
    if args.json:
        _print_json([to_json(e) for e in entries])
    else:
        sys.stdout.write(render_cadence_text(entries))
    return 0


def cmd_config_check(args: argparse.Namespace) -> int:
    from tracker.config import summary
    from tracker.store import redact_url

    config = _config(args)  # every section validated: a bad one exits 2 naming the key
    sys.stdout.write(summary(config, db_name=redact_url(config.db_url)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
