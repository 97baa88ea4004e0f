"""The email outbox: a report email is stored before it is sent, and sent exactly once.

Queueing is keyed by what the email is about (the release pairs, or a CPT reminder's state), so
the same report is never queued twice; a failed send stays in the outbox for the next run.
"""

from __future__ import annotations

import email
import email.policy
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from tracker.config import EmailSettings
from tracker.notify.message import SendError, build_message
from tracker.records import CPT, Change, Diff, FieldChange
from tracker.report.publish import report_stem
from tracker.store import Store

log = logging.getLogger(__name__)

# Sends one message; returns the recipients the server refused (``tracker.notify.send``).
Sender = Callable[[EmailMessage, EmailSettings], Sequence[str]]
WITHHELD = "[withheld: CPT descriptors are not emailed; see the CSV report on disk]"


@dataclass(frozen=True)
class FlushResult:
    sent: int
    failures: tuple[str, ...]


def queue_report_email(
    store: Store,
    settings: EmailSettings,
    diffs: Sequence[Diff],
    reports: Sequence[Path],
    *,
    notes: Sequence[str] = (),
    cpt_descriptors: bool = False,
) -> bool:
    """Queue one email for the diffs of one check; False if nothing to send or queued before."""
    if not diffs:
        return False
    shown = [d if cpt_descriptors or d.new.code_set != CPT else redact_cpt(d) for d in diffs]
    stems = {report_stem(d) for d in diffs if cpt_descriptors or d.new.code_set != CPT}
    attachments = [
        (p.name, p.read_bytes()) for p in reports if p.suffix == ".csv" and p.stem in stems
    ]
    message = build_message(settings, shown, attachments, notes=notes)
    key = "report:" + ",".join(report_stem(d) for d in diffs)
    return store.outbox.queue(key, str(message["Subject"]), message.as_bytes())


def queue_reminder_email(
    store: Store, settings: EmailSettings, key: str, notes: Sequence[str]
) -> bool:
    """Queue a reminder (CPT files due or overdue); once per distinct state of the calendar."""
    if not notes:
        return False
    message = build_message(settings, [], [], notes=notes)
    del message["Subject"]
    message["Subject"] = f"CPT files due or overdue: {len(notes)} (see the message)"
    return store.outbox.queue(key, str(message["Subject"]), message.as_bytes())


def flush_outbox(store: Store, settings: EmailSettings, send: Sender) -> FlushResult:
    """Send every pending email, oldest first; a failure keeps it for the next run."""
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
        store.outbox.mark_sent(item.id)
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
