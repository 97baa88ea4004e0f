"""One unattended run, as `tracker check` and the scheduler do it: lock, ledger, check, email.

with the database's lock:            (two checks never run on one database at once)
    start a run in the ledger        (it records each release, report and email as they happen)
    run_check                        (discover, download, import, diff, write reports)
    queue the emails, one per        (one transaction: a run that stops before it is reported
      release pair, and mark the      by the next; after it, the emails are in the outbox)
      releases reported
    send what is in the outbox       (a failed send is retried on the next run)
    finish the run in the ledger     (outcome, error)

Killed anywhere (kill -9, a power cut), the next run picks up: tests/test_faults.py kills it at
each of these steps.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage

import requests

from tracker.config import Config, EmailSettings
from tracker.cpt.cadence import CptCalendar, needs_attention
from tracker.errors import BusyError, TrackerError
from tracker.notify.outbox import FlushResult, Sender, flush_outbox, reminder_email, report_emails
from tracker.query import cpt_cadence, impacts_for
from tracker.records import CPT
from tracker.run.check import CheckResult, CheckSettings, render_summary, run_check
from tracker.run.fault import Fault, no_fault
from tracker.run.lock import DatabaseLock, Notify, hold, lock_for
from tracker.sources.download import Progress
from tracker.store import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CycleDeps:
    """Everything a run touches outside itself, injected."""

    store: Store
    session: requests.Session
    send: Sender
    today: Callable[[], date]
    progress: Callable[[str], Progress | None] = lambda name: None
    fault: Fault = no_fault  # TEST ONLY: kill points (``tracker.run.fault``)


@dataclass(frozen=True)
class CycleResult:
    check: CheckResult
    email: FlushResult
    run_id: int

    @property
    def ok(self) -> bool:
        return self.check.ok and not self.email.failures


@dataclass(frozen=True)
class CycleSettings:
    """Every setting a run reads, from the config validated before it takes the lock."""

    check: CheckSettings
    email: EmailSettings | None
    calendar: CptCalendar
    cpt_descriptors: bool
    lock: DatabaseLock  # the database's lock: a file beside SQLite, advisory in PostgreSQL

    @classmethod
    def from_config(cls, config: Config) -> CycleSettings:
        return cls(
            check=CheckSettings.from_config(config),
            email=config.email,
            calendar=CptCalendar.from_config(config.cpt),
            cpt_descriptors=config.cpt.email_descriptors,
            lock=lock_for(config.db_url, config.data_dir),
        )


def run_cycle(
    settings: CycleSettings,
    deps: CycleDeps,
    *,
    trigger: str,
    wait: float = 0,
    notify: Notify = log.warning,
) -> CycleResult:
    """Run one check under the database's lock and record it in the ledger; ``notify`` hears
    who holds the lock while it waits, and of a lock taken over from a dead holder."""
    with hold(settings.lock, "check", wait=wait, notify=notify):
        run_id = deps.store.ledger.start(trigger)
        try:
            check = run_check(
                deps.store, settings.check, session=deps.session, progress=deps.progress,
                run_id=run_id, fault=deps.fault,
            )  # fmt: skip
            _queue(deps, settings, check)
            deps.fault("queued")
            flushed = (
                flush_outbox(deps.store, settings.email, _sending(deps), run_id=run_id)
                if settings.email
                else FlushResult(0, ())
            )
        except Exception as exc:
            # What it did before failing stays in the ledger: it was recorded as it went.
            deps.store.ledger.finish(run_id, outcome="failed", error=f"{type(exc).__name__}: {exc}")
            raise
        result = CycleResult(check, flushed, run_id)
        deps.store.ledger.finish(
            run_id,
            outcome="ok" if result.ok else "failed",
            error="; ".join(check.failures + flushed.failures),
        )
        return result


def _queue(deps: CycleDeps, settings: CycleSettings, check: CheckResult) -> None:
    """Queue one email per release pair (any CPT reminder inside the first, or on its own)
    and mark the releases reported, in one transaction; sending comes after. The reports are
    on disk already: written again, they are the same bytes (``write_reports``)."""
    emails = []
    if settings.email is not None:
        notes = cpt_reminders(deps.store, settings.calendar, deps.today())
        reminder = "reminder:" + "|".join(notes)
        emails = report_emails(
            settings.email, check.diffs, check.reports,
            notes=notes, notes_key=reminder, cpt_descriptors=settings.cpt_descriptors,
            impacts=[impacts_for(deps.store, diff) for diff in check.diffs],
        )  # fmt: skip
        if notes and not emails:
            emails = [reminder_email(settings.email, reminder, notes)]
    deps.store.outbox.queue_reports(emails, reported=check.unreported)


def _sending(deps: CycleDeps) -> Sender:
    """``deps.send``, with the fault hook's point between the server accepting an email and
    the outbox marking it sent."""

    def send(message: EmailMessage, settings: EmailSettings) -> Sequence[str]:
        refused = deps.send(message, settings)
        deps.fault("sent")
        return refused

    return send


def cpt_reminders(store: Store, calendar: CptCalendar, today: date) -> list[str]:
    """Lines naming CPT files due or overdue; none until the team imports CPT at all."""
    if not store.catalog.releases(CPT):
        return []
    return [
        f"CPT {e.label} ({e.kind}) is {e.status}: expected {e.expected_release}, "
        f"effective {e.effective}; import it with `tracker cpt import`"
        for e in needs_attention(cpt_cadence(store, calendar, as_of=today))
    ]


def run_logged(settings: CycleSettings, deps: CycleDeps, *, trigger: str = "schedule") -> None:
    """The scheduler's job: every outcome ends up in the log (and, once started, the ledger)."""
    try:
        result = run_cycle(settings, deps, trigger=trigger)
    except BusyError as exc:
        log.warning("check skipped: %s", exc)
        return
    except TrackerError as exc:
        log.error("check failed: %s", exc)
        return
    except Exception:  # an unattended scheduler must outlive a bug in one run
        log.exception("check crashed")
        return
    for line in render_summary(result.check).splitlines():
        log.info("%s", line)
    for failure in result.email.failures:
        log.error("email: %s", failure)
    log.info(
        "run %d %s; %d email(s) sent",
        result.run_id,
        "ok" if result.ok else "failed",
        result.email.sent,
    )
