"""The outbox: emails are stored before they are sent, and a failed send is retried.

A check queues its report emails and marks the releases they report as reported in one
transaction (``queue_reports``): there is no moment, however the process dies, when an email is
queued for a release still unreported (the next run would queue it again) or a release is
reported with its email nowhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from tracker.store.database import Clock, Database
from tracker.store.models import OutboxRow, ReleaseRow
from tracker.store.runs import count_email_sent


@dataclass(frozen=True)
class Email:
    """An email to queue."""

    key: str  # what it is about ("report:HCPCS_2025-Q2_to_2025-Q3"): never queued twice
    subject: str
    message: bytes  # the whole message, as it will be sent (its Message-ID derives from key)
    # Keys of what went out inside it too (a CPT reminder's state, in a report email):
    # recorded as sent with it, so they are not queued again on their own.
    carries: tuple[str, ...] = ()


@dataclass(frozen=True)
class OutboxItem:
    """An email waiting to be sent."""

    id: int
    key: str  # what the email is about: the same key is never queued twice
    created_at: datetime
    subject: str
    message: bytes  # the whole message, as sent
    attempts: int  # failed sends so far
    last_error: str  # why the last send failed ("" when none did)


class Outbox:
    """Emails queued by key, sent oldest first."""

    def __init__(self, database: Database, clock: Clock) -> None:
        self._db = database
        self._clock = clock

    def queue_reports(self, emails: Sequence[Email], *, reported: Iterable[str]) -> list[str]:
        """In one transaction: queue ``emails`` (each key once: one queued before is left as
        it is) and mark the releases labelled ``reported`` as reported. Returns the keys
        queued now."""
        queued = []
        with self._db.session() as session:
            for item in emails:
                if _queued(session, item.key):
                    continue
                now = self._clock()
                session.add(
                    OutboxRow(key=item.key, created_at=now, subject=item.subject,
                              message=item.message)
                )  # fmt: skip
                queued.append(item.key)
                for key in item.carries:
                    if not _queued(session, key):
                        note = f"sent inside {item.key}"
                        session.add(
                            OutboxRow(key=key, created_at=now, subject=note, message=b"",
                                      sent_at=now)
                        )  # fmt: skip
                session.flush()  # a key carried twice is seen the second time
            labels = list(reported)
            if labels:
                session.execute(
                    update(ReleaseRow)
                    .where(col(ReleaseRow.label).in_(labels))
                    .values(reported=True)
                )
        return queued

    def pending(self) -> list[OutboxItem]:
        """Emails not sent yet, oldest first."""
        with self._db.session() as session:
            query = (
                select(OutboxRow)
                .where(col(OutboxRow.sent_at).is_(None))
                .order_by(col(OutboxRow.id))
            )
            return [
                OutboxItem(
                    r.id or 0, r.key, r.created_at, r.subject, r.message, r.attempts, r.last_error
                )
                for r in session.exec(query)
            ]

    def mark_sent(self, item_id: int, *, run_id: int | None = None) -> None:
        """Record a send the server accepted; the run sending it (``run_id``) counts it in the
        same transaction."""
        with self._db.session() as session:
            row = session.get(OutboxRow, item_id)
            assert row is not None
            row.sent_at = self._clock()
            row.attempts += 1
            row.last_error = ""
            if run_id is not None:
                count_email_sent(session, run_id)

    def mark_failed(self, item_id: int, error: str) -> None:
        with self._db.session() as session:
            row = session.get(OutboxRow, item_id)
            assert row is not None
            row.attempts += 1
            row.last_error = error


def _queued(session: Session, key: str) -> bool:
    return session.exec(select(OutboxRow.id).where(OutboxRow.key == key)).first() is not None
