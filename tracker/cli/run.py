"""Unattended runs: `tracker check`, `schedule`, `runs`, `status` and `email-test`."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date
from typing import TYPE_CHECKING, Any

from tracker.cli.common import (
    Subparsers,
    add_command,
    add_wait,
    load,
    notice,
    print_json,
    store_for,
)
from tracker.errors import UsageError

if TYPE_CHECKING:
    from tracker.run.cycle import CycleDeps, CycleSettings
    from tracker.store import Store


def add_run_commands(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    help = "one cycle: find new CMS releases, download, import, diff, report, email"
    add_wait(add_command(sub, common, "check", cmd_check, help), 0, "an import or another check")
    help = "run checks on [schedule] cron until stopped (SIGTERM/SIGINT)"
    add_command(sub, common, "schedule", cmd_schedule, help)
    p = add_command(sub, common, "runs", cmd_runs, "the run ledger, newest first")
    p.add_argument("--json", action="store_true", help="print a JSON list")
    p.add_argument("--limit", type=int, default=20, metavar="N", help="at most N runs (default 20)")
    help = "exit 1 if the last run failed or none succeeded lately (for monitoring)"
    add_command(sub, common, "status", cmd_status, help)
    help = "send a test email with the [email] settings"
    add_command(sub, common, "email-test", cmd_email_test, help)


def cycle_deps(settings: CycleSettings, store: Store) -> CycleDeps:
    """What a run touches outside itself: the store, the HTTP session, SMTP, the clock."""
    import logging

    from tracker.notify.message import send
    from tracker.run.check import session_for
    from tracker.run.cycle import CycleDeps
    from tracker.run.fault import fault_from_env
    from tracker.sources.download import progress_for

    logger = logging.getLogger("tracker.sources.download")
    return CycleDeps(
        store=store,
        session=session_for(settings.check.source),
        send=lambda message, settings: send(message, settings),
        today=date.today,
        progress=lambda name: progress_for(sys.stderr, logger, name=name),
        fault=fault_from_env(os.environ),  # TEST ONLY: a no-op unless TRACKER_FAULT_POINT is set
    )


def cmd_check(args: argparse.Namespace) -> int:
    import logging

    from tracker.run.check import render_summary
    from tracker.run.cycle import CycleSettings, run_cycle
    from tracker.run.schedule import configure_logging

    config = load(args)
    settings = CycleSettings.from_config(config)
    # On a terminal the progress bar speaks; from cron, plain log lines say what happened.
    configure_logging(None, "WARNING")
    logging.getLogger("tracker").setLevel("WARNING" if sys.stderr.isatty() else "INFO")
    deps = cycle_deps(settings, store_for(config, writes="check", wait=args.wait))
    result = run_cycle(settings, deps, trigger="manual", wait=args.wait, notify=notice)
    sys.stdout.write(render_summary(result.check))
    if result.email.sent:
        print(f"emails sent: {result.email.sent}")
    for failure in result.email.failures:
        print(f"FAILED: email {failure}")
    return 0 if result.ok else 1


def cmd_schedule(args: argparse.Namespace) -> int:
    from tracker.run.cycle import CycleSettings, run_logged
    from tracker.run.schedule import build_scheduler, configure_logging, run_scheduler

    config = load(args)
    cycle = CycleSettings.from_config(config)
    settings = config.schedule
    configure_logging(settings.log_file)
    deps = cycle_deps(cycle, store_for(config, writes="check"))
    scheduler = build_scheduler(
        lambda: run_logged(cycle, deps),
        cron=settings.cron,
        timezone=settings.timezone,
        misfire_grace_time=settings.misfire_grace_seconds,
        source=config.path,
    )
    run_scheduler(scheduler)
    return 0


def run_json(run: Any) -> dict[str, Any]:
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
        "kind": run.kind,
        "note": run.note,
    }


def cmd_runs(args: argparse.Namespace) -> int:
    runs = store_for(load(args)).ledger.runs(args.limit)
    if args.json:
        print_json([run_json(r) for r in runs])
        return 0
    if not runs:
        print("No runs yet: `tracker check` or `tracker schedule` records each run here.")
    for r in runs:
        head = f"#{r.id:<5} {r.started_at:%Y-%m-%d %H:%M} UTC  {r.trigger:<8} {r.outcome:<7} "
        error = f"  error: {r.error}" if r.error else ""
        if r.kind != "check":  # a removal says what it did
            print(f"{head}{r.note}{error}")
            continue
        imported = ", ".join(r.imported) or "-"
        print(f"{head}found {r.releases_found}, imported {imported}, reports {len(r.reports)}, "
              f"emails {r.emails_sent}{error}")  # fmt: skip
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from tracker.run.status import health

    config = load(args)
    store = store_for(config)
    report = health(store.ledger.runs(kind="check"), store.outbox.pending(), now=datetime.now(UTC),
                    stale_after_days=config.schedule.stale_after_days)  # fmt: skip
    print("\n".join(report.lines))
    return 0 if report.healthy else 1


def cmd_email_test(args: argparse.Namespace) -> int:
    from tracker.notify.message import build_test_message, send

    config = load(args)
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
