"""The email outbox: a report email is stored before it is sent, and sent exactly once.

One email per release pair, queued under the pair's key (``report_key``): the same report is
never queued twice, whichever run reports it and whatever else that run reports. A check queues
its emails and marks their releases reported in one transaction (``Outbox.queue_reports``); a
failed send stays in the outbox for the next run. Each email's Message-ID derives from its key
(``message.message_id``), so the one resend that can still happen, after a crash between the
server accepting it and the outbox marking it sent, is the same message to the mail clients.
"""

from __future__ import annotations

import email
import email.policy
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from tracker.config import EmailSettings
from tracker.notify.message import SendError, build_message
from tracker.records import CPT, Change, Diff, FieldChange, Impact
from tracker.report.publish import report_stem
from tracker.store import Store
from tracker.store.outbox import Email

log = logging.getLogger(__name__)

# Sends one message; returns the recipients the server refused (``tracker.notify.send``).
Sender = Callable[[EmailMessage, EmailSettings], Sequence[str]]
WITHHELD = "[withheld: CPT descriptors are not emailed; see the CSV report on disk]"


@dataclass(frozen=True)
class FlushResult:
    sent: int
    failures: tuple[str, ...]


def report_key(diff: Diff) -> str:
    """The outbox key of a release pair's email: ``report:HCPCS_2025-Q2_to_2025-Q3``, the stem
    of its report files (the key an earlier tracker gave a check that reported one pair)."""
    return "report:" + report_stem(diff)


def report_emails(
    settings: EmailSettings,
    diffs: Sequence[Diff],
    reports: Sequence[Path],
    *,
    notes: Sequence[str] = (),
    notes_key: str | None = None,
    cpt_descriptors: bool = False,
    impacts: Sequence[Sequence[Impact]] = (),
) -> list[Email]:
    """One email per release pair, led by its impact on each watchlist (``impacts``, one
    sequence per diff) with its reports attached as ``[email] attach`` says (read from
    ``reports``). The first also carries ``notes`` (the CPT reminder), and records
    ``notes_key`` as sent with it."""
    emails = []
    for index, diff in enumerate(diffs):
        key, first = report_key(diff), index == 0
        mailable = cpt_descriptors or diff.new.code_set != CPT
        wanted = {f".{kind}" for kind in settings.attach} if mailable else set()
        attachments = [
            (p.name, p.read_bytes())
            for p in reports
            if p.suffix in wanted and p.stem == report_stem(diff)
        ]
        message = build_message(
            settings, [diff if mailable else redact_cpt(diff)], attachments,
            notes=notes if first else (), key=key,
            impacts=impacts[index] if index < len(impacts) and mailable else (),
        )  # fmt: skip
        carries = (notes_key,) if first and notes and notes_key else ()
        emails.append(Email(key, str(message["Subject"]), message.as_bytes(), carries))
    return emails


def reminder_email(settings: EmailSettings, key: str, notes: Sequence[str]) -> Email:
    """A reminder on its own (CPT files due or overdue); ``key`` names the calendar's state."""
    message = build_message(settings, [], [], notes=notes, key=key)
    del message["Subject"]
    message["Subject"] = f"CPT files due or overdue: {len(notes)} (see the message)"
    return Email(key, str(message["Subject"]), message.as_bytes())


def queue_report_emails(
    store: Store,
    settings: EmailSettings,
    diffs: Sequence[Diff],
    reports: Sequence[Path],
    *,
    reported: Iterable[str] = (),
    cpt_descriptors: bool = False,
) -> list[str]:
    """Queue one email per release pair and mark ``reported`` (labels) reported, in one
    transaction; the keys queued now (a pair queued before is not queued again)."""
    emails = report_emails(settings, diffs, reports, cpt_descriptors=cpt_descriptors)
    return store.outbox.queue_reports(emails, reported=reported)


def queue_reminder_email(
    store: Store, settings: EmailSettings, key: str, notes: Sequence[str]
) -> bool:
    """Queue a reminder (CPT files due or overdue); once per distinct state of the calendar."""
    if not notes:
        return False
    return bool(store.outbox.queue_reports([reminder_email(settings, key, notes)], reported=()))


def flush_outbox(
    store: Store, settings: EmailSettings, send: Sender, *, run_id: int | None = None
) -> FlushResult:
    """Send every pending email, oldest first; a failure keeps it for the next run. ``run_id``:
    the run whose ledger entry counts each email sent, as it is marked sent."""
    sent, failures = 0, []
    for item in store.outbox.pending():
        message = email.message_from_bytes(item.message, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        try:
            refused = send(message, settings)
        except SendError as exc:
            store.outbox.mark_failed(item.id, str(exc))
            failures.append(f"{item.subject!r} stays in the outbox: {exc}")
            continue
        store.outbox.mark_sent(item.id, run_id=run_id)
        sent += 1
        log.info("sent %r", item.subject)
        if refused:
            # The others have it, so it is not sent again; ops must see who did not.
            failures.append(f"{item.subject!r}: the server refused {', '.join(refused)}")
    return FlushResult(sent, tuple(failures))


def redact_cpt(diff: Diff) -> Diff:
    """Codes and categories only: an AMA license may not cover mailing CPT descriptors."""
    changes = tuple(
        Change(c.code, c.category, c.action, "", tuple(_withheld(f) for f in c.fields), c.reason)
        for c in diff.changes
    )
    return Diff(diff.old, diff.new, changes, diff.summary)


def _withheld(change: FieldChange) -> FieldChange:
    return FieldChange(change.field, WITHHELD, WITHHELD)
